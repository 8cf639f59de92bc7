"""The nights' own bookkeeping, kept in the warehouse (schema ``pilotage``), never in local files.

- ``pilotage.nuit_en_cours``: the night that holds the warehouse. One night at a time: every step of
  every night — scheduled by Airflow or run by ``spaser run`` (``dag.test()``, which ignores the
  DAG's ``max_active_runs``) — goes through ``night_step``, which refuses at once, with a French
  message naming the running night, to start a step of another night while that one is alive.
- ``pilotage.etapes``: how each step of each night ended (success, or failure with its French
  reason). A step rerun under the same run id (a cleared task, a fixed input) overwrites its row:
  the summary of a night rerun green is green. Any executor, on any machine, reads the same rows.
- ``pilotage.candidats_valides``: what the marts gate validated for a night (the fingerprint of the
  candidate schema), which publication checks in its own transaction (``spaser.publish.swap``).
- The warehouse's migrations (``spaser.db.migrations``, recorded in ``pilotage.migrations``, which
  also create these tables) are applied as a step takes the warehouse, once no other night holds
  it, under the lock that serialises the taking: no step of another night runs while the schema
  changes. ``upgrade_warehouse`` does the same for a command run outside a night.
- ``pilotage.documentation_dbt``: dbt's manifest and catalog of a marts schema, written by the
  step that builds the candidate and read by the one that builds the site, which may run on
  another machine. Keyed by the schema's oid, which its renames keep: the docs follow the
  candidate into ``marts`` at publication, and into ``marts_precedent`` (and back) without a write.

The lock rule. Airflow runs each task in its own process, so no database session lives as long as a
night. A night is alive while either
  - one of its steps is running: the step's process holds a session-level advisory lock (shared, so
    that the night's parallel extractions hold it together) for the step's duration; a process that
    crashes or is killed loses its session, and the lock goes with it at once; or
  - its last step ended (or started) less than ``SPASER_NIGHT_GRACE_SECONDS`` ago (default 600 s):
    the gap between two tasks, while the scheduler starts the next one.
The night's summary (which runs whatever happened) releases the lock, as does ``spaser run`` when
its process ends (even interrupted by Ctrl-C before the summary). A night killed outright —
scheduler and all — no longer holds the warehouse once its last step is older than the grace: the
next night takes the lock over, and says so in its log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from spaser.core.errors import NightStepFailed
from spaser.db.migrations import MigrationRefused, migrate, pending

log = logging.getLogger("spaser.pipeline.pilotage")

GRACE_SETTING = "SPASER_NIGHT_GRACE_SECONDS"
DEFAULT_GRACE_SECONDS = 600.0
# Serialises the check-and-take of the night lock (and the warehouse's migrations).
SETUP_LOCK_KEY = 0x5350_5049  # "SPPI"
# Held (shared) by every running step of the night that holds the warehouse.
STEP_LOCK_KEY = 0x5350_4E55  # "SPNU"


def grace_seconds() -> float:
    configured = os.environ.get(GRACE_SETTING, "").strip()
    try:
        return float(configured) if configured else DEFAULT_GRACE_SECONDS
    except ValueError:
        raise ValueError(f"{GRACE_SETTING} doit être un nombre de secondes (lu : {configured!r})") from None


class NightAlreadyRunning(NightStepFailed):
    """Another night holds the warehouse."""


@dataclass
class StepBookkeeping:
    conn: psycopg.Connection
    run_id: str
    step: str

    def ended(self, failure_reason: str | None, seconds: float | None = None) -> None:
        try:
            record_step(self.conn, self.run_id, self.step, failure_reason, seconds)
        except psycopg.OperationalError:
            if not self.conn.broken:
                raise
            # The step's session was cut (PostgreSQL restarted during the step): its outcome is
            # recorded on a new one, so that the night's summary names the step and its reason.
            from spaser.db.warehouse import warehouse_url

            with psycopg.connect(warehouse_url(), autocommit=True) as conn:
                record_step(conn, self.run_id, self.step, failure_reason, seconds)


@contextmanager
def night_step(run_id: str, step: str) -> Iterator[StepBookkeeping]:
    """Hold the warehouse for ``run_id`` while one of its steps runs; refuse if another night does.

    The refusal is recorded as the step's failure. The connection is the step's bookkeeping
    channel: ``ended`` records how the step ended.
    """
    from spaser.db.warehouse import warehouse_url

    conn = psycopg.connect(warehouse_url(), autocommit=True)
    try:
        bookkeeping = StepBookkeeping(conn, run_id, step)
        try:
            _take(conn, run_id)
        except (NightAlreadyRunning, MigrationRefused) as refusal:
            if _migrated(conn):
                bookkeeping.ended(str(refusal))
            raise
        yield bookkeeping
    finally:
        try:
            conn.execute("update pilotage.nuit_en_cours set derniere_activite = now() where run_id = %s", (run_id,))
        except psycopg.OperationalError as error:
            # A session cut by the server: its step lock is gone with it, only this date is lost.
            log.warning("Dernière activité de la nuit %s non enregistrée (session perdue : %s)", run_id, error)
        finally:
            conn.close()


def _take(conn: psycopg.Connection, run_id: str) -> None:
    conn.execute("select pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
    try:
        holder = _holder(conn)
        if holder is not None and holder[0] != run_id:
            other, started, last, idle = holder
            if _is_alive(conn, idle):
                raise NightAlreadyRunning(
                    f"Une autre nuit est en cours sur cet entrepôt : {other} (commencée le "
                    f"{started:%d/%m/%Y à %H:%M:%S %Z}, dernière activité le {last:%d/%m/%Y à %H:%M:%S %Z}). "
                    "Cette nuit ne démarre pas : une seule nuit à la fois ; relancez-la quand l'autre "
                    "sera terminée."
                )
            log.warning(
                "La nuit %s détenait l'entrepôt sans plus rien exécuter depuis %.0f s (plus de %s s) : "
                "elle est tenue pour interrompue, la nuit %s prend la main.",
                other,
                idle,
                grace_seconds(),
                run_id,
            )
        migrate(conn)
        if holder is None or holder[0] != run_id:
            conn.execute("delete from pilotage.nuit_en_cours")
            conn.execute("insert into pilotage.nuit_en_cours (run_id) values (%s)", (run_id,))
        else:
            conn.execute("update pilotage.nuit_en_cours set derniere_activite = now()")
        conn.execute("select pg_advisory_lock_shared(%s)", (STEP_LOCK_KEY,))
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))


def _holder(conn: psycopg.Connection) -> tuple | None:
    """The night holding the warehouse: run id, start, last activity, seconds since."""
    if not _migrated(conn):
        return None
    return conn.execute(
        "select run_id, commencee_le, derniere_activite, extract(epoch from now() - derniere_activite)"
        " from pilotage.nuit_en_cours"
    ).fetchone()


def _migrated(conn: psycopg.Connection) -> bool:
    """Whether a night (or a command) has set the warehouse up: before, no night can hold it."""
    return conn.execute("select to_regclass('pilotage.nuit_en_cours')").fetchone()[0] is not None


def _is_alive(conn: psycopg.Connection, idle_seconds) -> bool:
    """The holding night is alive: one of its steps runs (some session holds the step lock), or
    its last activity is within the grace."""
    free = conn.execute("select pg_try_advisory_lock(%s)", (STEP_LOCK_KEY,)).fetchone()[0]
    if free:
        conn.execute("select pg_advisory_unlock(%s)", (STEP_LOCK_KEY,))
    return not free or idle_seconds < grace_seconds()


def release_night(conn: psycopg.Connection, run_id: str) -> None:
    """The night's end: the warehouse is free (only if this night holds it)."""
    with conn.transaction():
        if _migrated(conn):
            conn.execute("delete from pilotage.nuit_en_cours where run_id = %s", (run_id,))


def release_night_of(run_id: str) -> None:
    """``release_night`` on a connection of its own; a warehouse out of reach is only logged (the
    lock then lapses after the grace)."""
    from spaser.db.warehouse import connect

    try:
        with connect() as conn:
            release_night(conn, run_id)
    except psycopg.OperationalError as error:
        log.warning("Verrou de la nuit %s non libéré (entrepôt injoignable : %s)", run_id, error)


def running_night(conn: psycopg.Connection) -> str | None:
    """The run id of the night holding the warehouse, if it is alive (see the lock rule)."""
    holder = _holder(conn)
    alive = holder is not None and _is_alive(conn, holder[3])
    conn.commit()
    return holder[0] if alive else None


def record_step(
    conn: psycopg.Connection, run_id: str, step: str, failure_reason: str | None, seconds: float | None = None
) -> None:
    with conn.transaction():
        conn.execute(
            "insert into pilotage.etapes (run_id, etape, statut, motif, duree_secondes) values (%s, %s, %s, %s, %s)"
            " on conflict (run_id, etape) do update set statut = excluded.statut, motif = excluded.motif,"
            " termine_le = now(), duree_secondes = excluded.duree_secondes",
            (run_id, step, "echec" if failure_reason is not None else "reussie", failure_reason, seconds),
        )


def failed_steps(conn: psycopg.Connection, run_id: str) -> dict[str, str]:
    """The steps of the night whose last run failed, with their French reasons."""
    rows = conn.execute(
        "select etape, motif from pilotage.etapes where run_id = %s and statut = 'echec' order by etape", (run_id,)
    ).fetchall()
    return dict(rows)


def step_durations(conn: psycopg.Connection, run_id: str) -> dict[str, float]:
    """How long each step of the night took, in seconds (its last run)."""
    rows = conn.execute(
        "select etape, duree_secondes from pilotage.etapes where run_id = %s and duree_secondes is not null",
        (run_id,),
    ).fetchall()
    return dict(rows)


def record_validated(conn: psycopg.Connection, run_id: str, fingerprint: str) -> None:
    with conn.transaction():
        conn.execute(
            "insert into pilotage.candidats_valides (run_id, empreinte) values (%s, %s)"
            " on conflict (run_id) do update set empreinte = excluded.empreinte, valide_le = now()",
            (run_id, fingerprint),
        )


def validated_fingerprint(conn: psycopg.Connection, run_id: str) -> str | None:
    """Read in the caller's transaction (publication checks it there)."""
    row = conn.execute("select empreinte from pilotage.candidats_valides where run_id = %s", (run_id,)).fetchone()
    return row[0] if row else None


def upgrade_warehouse(conn: psycopg.Connection) -> list[str]:
    """Apply the pending migrations for a command run outside a night; returns the files applied.

    Nothing pending (the usual case): nothing done, whether a night runs or not. Otherwise refused
    while a night is running, whose steps must not see the schema change under them."""
    conn.execute("select pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
    try:
        if not pending(conn):
            return []
        holder = _holder(conn)
        if holder is not None and _is_alive(conn, holder[3]):
            raise NightAlreadyRunning(
                f"L'entrepôt attend des migrations, mais la nuit {holder[0]} est en cours : elle les appliquera, "
                "ou relancez la commande quand elle sera terminée."
            )
        return migrate(conn)
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))


def record_docs(conn: psycopg.Connection, schema: str, manifest: str, catalog: str) -> None:
    """The docs of ``schema`` as it is now; those of schemas dropped since go (their oids may be reused)."""
    with conn.transaction():
        conn.execute(
            "delete from pilotage.documentation_dbt as d"
            " where not exists (select from pg_namespace as n where n.oid = d.schema_oid)"
        )
        conn.execute(
            "insert into pilotage.documentation_dbt (schema_oid, manifest, catalog)"
            " select oid, %s, %s from pg_namespace where nspname = %s"
            " on conflict (schema_oid) do update"
            " set manifest = excluded.manifest, catalog = excluded.catalog, generee_le = now()",
            (manifest, catalog, schema),
        )


def schema_docs(conn: psycopg.Connection, schema: str) -> tuple[str, str] | None:
    """The manifest and catalog recorded for ``schema`` (by ``record_docs``, under any name it had)."""
    row = conn.execute(
        "select d.manifest, d.catalog from pilotage.documentation_dbt as d"
        " join pg_namespace as n on n.oid = d.schema_oid where n.nspname = %s",
        (schema,),
    ).fetchone()
    return (row[0], row[1]) if row else None

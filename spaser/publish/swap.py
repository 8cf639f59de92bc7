"""Atomic publication of the marts: the candidate schema replaces the published one in one transaction.

Readers see either the old marts or the new ones, never a mix: PostgreSQL renames are
transactional, and the renames take an exclusive lock on the schemas' objects only for the
instant of the swap.

- Publication swaps exactly what the gate validated: the gate records the candidate's fingerprint
  (``candidate_fingerprint``: every relation of the schema, its identity — a rebuilt table is a new
  one — and its row count) for its night; ``publish_candidate`` locks the candidate's relations,
  recomputes the fingerprint and compares it in the transaction of the swap. A candidate rebuilt
  or reloaded since the gate (a second night, a hand-run dbt) is refused.
- The previous publication is kept one night, as ``marts_precedent``; ``restore_previous``
  (``spaser publication restaurer``) swaps it back at once, and running it again undoes it.
- Views that BI users keep in their own schemas on the published tables follow the swap: PostgreSQL
  binds a view to the tables themselves, so after the renames they would read the previous
  publication (and die with it a night later). The swap re-creates each of them, as it was written
  (``create or replace view``, which keeps its owner, grants and the views built on it), over the
  new marts. A view that no longer applies (a column it reads is gone) stays on the previous
  publication for one night and is named in the log; it is dropped with ``marts_precedent``.
- The swap waits at most ``PUBLISH_LOCK_TIMEOUT`` for the locks readers hold, then rolls back and
  tries again, ``PUBLISH_ATTEMPTS`` times; readers' sessions idle inside a transaction are ended by
  the server (``spaser.publish.access``), so a forgotten BI session cannot hold the swap.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from spaser.core.faults import fault_point
from spaser.core.schemas import CANDIDATE_MARTS as CANDIDATE_SCHEMA
from spaser.core.schemas import PREVIOUS_MARTS as PREVIOUS_SCHEMA
from spaser.core.schemas import PUBLISHED_MARTS as PUBLISHED_SCHEMA

log = logging.getLogger("spaser.publish")

PUBLISH_LOCK_TIMEOUT = "5s"
PUBLISH_ATTEMPTS = 12
RETRY_PAUSE_SECONDS = 5.0
NIGHT_COMMENT_PREFIX = "Publication de la nuit "


class CandidateMissing(RuntimeError):
    """There is no candidate schema to publish (dbt did not build the marts tonight)."""


class CandidateNotValidated(RuntimeError):
    """The candidate schema is not what the gate validated for this night."""


class PublicationLocked(RuntimeError):
    """The published marts stayed locked by other sessions through every attempt."""


def prepare_candidate(conn: psycopg.Connection, candidate: str = CANDIDATE_SCHEMA) -> None:
    """Drop a candidate left by a previous night, so dbt builds tonight's marts from scratch."""
    with conn.transaction():
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(candidate)))


def candidate_fingerprint(conn: psycopg.Connection, candidate: str = CANDIDATE_SCHEMA) -> str:
    """Every relation of the schema — name, kind, identity (oid and storage: dbt rebuilds a model as
    a new table, a truncate gives it new storage) — and every table's row count, hashed."""
    relations = conn.execute(
        "select c.relname, c.relkind::text, c.oid::bigint, c.relfilenode::bigint from pg_class as c"
        " join pg_namespace as n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by c.relname",
        (candidate,),
    ).fetchall()
    described = []
    for name, kind, oid, storage in relations:
        rows = None
        if kind in ("r", "p", "m"):
            rows = conn.execute(
                sql.SQL("select count(*) from {}.{}").format(sql.Identifier(candidate), sql.Identifier(name))
            ).fetchone()[0]
        described.append([name, kind, oid, storage, rows])
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()


def publish_candidate(
    conn: psycopg.Connection,
    run_id: str,
    validated: str | None,
    candidate: str = CANDIDATE_SCHEMA,
    published: str = PUBLISHED_SCHEMA,
) -> list[str]:
    """Swap ``candidate`` into ``published`` if it is what the gate validated for the night
    ``run_id`` (``validated``: the fingerprint the gate recorded, None if it recorded none); the
    previous marts become ``marts_precedent``. Runs in the caller's transaction; returns the BI
    views left behind. The schema's comment names the night it holds (``published_night``)."""
    if not _schema_exists(conn, candidate):
        raise CandidateMissing(
            f"Publication impossible : le schéma candidat « {candidate} » n'existe pas "
            "(les marts de la nuit n'ont pas été construits)."
        )
    _lock_relations(conn, candidate)
    if validated is None or candidate_fingerprint(conn, candidate) != validated:
        raise CandidateNotValidated(
            f"Publication refusée : le schéma candidat « {candidate} » n'est pas celui que la porte qualité "
            "de cette nuit a validé"
            + (" (aucune validation enregistrée)" if validated is None else " (reconstruit ou modifié depuis)")
            + ". Les marts publiés restent en place."
        )
    for schema, view, _ in _dependent_views(conn, PREVIOUS_SCHEMA):
        log.warning(
            "La vue %s.%s lit encore la publication d'avant-hier, supprimée maintenant : elle disparaît.", schema, view
        )
    conn.execute(
        sql.SQL("comment on schema {} is {}").format(
            sql.Identifier(candidate), sql.Literal(f"{NIGHT_COMMENT_PREFIX}{run_id}")
        )
    )
    # A schema already bearing the backup name (made by hand, or last night's) makes way.
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS_SCHEMA)))
    return _swap(conn, candidate, published)


def restore_previous(conn: psycopg.Connection, published: str = PUBLISHED_SCHEMA) -> list[str]:
    """Put the previous publication back in place of the current one, which becomes the previous
    one (running it twice restores the current publication). Runs in the caller's transaction."""
    if not _schema_exists(conn, PREVIOUS_SCHEMA):
        raise CandidateMissing(
            f"Aucune publication précédente à restaurer (le schéma « {PREVIOUS_SCHEMA} » n'existe pas)."
        )
    _lock_relations(conn, PREVIOUS_SCHEMA)
    return _swap(conn, PREVIOUS_SCHEMA, published)


def published_night(conn: psycopg.Connection, schema: str = PUBLISHED_SCHEMA) -> str | None:
    """The run id of the night whose marts ``schema`` holds (None: unknown, or no such schema)."""
    row = conn.execute(
        "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", (schema,)
    ).fetchone()
    if row is None or not (row[0] or "").startswith(NIGHT_COMMENT_PREFIX):
        return None
    return row[0].removeprefix(NIGHT_COMMENT_PREFIX)


def _swap(conn: psycopg.Connection, incoming: str, published: str) -> list[str]:
    """``incoming`` becomes ``published``, ``published`` becomes ``marts_precedent``; the BI views
    on the published tables are re-created over the new ones. Returns the views left behind."""
    conn.execute("set local search_path = pg_catalog")  # view definitions read fully qualified
    dependents = _dependent_views(conn, published)
    outgoing = "marts_sortant"
    if _schema_exists(conn, published):
        conn.execute(
            sql.SQL("alter schema {} rename to {}").format(sql.Identifier(published), sql.Identifier(outgoing))
        )
    conn.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(incoming), sql.Identifier(published)))
    if _schema_exists(conn, outgoing):
        conn.execute(
            sql.SQL("alter schema {} rename to {}").format(sql.Identifier(outgoing), sql.Identifier(PREVIOUS_SCHEMA))
        )
    left_behind = []
    for schema, view, definition in dependents:
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("create or replace view {}.{} as ").format(sql.Identifier(schema), sql.Identifier(view))
                    + sql.SQL(definition)
                )
        except psycopg.Error as error:
            left_behind.append(f"{schema}.{view}")
            log.warning(
                "La vue %s.%s ne s'applique plus aux nouveaux marts (%s) : elle lit la publication "
                "précédente jusqu'à la prochaine, puis disparaît.",
                schema,
                view,
                error.diag.message_primary or error,
            )
    conn.execute("reset search_path")
    return left_behind


def _dependent_views(conn: psycopg.Connection, schema: str) -> list[tuple[str, str, str]]:
    """Views outside ``schema`` that read one of its relations directly: schema, name, definition
    (names qualified as the session's search_path requires)."""
    return conn.execute(
        "select distinct vn.nspname::text, v.relname::text, pg_get_viewdef(v.oid) from pg_depend as d"
        " join pg_rewrite as r on r.oid = d.objid"
        " join pg_class as v on v.oid = r.ev_class join pg_namespace as vn on vn.oid = v.relnamespace"
        " join pg_class as t on t.oid = d.refobjid join pg_namespace as tn on tn.oid = t.relnamespace"
        " where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass"
        " and tn.nspname = %s and vn.nspname <> %s and v.relkind = 'v'"
        " order by 1, 2",
        (schema, schema),
    ).fetchall()


def _lock_relations(conn: psycopg.Connection, schema: str) -> None:
    """Nothing changes the schema's relations until the transaction ends."""
    names = [
        row[0]
        for row in conn.execute(
            "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by c.relname",
            (schema,),
        )
    ]
    if names:
        conn.execute(
            sql.SQL("lock table {} in access exclusive mode").format(
                sql.SQL(", ").join(sql.Identifier(schema, name) for name in names)
            )
        )


def in_swap_transaction(
    conn: psycopg.Connection,
    swap: Callable[[psycopg.Connection], object],
    attempts: int = PUBLISH_ATTEMPTS,
    pause: float = RETRY_PAUSE_SECONDS,
):
    """Run ``swap`` in a transaction that waits at most PUBLISH_LOCK_TIMEOUT for a lock, again
    until it gets them (``attempts`` times), and return its result."""
    for attempt in range(1, attempts + 1):
        try:
            with conn.transaction():
                conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(PUBLISH_LOCK_TIMEOUT)))
                outcome = swap(conn)
                fault_point("publish_before_commit")
                return outcome
        except psycopg.errors.LockNotAvailable:
            holders = _lock_holders(conn)
            log.warning(
                "Marts verrouillés par d'autres sessions (%s) : tentative %s sur %s.",
                holders or "inconnues",
                attempt,
                attempts,
            )
            if attempt == attempts:
                raise PublicationLocked(
                    f"Publication impossible : les marts sont restés verrouillés par d'autres sessions ({holders or 'inconnues'}) "
                    f"pendant {attempts} tentatives. Les marts publiés restent en place."
                ) from None
            time.sleep(pause)


def _lock_holders(conn: psycopg.Connection) -> str:
    rows = conn.execute(
        "select distinct a.pid, a.usename::text, a.state from pg_locks as l"
        " join pg_class as c on c.oid = l.relation join pg_namespace as n on n.oid = c.relnamespace"
        " join pg_stat_activity as a on a.pid = l.pid"
        " where n.nspname in (%s, %s, %s) and l.granted and a.pid <> pg_backend_pid() order by 1",
        (PUBLISHED_SCHEMA, CANDIDATE_SCHEMA, PREVIOUS_SCHEMA),
    ).fetchall()
    conn.rollback()
    return ", ".join(f"pid {pid} ({user}, {state})" for pid, user, state in rows)


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    return row is not None

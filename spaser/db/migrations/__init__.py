"""The warehouse's DDL, in one place: the numbered SQL migrations beside this file.

- ``NNNN_nom.sql``: applied in the order of their numbers, each once, in its own transaction with
  its row of ``pilotage.migrations`` (number, file, sha256 of its text, when): a migration that
  fails leaves nothing of itself, and the next attempt starts it again.
- A night applies the pending ones as its step takes the warehouse (``spaser.pipeline.pilotage``), under the
  lock that lets one night at a time in: no step of another night runs meanwhile. A command run
  outside a night (``spaser chargement …``) applies them too when no night is running.
- An applied migration is never edited: a file whose text no longer has the recorded checksum is
  refused, with a French message, and so is a warehouse that has a migration this code does not
  know (migrated by a newer version). A change of the schema is a new file.
- 0001 to 0004 are the baseline: the DDL the nights used to apply again every night, idempotent,
  so that a warehouse created before the migrations existed (no ``pilotage.migrations``) upgrades
  by applying them over what it already has.
- What stays out: DDL that is the work of a step, not the shape of the warehouse — dbt's models,
  the schema swap of the publication (``spaser.publish.swap``), the candidate dropped before a
  build, the roles and grants (``spaser.publish.access``), and the literal default of ``_load_id`` a
  file's load sets for its own transaction (``spaser.ingest.tabular``). The per-source stored tables are
  declared here, not created by the loader: their columns are a contract with staging, reviewed
  like any other change of the schema.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.pq import TransactionStatus

from spaser.core.errors import NightStepFailed

log = logging.getLogger("spaser.db.migrations")

MIGRATIONS_DIR = Path(__file__).resolve().parent
FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Serialises the migrations of concurrent sessions (each holds it for one migration's transaction).
LOCK_KEY = 0x5350_4D49  # "SPMI"


class MigrationRefused(NightStepFailed):
    """The warehouse cannot be brought to this code's schema; the message says why, in French."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file's name
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def available() -> list[Migration]:
    """The migrations of this code, in order; numbered 1, 2, 3… without gap or repeat."""
    migrations = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if match is None:
            raise MigrationRefused(f"Migration mal nommée : {path.name} (attendu : NNNN_nom.sql, en minuscules).")
        # Line endings normalised: a checkout that converts them does not change a migration.
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        migrations.append(Migration(int(match.group(1)), path.name, text))
    numbers = [migration.version for migration in migrations]
    if numbers != list(range(1, len(migrations) + 1)):
        raise MigrationRefused(
            f"Migrations numérotées {numbers} dans {MIGRATIONS_DIR} : elles doivent se suivre à partir de 1, sans trou ni doublon."
        )
    return migrations


def applied(conn: psycopg.Connection) -> dict[int, tuple[str, str, object]]:
    """The migrations recorded in the warehouse: version -> (file, checksum, applied at)."""
    if conn.execute("select to_regclass('pilotage.migrations')").fetchone()[0] is None:
        return {}  # a warehouse no migration has touched yet (new, or created before they existed)
    rows = conn.execute("select version, nom, empreinte, appliquee_le from pilotage.migrations").fetchall()
    return {version: (name, checksum, applied_at) for version, name, checksum, applied_at in rows}


def pending(conn: psycopg.Connection) -> list[Migration]:
    """The migrations still to apply, in order; refused when the applied ones differ from this code's."""
    known = {migration.version: migration for migration in available()}
    done = applied(conn)
    for version, (name, checksum, applied_at) in sorted(done.items()):
        migration = known.get(version)
        if migration is None:
            raise MigrationRefused(
                f"L'entrepôt a reçu la migration {name}, que cette version du code ne connaît pas : il a été migré "
                "par une version plus récente. Déployez cette version-là (ou une plus récente) avant de relancer."
            )
        if migration.checksum != checksum:
            raise MigrationRefused(
                f"La migration {migration.name} a été modifiée depuis qu'elle a été appliquée à l'entrepôt "
                f"(le {applied_at:%d/%m/%Y à %H:%M}) : empreinte enregistrée {checksum[:12]}…, empreinte du fichier "
                f"{migration.checksum[:12]}…. Une migration appliquée ne se modifie pas : rétablissez le fichier tel "
                "qu'il était et écrivez le changement dans une nouvelle migration."
            )
    return [migration for version, migration in sorted(known.items()) if version not in done]


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply the pending migrations, each in its own transaction; return the files applied.

    A transaction the caller left open on the connection is committed first."""
    if conn.info.transaction_status == TransactionStatus.INTRANS:
        conn.commit()
    applied_now: list[str] = []
    while True:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            todo = pending(conn)
            if not todo:
                return applied_now
            migration = todo[0]
            log.info("Migration de l'entrepôt : %s", migration.name)
            try:
                conn.execute(migration.sql)
            except psycopg.OperationalError:
                raise  # the warehouse itself failed (connection, timeout): the night says so
            except psycopg.DatabaseError as error:
                raise MigrationRefused(
                    f"La migration {migration.name} a échoué, rien n'en est appliqué ; l'entrepôt reste à la "
                    f"migration {migration.version - 1:04d} : {error}"
                ) from error
            conn.execute(
                "insert into pilotage.migrations (version, nom, empreinte) values (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
        applied_now.append(migration.name)

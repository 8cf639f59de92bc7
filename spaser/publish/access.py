"""PostgreSQL roles of the users' tools, and their grants.

- ``spaser_lecteur``: read-only on the published marts (schema ``marts``) and nothing else — BI tools
  (Metabase, Superset, Power BI) connect with it. Personal data is there only aggregated: the
  insertion hours per contract, company and month (``fct_heures_insertion``) and the indicators;
  the pseudonymised lines, person by person, stay in ``intermediate``, ``staging`` and ``raw``,
  which only the pipeline reads.
- ``spaser_auditeur``: the marts plus the data-quality results (schema ``qualite``: the history of
  every validation, its failed expectations, the quarantine and the signalements — records loaded
  but departing from their format — counted by source and reason: counts, never the records
  themselves, which may hold personal data).
- The pipeline's own role is the one in ``SPASER_WAREHOUSE_URL``: it owns every schema and table it
  builds, which is what lets it grant them.

The two roles are group roles created NOLOGIN: people and tools get a login role of their own that
is made a member (``grant spaser_lecteur to metabase``), so a password never lives in this project.

Roles are cluster-wide and creating them needs CREATEROLE, which a pipeline account often lacks.
``ensure_roles`` therefore creates them only when it may; otherwise it reports them missing, the
night goes on (the marts are published, nobody outside the pipeline can read them yet), and the DBA
runs once the SQL that ``spaser roles --sql`` prints.

The marts schema is replaced at every publication (``spaser.publish.swap``), and a new schema
carries no grant: ``grant_published`` re-applies them and the night calls it inside the swap's
transaction, so readers never see marts they may not read. The previous publication, kept one night
as ``marts_precedent`` for an instant rollback, is not readable.

A reader's session left idle inside an open transaction (a BI tool's forgotten cursor) would hold
its locks on the published tables and make the swap wait. Every login role member of the two roles
gets ``idle_in_transaction_session_timeout`` (``SPASER_READER_IDLE_TIMEOUT``, default 5min): the
server ends such a session after that long. PostgreSQL does not pass a role's settings on to its
members, so ``grant_access`` sets it on each member, every night (a member added during the day
gets it the next night, or at once with ``spaser roles``); altering another role needs CREATEROLE,
and members the pipeline may not alter are reported (``membres_non_limites``) for the DBA.
"""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

from spaser.core.schemas import PREVIOUS_MARTS as PREVIOUS_SCHEMA
from spaser.core.schemas import PUBLISHED_MARTS as PUBLISHED_SCHEMA
from spaser.core.schemas import QUALITE as QUALITE_SCHEMA

LECTEUR = "spaser_lecteur"
AUDITEUR = "spaser_auditeur"
ROLES = (LECTEUR, AUDITEUR)
IDLE_TIMEOUT_SETTING = "SPASER_READER_IDLE_TIMEOUT"
DEFAULT_IDLE_TIMEOUT = "5min"


def reader_idle_timeout() -> str:
    """How long a reader's session may stay idle inside a transaction (a PostgreSQL duration)."""
    return os.environ.get(IDLE_TIMEOUT_SETTING, "").strip() or DEFAULT_IDLE_TIMEOUT


def roles_ddl() -> str:
    """The SQL a DBA runs once when the pipeline's role may not create roles (and again when a
    login role joins them, for its idle-in-transaction limit)."""
    create = [
        f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then "
        f"create role {role} nologin; end if; end $$;"
        for role in ROLES
    ]
    limit = (
        "do $$ declare member text; begin for member in select m.rolname from pg_auth_members as a "
        "join pg_roles as m on m.oid = a.member join pg_roles as g on g.oid = a.roleid "
        f"where g.rolname in ({', '.join(repr(role) for role in ROLES)}) loop "
        "execute format('alter role %I set idle_in_transaction_session_timeout = %L', member, "
        f"'{reader_idle_timeout()}'); end loop; end $$;"
    )
    return "\n".join([*create, limit])


def limit_idle_readers(conn: psycopg.Connection) -> list[str]:
    """Set the idle-in-transaction limit on every login member of the readers' roles; returns the
    members the pipeline may not alter."""
    members = [
        row[0]
        for row in conn.execute(
            "select distinct m.rolname::text from pg_auth_members as a join pg_roles as m on m.oid = a.member"
            " join pg_roles as g on g.oid = a.roleid where g.rolname = any(%s) and m.rolcanlogin order by 1",
            (list(ROLES),),
        )
    ]
    refused = []
    for member in members:
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("alter role {} set idle_in_transaction_session_timeout = {}").format(
                        sql.Identifier(member), sql.Literal(reader_idle_timeout())
                    )
                )
        except psycopg.errors.InsufficientPrivilege:
            refused.append(member)
        except psycopg.errors.UndefinedObject:
            pass  # roles are cluster-wide: dropped meanwhile by another warehouse's administrator
    return refused


def missing_roles(conn: psycopg.Connection) -> list[str]:
    existing = {row[0] for row in conn.execute("select rolname from pg_roles where rolname = any(%s)", (list(ROLES),))}
    return [role for role in ROLES if role not in existing]


def may_create_roles(conn: psycopg.Connection) -> bool:
    row = conn.execute("select rolsuper or rolcreaterole from pg_roles where rolname = current_user").fetchone()
    return bool(row and row[0])


def ensure_roles(conn: psycopg.Connection) -> list[str]:
    """Create the missing roles when allowed; return the roles still missing."""
    missing = missing_roles(conn)
    if missing and may_create_roles(conn):
        for role in missing:
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
            except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateObject):
                # Roles are cluster-wide: another warehouse of the same server created this one
                # between our check and our CREATE ROLE. It exists, which is all this step needs.
                pass
        missing = missing_roles(conn)
    return missing


def grant_published(conn: psycopg.Connection) -> list[str]:
    """Grant read access on the published marts (and qualite to the auditors) to the existing roles.

    Runs in the caller's transaction. Returns the roles granted.
    """
    present = [role for role in ROLES if role not in missing_roles(conn)]
    for role in present:
        for statement in (
            "grant usage on schema {schema} to {role}",
            "grant select on all tables in schema {schema} to {role}",
        ):
            conn.execute(sql.SQL(statement).format(schema=sql.Identifier(PUBLISHED_SCHEMA), role=sql.Identifier(role)))
        if _schema_exists(conn, PREVIOUS_SCHEMA):
            conn.execute(
                sql.SQL("revoke usage on schema {schema} from {role}").format(
                    schema=sql.Identifier(PREVIOUS_SCHEMA), role=sql.Identifier(role)
                )
            )
    if AUDITEUR in present and _schema_exists(conn, QUALITE_SCHEMA):
        for statement in (
            "grant usage on schema {schema} to {role}",
            "grant select on all tables in schema {schema} to {role}",
        ):
            conn.execute(
                sql.SQL(statement).format(schema=sql.Identifier(QUALITE_SCHEMA), role=sql.Identifier(AUDITEUR))
            )
    return present


def grant_access(conn: psycopg.Connection) -> dict:
    """Roles, then grants: the night's ``grant_access`` step and ``spaser roles``."""
    missing = ensure_roles(conn)
    with conn.transaction():
        granted = grant_published(conn)
    return {"roles_accordes": granted, "roles_manquants": missing, "membres_non_limites": limit_idle_readers(conn)}


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone() is not None

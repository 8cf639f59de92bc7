"""Atomic publication of the marts: the candidate schema replaces the published one in one transaction.

Readers see either the old marts or the new ones, never a mix: PostgreSQL renames are
transactional, and the renames take an exclusive lock on the schemas' objects only for the
instant of the swap.
"""
from __future__ import annotations

import psycopg
from psycopg import sql

CANDIDATE_SCHEMA = "marts_candidat"
PUBLISHED_SCHEMA = "marts"


class CandidateMissing(RuntimeError):
    """There is no candidate schema to publish (dbt did not build the marts tonight)."""


def prepare_candidate(conn: psycopg.Connection, candidate: str = CANDIDATE_SCHEMA) -> None:
    """Drop a candidate left by a previous night, so dbt builds tonight's marts from scratch."""
    with conn.transaction():
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(candidate)))


def publish_candidate(
    conn: psycopg.Connection, candidate: str = CANDIDATE_SCHEMA, published: str = PUBLISHED_SCHEMA
) -> None:
    """Swap ``candidate`` into ``published`` in one transaction; the previous marts are dropped."""
    backup = f"{published}_precedent"
    with conn.transaction():
        if not _schema_exists(conn, candidate):
            raise CandidateMissing(
                f"Publication impossible : le schéma candidat « {candidate} » n'existe pas "
                "(les marts de la nuit n'ont pas été construits)."
            )
        # A schema already bearing the backup name (made by hand) would make the rename fail.
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(backup)))
        if _schema_exists(conn, published):
            conn.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(published), sql.Identifier(backup)))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(candidate), sql.Identifier(published)))
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(backup)))


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    return row is not None

"""Listing the records the extractors quarantined, with every reason, and the records they loaded
with signalements (departures from the format that the source should fix in its export).

The two are different things for the data team and for the buyers: a quarantined record is not
in the warehouse (a field an indicator uses is missing or unusable); a record with signalements
is, and counts, but its export departs from the format on a point no indicator needed."""

from __future__ import annotations

import psycopg
from psycopg import sql


def fetch_quarantine(
    conn: psycopg.Connection, source: str | None = None, run_id: str | None = None, limit: int = 200
) -> list[dict]:
    return _fetch_findings(conn, "raw.quarantaine", source, run_id, limit)


def fetch_signalements(
    conn: psycopg.Connection, source: str | None = None, run_id: str | None = None, limit: int = 200
) -> list[dict]:
    return _fetch_findings(conn, "raw.signalements", source, run_id, limit)


def _fetch_findings(
    conn: psycopg.Connection, table: str, source: str | None, run_id: str | None, limit: int
) -> list[dict]:
    """The rows of raw.quarantaine or raw.signalements (same columns), newest load first."""
    query = sql.SQL("""
        select f.run_id, finding.source, finding.fichier, finding.enregistrement, finding.cle,
               finding.champ, finding.message
        from {table} as finding
        join raw.fichiers f using (load_id)
        where (%(source)s::text is null or finding.source = %(source)s::text)
          and (%(run_id)s::text is null or f.run_id = %(run_id)s::text)
        order by f.load_id desc, finding.enregistrement, finding.champ
        limit %(limit)s
    """).format(table=sql.Identifier(*table.split(".")))
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query, {"source": source, "run_id": run_id, "limit": limit})
        return cur.fetchall()


def count_signaled_records(conn: psycopg.Connection, source: str | None = None, run_id: str | None = None) -> int:
    return conn.execute(
        """
        select count(distinct (s.load_id, s.enregistrement))
        from raw.signalements s join raw.fichiers f using (load_id)
        where (%(source)s::text is null or s.source = %(source)s::text)
          and (%(run_id)s::text is null or f.run_id = %(run_id)s::text)
    """,
        {"source": source, "run_id": run_id},
    ).fetchone()[0]


def format_signalements(rows: list[dict]) -> str:
    if not rows:
        return "Aucun enregistrement chargé avec signalement."
    return (
        "Enregistrements chargés (ils comptent dans les indicateurs) avec des écarts au format "
        "à corriger dans l'export de la source :\n" + _by_record(rows)
    )


def format_quarantine(rows: list[dict]) -> str:
    if not rows:
        return "Aucun enregistrement en quarantaine."
    return (
        "Enregistrements en quarantaine (non chargés : un champ qu'un indicateur utilise manque ou est "
        "inutilisable) :\n" + _by_record(rows)
    )


def _by_record(rows: list[dict]) -> str:
    lines = []
    current = None
    for row in rows:
        record = (row["source"], row["fichier"], row["enregistrement"])
        if record != current:
            current = record
            key = f" (clé {row['cle']})" if row["cle"] else ""
            lines.append(
                f"{row['source']} — {row['fichier']}, enregistrement {row['enregistrement']}{key} [nuit {row['run_id']}]"
            )
        lines.append(f"    {row['champ']} : {row['message']}")
    return "\n".join(lines)

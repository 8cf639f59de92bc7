"""Listing the records the extractors quarantined, with every reason."""
from __future__ import annotations

import psycopg


def fetch_quarantine(
    conn: psycopg.Connection, source: str | None = None, run_id: str | None = None, limit: int = 200
) -> list[dict]:
    query = """
        select f.run_id, q.source, q.fichier, q.enregistrement, q.cle, q.champ, q.message
        from raw.quarantaine q
        join raw.fichiers f using (load_id)
        where (%(source)s::text is null or q.source = %(source)s::text)
          and (%(run_id)s::text is null or f.run_id = %(run_id)s::text)
        order by f.load_id desc, q.enregistrement, q.champ
        limit %(limit)s
    """
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query, {"source": source, "run_id": run_id, "limit": limit})
        return cur.fetchall()


def format_quarantine(rows: list[dict]) -> str:
    if not rows:
        return "Aucun enregistrement en quarantaine."
    lines = []
    current = None
    for row in rows:
        record = (row["source"], row["fichier"], row["enregistrement"])
        if record != current:
            current = record
            key = f" (clé {row['cle']})" if row["cle"] else ""
            lines.append(f"{row['source']} — {row['fichier']}, enregistrement {row['enregistrement']}{key} [nuit {row['run_id']}]")
        lines.append(f"    {row['champ']} : {row['message']}")
    return "\n".join(lines)

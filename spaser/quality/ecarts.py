"""Setting a load aside, and restoring it: the audited way out when a delivery slipped through
every check and must not count (`spaser chargement ecarter LOAD_ID --motif "…"`).

A load set aside stays in the warehouse (raw_stockage, raw.fichiers, its quarantine), but the raw
views leave its rows out (spaser/db/migrations/0004_vues_brutes.sql): the raw gate no longer reads
it, and the next night's models no longer count it. The incremental models, which read only new loads, are rebuilt
from scratch by the next night after any change (``rebuild_pending``). Every action is journaled in
``qualite.journal_chargements_ecartes`` with its reason and author, and shown on the quality page.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row


class EcartRefused(Exception):
    """The action cannot be taken (unknown load, already set aside, no reason); the message is French."""


@dataclass(frozen=True)
class Load:
    load_id: int
    source: str
    fichier: str
    run_id: str
    nb_charges: int | None


def set_aside(conn: psycopg.Connection, load_id: int, motif: str, par: str | None = None) -> Load:
    load = _load(conn, load_id, motif)
    with conn.transaction():
        inserted = conn.execute(
            "insert into qualite.chargements_ecartes (load_id, motif, ecarte_par) values (%s, %s, %s)"
            " on conflict (load_id) do nothing returning load_id",
            (load_id, motif.strip(), par or _operator()),
        ).fetchone()
        if inserted is None:
            raise EcartRefused(f"le chargement {load_id} est déjà écarté")
        _journal(conn, load_id, "ecarte", motif, par)
    return load


def restore(conn: psycopg.Connection, load_id: int, motif: str, par: str | None = None) -> Load:
    load = _load(conn, load_id, motif)
    with conn.transaction():
        if (
            conn.execute(
                "delete from qualite.chargements_ecartes where load_id = %s returning load_id", (load_id,)
            ).fetchone()
            is None
        ):
            raise EcartRefused(f"le chargement {load_id} n'est pas écarté")
        _journal(conn, load_id, "retabli", motif, par)
    return load


def rebuild_pending(conn: psycopg.Connection) -> list[int]:
    """Journal rows no build has taken into account yet: the incremental models must be rebuilt."""
    if conn.execute("select to_regclass('qualite.journal_chargements_ecartes')").fetchone()[0] is None:
        return []
    return [
        row[0]
        for row in conn.execute("select id from qualite.journal_chargements_ecartes where not reconstruit order by id")
    ]


def mark_rebuilt(conn: psycopg.Connection, journal_ids: list[int]) -> None:
    conn.execute("update qualite.journal_chargements_ecartes set reconstruit = true where id = any(%s)", (journal_ids,))


def journal(conn: psycopg.Connection) -> list[dict]:
    """Every action, newest first, with the load it concerns."""
    with conn.cursor(row_factory=dict_row) as cursor:
        return cursor.execute("""
            select j.le, j.action, j.load_id, f.source, f.fichier, f.run_id, j.motif, j.par,
                   exists (select from qualite.chargements_ecartes e where e.load_id = j.load_id) as ecarte
            from qualite.journal_chargements_ecartes as j
            inner join raw.fichiers as f on f.load_id = j.load_id
            order by j.id desc
        """).fetchall()


def _load(conn: psycopg.Connection, load_id: int, motif: str) -> Load:
    if not motif or not motif.strip():
        raise EcartRefused("un motif est obligatoire (--motif « … ») : il est montré aux auditeurs")
    row = conn.execute(
        "select load_id, source, fichier, run_id, nb_charges from raw.fichiers where load_id = %s and statut = 'charge'",
        (load_id,),
    ).fetchone()
    if row is None:
        raise EcartRefused(f"aucun fichier chargé n'a le numéro de chargement {load_id} (voir raw.fichiers)")
    return Load(*row)


def _journal(conn: psycopg.Connection, load_id: int, action: str, motif: str, par: str | None) -> None:
    conn.execute(
        "insert into qualite.journal_chargements_ecartes (load_id, action, motif, par) values (%s, %s, %s, %s)",
        (load_id, action, motif.strip(), par or _operator()),
    )


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "inconnu"

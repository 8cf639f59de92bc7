"""Exports of the published indicators.

CSV contract: header ``indicateur_id,perimetre,annee,ventilation,valeur``; ``valeur`` at full
precision with a ``.`` decimal point, empty for NULL; a text cell a spreadsheet would run as a
formula gets a leading apostrophe (spaser/core/files.py; numbers are never altered). JSON: a list of
objects with the same keys, verbatim. A file is written aside then renamed into place.
"""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import psycopg

from spaser.core.files import replaced, spreadsheet_text

EXPORT_COLUMNS = ("indicateur_id", "perimetre", "annee", "ventilation", "valeur")


def fetch_indicateurs(conn: psycopg.Connection, annee: int | None = None) -> list[dict]:
    query = """
        select indicateur_id, perimetre, annee, ventilation, valeur
        from marts.fct_indicateurs
        where %(annee)s::int is null or annee = %(annee)s::int
        order by indicateur_id, perimetre, annee, ventilation
    """
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(query, {"annee": annee})
        return cur.fetchall()


def format_valeur(value: Decimal | None) -> str:
    """Full precision, plain notation (never 1E+2), no trailing zeros: 27.5, 452, 0.3333…"""
    if value is None:
        return ""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def write_indicateurs(rows: list[dict], fmt: str, output: Path | None) -> None:
    """Write the rows to ``output`` (replaced only once whole) or, without one, to stdout."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"format inconnu : {fmt}")
    with replaced(output) if output else nullcontext() as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as handle:
            (_write_csv if fmt == "csv" else _write_json)(rows, handle)


def _write_csv(rows: list[dict], handle: TextIO) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([*(spreadsheet_text(row[c]) for c in EXPORT_COLUMNS[:4]), format_valeur(row["valeur"])])


def _write_json(rows: list[dict], handle: TextIO) -> None:
    # Written object by object so that valeur keeps its full decimal precision as a JSON
    # number (json.dump would go through float).
    handle.write("[\n")
    for position, row in enumerate(rows):
        fields = [f"{json.dumps(c)}: {json.dumps(row[c], ensure_ascii=False)}" for c in EXPORT_COLUMNS[:4]]
        fields.append(f'"valeur": {format_valeur(row["valeur"]) or "null"}')
        separator = "," if position < len(rows) - 1 else ""
        handle.write(" {" + ", ".join(fields) + "}" + separator + "\n")
    handle.write("]\n")

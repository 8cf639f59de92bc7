"""``spaser export agec --annee AAAA``: the collectivités' yearly AGEC declaration (loi AGEC
art. 58, arrêté du 13 janvier 2025) in the official national format — the Table Schema
``schema-declaration-biens-reemploi-reutilisation-recycle`` v0.1.0 (datagouv), whose rules the
project declares in ``spaser/core/agec_declaration.py``.

One CSV file per buyer (SIRET): one row per product category declared for the year, the amounts
summed over the suppliers' statements of the published ``fct_declarations_agec``;
``raison_sociale`` is the one of the buyer's latest statement, ``commentaires`` joins the
distinct comments. Every file is written aside and validated against the schema before it is
renamed into place: an invalid file is reported and never delivered (a previous file of that
buyer and year is removed too: it no longer says what the warehouse holds).

Spreadsheet formulas (CSV injection, spaser/core/files.py). ``raison_sociale`` and ``commentaires``
are the suppliers' free text. Every other CSV of the project neutralises a text cell that starts
like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) with a leading apostrophe; this legal file does
not: it must say exactly what was declared, in the national format that the national platform
reads as data, and an apostrophe would change a company's name (« +Habitat » is one). The cells
are therefore kept verbatim and *flagged*: each is reported with its file, line and field
(``Declaration.formula_cells``, printed by ``spaser export agec``), and the README tells users to
import the file as text rather than open it in a spreadsheet with a double-click.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg

from spaser.core.agec_declaration import DECLARATION_SCHEMA
from spaser.core.files import replaced, starts_like_formula
from spaser.outputs.table_schema import SchemaError, validate_csv

QUERY = """
    select
        annee,
        acheteur_siret as siret,
        (array_agg(raison_sociale order by chargement_id desc, enregistrement desc)
            filter (where raison_sociale is not null))[1] as raison_sociale,
        type_produit_acquis,
        sum(montant_total) as montant_total,
        sum(montant_reemploi_et_reutilisation) as montant_reemploi_et_reutilisation,
        sum(montant_produits_issus_don) as montant_produits_issus_don,
        sum(montant_produits_recycles) as montant_produits_recycles,
        string_agg(distinct commentaires, ' ; ') as commentaires
    from marts.fct_declarations_agec
    where annee = %(annee)s
    group by annee, acheteur_siret, type_produit_acquis
    order by acheteur_siret, type_produit_acquis
"""


@dataclass
class Declaration:
    """One buyer's file: its schema violations (not delivered when any) and its text cells a
    spreadsheet would run as formulas (delivered verbatim, flagged)."""

    errors: list[SchemaError] = field(default_factory=list)
    formula_cells: list[SchemaError] = field(default_factory=list)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _formula_cells(lines: list[list[str]]) -> list[SchemaError]:
    text_fields = [f["name"] for f in DECLARATION_SCHEMA["fields"] if f.get("type", "string") == "string"]
    columns = [f["name"] for f in DECLARATION_SCHEMA["fields"]]
    return [
        SchemaError(
            line,
            name,
            f"« {cells[columns.index(name)][:40]} » commence comme une formule de tableur "
            "(=, +, -, @, tabulation ou retour chariot) : laissé tel quel, format national",
        )
        for line, cells in enumerate(lines, start=2)
        for name in text_fields
        if starts_like_formula(cells[columns.index(name)])
    ]


class _NotDelivered(Exception):
    """A file that breaks the national schema: its temporary copy is discarded, never renamed in."""


def export_declarations(conn: psycopg.Connection, annee: int, output_dir: Path) -> dict[Path, Declaration]:
    """Write one declaration file per buyer; returns every file with its schema errors and flags."""
    columns = [spec["name"] for spec in DECLARATION_SCHEMA["fields"]]
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        rows = cursor.execute(QUERY, {"annee": annee}).fetchall()
    by_buyer: dict[str, list[dict]] = {}
    for row in rows:
        by_buyer.setdefault(row["siret"], []).append(row)
    results = {}
    for siret, buyer_rows in by_buyer.items():
        # One raison_sociale per file: the first category's (each is the latest of its statements).
        name = next((row["raison_sociale"] for row in buyer_rows if row["raison_sociale"]), "")
        path = output_dir / f"declaration_agec_{annee}_{siret}.csv"
        lines = [
            [_cell(name if column == "raison_sociale" else row[column]) for column in columns] for row in buyer_rows
        ]
        declaration = Declaration(formula_cells=_formula_cells(lines))
        try:
            with replaced(path) as temporary:
                with temporary.open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(columns)
                    writer.writerows(lines)
                declaration.errors = validate_csv(temporary, DECLARATION_SCHEMA)
                if declaration.errors:
                    raise _NotDelivered
        except _NotDelivered:
            path.unlink(missing_ok=True)
        results[path] = declaration
    return results

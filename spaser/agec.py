"""``spaser export agec --annee AAAA``: the collectivités' yearly AGEC declaration (loi AGEC
art. 58, arrêté du 13 janvier 2025) in the official national format — the Table Schema
``schema-declaration-biens-reemploi-reutilisation-recycle`` v0.1.0 (datagouv), whose rules the
project declares in ``extract/agec_declaration.py``.

One CSV file per buyer (SIRET): one row per product category declared for the year, the amounts
summed over the suppliers' statements of the published ``fct_declarations_agec``;
``raison_sociale`` is the one of the buyer's latest statement, ``commentaires`` joins the
distinct comments. Every file is validated against the schema before it is kept: an invalid
file is removed and reported, never delivered.
"""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg

from extract.agec_declaration import DECLARATION_SCHEMA
from spaser.table_schema import SchemaError, validate_csv

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


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def export_declarations(conn: psycopg.Connection, annee: int, output_dir: Path) -> dict[Path, list[SchemaError]]:
    """Write one declaration file per buyer; returns every written file with its schema errors."""
    columns = [field["name"] for field in DECLARATION_SCHEMA["fields"]]
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        rows = cursor.execute(QUERY, {"annee": annee}).fetchall()
    by_buyer: dict[str, list[dict]] = {}
    for row in rows:
        by_buyer.setdefault(row["siret"], []).append(row)
    output_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for siret, buyer_rows in by_buyer.items():
        # One raison_sociale per file: the first category's (each is the latest of its statements).
        name = next((row["raison_sociale"] for row in buyer_rows if row["raison_sociale"]), "")
        path = output_dir / f"declaration_agec_{annee}_{siret}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in buyer_rows:
                writer.writerow([_cell(name if column == "raison_sociale" else row[column]) for column in columns])
        errors = validate_csv(path, DECLARATION_SCHEMA)
        if errors:
            path.unlink()
        results[path] = errors
    return results

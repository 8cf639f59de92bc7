"""The half-yearly reliability report (SPASER engagement 2): ``spaser fiabilisation --semestre 2025-S2``.

It reads the published marts ``fct_fiabilisation_anomalies`` (the records to correct, each with its
key, rule, affected indicators and owner system), ``fct_fiabilisation_compteurs`` (counts per rule
and their trend) and ``fct_fiabilisation_part_marches`` (share of spend under a published
contract). The report of a semester lists the records of that semester and of the earlier ones
still to correct (the marts follow the sources: a corrected record has left them), by buyer.

xlsx: sheets « À corriger », « Compteurs » (the requested semester and the previous one per
perimetre and rule), « Part sous marché » (the semester's year) and « Règles » (one sentence each).
csv: the « À corriger » rows, ``;``-separated with a decimal comma, UTF-8 with BOM, as the Donut
export.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from spaser.core.files import save_workbook
from spaser.outputs.donut import fill_sheet, write_csv

SEMESTRE_PATTERN = re.compile(r"^(\d{4})-S([12])$")
ANOMALIE_COLUMNS = (
    ("acheteur_siren", "SIREN de l'acheteur"),
    ("acheteur_nom", "Acheteur"),
    ("semestre", "Semestre"),
    ("systeme_source", "Système à corriger"),
    ("regle", "Règle"),
    ("regle_enonce", "Énoncé de la règle"),
    ("enregistrement_cle", "Clé de l'enregistrement"),
    ("date_reference", "Date de référence"),
    ("detail", "Constat"),
    ("montant_ht", "Montant HT (€)"),
    ("indicateurs", "Indicateurs affectés"),
)
COMPTEUR_COLUMNS = (
    ("perimetre", "Périmètre"),
    ("regle", "Règle"),
    ("systeme_source", "Système à corriger"),
    ("semestre", "Semestre"),
    ("nb_anomalies", "Enregistrements à corriger"),
    ("nb_anomalies_semestre_precedent", "Semestre précédent"),
    ("evolution", "Évolution"),
    ("tendance", "Tendance"),
    ("nb_anomalies_restantes", "Restant à corriger ce jour"),
)
PART_COLUMNS = (
    ("acheteur_siren", "SIREN de l'acheteur"),
    ("annee", "Année"),
    ("montant_achats_ht", "Dépenses d'achat HT (€)"),
    ("montant_sous_marche_publie_ht", "Dont sous marché publié HT (€)"),
    ("part_sous_marche_publie_pct", "Part sous marché publié (%)"),
)
REGLE_COLUMNS = (
    ("regle", "Règle"),
    ("systeme_source", "Système à corriger"),
    ("enonce", "Énoncé"),
    ("indicateurs", "Indicateurs affectés"),
)


def parse_semestre(text: str) -> str:
    """``2025-S2`` as given, or ValueError with the expected form."""
    if not SEMESTRE_PATTERN.match(text):
        raise ValueError(f"semestre « {text} » : forme attendue AAAA-S1 ou AAAA-S2 (par exemple 2025-S2)")
    return text


def previous_semestre(semestre: str) -> str:
    year, half = SEMESTRE_PATTERN.match(semestre).groups()
    return f"{year}-S1" if half == "2" else f"{int(year) - 1}-S2"


def _fetch(conn: psycopg.Connection, query: str, params: tuple) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def fetch_report(conn: psycopg.Connection, semestre: str) -> dict[str, list[dict]]:
    return {
        "anomalies": _fetch(
            conn,
            f"""
            select {", ".join(c for c, _ in ANOMALIE_COLUMNS)} from marts.fct_fiabilisation_anomalies
            where semestre <= %s
            order by acheteur_siren, semestre desc, regle_ordre, enregistrement_cle
        """,
            (semestre,),
        ),
        "compteurs": _fetch(
            conn,
            f"""
            select {", ".join(c for c, _ in COMPTEUR_COLUMNS)} from marts.fct_fiabilisation_compteurs
            where semestre in (%s, %s)
            order by perimetre = 'TOUS' desc, perimetre, regle_ordre, semestre
        """,
            (previous_semestre(semestre), semestre),
        ),
        "parts": _fetch(
            conn,
            f"""
            select {", ".join(c for c, _ in PART_COLUMNS)} from marts.fct_fiabilisation_part_marches
            where annee = %s order by acheteur_siren
        """,
            (int(semestre[:4]),),
        ),
        "regles": _fetch(
            conn,
            """
            select regle, systeme_source, enonce, replace(indicateurs, ' ', ', ') as indicateurs
            from referentiels.regles_fiabilisation order by ordre
        """,
            (),
        ),
    }


def write_report(conn: psycopg.Connection, semestre: str, fmt: str, output: Path) -> dict:
    report = fetch_report(conn, semestre)
    if fmt == "csv":
        write_csv(report["anomalies"], output, ANOMALIE_COLUMNS)
    elif fmt == "xlsx":
        _write_xlsx(report, semestre, output)
    else:
        raise ValueError(f"format inconnu : {fmt}")
    return {"fichier": str(output), "nb_anomalies": len(report["anomalies"])}


def _write_xlsx(report: dict[str, list[dict]], semestre: str, output: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "À corriger"
    fill_sheet(sheet, report["anomalies"], ANOMALIE_COLUMNS)
    fill_sheet(workbook.create_sheet("Compteurs"), report["compteurs"], COMPTEUR_COLUMNS)
    fill_sheet(workbook.create_sheet("Part sous marché"), report["parts"], PART_COLUMNS)
    rules = workbook.create_sheet("Règles")
    fill_sheet(rules, report["regles"], REGLE_COLUMNS)
    rules.append([])
    rules.append(
        [
            f"Rapport semestriel de fiabilisation {semestre} : les enregistrements de ce semestre et des "
            "précédents encore à corriger dans leur système source."
        ]
    )
    save_workbook(workbook, output)

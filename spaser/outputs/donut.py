"""The finance export for the Donut budget debate: ``spaser export donut --annee YYYY``.

Content: the published view ``marts.rapport_indicateurs`` (one row per indicator x engagement x
perimetre x year x ventilation, with axe, objectif, gap and avancement) from 2022 to the requested
year — the year whose figures the debate discusses. Finance reads either this workbook or the same
view with a BI tool (role spaser_lecteur).

xlsx: sheet « Indicateurs » (every row, by axe and engagement), « Donut » (the indicators the
SPASER feeds to the Donut, ``dim_indicateurs.est_donut``; a line says so when one has no value
yet), « Lisez-moi » (columns and rule). csv: the « Indicateurs » rows, ``;``-separated with a
decimal comma, UTF-8 with BOM, as French spreadsheet software opens it directly. Both are written
aside then renamed into place, and no cell is ever a formula: text cells of the workbook have the
text type, a CSV text cell starting like a formula gets a leading apostrophe, numbers (a negative
gap to the objective) are never altered (spaser/core/files.py).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from spaser.core.files import replaced, save_workbook, spreadsheet_text

COLUMNS = (
    ("axe", "Axe"),
    ("engagement", "Engagement"),
    ("engagement_libelle", "Intitulé de l'engagement"),
    ("indicateur_id", "Indicateur"),
    ("libelle", "Libellé"),
    ("unite", "Unité"),
    ("perimetre", "Périmètre (SIREN)"),
    ("perimetre_nom", "Périmètre"),
    ("ventilation", "Ventilation"),
    ("annee", "Année"),
    ("valeur", "Valeur"),
    ("realisation_2022", "Réalisation 2022 (SPASER)"),
    ("cible_valeur", "Cible"),
    ("cible_sens", "Sens de la cible"),
    ("cible_annee", "Échéance"),
    ("objectif", "Objectif de l'année"),
    ("ecart_objectif", "Écart à l'objectif"),
    ("avancement", "Avancement"),
)
AXE_ORDER = ("transversal", "social", "environnemental", "economique", "chiffres_cles")
LISEZ_MOI = (
    "Export des indicateurs du SPASER pour le débat d'orientation budgétaire (approche Donut).",
    "Source : la table marts.rapport_indicateurs de l'entrepôt (mêmes colonnes), lisible par le rôle spaser_lecteur.",
    "Une ligne par indicateur x engagement x périmètre x année x ventilation, de 2022 (référence du SPASER) "
    "à l'année demandée ; un indicateur de deux engagements figure sous chacun.",
    "Périmètre TOUS : le service commun (tous les acheteurs ensemble).",
    "Valeurs en pleine précision ; pourcentages de 0 à 100 ; vide = non calculable.",
    "Objectif de l'année : la cible (>=, <=, =) ; la réalisation de référence pour « hausse » ; valeur 2022 x (1 + N %) "
    "pour « +N % par rapport à 2022 », vide sans valeur 2022 ; valeur de l'année précédente + N points pour "
    "« +N points par an » (la progression AGEC de « 5 % par an » du SPASER est lue en points de part).",
    "Écart à l'objectif = valeur - objectif.",
    "Avancement : atteint ; en_retard (objectif non tenu à l'échéance ou pour une cible annuelle, ou sous la "
    "trajectoire avant l'échéance) ; en_bonne_voie (au moins sur la droite référence -> objectif avant l'échéance) ; "
    "pas_de_donnees ; sans_objectif.",
)


def fetch_rapport(conn: psycopg.Connection, annee: int) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            f"select {', '.join(c for c, _ in COLUMNS)} from marts.rapport_indicateurs where annee <= %s "
            "order by array_position(%s::text[], axe), engagement nulls first, indicateur_id, perimetre, "
            "ventilation, annee",
            (annee, list(AXE_ORDER)),
        )
        return cursor.fetchall()


def fetch_donut_indicators(conn: psycopg.Connection) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "select indicateur_id, libelle from marts.dim_indicateurs where est_donut order by indicateur_id"
        )
        return cursor.fetchall()


def write_donut(conn: psycopg.Connection, annee: int, fmt: str, output: Path) -> dict:
    rows = fetch_rapport(conn, annee)
    if fmt == "csv":
        write_csv(rows, output, COLUMNS)
    elif fmt == "xlsx":
        _write_xlsx(rows, fetch_donut_indicators(conn), annee, output)
    else:
        raise ValueError(f"format inconnu : {fmt}")
    return {"fichier": str(output), "nb_lignes": len(rows)}


def write_csv(rows: list[dict], output: Path, columns: tuple[tuple[str, str], ...]) -> None:
    """French spreadsheet CSV: ``;``-separated, decimal comma, UTF-8 with BOM, one header of labels."""
    with replaced(output) as temporary, open(temporary, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\n")
        writer.writerow(label for _, label in columns)
        for row in rows:
            writer.writerow(_csv_cell(row[column]) for column, _ in columns)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return (text.rstrip("0").rstrip(".") if "." in text else text).replace(".", ",")
    return str(spreadsheet_text(value))


def _write_xlsx(rows: list[dict], donut: list[dict], annee: int, output: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Indicateurs"
    fill_sheet(sheet, rows, COLUMNS)

    donut_sheet = workbook.create_sheet("Donut")
    donut_ids = {entry["indicateur_id"] for entry in donut}
    donut_rows = [row for row in rows if row["indicateur_id"] in donut_ids]
    fill_sheet(donut_sheet, donut_rows, COLUMNS)
    for entry in donut:
        if not any(row["indicateur_id"] == entry["indicateur_id"] for row in donut_rows):
            donut_sheet.append(
                [
                    None,
                    None,
                    None,
                    entry["indicateur_id"],
                    entry["libelle"],
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"pas encore publié (source non livrée) jusqu'à {annee}",
                ]
            )

    readme = workbook.create_sheet("Lisez-moi")
    readme.append([f"Indicateurs du SPASER, 2022 à {annee}"])
    readme["A1"].font = Font(bold=True)
    for line in LISEZ_MOI:
        readme.append([line])
    readme.append([])
    readme.append(["Colonne", "Champ de la table marts.rapport_indicateurs"])
    for column, label in COLUMNS:
        readme.append([label, column])
    readme.column_dimensions["A"].width = 110
    save_workbook(workbook, output)


def fill_sheet(sheet, rows: list[dict], columns: tuple[tuple[str, str], ...]) -> None:
    """A header of labels in bold, then the rows; frozen header, filters, readable widths."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append([label for _, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Numbers stay numbers (float is what a spreadsheet cell holds) so finance can compute on them.
        sheet.append([float(row[c]) if isinstance(row[c], Decimal) else row[c] for c, _ in columns])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for position, (_, label) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = max(12, min(40, len(label) + 4))

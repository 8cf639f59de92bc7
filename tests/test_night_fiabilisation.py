"""The half-yearly reliability report on a small hand-made inbox, through a whole night.

``tests/fixtures/inbox_fiabilisation`` plants one or two of each defect the report lists, for
Valence Romans Agglo (SIREN 200068781, SIRET 20006878100018), beside clean records, and one
Ville de Valence contract that no rule may judge (Valence delivers neither lots nor mandats).
The report needs DECP, lots, bids, fiches, insertion hours, mandats and SIRENE together, which no
other small inbox holds without changing its hand-computed indicators; the kitchen's deliveries,
which no rule reads, share its night (``fiabilisation_kitchen_night``, tests/conftest.py, read by
test_cuisine.py too), and with them their buyers.

Planted (each written out below with its key and semester):
- 2023-B01: DECP, no lot names it; paid 20 000 to 70300000300011, not its titulaire 70200000200015;
- C4 lot 1: attribué, 60 000 estimated, no id_marche; C4 lot 2: attribué, names 2023-X99, unknown to
  DECP; C5: attribué, no id_marche but 20 000 estimated (under the DECP threshold: not reported);
- C1 bid from 70100000100018 (fails the SIRET check digit), deposited 02/12/2022;
- C4 and C5 launched without fiche opération (C1, C2, C3 have theirs);
- 2023-Z01: 25 000 (10/03/2023) + 20 000 (20/08/2023) paid, absent from DECP: reaches 40 000 on
  20/08/2023; 2023-Y01: 30 000 paid, absent but under the threshold;
- 2023-C01: notified 15/01/2023, never paid while the Agglo's mandats run to 15/12/2023 (delay
  expires 15/07/2023); its fiche says clause d'insertion retenue, DECP say no social clause; its
  titulaire 70400000400017 is closed in SIRENE; 2023-D01 (notified 01/09/2023) is not yet due;
- 2023-D01's titulaire 70500000500011 (also a C3 bidder) and the C3 bidder and payee 70600000600017
  are absent from SIRENE (the C1 bidder with a wrong check digit is reported once, as invalid);
- insertion hours on 2023-Q01, unknown to DECP: 80 h in 2023-S2, 10 h in 2024-S1.
"""

from __future__ import annotations

import csv
import html
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from spaser.cli.main import main
from spaser.pipeline.dbt import run_dbt
from tests.conftest import MA_CANTINE_DIR, NightWorkspace

VRA = "200068781"
VRA_SIRET = "20006878100018"
# The perimetres of the night: the report's buyers (VRA, Valence) and TOUS; the kitchen's deliveries
# add ma-cantine's fixtures' buyer when its reference copy is there (VRA is the kitchen's own).
PERIMETRES = {VRA, "212603625", "TOUS"} | ({"210100343"} if MA_CANTINE_DIR.exists() else set())

EXPECTED_ANOMALIES = {
    ("decp_sans_lot", "2023-S1", f"{VRA_SIRET}|2023-B01"),
    ("lot_sans_id_marche", "2023-S1", f"{VRA_SIRET}|C4|1"),
    ("lot_marche_absent_decp", "2023-S2", f"{VRA_SIRET}|C4|2"),
    ("offre_identifiant_invalide", "2022-S2", f"{VRA_SIRET}|C1|1|70100000100018"),
    ("consultation_sans_fiche", "2023-S1", f"{VRA_SIRET}|C4"),
    ("consultation_sans_fiche", "2023-S2", f"{VRA_SIRET}|C5"),
    ("paiement_sans_decp", "2023-S2", f"{VRA}|2023-Z01"),
    ("decp_sans_paiement", "2023-S2", f"{VRA_SIRET}|2023-C01"),
    ("paiement_autre_siret", "2023-S1", f"{VRA_SIRET}|2023-B01|70300000300011"),
    ("titulaire_hors_sirene", "2023-S1", f"{VRA_SIRET}|2023-C01|1"),
    ("titulaire_hors_sirene", "2023-S2", f"{VRA_SIRET}|2023-D01|1"),
    ("tiers_hors_sirene", "2023-S2", f"{VRA}|70600000600017"),
    ("soumissionnaire_hors_sirene", "2023-S2", f"{VRA_SIRET}|C3|1|70500000500011"),
    ("soumissionnaire_hors_sirene", "2023-S2", f"{VRA_SIRET}|C3|1|70600000600017"),
    ("heures_sans_decp", "2023-S2", f"{VRA_SIRET}|2023-Q01"),
    ("heures_sans_decp", "2024-S1", f"{VRA_SIRET}|2023-Q01"),
    ("clause_insertion_sans_clause_sociale", "2023-S1", f"{VRA_SIRET}|2023-C01"),
}


@pytest.fixture(scope="module")
def fiabilisation_night(fiabilisation_kitchen_night) -> NightWorkspace:
    return fiabilisation_kitchen_night


def _rows(night: NightWorkspace, query: str) -> list[tuple]:
    with psycopg.connect(night.url) as conn:
        return conn.execute(query).fetchall()


def test_the_night_publishes(fiabilisation_night):
    assert fiabilisation_night.run_status == 0


def test_every_planted_defect_and_nothing_else_is_reported(fiabilisation_night):
    rows = _rows(
        fiabilisation_night,
        "select regle, semestre, enregistrement_cle, acheteur_siren from marts.fct_fiabilisation_anomalies",
    )
    assert {(regle, semestre, cle) for regle, semestre, cle, _ in rows} == EXPECTED_ANOMALIES
    assert len(rows) == len(EXPECTED_ANOMALIES)
    # Valence's contract is judged by no rule: Valence delivers neither lots nor mandats.
    assert {siren for *_, siren in rows} == {VRA}


def test_each_record_names_its_owner_system_indicators_and_what_is_wrong(fiabilisation_night):
    rows = {
        (regle, semestre): (systeme, indicateurs, detail, montant, date_reference)
        for regle, semestre, systeme, indicateurs, detail, montant, date_reference in _rows(
            fiabilisation_night,
            "select regle, semestre, systeme_source, indicateurs, detail, montant_ht, date_reference "
            "from marts.fct_fiabilisation_anomalies where regle in ('paiement_sans_decp', 'decp_sans_paiement', "
            "'paiement_autre_siret', 'consultation_sans_fiche') and semestre <> '2023-S1' "
            "or regle = 'paiement_autre_siret'",
        )
    }
    systeme, indicateurs, detail, montant, reference = rows[("paiement_sans_decp", "2023-S2")]
    assert systeme == "profil d'acheteur (DECP)"
    assert "k_nb_marches" in indicateurs.split(", ")
    assert montant == Decimal("45000") and str(reference) == "2023-08-20"
    assert "2023-Z01" in detail and "45000.00" in detail
    systeme, _, detail, montant, reference = rows[("decp_sans_paiement", "2023-S2")]
    assert systeme == "logiciel financier" and str(reference) == "2023-07-15"
    assert "15/01/2023" in detail and "15/12/2023" in detail
    systeme, _, detail, montant, _ = rows[("paiement_autre_siret", "2023-S1")]
    assert systeme == "logiciel financier" and montant == Decimal("20000")
    assert "70300000300011" in detail and "70200000200015" in detail
    systeme, indicateurs, _, _, _ = rows[("consultation_sans_fiche", "2023-S2")]
    assert systeme == "GED (fiches opération)" and "e03_nb_consultations_sourcing" in indicateurs


def test_counts_per_semester_and_their_trend(fiabilisation_night):
    rows = _rows(
        fiabilisation_night,
        "select semestre, regle, nb_anomalies, nb_anomalies_semestre_precedent, tendance "
        "from marts.fct_fiabilisation_compteurs where perimetre = 'TOUS'",
    )
    totals = {}
    for semestre, _, nb, *_ in rows:
        totals[semestre] = totals.get(semestre, 0) + nb
    assert totals == {"2022-S2": 1, "2023-S1": 6, "2023-S2": 9, "2024-S1": 1}
    by_key = {(semestre, regle): (nb, precedent, tendance) for semestre, regle, nb, precedent, tendance in rows}
    assert by_key[("2022-S2", "decp_sans_lot")] == (0, None, None)
    assert by_key[("2023-S2", "decp_sans_lot")] == (0, 1, "amelioration")
    assert by_key[("2023-S2", "paiement_sans_decp")] == (1, 0, "degradation")
    assert by_key[("2023-S2", "consultation_sans_fiche")] == (1, 1, "stable")
    # Valence has its rows, all at zero.
    valence = _rows(
        fiabilisation_night,
        "select sum(nb_anomalies), count(*) from marts.fct_fiabilisation_compteurs where perimetre = '212603625'",
    )
    assert valence == [(0, 4 * 13)]


def test_a_closed_semester_keeps_the_count_recorded_at_its_close_and_a_rebuild_never_duplicates(fiabilisation_night):
    """Every semester of the inbox is over: the night recorded all of them. Should 2023-S1 have been
    recorded with 5 contracts without lot, a later night keeps that 5 (the sources now say 1), and
    rebuilding the models, even --full-refresh, neither duplicates nor rewrites a recorded count."""
    with fiabilisation_night.environment():
        with psycopg.connect(fiabilisation_night.url) as conn:
            before = conn.execute("select count(*) from intermediate.int_fiabilisation__releves").fetchone()[0]
            assert before == 4 * len(PERIMETRES) * 13  # semesters x perimetres x rules
            assert {
                row[0] for row in conn.execute("select distinct perimetre from intermediate.int_fiabilisation__releves")
            } == PERIMETRES
            conn.execute(
                "update intermediate.int_fiabilisation__releves set nb_anomalies = 5 "
                "where compte_cle = '2023-S1|TOUS|decp_sans_lot'"
            )
        # The models of the history, not the whole marts: the published night's candidate schema is gone.
        models = ["int_fiabilisation__releves", "fct_fiabilisation_compteurs"]
        for arguments in (["run", "--select", *models], ["run", "--select", *models, "--full-refresh"]):
            result = run_dbt(arguments)
            assert result.success, result.output[-3000:]
        with psycopg.connect(fiabilisation_night.url) as conn:
            after = conn.execute("select count(*) from intermediate.int_fiabilisation__releves").fetchone()[0]
            rows = conn.execute(
                "select semestre, nb_anomalies, nb_anomalies_releve, nb_anomalies_restantes, tendance "
                "from marts_candidat.fct_fiabilisation_compteurs where perimetre = 'TOUS' and regle = 'decp_sans_lot' "
                "order by semestre"
            ).fetchall()
    assert after == before
    assert rows[1] == ("2023-S1", 5, 5, 1, "degradation")
    assert rows[2] == ("2023-S2", 0, 0, 0, "amelioration")


def test_spend_share_under_a_published_contract(fiabilisation_night):
    """2023, Agglo: 176 000 of purchases, 100 000 of them on 2023-A01 and 2023-B01 (published)."""
    [(montant, sous_marche, part)] = _rows(
        fiabilisation_night,
        "select montant_achats_ht, montant_sous_marche_publie_ht, part_sous_marche_publie_pct "
        f"from marts.fct_fiabilisation_part_marches where acheteur_siren = '{VRA}' and annee = 2023",
    )
    assert (montant, sous_marche) == (Decimal("176000"), Decimal("100000"))
    assert round(part, 4) == Decimal("56.8182")


def test_the_cli_writes_the_semester_report_in_csv_and_xlsx(fiabilisation_night, tmp_path):
    csv_path, xlsx_path = tmp_path / "rapport.csv", tmp_path / "rapport.xlsx"
    with fiabilisation_night.environment():
        assert main(["fiabilisation", "--semestre", "2023-S1", "--format", "csv", "--output", str(csv_path)]) == 0
        assert main(["fiabilisation", "--semestre", "2023-S1", "--format", "xlsx", "--output", str(xlsx_path)]) == 0
        assert main(["fiabilisation", "--semestre", "2023-3", "--format", "csv", "--output", str(csv_path)]) == 2
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == [
        "SIREN de l'acheteur",
        "Acheteur",
        "Semestre",
        "Système à corriger",
        "Règle",
        "Énoncé de la règle",
        "Clé de l'enregistrement",
        "Date de référence",
        "Constat",
        "Montant HT (€)",
        "Indicateurs affectés",
    ]
    # 2023-S1 and before: the 6 records of 2023-S1 and the 2022-S2 bid, 2023-S1 first.
    assert [(r[2], r[4], r[6]) for r in rows[1:]] == [
        ("2023-S1", "decp_sans_lot", f"{VRA_SIRET}|2023-B01"),
        ("2023-S1", "lot_sans_id_marche", f"{VRA_SIRET}|C4|1"),
        ("2023-S1", "consultation_sans_fiche", f"{VRA_SIRET}|C4"),
        ("2023-S1", "paiement_autre_siret", f"{VRA_SIRET}|2023-B01|70300000300011"),
        ("2023-S1", "titulaire_hors_sirene", f"{VRA_SIRET}|2023-C01|1"),
        ("2023-S1", "clause_insertion_sans_clause_sociale", f"{VRA_SIRET}|2023-C01"),
        ("2022-S2", "offre_identifiant_invalide", f"{VRA_SIRET}|C1|1|70100000100018"),
    ]
    assert {r[1] for r in rows[1:]} == {"Valence Romans Agglo"}
    assert rows[1][9] == "60000"  # decimal comma, no trailing zeros; 60 000 is the contract's amount
    workbook = load_workbook(xlsx_path)
    assert workbook.sheetnames == ["À corriger", "Compteurs", "Part sous marché", "Règles"]
    sheet = workbook["À corriger"]
    assert [c.value for c in sheet[1]] == rows[0] and sheet.max_row == 8
    counts = [[c.value for c in row] for row in workbook["Compteurs"].iter_rows(min_row=2)]
    assert ["TOUS", "decp_sans_lot", "logiciel marchés", "2023-S1", 1, 0, 1, "degradation", 1] in counts
    assert {row[3] for row in counts} == {"2022-S2", "2023-S1"}
    assert workbook["Règles"].cell(row=2, column=1).value == "decp_sans_lot"


def test_the_dashboard_page_explains_every_rule(fiabilisation_night):
    page = (fiabilisation_night.home / "site" / "fiabilisation.html").read_text(encoding="utf-8")
    with open(Path(__file__).parents[1] / "dbt_project" / "seeds" / "regles_fiabilisation.csv", encoding="utf-8") as f:
        rules = list(csv.DictReader(f))
    assert len(rules) == 13
    for rule in rules:
        assert html.escape(rule["enonce"]) in page
    assert 'href="fiabilisation.html"' in (fiabilisation_night.home / "site" / "index.html").read_text(encoding="utf-8")


def test_the_readme_states_every_rule_in_one_sentence():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    with open(Path(__file__).parents[1] / "dbt_project" / "seeds" / "regles_fiabilisation.csv", encoding="utf-8") as f:
        for rule in csv.DictReader(f):
            assert f"`{rule['regle']}` : {rule['enonce']}" in readme

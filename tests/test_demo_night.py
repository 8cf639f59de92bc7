"""A full night on the demo inbox, through the CLI: the SPASER's 2022 figures come out, a rerun
loads nothing twice, and the exports follow their contract."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from spaser.cli.main import main
from spaser.cli.progress import format_seconds
from spaser.core.catalogue import load_catalogue
from spaser.core.settings import PROJECT_ROOT
from spaser.ingest.sources import SOURCES
from spaser.quality.suites import EXPECTED_INDICATORS
from tests.conftest import fresh_warehouse

VRA = "200068781"
# The 2022 figures printed in the SPASER document (catalogue realisation_2022) that the demo
# generator is calibrated on: (indicateur_id, perimetre, ventilation) -> value.
SPASER_2022 = {
    ("k_nb_marches", "TOUS", ""): 452,
    ("k_marches_par_categorie_pct", "TOUS", "categorie_achat=travaux"): 17,
    ("k_marches_par_categorie_pct", "TOUS", "categorie_achat=fournitures"): 20,
    ("k_marches_par_categorie_pct", "TOUS", "categorie_achat=services"): 63,
    ("k_soumissionnaires_territoire_pct", "TOUS", "territoire=region"): 63.31,
    ("k_soumissionnaires_territoire_pct", "TOUS", "territoire=agglo"): 24,
    ("e05_nb_mp_clause_sociale", "TOUS", ""): 92,
    ("e05_mp_clause_sociale_pct", VRA, ""): 27,
    ("e08_mp_clause_environnementale_pct", VRA, ""): 23,
    ("e03_mp_infructueux_pct", VRA, ""): 2,
    ("e06_nb_marches_reserves_en_cours", VRA, ""): 1,
    ("e06_nb_marches_insertion_en_cours", VRA, ""): 13,
    ("e13_nb_courriers_reserves", VRA, ""): 26,
    # insertion platform, SPASER register, AGEC statements (spaser_demo/engagements.py)
    ("e05_heures_insertion", "TOUS", ""): 30637,
    ("e05_heures_insertion", VRA, ""): 15539,
    ("e05_nb_beneficiaires", "TOUS", ""): 87,
    ("e05_nb_contrats_signes", "TOUS", ""): 94,
    ("e05_nb_entreprises_insertion", "TOUS", "territoire=departement"): 155,
    ("e05_nb_entreprises_insertion", "TOUS", "territoire=agglo"): 110,
    ("e05_acces_emploi_durable_pct", "TOUS", ""): 83,
    ("e05_acces_emploi_durable_pct", VRA, ""): 83,
    ("e05_public_feminin_pct", VRA, ""): 29,
    ("e05_seniors_pct", VRA, ""): 17,
    ("e10_agec_moyenne_pct", VRA, ""): 18,
    ("e11_nb_reunions_partenariales", VRA, ""): 4,
    ("e12_nb_entreprises_accompagnees", VRA, "mesure=ateliers"): 5,
    ("e01_nb_instances", VRA, "type_instance=COPIL"): 1,
    ("e01_nb_instances", VRA, "type_instance=COTECH"): 1,
    ("k_depenses_territoire_pct", "TOUS", "territoire=region"): 67.67,
    ("k_depenses_territoire_pct", "TOUS", "territoire=agglo"): 39.60,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=travaux|territoire=agglo"): 65,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=travaux|territoire=departement"): 70,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=travaux|territoire=region"): 90,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=services|territoire=agglo"): 30,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=services|territoire=departement"): 32,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=services|territoire=region"): 60,
    ("k_depenses_categorie_territoire_pct", "TOUS", "categorie_achat=fournitures|territoire=region"): 43,
    # the central kitchen (spaser_demo/cuisine.py)
    ("e08_alim_bio_pct", VRA, ""): 25.70,
    ("e08_alim_siqo_pct", VRA, ""): 12.42,
    ("e08_alim_local_pct", VRA, ""): 11.0,
}


@pytest.fixture(scope="module")
def demo_night(admin_url, tmp_path_factory):
    home = tmp_path_factory.mktemp("demo_home")
    with fresh_warehouse(admin_url, home) as url:
        # As a user runs it: its own process, its own Airflow metadata under SPASER_HOME.
        first = _spaser_run()
        first_summary = json.loads((home / "derniere_nuit.json").read_text(encoding="utf-8"))
        export = home / "export.csv"
        assert main(["export", "indicateurs", "--format", "csv", "--output", str(export), "--annee", "2022"]) == 0
        with export.open(encoding="utf-8", newline="") as handle:
            exported_2022 = list(csv.DictReader(handle))
        with psycopg.connect(url) as conn:
            before_rerun = _warehouse_counts(conn)
            files_by_source = _files_by_source(conn)
            anomalies_by_rule = dict(
                conn.execute("select regle, count(*) from marts.fct_fiabilisation_anomalies group by regle").fetchall()
            )
            history_before = conn.execute(
                "select count(*), max(releve_le) from intermediate.int_fiabilisation__releves"
            ).fetchone()
        report = home / "fiabilisation_2025-S2.xlsx"
        report_status = main(["fiabilisation", "--semestre", "2025-S2", "--output", str(report)])
        second = _spaser_run("--verbose")
        second_summary = json.loads((home / "derniere_nuit.json").read_text(encoding="utf-8"))
        with psycopg.connect(url) as conn:
            after_rerun = _warehouse_counts(conn)
            history_after = conn.execute(
                "select count(*), max(releve_le) from intermediate.int_fiabilisation__releves"
            ).fetchone()
        yield {
            "fiabilisation": (anomalies_by_rule, report_status, report, history_before, history_after),
            "statuses": (first.returncode, second.returncode),
            "outputs": (first, second),
            "summaries": (first_summary, second_summary),
            "exported_2022": exported_2022,
            "counts": (before_rerun, after_rerun),
            "files_by_source": files_by_source,
            "home": home,
            "url": url,
        }


def _spaser_run(*options: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    return subprocess.run(
        [sys.executable, "-m", "spaser.cli.main", "run", *options],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def _files_by_source(conn) -> dict[str, tuple[int, int, int, int]]:
    """source -> (files, rows loaded, rows in quarantine, files rejected), as raw.fichiers records them."""
    rows = conn.execute(
        "select source, count(*), sum(nb_charges), sum(nb_quarantaine), count(*) filter (where statut = 'rejete')"
        " from raw.fichiers group by source"
    ).fetchall()
    return {source: tuple(int(n) for n in figures) for source, *figures in rows}


def _warehouse_counts(conn) -> dict:
    tables = [
        "raw.marches_decp",
        "raw.marches_consultations",
        "raw.marches_offres",
        "raw.finance_mandats",
        "raw.fichiers",
        "raw.quarantaine",
        "marts.fct_marches",
        "marts.fct_offres",
        "marts.fct_depenses",
        "marts.fct_indicateurs",
    ]
    return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def test_the_night_succeeds_and_says_what_it_did(demo_night):
    assert demo_night["statuses"][0] == 0
    summary = demo_night["summaries"][0]
    assert summary["succes"] is True
    assert summary["fichiers"]["charges"] > 0 and summary["fichiers"]["rejetes"] == 0
    assert summary["lignes_chargees"] > 1000
    assert summary["indicateurs"]["nb_indicateurs"] == len(EXPECTED_INDICATORS)
    assert all(gate["succes"] for gate in summary["controles"].values())
    assert (demo_night["home"] / "exports" / "indicateurs.csv").exists()
    assert (demo_night["home"] / "site" / "qualite" / "index.html").exists()


def test_each_indicator_comes_from_the_mart_its_catalogue_entry_names(demo_night):
    with psycopg.connect(demo_night["url"]) as conn:
        for entry in load_catalogue()["indicateurs"]:
            rows = conn.execute(
                sql.SQL("select count(*) from marts.{} where indicateur_id = %s").format(sql.Identifier(entry["mart"])),
                (entry["id"],),
            ).fetchone()[0]
            assert rows > 0, (entry["id"], entry["mart"])


@pytest.mark.parametrize("key", sorted(SPASER_2022), ids=lambda k: f"{k[0]}[{k[1]}|{k[2]}]")
def test_demo_reproduces_the_spaser_2022_figures(demo_night, key):
    values = {(r["indicateur_id"], r["perimetre"], r["ventilation"]): r["valeur"] for r in demo_night["exported_2022"]}
    assert key in values, f"{key} absent de l'export 2022"
    assert abs(Decimal(values[key]) - Decimal(str(SPASER_2022[key]))) <= Decimal("0.5")


def test_the_demo_kitchen_serves_a_school_year_of_meals_without_a_bad_row(demo_night):
    # Every purchase and menu line of the four yearly files of each (3,147 + 3,123 + 3,121 + 3,159
    # purchases, 6,928 + 6,864 + 6,904 + 6,904 menus) loads.
    assert demo_night["files_by_source"]["cuisine/achats"] == (4, 12_550, 0, 0)
    assert demo_night["files_by_source"]["cuisine/menus"] == (4, 27_600, 0, 0)
    with psycopg.connect(demo_night["url"]) as conn:
        meals_per_school_day = conn.execute(
            "select avg(repas) from (select date_menu, sum(nb_repas) as repas from marts.fct_menus"
            " where annee_menu = 2022 group by date_menu having count(*) > 20) as jours"
        ).fetchone()[0]
    assert 5_500 <= meals_per_school_day <= 6_500


def test_the_demo_night_gives_a_reliability_report_with_every_rule(demo_night):
    """The demo generator plants a few of each defect (spaser_demo): every rule has records, the
    2025-S2 workbook is written, and the rerun adds nothing to the semesters' history."""
    from openpyxl import load_workbook

    anomalies_by_rule, status, report, history_before, history_after = demo_night["fiabilisation"]
    # The planted ones, exactly (spaser_demo/fiabilisation.py): the hours' typo spans April to July 2025.
    assert {
        rule: anomalies_by_rule[rule]
        for rule in (
            "lot_sans_id_marche",
            "lot_marche_absent_decp",
            "offre_identifiant_invalide",
            "paiement_sans_decp",
            "heures_sans_decp",
        )
    } == {
        "lot_sans_id_marche": 2,
        "lot_marche_absent_decp": 2,
        "offre_identifiant_invalide": 2,
        "paiement_sans_decp": 1,
        "heures_sans_decp": 2,
    }
    assert status == 0 and load_workbook(report)["À corriger"].max_row > 1
    assert history_before[0] > 0 and history_after == history_before
    with open(PROJECT_ROOT / "dbt_project" / "seeds" / "regles_fiabilisation.csv", encoding="utf-8") as handle:
        rules = {row["regle"] for row in csv.DictReader(handle)}
    assert set(anomalies_by_rule) == rules


def test_a_rerun_loads_nothing_twice(demo_night):
    assert demo_night["statuses"][1] == 0
    second = demo_night["summaries"][1]
    assert second["fichiers"]["charges"] == 0
    assert second["fichiers"]["deja_charges"] == demo_night["summaries"][0]["fichiers"]["charges"]
    before, after = demo_night["counts"]
    assert before == after


# The steps the progress view names, besides one line per source.
STEP_LINES = [
    "Préparation de l'entrepôt",
    "Contrôles des données brutes",
    "dbt seed",
    "dbt staging",
    "dbt intermediate",
    "dbt marts",
    "Porte qualité des marts",
    "Publication des marts",
    "Droits de lecture",
    "Exports des indicateurs",
    "Tableau de bord et rapports",
]
# A step's duration: "(2,7 s)", or "(1 min 04 s)" past a minute (a loaded machine).
STEP_LINE = re.compile(r"^\d\d:\d\d ✓ (?P<label>.+?) {2,}(?P<details>.*)  \((?:\d+ min \d\d|\d+,\d) s\)$")
NUMBER = r"(\d[\d ]*)"


def _step_lines(stdout: str) -> dict[str, str]:
    return {m["label"].strip(): m["details"] for m in map(STEP_LINE.match, stdout.splitlines()) if m}


def test_the_night_reads_like_a_product(demo_night):
    output = demo_night["outputs"][0]
    lines = output.stdout.splitlines()
    assert len(lines) <= 40, output.stdout
    assert output.stderr == ""
    steps = _step_lines(output.stdout)
    assert set(steps) == set(STEP_LINES) | set(SOURCES), output.stdout
    # Every step ends before the summary, and the summary ends the output.
    summary_at = next(i for i, line in enumerate(lines) if line.startswith("Résumé de la nuit"))
    assert "SUCCÈS" in lines[summary_at]
    assert all(not STEP_LINE.match(line) for line in lines[summary_at:])
    assert lines[-1] == f"  Résumé complet : {demo_night['home'] / 'derniere_nuit.json'}"
    # None of the libraries' chatter reaches the console: it is in the night's log.
    log_path = Path(re.search(r"^Journal complet : (.+)$", output.stdout, re.MULTILINE)[1])
    assert log_path.parent.parent == demo_night["home"] / "runs"
    night_log = log_path.read_text(encoding="utf-8")
    for library_line in ("Running with dbt=", "[DAG TEST] running task", "great_expectations"):
        assert library_line in night_log
        assert library_line not in output.stdout


def test_the_summary_gives_each_step_its_time(demo_night):
    summary = demo_night["summaries"][0]
    steps = [
        "prepare_warehouse",
        *(f"extract_{source.replace('/', '_')}" for source in SOURCES),
        "validate_raw",
        "dbt_seed",
        "dbt_staging",
        "dbt_intermediate",
        "dbt_marts",
        "validate_marts",
        "publish",
        "grant_access",
        "export_indicateurs",
        "build_site",
    ]
    assert sorted(summary["durees_etapes"]) == sorted(steps)
    assert all(seconds >= 0 for seconds in summary["durees_etapes"].values())
    lines = demo_night["outputs"][0].stdout.splitlines()
    summary_at = next(i for i, line in enumerate(lines) if line.startswith("Résumé de la nuit"))
    [phases] = [line for line in lines[summary_at:] if line.startswith("  Durées : ")]
    assert f"contrôles bruts {format_seconds(summary['durees_etapes']['validate_raw'])}" in phases
    assert f"({len(SOURCES)} sources)" in phases
    [layers] = [line for line in lines[summary_at:] if line.startswith("    dbt seed ")]
    assert all(f"dbt {layer} " in layers for layer in ("seed", "staging", "intermediate", "marts"))


def test_each_source_line_gives_its_files_rows_quarantine_and_rejects(demo_night):
    steps = _step_lines(demo_night["outputs"][0].stdout)
    figures = re.compile(rf"^{NUMBER} fichiers? · {NUMBER} lignes? · {NUMBER} en quarantaine · {NUMBER} rejetés?$")
    for source, expected in demo_night["files_by_source"].items():
        shown = figures.match(steps[source])
        assert shown, steps[source]
        assert tuple(int(n.replace(" ", "")) for n in shown.groups()) == expected, source


def test_the_gate_and_dbt_lines_count_what_ran(demo_night):
    steps = _step_lines(demo_night["outputs"][0].stdout)
    for step, label in (
        ("validate_raw", "Contrôles des données brutes"),
        ("validate_marts", "Porte qualité des marts"),
    ):
        checks = demo_night["summaries"][0]["controles"][step]["nb_controles"]
        assert re.fullmatch(rf"\d+ suites · {checks:,} attentes · 0 échec".replace(",", " "), steps[label])
    assert re.fullmatch(r"\d+ seeds", steps["dbt seed"])
    for layer in ("staging", "intermediate"):
        assert re.fullmatch(r"\d+ modèles · \d+ tests", steps[f"dbt {layer}"]), steps[f"dbt {layer}"]
    # The marts layer runs the unit test of rapport_indicateurs' progress rule.
    assert re.fullmatch(r"\d+ modèles · \d+ tests · 1 test unitaire", steps["dbt marts"]), steps["dbt marts"]


def test_verbose_streams_the_full_logs(demo_night):
    output = demo_night["outputs"][1]
    assert output.returncode == 0
    for library_line in ("Running with dbt=", "[DAG TEST] running task", "great_expectations"):
        assert library_line in output.stdout
    # The progress lines are there too, the sources now already loaded.
    steps = _step_lines(output.stdout)
    assert "déjà chargé" in steps["marches/decp"]
    assert "Résumé de la nuit" in output.stdout

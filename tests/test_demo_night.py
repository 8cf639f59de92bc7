"""A full night on the demo inbox, through the CLI: the SPASER's 2022 figures come out, a rerun
loads nothing twice, and the exports follow their contract."""
from __future__ import annotations

import csv
import json
from decimal import Decimal

import psycopg
import pytest

from expectations.suites import EXPECTED_INDICATORS
from spaser.cli import main
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
    # insertion platform, SPASER register, AGEC statements (spaser/demo/engagements.py)
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
}


@pytest.fixture(scope="module")
def demo_night(admin_url, tmp_path_factory):
    home = tmp_path_factory.mktemp("demo_home")
    with fresh_warehouse(admin_url, home) as url:
        first_status = main(["run"])
        first_summary = json.loads((home / "derniere_nuit.json").read_text(encoding="utf-8"))
        export = home / "export.csv"
        assert main(["export", "indicateurs", "--format", "csv", "--output", str(export), "--annee", "2022"]) == 0
        with export.open(encoding="utf-8", newline="") as handle:
            exported_2022 = list(csv.DictReader(handle))
        with psycopg.connect(url) as conn:
            before_rerun = _warehouse_counts(conn)
        second_status = main(["run"])
        second_summary = json.loads((home / "derniere_nuit.json").read_text(encoding="utf-8"))
        with psycopg.connect(url) as conn:
            after_rerun = _warehouse_counts(conn)
        yield {
            "statuses": (first_status, second_status),
            "summaries": (first_summary, second_summary),
            "exported_2022": exported_2022,
            "counts": (before_rerun, after_rerun),
            "home": home,
        }


def _warehouse_counts(conn) -> dict:
    tables = ["raw.marches_decp", "raw.marches_consultations", "raw.marches_offres", "raw.finance_mandats",
              "raw.fichiers", "raw.quarantaine", "marts.fct_marches", "marts.fct_offres", "marts.fct_depenses",
              "marts.fct_indicateurs"]
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


@pytest.mark.parametrize("key", sorted(SPASER_2022), ids=lambda k: f"{k[0]}[{k[1]}|{k[2]}]")
def test_demo_reproduces_the_spaser_2022_figures(demo_night, key):
    values = {
        (r["indicateur_id"], r["perimetre"], r["ventilation"]): r["valeur"] for r in demo_night["exported_2022"]
    }
    assert key in values, f"{key} absent de l'export 2022"
    assert abs(Decimal(values[key]) - Decimal(str(SPASER_2022[key]))) <= Decimal("0.5")


def test_a_rerun_loads_nothing_twice(demo_night):
    assert demo_night["statuses"][1] == 0
    second = demo_night["summaries"][1]
    assert second["fichiers"]["charges"] == 0
    assert second["fichiers"]["deja_charges"] == demo_night["summaries"][0]["fichiers"]["charges"]
    before, after = demo_night["counts"]
    assert before == after

"""The indicator export contract: header, ventilation, full-precision values, NULL as empty."""
from __future__ import annotations

import csv
import json
from decimal import Decimal

from spaser.export import format_valeur, write_indicateurs

ROWS = [
    {"indicateur_id": "e05_mp_clause_sociale_pct", "perimetre": "200068781", "annee": 2022,
     "ventilation": "", "valeur": Decimal("27.27272727272727272727")},
    {"indicateur_id": "k_marches_par_categorie_pct", "perimetre": "TOUS", "annee": 2022,
     "ventilation": "categorie_achat=travaux", "valeur": None},
    {"indicateur_id": "k_nb_marches", "perimetre": "TOUS", "annee": 2022, "ventilation": "",
     "valeur": Decimal("4.52E+2")},
]


def test_values_keep_full_precision_in_plain_notation():
    assert format_valeur(Decimal("27.2727272727272727272700")) == "27.27272727272727272727"
    assert format_valeur(Decimal("1E+2")) == "100"
    assert format_valeur(Decimal("0.50")) == "0.5"
    assert format_valeur(Decimal("0")) == "0"
    assert format_valeur(None) == ""


def test_csv_contract(tmp_path):
    out = tmp_path / "indicateurs.csv"
    write_indicateurs(ROWS, "csv", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "indicateur_id,perimetre,annee,ventilation,valeur"
    assert lines[1] == "e05_mp_clause_sociale_pct,200068781,2022,,27.27272727272727272727"
    assert lines[2] == "k_marches_par_categorie_pct,TOUS,2022,categorie_achat=travaux,"
    assert lines[3] == "k_nb_marches,TOUS,2022,,452"
    assert len(list(csv.reader(lines))) == 4


def test_json_has_the_same_keys_and_exact_numbers(tmp_path):
    out = tmp_path / "indicateurs.json"
    write_indicateurs(ROWS, "json", out)
    records = json.loads(out.read_text(encoding="utf-8"), parse_float=Decimal)
    assert [list(r) for r in records] == [["indicateur_id", "perimetre", "annee", "ventilation", "valeur"]] * 3
    assert records[0]["valeur"] == Decimal("27.27272727272727272727")
    assert records[1]["valeur"] is None
    assert records[2]["valeur"] == 452

"""The indicator export contract: header, ventilation, full-precision values, NULL as empty; no
CSV text cell a spreadsheet would run as a formula; files written aside then renamed."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from decimal import Decimal

from spaser.outputs.export import format_valeur, write_indicateurs

ROWS = [
    {
        "indicateur_id": "e05_mp_clause_sociale_pct",
        "perimetre": "200068781",
        "annee": 2022,
        "ventilation": "",
        "valeur": Decimal("27.27272727272727272727"),
    },
    {
        "indicateur_id": "k_marches_par_categorie_pct",
        "perimetre": "TOUS",
        "annee": 2022,
        "ventilation": "categorie_achat=travaux",
        "valeur": None,
    },
    {
        "indicateur_id": "k_nb_marches",
        "perimetre": "TOUS",
        "annee": 2022,
        "ventilation": "",
        "valeur": Decimal("4.52E+2"),
    },
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


HOSTILE_ROWS = [
    {"indicateur_id": "k_nb_marches", "perimetre": "TOUS", "annee": 2022, "ventilation": text, "valeur": valeur}
    for text, valeur in [
        ('=HYPERLINK("http://exemple.invalid","x")', Decimal("-2")),
        ("+1", Decimal("-2.5")),
        ("-2", None),
        ("@SUM(A1)", Decimal("3")),
        ("\tcmd", Decimal("0")),
        ("categorie_achat=travaux", Decimal("-0.25")),
    ]
]


def test_csv_text_cells_never_start_like_a_formula_and_numbers_are_untouched(tmp_path):
    out = tmp_path / "indicateurs.csv"
    write_indicateurs(HOSTILE_ROWS, "csv", out)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["ventilation"], row["valeur"]) for row in rows] == [
        ('\'=HYPERLINK("http://exemple.invalid","x")', "-2"),
        ("'+1", "-2.5"),
        ("'-2", ""),
        ("'@SUM(A1)", "3"),
        ("'\tcmd", "0"),
        ("categorie_achat=travaux", "-0.25"),
    ]


def test_json_keeps_text_verbatim(tmp_path):
    out = tmp_path / "indicateurs.json"
    write_indicateurs(HOSTILE_ROWS, "json", out)
    records = json.loads(out.read_text(encoding="utf-8"), parse_float=Decimal)
    assert [record["ventilation"] for record in records] == [row["ventilation"] for row in HOSTILE_ROWS]
    assert records[1]["valeur"] == Decimal("-2.5")


def test_a_killed_writer_leaves_no_temporary_file_after_the_next_write(tmp_path):
    """A temporary file of a process that is gone (a killed night) is removed by the next write of
    that output; one of a running writer (this very process) is left alone."""
    out = tmp_path / "indicateurs.csv"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = tmp_path / f".indicateurs.csv~{socket.gethostname()}~{int(gone.stdout)}~abcd1234.tmp"
    killed.write_text("indicateur_id,perim", encoding="utf-8")
    running = tmp_path / f".indicateurs.csv~{socket.gethostname()}~{os.getpid()}~efgh5678.tmp"
    running.write_text("en cours", encoding="utf-8")
    write_indicateurs(ROWS, "csv", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "indicateurs.csv"]
    assert out.stat().st_mode & 0o777 == 0o644

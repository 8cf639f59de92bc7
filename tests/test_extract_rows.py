"""The Python row sources: a register delivered as XLSX reads exactly as its CSV twin; the
pseudonymisation key comes from the environment when it is set."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from spaser.ingest.insertion import InsertionHeuresSource, age_band
from spaser.ingest.pseudonymisation import KEY_ENVIRONMENT_VARIABLE, Pseudonymiser, pseudonymisation_key
from spaser.ingest.registre import RegistreActivitesSource

REGISTER_CSV = (
    Path(__file__).parent / "fixtures" / "inbox_engagements" / "registre" / "activites" / "registre_spaser.csv"
)


def test_an_xlsx_register_reads_as_its_csv_twin(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    with REGISTER_CSV.open(encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle, delimiter=";")):
            sheet.append(cells if number == 0 else [cell or None for cell in cells])
    xlsx = tmp_path / "registre.xlsx"
    workbook.save(xlsx)
    source = RegistreActivitesSource()
    from_csv = [(r.number, r.values, [v.message for v in r.violations]) for r in source.read(REGISTER_CSV)]
    from_xlsx = [(r.number, r.values, [v.message for v in r.violations]) for r in source.read(xlsx)]
    assert from_xlsx == from_csv
    assert sum(1 for _number, values, _violations in from_csv if values is None) == 3


def test_the_key_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPASER_HOME", str(tmp_path))
    monkeypatch.setenv(KEY_ENVIRONMENT_VARIABLE, "une-cle-secrete-de-deploiement-de-32-octets-au-moins")
    assert pseudonymisation_key() == b"une-cle-secrete-de-deploiement-de-32-octets-au-moins"
    assert not (tmp_path / "secrets").exists()


def test_seniors_are_fifty_on_the_first_of_january():
    from datetime import date

    assert age_band(date(1972, 1, 1), 2022) == "50_ans_et_plus"
    assert age_band(date(1972, 1, 2), 2022) == "de_26_a_49_ans"
    assert age_band(None, 2022) is None


def test_an_insertion_row_keeps_no_identifier(tmp_path):
    path = tmp_path / "heures.csv"
    path.write_text(
        "acheteur_siret;id_marche;entreprise_siret;beneficiaire_id;sexe;date_naissance;statut;contrat_type;"
        "date_debut_contrat;mois;heures;date_sortie;sortie_type\n"
        "20006878100018;M1;81234567600025;ID-42;F;01/06/1960;DELD;CDDI;01/02/2022;2022-02;10;;\n",
        encoding="utf-8",
    )
    source = InsertionHeuresSource(Pseudonymiser(b"k" * 32))
    (record,) = list(source.read(path))
    assert "ID-42" not in repr(record.values) and "1960" not in repr(record.values)
    assert record.values["beneficiaire_pseudo"] == Pseudonymiser(b"k" * 32)("ID-42")
    assert record.values["tranche_age"] == "50_ans_et_plus"

"""Deliveries as source systems really make them, through the night's own steps on PostgreSQL
(spaser.pipeline.night.prepare_warehouse, extract_source for every source, validate_raw), two nights in a
row: spreadsheets load; a file that cannot be read is rejected with its reason and the night goes
on; a rejected content is not read again, and stays listed on the quality page; links, names that
are not UTF-8 and files still being written are left unopened and reported."""

from __future__ import annotations

import csv
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from openpyxl import Workbook

from spaser.ingest.sources import SOURCES
from spaser.pipeline import night
from spaser.publish.site import _quality, _quality_page
from tests.conftest import fresh_warehouse

FIXTURES = Path(__file__).parent / "fixtures"
ENGAGEMENTS = FIXTURES / "inbox_engagements"
FINANCE = FIXTURES / "inbox_finance"
CUISINE = FIXTURES / "inbox_cuisine"
SECRET_LINE = "LIGNE-SECRETE-NE-DOIT-PAS-SORTIR"
NOT_UTF8_NAME = b"registre_\xe9t\xe9.csv"
QUIET = 600


@dataclass
class Nights:
    prepared: list[dict]
    reports: list[dict[str, dict]]  # per night: source -> extract_source's report
    raw_gates: list[dict]
    files: list[tuple]  # raw.fichiers after both nights
    quarantine: list[tuple]
    quality_page: str
    ges_years: dict[str, list[int]]  # file -> years of raw.referentiels_ges_territoire


def _rows(path: Path, delimiter: str) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def _workbook(rows: list[list[str]], target: Path) -> None:
    workbook = Workbook()
    for number, cells in enumerate(rows):
        workbook.active.append(cells if number == 0 else [cell or None for cell in cells])
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)


def _write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _hostile_inbox(inbox: Path, outside: Path) -> None:
    register = ENGAGEMENTS / "registre" / "activites" / "registre_spaser.csv"
    ges = ENGAGEMENTS / "referentiels" / "ges_territoire" / "inventaire_ges_territoire.csv"
    agec = ENGAGEMENTS / "registre" / "agec" / "agec_2022_2023.csv"
    # Spreadsheets, for every source that takes them.
    _workbook(_rows(register, ";"), inbox / "registre/activites/registre_spaser.xlsx")
    _workbook(_rows(agec, ","), inbox / "registre/agec/agec.xlsx")
    _workbook(_rows(ges, ";"), inbox / "referentiels/ges_territoire/ges.xlsx")
    heures = ENGAGEMENTS / "insertion" / "heures" / "heures_2022_2023.csv"
    _workbook(_rows(heures, ";"), inbox / "insertion/heures/heures.xlsx")
    (inbox / "registre/fournisseurs").mkdir(parents=True)
    shutil.copyfile(
        FINANCE / "registre/fournisseurs/registre_fournisseurs.xlsx",
        inbox / "registre/fournisseurs/registre_fournisseurs.xlsx",
    )
    # Rows the raw checks would refuse for good (raw rows are never modified): quarantined on loading.
    valence = (FINANCE / "finance/mandats/mandats_valence_2023.csv").read_text(encoding="utf-8")
    _write(
        inbox / "finance/mandats/mandats_invraisemblables.csv",
        valence.replace(";05/04/2023;", ";05/04/2099;", 1)
        .replace("212603625;2023;principal;V01;2;", "212603625;1999;principal;V01;2;", 1)
        .encode(),
    )
    # A few kilobytes declaring a million rows (read-only openpyxl would pad the gap, row by row).
    inflated = Workbook()
    inflated.active.append(["date", "type", "libelle"])
    inflated.active["A1000000"] = "fin"
    inflated.save(inbox / "registre/activites/gonfle.xlsx")
    # Text files as old tools write them: read by the row sources...
    _write(
        inbox / "referentiels/ges_territoire/ges_mac.csv",
        ges.read_bytes().replace(b"\r\n", b"\n").replace(b"2022;", b"2019;").replace(b"\n", b"\r"),
    )
    _write(
        inbox / "referentiels/ges_territoire/ges_utf16.csv",
        ges.read_text(encoding="utf-8").replace("2022;", "2018;").encode("utf-16"),
    )
    # ... rejected by the Arrow loader, with the reason.
    mandats = FINANCE / "finance/mandats/mandats_agglo_2023.csv"
    _write(
        inbox / "finance/mandats/mandats_mac.csv", mandats.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    )
    titres = FINANCE / "finance/titres/titres_2023_2024.csv"
    _write(inbox / "finance/titres/titres_utf16.csv", titres.read_text(encoding="cp1252").encode("utf-16"))
    lines = agec.read_bytes().split(b"\n", 1)
    _write(inbox / "registre/agec/agec_nul.csv", lines[0].replace(b"siret", b"si\x00ret", 1) + b"\n" + lines[1])
    # A cell over the csv module's 128 KiB limit.
    big_comment = "x" * (130 * 1024)
    _write(
        inbox / "registre/agec/agec_gros.csv",
        (
            agec.read_text(encoding="utf-8").splitlines()[0]
            + "\n"
            + f"2023,20006878100018,VRA,Papier,100,0,0,0,{big_comment},43456789700013\n"
        ).encode(),
    )
    # "²" passes str.isdigit(), not int().
    achats = CUISINE / "cuisine/achats/achats_cuisine_centrale_2024.csv"
    header, first = achats.read_bytes().split(b"\n")[:2]
    _write(
        inbox / "cuisine/achats/achats_km.csv",
        header + b"\n" + first.rstrip(b"\r").replace(b";;;;", b";;;autre;\xb2") + b"\n",
    )
    # JSON too deep for the parser's recursion, and an integer beyond Python's 4,300 digits.
    _write(inbox / "marches/decp/profond.json", b'{"marches": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    _write(inbox / "marches/decp/entier.json", b'{"marches": [{"id": "1", "montant": ' + b"9" * 5000 + b"}]}")
    # Left unopened: a link (to a secret outside the inbox), a name that is not UTF-8, a pipe.
    secret = outside / "secret.txt"
    secret.write_text(f"{SECRET_LINE};a;b\n", encoding="utf-8")
    (inbox / "registre/activites/lien.csv").symlink_to(secret)
    _write(Path(os.fsdecode(os.fsencode(inbox / "registre/activites") + b"/" + NOT_UTF8_NAME)), register.read_bytes())
    os.mkfifo(inbox / "registre/activites/tube.csv")
    past = time.time() - 3600
    for path in inbox.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (past, past))
    # Being written: modified just now.
    _write(inbox / "registre/activites/en_cours.csv", register.read_bytes().replace(b"COPIL SPASER", b"COPIL bis"))


def _night(inbox: Path, run_id: str) -> tuple[dict, dict, dict]:
    prepared = night.prepare_warehouse(str(inbox))
    reports = {name: night.extract_source(name, prepared["inbox"], run_id) for name in SOURCES}
    return prepared, reports, night.validate_raw(run_id)


@pytest.fixture(scope="module")
def nights(admin_url, tmp_path_factory) -> Nights:
    workspace = tmp_path_factory.mktemp("ingestion")
    inbox, outside = workspace / "inbox", workspace / "ailleurs"
    outside.mkdir()
    _hostile_inbox(inbox, outside)
    with pytest.MonkeyPatch.context() as patch, fresh_warehouse(admin_url, workspace / "home") as url:
        patch.setenv("SPASER_INBOX_QUIET_SECONDS", str(QUIET))
        patch.delenv("SPASER_PSEUDONYMISATION_KEY", raising=False)
        first = _night(inbox, "nuit-1")
        past = time.time() - 3600
        os.utime(inbox / "registre/activites/en_cours.csv", (past, past))
        second = _night(inbox, "nuit-2")
        with psycopg.connect(url) as conn:
            files = conn.execute(
                "select run_id, source, fichier, statut, message from raw.fichiers order by load_id"
            ).fetchall()
            quarantine = conn.execute("select source, fichier, champ, message from raw.quarantaine").fetchall()
            page = _quality_page(conn, _quality(conn))
            ges_years = dict(
                conn.execute(
                    "select _source_file, array_agg(distinct annee order by annee) from raw.referentiels_ges_territoire"
                    " group by 1"
                ).fetchall()
            )
    return Nights(
        [first[0], second[0]], [first[1], second[1]], [first[2], second[2]], files, quarantine, page, ges_years
    )


def _statuses(report_by_source: dict[str, dict]) -> dict[str, tuple[str, str | None]]:
    return {
        file["fichier"]: (file["statut"], file["message"])
        for report in report_by_source.values()
        for file in report["fichiers"]
    }


def test_both_nights_pass_the_raw_gate(nights):
    assert [gate["success"] for gate in nights.raw_gates] == [True, True]


def test_spreadsheets_of_every_source_load_in_a_night(nights):
    statuses = _statuses(nights.reports[0])
    for name in (
        "registre/activites/registre_spaser.xlsx",
        "registre/agec/agec.xlsx",
        "referentiels/ges_territoire/ges.xlsx",
        "insertion/heures/heures.xlsx",
        "registre/fournisseurs/registre_fournisseurs.xlsx",
    ):
        assert statuses[name][0] == "charge", (name, statuses[name])
    by_name = {file["fichier"]: file for report in nights.reports[0].values() for file in report["fichiers"]}
    # The register's CSV fixture has 3 rows to quarantine (test_extract_rows).
    assert by_name["registre/activites/registre_spaser.xlsx"]["nb_quarantaine"] == 3
    assert by_name["registre/activites/registre_spaser.xlsx"]["nb_charges"] > 0
    assert by_name["insertion/heures/heures.xlsx"]["nb_charges"] > 0


def test_old_line_endings_and_utf16_load_through_the_row_sources(nights):
    statuses = _statuses(nights.reports[0])
    assert statuses["referentiels/ges_territoire/ges_mac.csv"][0] == "charge"
    assert statuses["referentiels/ges_territoire/ges_utf16.csv"][0] == "charge"
    assert 2019 in nights.ges_years["referentiels/ges_territoire/ges_mac.csv"]
    assert 2018 in nights.ges_years["referentiels/ges_territoire/ges_utf16.csv"]


@pytest.mark.parametrize(
    "name, cause",
    [
        ("finance/mandats/mandats_mac.csv", "fins de ligne « CR »"),
        ("finance/titres/titres_utf16.csv", "UTF-16"),
        ("registre/agec/agec_nul.csv", "octet nul"),
        ("registre/agec/agec_gros.csv", "ligne 2 illisible en CSV (field larger than field limit"),
        ("marches/decp/profond.json", "imbriquée trop profondément"),
        ("marches/decp/entier.json", "nombre de plus de 4300 chiffres"),
        ("registre/activites/gonfle.xlsx", "feuille trop grande (1000000 lignes"),
    ],
)
def test_an_unreadable_file_is_rejected_with_its_reason_and_the_night_goes_on(nights, name, cause):
    statut, message = _statuses(nights.reports[0])[name]
    assert statut == "rejete"
    assert cause in message
    assert Path(name).name in message
    recorded = [(run, statut, text) for run, _source, fichier, statut, text in nights.files if fichier == name]
    assert recorded == [("nuit-1", "rejete", message)]


def test_a_rejected_content_is_not_read_again_and_stays_listed(nights):
    second = _statuses(nights.reports[1])
    assert second["marches/decp/profond.json"][0] == "deja_rejete"
    assert "déjà rejeté (nuit nuit-1)" in second["marches/decp/profond.json"][1]
    assert [row for row in nights.files if row[0] == "nuit-2" and row[3] == "rejete"] == []
    assert 'id="fichiers-rejetes"' in nights.quality_page
    for name in ("mandats_mac.csv", "titres_utf16.csv", "profond.json", "entier.json", "agec_gros.csv"):
        assert name in nights.quality_page


def test_a_cell_that_only_looks_like_digits_quarantines_its_row(nights):
    assert _statuses(nights.reports[0])["cuisine/achats/achats_km.csv"][0] == "charge"
    fields = {champ: m for source, fichier, champ, m in nights.quarantine if fichier == "cuisine/achats/achats_km.csv"}
    assert "« ² » n'est pas un nombre entier de kilomètres" in fields["definition_local_km"], fields


def test_rows_the_raw_gate_would_refuse_for_good_are_quarantined_on_loading(nights):
    assert _statuses(nights.reports[0])["finance/mandats/mandats_invraisemblables.csv"][0] == "charge"
    problems = {
        (champ, message)
        for source, fichier, champ, message in nights.quarantine
        if fichier == "finance/mandats/mandats_invraisemblables.csv"
    }
    assert problems >= {
        (
            "date_mandat",
            "ligne 2, colonne date_mandat : « 05/04/2099 » n'est pas une date valide "
            "(JJ/MM/AAAA ou AAAA-MM-JJ) entre le 01/01/2000 et demain",
        ),
        ("exercice", "ligne 3, colonne exercice : « 1999 » n'est pas une année plausible (de 2000 à l'année en cours)"),
    }


def test_links_pipes_and_names_not_in_utf8_are_reported_unopened(nights):
    reported = nights.prepared[0]["hors_perimetre"]
    assert "registre/activites/lien.csv : lien symbolique : refusé sans être ouvert" in reported
    assert "registre/activites/tube.csv : n'est pas un fichier ordinaire : refusé sans être ouvert" in reported
    assert (
        "registre/activites/registre_\ufffdt\ufffd.csv : nom de fichier illisible (pas en UTF-8) : "
        "refusé sans être ouvert, à renommer"
    ) in reported
    loaded = {row[2] for row in nights.files}
    assert not any("lien" in name or "tube" in name or "\ufffd" in name for name in loaded)
    everything = repr((nights.files, nights.quarantine, nights.reports, nights.prepared))
    assert SECRET_LINE not in everything


def test_a_file_still_being_written_waits_for_a_later_night(nights):
    (waiting,) = [m for m in nights.prepared[0]["hors_perimetre"] if m.startswith("registre/activites/en_cours.csv")]
    assert f"moins de {QUIET} s) : laissé pour une nuit suivante" in waiting
    assert "registre/activites/en_cours.csv" not in _statuses(nights.reports[0])
    assert _statuses(nights.reports[1])["registre/activites/en_cours.csv"][0] == "charge"
    assert not any(m.startswith("registre/activites/en_cours.csv") for m in nights.prepared[1]["hors_perimetre"])

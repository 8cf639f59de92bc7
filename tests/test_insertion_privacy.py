"""Insertion data through the night's own steps (prepare_warehouse, extract_source, summarize) on
PostgreSQL: hostile shapes carrying marker values never leave a marker anywhere — not in any
table of any schema, the step results (XComs), the logs, the night's summary nor the temp folder;
the pseudonymisation key is created whole and private, a short key or a key other than the
warehouse's stops the source, and a change of key is an explicit command."""

from __future__ import annotations

import hashlib
import hmac
import logging
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest
from openpyxl import Workbook

from spaser.cli.main import main
from spaser.ingest.pseudonymisation import KEY_ENVIRONMENT_VARIABLE
from spaser.pipeline import night
from tests.conftest import fresh_warehouse

SOURCE = "insertion/heures"
HEADER = (
    "acheteur_siret;id_marche;entreprise_siret;beneficiaire_id;sexe;date_naissance;statut;contrat_type;"
    "date_debut_contrat;mois;heures;date_sortie;sortie_type"
)
MARKER_ID = "ZQX-MARQUEUR-4417"
MARKER_BIRTH = "13/11/1957"
MARKER_BIRTH_ISO = "1957-11-13"
MARKER_NAME = "Marqueurnom Dupontelli"
MARKER_SEX = "SEXE-MARQUEUR-88"
MARKERS = (MARKER_ID, MARKER_BIRTH, MARKER_BIRTH_ISO, MARKER_NAME, MARKER_SEX)
GOOD_ROW = f"20006878100018;M1;81234567600025;{MARKER_ID};F;{MARKER_BIRTH};DELD;CDDI;01/02/2022;2022-02;10;;"


def _deliver(inbox: Path) -> None:
    folder = inbox / SOURCE
    folder.mkdir(parents=True)
    (folder / "sans_entete.csv").write_text(GOOD_ROW + "\n" + GOOD_ROW.replace(";10;", ";11;") + "\n", encoding="utf-8")
    (folder / "decalees.csv").write_text(
        HEADER
        + "\n"
        + GOOD_ROW.replace(f";{MARKER_ID};", f";;{MARKER_ID};")
        + "\n"  # one delimiter too many
        + GOOD_ROW.replace(f"{MARKER_ID};F;", f"{MARKER_ID}F;")
        + "\n"  # one too few
        + GOOD_ROW.replace(";F;", f";{MARKER_SEX};")
        + "\n"  # a value the rules refuse
        + GOOD_ROW.replace(MARKER_BIRTH, MARKER_BIRTH.replace("13/11", "31/02"))
        + "\n"  # not a date
        + GOOD_ROW.replace("2022-02", "2022-03")
        + "\n",
        encoding="utf-8",
    )
    (folder / "colonnes_en_plus.csv").write_text(HEADER + ";nom\n" + GOOD_ROW + f";{MARKER_NAME}\n", encoding="utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(";"))
    sheet.append([*GOOD_ROW.replace(";10;", ";-5;").split(";"), MARKER_NAME])  # negative hours, a cell past the header
    sheet.append(GOOD_ROW.replace(";10;", ";12;").split(";"))
    workbook.save(folder / "classeur.xlsx")


def _hits(conn: psycopg.Connection) -> list[tuple[str, str]]:
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema not in ('pg_catalog', 'information_schema')"
    ).fetchall()
    return [
        (schema, table)
        for schema, table in tables
        if conn.execute(
            f'select count(*) from "{schema}"."{table}" as t where t::text ilike any(%s)',
            ([f"%{marker}%" for marker in MARKERS],),
        ).fetchone()[0]
    ]


def _files_holding_markers(folder: Path) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and any(marker.encode() in path.read_bytes() for marker in MARKERS)
    ]


def test_no_marker_of_a_hostile_insertion_delivery_is_stored_logged_or_reported(
    admin_url, tmp_path, monkeypatch, caplog
):
    inbox, temp = tmp_path / "inbox", tmp_path / "tmp"
    temp.mkdir()
    _deliver(inbox)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.delenv(KEY_ENVIRONMENT_VARIABLE, raising=False)
    caplog.set_level(logging.DEBUG)
    with fresh_warehouse(admin_url, tmp_path / "home") as url:
        prepared = night.prepare_warehouse(str(inbox))
        report = night.extract_source(SOURCE, prepared["inbox"], "nuit-1")
        summary = night.summarize("nuit-1", {"prepare_warehouse": prepared, "extract_insertion_heures": report})
        with psycopg.connect(url) as conn:
            hits = _hits(conn)
            statuses = dict(conn.execute("select fichier, statut from raw.fichiers").fetchall())
            contents = conn.execute("select distinct contenu from raw.quarantaine").fetchall()
            loaded = conn.execute("select count(*) from raw.insertion_heures").fetchone()[0]
    assert statuses == {
        "insertion/heures/sans_entete.csv": "rejete",
        "insertion/heures/decalees.csv": "charge",
        "insertion/heures/colonnes_en_plus.csv": "charge",
        "insertion/heures/classeur.xlsx": "charge",
    }
    assert loaded == 3  # the good rows of decalees.csv, colonnes_en_plus.csv and classeur.xlsx
    assert contents == [(None,)]
    assert hits == []
    texts = {
        "XCom": repr((prepared, report)),
        "résumé": repr(summary),
        "journal": caplog.text,
        "résumé écrit": (tmp_path / "home" / "derniere_nuit.json").read_text(encoding="utf-8"),
    }
    assert {where: [m for m in MARKERS if m in text] for where, text in texts.items()} == {where: [] for where in texts}
    assert _files_holding_markers(temp) == []
    # The rejection still says why, without the line it read as a header.
    (rejection,) = [f["message"] for f in report["fichiers"] if f["fichier"].endswith("sans_entete.csv")]
    assert "colonnes obligatoires absentes de l'en-tête : acheteur_siret" in rejection


def _inbox_with_one_good_row(tmp_path: Path) -> Path:
    inbox = tmp_path / "inbox"
    (inbox / SOURCE).mkdir(parents=True)
    (inbox / SOURCE / "heures.csv").write_text(HEADER + "\n" + GOOD_ROW + "\n", encoding="utf-8")
    return inbox


def _key_night(inbox: Path, run_id: str) -> dict:
    prepared = night.prepare_warehouse(str(inbox))
    return night.extract_source(SOURCE, prepared["inbox"], run_id)


def test_the_key_is_created_whole_and_private_and_its_fingerprint_kept(admin_url, tmp_path, monkeypatch):
    inbox, home = _inbox_with_one_good_row(tmp_path), tmp_path / "home"
    monkeypatch.delenv(KEY_ENVIRONMENT_VARIABLE, raising=False)
    with fresh_warehouse(admin_url, home) as url:
        report = _key_night(inbox, "nuit-1")
        with psycopg.connect(url) as conn:
            fingerprints = conn.execute("select empreinte, retiree_le from raw.cles_pseudonymisation").fetchall()
            (pseudo,) = conn.execute("select beneficiaire_pseudo from raw.insertion_heures").fetchone()
    assert report["fichiers"][0]["statut"] == "charge"
    secrets_dir = home / "secrets"
    assert [path.name for path in secrets_dir.iterdir()] == ["pseudonymisation.key"]  # no temporary file left
    key_file = secrets_dir / "pseudonymisation.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="ascii").strip()
    assert len(bytes.fromhex(key)) == 32
    assert pseudo == hmac.new(key.encode(), MARKER_ID.encode(), hashlib.sha256).hexdigest()
    assert fingerprints == [(hmac.new(key.encode(), b"spaser:empreinte-de-cle", hashlib.sha256).hexdigest(), None)]


@pytest.mark.parametrize("content", ["", "trop-courte"])
def test_an_empty_or_short_key_stops_the_insertion_source_and_rejects_no_file(
    admin_url, tmp_path, monkeypatch, content
):
    inbox, home = _inbox_with_one_good_row(tmp_path), tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "pseudonymisation.key").write_text(content, encoding="ascii")
    monkeypatch.delenv(KEY_ENVIRONMENT_VARIABLE, raising=False)
    with fresh_warehouse(admin_url, home) as url:
        with pytest.raises(night.NightStepFailed, match="clé de pseudonymisation refusée .* au moins 32"):
            _key_night(inbox, "nuit-1")
        with psycopg.connect(url) as conn:
            assert conn.execute("select count(*) from raw.fichiers").fetchone() == (0,)


def test_another_key_is_refused_until_it_is_adopted_explicitly(admin_url, tmp_path, monkeypatch):
    inbox, home = _inbox_with_one_good_row(tmp_path), tmp_path / "home"
    monkeypatch.delenv(KEY_ENVIRONMENT_VARIABLE, raising=False)
    with fresh_warehouse(admin_url, home) as url:
        assert _key_night(inbox, "nuit-1")["fichiers"][0]["statut"] == "charge"
        # The deployment's secret appears one night: every person would get a second pseudonym.
        monkeypatch.setenv(KEY_ENVIRONMENT_VARIABLE, "une-autre-cle-de-deploiement-de-plus-de-32-octets")
        (inbox / SOURCE / "heures_2.csv").write_text(
            HEADER + "\n" + GOOD_ROW.replace(";10;", ";20;") + "\n", encoding="utf-8"
        )
        with pytest.raises(night.NightStepFailed, match="clé de pseudonymisation différente de celle de l'entrepôt"):
            _key_night(inbox, "nuit-2")
        assert main(["cle", "renouveler", "--motif", "passage au secret du déploiement"]) == 0
        report = _key_night(inbox, "nuit-3")
        with psycopg.connect(url) as conn:
            keys = conn.execute(
                "select motif, retiree_le is null from raw.cles_pseudonymisation order by adoptee_le"
            ).fetchall()
            files = conn.execute("select fichier, statut from raw.fichiers order by load_id").fetchall()
    assert [(f["fichier"], f["statut"]) for f in report["fichiers"]] == [
        ("insertion/heures/heures.csv", "deja_charge"),
        ("insertion/heures/heures_2.csv", "charge"),
    ]
    assert keys == [("première utilisation", False), ("passage au secret du déploiement", True)]
    assert files == [("insertion/heures/heures.csv", "charge"), ("insertion/heures/heures_2.csv", "charge")]

"""The demo inbox generator: deterministic, and every file exactly in the delivered formats.

The calibration itself (2022 figures) is checked end to end through the real pipeline elsewhere;
here the files are checked against the official DECP schema, sources.md, SIRENE and the COG.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from spaser.ingest.sources import SOURCES
from spaser.ingest.tva import is_eu_vat_number
from spaser_demo import write_demo_inbox
from spaser_demo.companies import luhn_valid
from spaser_demo.geography import COMMUNES_BY_TERRITORY
from tests.conftest import REFERENCE_DIR, SPEC_DIR, needs_reference

FRENCH_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
FRENCH_DECIMAL = re.compile(r"^\d+,\d{2}$")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> tuple[Path, dict]:
    target = tmp_path_factory.mktemp("demo_inbox")
    return target, write_demo_inbox(target)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _french_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("cp1252")  # raises on anything that is not Windows-1252
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    return rows[0], rows[1:]


def _declared_columns(source: str) -> list[str]:
    """The columns the night's extractor of that inbox folder declares, in order."""
    return [column.name for column in SOURCES[source].columns]


def _sources_columns(section: str) -> list[str]:
    """Column names of a table of sources.md, in order ("a, b, c" rows name several columns)."""
    text = (SPEC_DIR / "sources.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}")[1].split("\n## ")[0]
    columns = []
    for line in body.splitlines():
        match = re.match(r"^\| ([a-z_, ]+) \|", line)
        if match and match.group(1) != "column":
            columns += [name.strip() for name in match.group(1).split(",")]
    return columns


def _decp_records(root: Path) -> list[tuple[str, int, dict]]:
    records = []
    for path in sorted((root / "marches/decp").glob("*.json")):
        for number, record in enumerate(json.loads(path.read_text(encoding="utf-8"))["marches"].get("marche", []), 1):
            records.append((path.name, number, record))
    return records


def test_same_seed_gives_the_same_bytes_and_another_seed_other_data(inbox, tmp_path):
    root, _summary = inbox
    write_demo_inbox(tmp_path / "again")
    assert _hashes(tmp_path / "again") == _hashes(root)
    write_demo_inbox(tmp_path / "other", seed=7)
    other = _hashes(tmp_path / "other")
    assert other.keys() == _hashes(root).keys()
    assert other != _hashes(root)


def test_summary_lists_every_written_file_with_its_record_count(inbox):
    root, summary = inbox
    written = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    assert set(summary["files"]) == written
    offers = sum(count for name, count in summary["files"].items() if name.startswith("marches/offres/"))
    assert offers == summary["offres"] > 0
    delivered = {
        name: len(json.loads((root / name).read_text(encoding="utf-8"))["marches"].get("marche", []))
        for name in written
        if name.startswith("marches/decp/")
    }
    corrections = delivered.pop("marches/decp/decp_correctifs.json")
    assert sum(delivered.values()) == summary["marches"] and corrections > 0


@needs_reference(REFERENCE_DIR / "decp/schema_decp_v2.0.3.json")
def test_every_decp_record_validates_against_the_official_schema(inbox):
    root, _summary = inbox
    schema = json.loads((REFERENCE_DIR / "decp/schema_decp_v2.0.3.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    files = sorted((root / "marches/decp").glob("*.json"))
    assert len(files) >= 16
    concessions = 0
    for path in files:
        document = json.loads(path.read_text(encoding="utf-8"))
        errors = [
            f"{path.name} {list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)
        ]
        assert not errors, errors[:5]
        concessions += len(document["marches"].get("contrat-concession", []))
        for record in document["marches"].get("marche", []):
            for values in (
                record["considerationsSociales"]["considerationSociale"],
                record["considerationsEnvironnementales"]["considerationEnvironnementale"],
            ):
                assert len(values) == 1 or not any(value.startswith("Pas de") for value in values), record["id"]
            for titulaire in record["titulaires"]:
                identifier = titulaire["titulaire"]["id"]
                if titulaire["titulaire"]["typeIdentifiant"] == "SIRET":
                    assert luhn_valid(identifier) and len(identifier) == 14, identifier
                else:
                    assert is_eu_vat_number(identifier), identifier
    assert concessions >= 1


def test_corrections_redeliver_existing_contracts_with_a_later_publication_date(inbox):
    root, _summary = inbox
    originals, corrections = {}, []
    for name, _number, record in _decp_records(root):
        key = (record["acheteur"]["id"], record["id"])
        if name == "decp_correctifs.json":
            corrections.append((key, record))
        else:
            assert key not in originals, f"{key} delivered twice in the yearly exports"
            originals[key] = record
    assert corrections
    for key, record in corrections:
        original = originals[key]
        assert record["datePublicationDonnees"] > original["datePublicationDonnees"]
        assert record != original
    # The same id under two buyers is two contracts (business key: acheteur.id, id).
    ids_by_buyer = {}
    for buyer, identifier in originals:
        ids_by_buyer.setdefault(identifier, set()).add(buyer)
    assert any(len(buyers) > 1 for buyers in ids_by_buyer.values())


def test_consultations_and_offers_follow_sources_md(inbox):
    root, _summary = inbox
    lots_without_id, invalid_bidders = [], []
    for folder, section in (("consultations", "marches/consultations"), ("offres", "marches/offres")):
        expected = _declared_columns(section)
        assert len(expected) >= 9
        files = sorted((root / "marches" / folder).glob("*.csv"))
        assert files
        for path in files:
            assert b"\r\n" in path.read_bytes()
            header, rows = _french_csv(path)
            assert header == expected, path.name
            assert rows
            for line, row in enumerate(rows, start=2):
                record = dict(zip(header, row, strict=False))
                assert len(row) == len(header), (path.name, line)
                assert re.fullmatch(r"\d{14}", record["acheteur_siret"]) and luhn_valid(record["acheteur_siret"])
                for name, value in record.items():
                    if name.startswith("date_") and value:
                        assert FRENCH_DATE.match(value), (path.name, line, name, value)
                        date(int(value[6:]), int(value[3:5]), int(value[:2]))
                if folder == "consultations":
                    assert FRENCH_DECIMAL.match(record["montant_estime_ht"]), (path.name, line)
                    assert record["categorie"] in ("travaux", "fournitures", "services")
                    booleans = ("maitrise_oeuvre", "variantes_autorisees", "marche_reserve", "marche_insertion", "mpgp")
                    if record["id_marche"] == "" and record["statut"] == "attribue":
                        lots_without_id.append((path.name, record["id_consultation"], record["lot"]))
                    else:
                        assert (record["id_marche"] != "") == (record["statut"] == "attribue"), (path.name, line)
                    assert (record["date_cloture"] == "") == (record["statut"] == "en_cours"), (path.name, line)
                else:
                    booleans = ("groupement", "retenue", "demande_motifs_rejet")
                    bidder = record["soumissionnaire_siret"]
                    if re.fullmatch(r"\d{14}", bidder) and not luhn_valid(bidder):
                        invalid_bidders.append((path.name, record["acheteur_siret"], record["retenue"]))
                    else:
                        assert re.fullmatch(r"\d{14}", bidder) or is_eu_vat_number(bidder), bidder
                    assert not (record["retenue"] == "oui" and record["exclusion_motif"])
                for name in booleans:
                    assert record[name] in ("oui", "non"), (path.name, line, name)
    # The reliability defects planted in 2025 at VRA (spaser_demo/fiabilisation.py): two attribué
    # lots lost their id_marche, two non-retained bidders' SIRETs have a wrong check digit.
    assert [name for name, *_ in lots_without_id] == ["consultations_2025.csv"] * 2
    assert invalid_bidders == [("offres_2025.csv", "20006878100018", "non")] * 2
    # French text really is in Windows-1252, not in its ASCII subset only.
    assert "é".encode("cp1252") in (root / "marches/consultations/consultations_2022.csv").read_bytes()


def test_lots_bids_and_contracts_are_linked(inbox):
    root, _summary = inbox
    contracts = {(record["acheteur"]["id"], record["id"]): record for _n, _i, record in _decp_records(root)}
    lots = {}
    for path in sorted((root / "marches/consultations").glob("*.csv")):
        header, rows = _french_csv(path)
        for row in rows:
            record = dict(zip(header, row, strict=False))
            lots[(record["acheteur_siret"], record["id_consultation"], record["lot"])] = record
    winners = {}
    for path in sorted((root / "marches/offres").glob("*.csv")):
        header, rows = _french_csv(path)
        for row in rows:
            record = dict(zip(header, row, strict=False))
            assert (record["acheteur_siret"], record["id_consultation"], record["lot"]) in lots
            if record["retenue"] == "oui":
                winners[(record["acheteur_siret"], record["id_consultation"], record["lot"])] = record[
                    "soumissionnaire_siret"
                ]
    linked = 0
    unknown_ids = [
        key
        for key, lot in lots.items()
        if lot["id_marche"] and (lot["acheteur_siret"], lot["id_marche"]) not in contracts
    ]
    # Two VRA lots of 2025 name their contract with a typo (spaser_demo/fiabilisation.py).
    assert [(siret, lots[(siret, *rest)]["id_marche"][-2:]) for siret, *rest in unknown_ids] == [
        ("20006878100018", "-B")
    ] * 2
    for key, lot in lots.items():
        if lot["id_marche"] and key not in unknown_ids:
            contract = contracts[(lot["acheteur_siret"], lot["id_marche"])]
            if key in winners:
                linked += 1
                assert contract["titulaires"][0]["titulaire"]["id"] == winners[key], key
    assert linked > 1500
    statuts = {lot["statut"] for lot in lots.values()}
    assert statuts == {"attribue", "infructueux", "sans_suite", "en_cours"}


def test_sirene_extracts_locate_every_company_but_a_few_unknown_ones(inbox):
    root, _summary = inbox
    with (root / "referentiels/sirene_etablissements/StockEtablissement_extrait.csv").open(encoding="utf-8") as handle:
        establishments = {row["siret"]: row for row in csv.DictReader(handle)}
    with (root / "referentiels/sirene_unites_legales/StockUniteLegale_extrait.csv").open(encoding="utf-8") as handle:
        legal_units = {row["siren"]: row for row in csv.DictReader(handle)}
    for siret, row in establishments.items():
        assert luhn_valid(siret) and siret[:9] == row["siren"] and row["siren"] in legal_units
        assert row["etablissementSiege"] in ("true", "false") and row["etatAdministratifEtablissement"] in "AF"
    for row in legal_units.values():
        assert row["categorieEntreprise"] in ("PME", "ETI", "GE", "")
        assert row["economieSocialeSolidaireUniteLegale"] in ("O", "N")
        assert re.fullmatch(r"NN|\d{2}", row["trancheEffectifsUniteLegale"])
    bidders = set()
    for path in sorted((root / "marches/offres").glob("*.csv")):
        header, rows = _french_csv(path)
        bidders |= {row[header.index("soumissionnaire_siret")] for row in rows}
    holders = {t["titulaire"]["id"] for _n, _i, record in _decp_records(root) for t in record["titulaires"]}
    sirets = {identifier for identifier in bidders | holders if identifier.isdigit()}
    unknown = sirets - set(establishments)
    assert 0 < len(unknown) <= 20
    assert any(not identifier.isdigit() for identifier in bidders)


@needs_reference(SPEC_DIR / "sources.md")
@pytest.mark.parametrize("source", ["marches/consultations", "marches/offres", "finance/mandats"])
def test_extractors_declare_the_columns_of_sources_md(source):
    assert _declared_columns(source) == _sources_columns(source)


@needs_reference(REFERENCE_DIR / "geo/vra_communes_epci_2026.csv", REFERENCE_DIR / "geo/cog_2026_communes.csv")
def test_embedded_communes_are_real_and_in_the_territory_they_stand_for():
    with (REFERENCE_DIR / "geo/vra_communes_epci_2026.csv").open(encoding="utf-8") as handle:
        agglo = {row["insee_com"] for row in csv.DictReader(handle)}
    with (REFERENCE_DIR / "geo/cog_2026_communes.csv").open(encoding="utf-8") as handle:
        cog = list(csv.DictReader(handle))
    regions = {row["COM"]: row["REG"] for row in cog if row["TYPECOM"] in ("COM", "ARM")}
    names = {row["COM"]: row["LIBELLE"] for row in cog if row["TYPECOM"] in ("COM", "ARM")}
    duplicated = {row["COM"] for row in cog if row["TYPECOM"] not in ("COM", "ARM")}

    def territory(code: str) -> str:
        if code in agglo:
            return "agglo"
        if code.startswith("26"):
            return "departement"
        return "region" if regions[code] == "84" else "france"

    for expected, communes in COMMUNES_BY_TERRITORY.items():
        for code, name, _weight in communes:
            assert names[code] == name and code not in duplicated, code
            assert territory(code) == expected, code


def test_finance_deliveries_follow_sources_md(inbox):
    root, _summary = inbox
    mandats = sorted((root / "finance/mandats").glob("*.csv"))
    assert [path.name for path in mandats] == [f"mandats_{year}.csv" for year in (2022, 2023, 2024, 2025)]
    signed_decimal = re.compile(r"^-?\d+,\d{2}$")
    cancellations = 0
    for path in mandats:
        header, rows = _french_csv(path)
        assert header == _declared_columns("finance/mandats")
        for row in rows:
            record = dict(zip(header, row, strict=False))
            assert FRENCH_DATE.match(record["date_mandat"]) and record["date_mandat"].endswith(record["exercice"])
            assert signed_decimal.match(record["montant_ht"]), record
            tiers = record["tiers_siret"]
            assert (
                tiers == "" or is_eu_vat_number(tiers) or (tiers.isdigit() and len(tiers) == 14 and luhn_valid(tiers))
            )
            cancellations += record["montant_ht"].startswith("-")
    assert cancellations > 0
    header, rows = _french_csv(root / "registre/fournisseurs/registre_fournisseurs.csv")
    assert header == ["siret", "nom", "structure_inclusive", "date_signature_charte", "circuit_court"]
    assert {row[2] for row in rows} <= {"", "EI", "AI", "ACI", "ETTI", "EITI", "GEIQ", "EA", "EATT", "ESAT"}
    assert sum(row[3] != "" for row in rows) == 105  # charter signatories at the end of 2025

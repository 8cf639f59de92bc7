"""DECP 2024 extractor: the official examples, real defects, old format, broken files."""
from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from extract.base import FileRejected
from extract.decp import WHOLE_RECORD, DecpSource
from tests.conftest import REFERENCE_DIR

DECP_DIR = REFERENCE_DIR / "decp"
OFFICIAL_MARCHES = DECP_DIR / "exemple_officiel_marches_avec_modifications.json"
OFFICIAL_CONCESSIONS = DECP_DIR / "exemple_officiel_marches_concessions.json"
DEFAUTS_2022 = DECP_DIR / "defauts_reels_decp_2022.json"
FORMAT_2019 = DECP_DIR / "ancien_format_decp_2019.json"

CONCESSION_FIELDS_IN_A_MARCHE = {
    "autoriteConcedante", "dateSignature", "dateDebutExecution", "valeurGlobale",
    "montantSubventionPublique", "donneesExecution", "concessionnaires",
}
UNWRAPPED_MODIFICATION_TITULAIRES = {
    "modifications[0].modification.titulaires[0].titulaire",
    "modifications[0].modification.titulaires[1].titulaire",
}
# Record number -> the fields of its violations (the defects injected in the community test file).
EXPECTED_DEFAUTS_2022 = {
    1: {"dureeMois", "offresRecues", "_type"},
    2: {"_type"} | CONCESSION_FIELDS_IN_A_MARCHE | UNWRAPPED_MODIFICATION_TITULAIRES,
    3: {"marcheInnovant", "actesSousTraitance[0].acteSousTraitance.variationPrix", "_type"}
    | CONCESSION_FIELDS_IN_A_MARCHE,
    4: {"titulaires[0].titulaire", "_type"} | CONCESSION_FIELDS_IN_A_MARCHE | UNWRAPPED_MODIFICATION_TITULAIRES,
    5: {"offresRecues", "actesSousTraitance", "origineUE", "origineFrance", "marcheInnovant",
        "attributionAvance", "sousTraitanceDeclaree", "_type"},
}


def read(path: Path) -> list:
    return list(DecpSource().read(path))


def official_marche() -> dict:
    return copy.deepcopy(json.loads(OFFICIAL_MARCHES.read_text(encoding="utf-8"))["marches"]["marche"][0])


def write_decp(folder: Path, marches: list, concessions: list | None = None) -> Path:
    wrapper = {"marche": marches} | ({"contrat-concession": concessions} if concessions is not None else {})
    path = folder / "export.json"
    path.write_text(json.dumps({"marches": wrapper}, ensure_ascii=False), encoding="utf-8")
    return path


def fields(record) -> set[str]:
    return {violation.field for violation in record.violations}


def message_of(record, field: str) -> str:
    return " ".join(violation.message for violation in record.violations if violation.field == field)


def message_of_flag(record, field: str) -> str:
    return " ".join(flag.message for flag in record.flags if flag.field == field)


# ---------------------------------------------------------------- official examples

@pytest.mark.parametrize("path, expected_kinds", [
    (OFFICIAL_MARCHES, ["marche", "marche"]),
    # The file lists its concessions first: marchés are still numbered first.
    (OFFICIAL_CONCESSIONS, ["marche", "marche", "contrat-concession", "contrat-concession"]),
])
def test_official_examples_load_every_record_without_violation(path, expected_kinds):
    records = read(path)

    assert [record.violations for record in records] == [[]] * len(expected_kinds)
    assert [record.number for record in records] == list(range(1, len(expected_kinds) + 1))
    assert [record.values["type_contrat"] for record in records] == expected_kinds


def test_official_record_values_keep_the_record_as_delivered():
    document = json.loads(OFFICIAL_CONCESSIONS.read_text(encoding="utf-8"))
    records = read(OFFICIAL_CONCESSIONS)

    marche, concession = records[0], records[2]
    assert marche.key == "21750001630066|TEST2022"
    assert marche.values == {
        "type_contrat": "marche",
        "acheteur_id": "21750001630066",
        "id": "TEST2022",
        "date_publication_donnees": date(2024, 5, 25),
        "donnees": document["marches"]["marche"][0],
    }
    assert concession.key == "12345678901234|0612202306122024"
    assert concession.values["acheteur_id"] == "12345678901234"
    assert concession.values["date_publication_donnees"] == date(2024, 4, 12)
    assert concession.values["donnees"] == document["marches"]["contrat-concession"][0]
    assert json.loads(concession.raw_text) == document["marches"]["contrat-concession"][0]


def test_official_example_identifiers_that_are_not_sirets_are_flagged_not_rejected():
    first = read(OFFICIAL_MARCHES)[0]

    assert "« 868768687576575 »" in message_of_flag(first, "modifications[0].modification.titulaires[0].titulaire.id")
    assert "« 214356 »" in message_of_flag(first, "actesSousTraitance[0].acteSousTraitance.sousTraitant.id")
    assert message_of_flag(first, "titulaires[0].titulaire.id") == ""  # 55204599900869 is a valid SIRET
    assert first.values is not None


# ---------------------------------------------------------------- real defects (community test file)

def test_defauts_2022_every_record_is_quarantined_with_each_injected_defect():
    records = read(DEFAUTS_2022)

    assert {record.number: fields(record) for record in records} == EXPECTED_DEFAUTS_2022
    assert all(record.values is None and record.key for record in records)
    first, _, third, fourth, fifth = records
    assert "« NC »" in message_of(first, "dureeMois") and "nombre entier" in message_of(first, "dureeMois")
    assert "0" in message_of(first, "offresRecues") and "minimum" in message_of(first, "offresRecues")
    assert "« non »" in message_of(third, "marcheInnovant")
    variation = message_of(third, "actesSousTraitance[0].acteSousTraitance.variationPrix")
    assert "« ferme »" in variation and "« Ferme », « Actualisable », « Révisable »" in variation
    assert "obligatoire" in message_of(fourth, "titulaires[0].titulaire")
    assert "null" in message_of(fifth, "origineUE")
    # "concessionnaires": NaN is no JSON value at all (and PostgreSQL jsonb refuses it).
    assert "NaN" in message_of(third, "concessionnaires")


def test_defauts_2022_findings_the_official_schema_does_not_catch():
    """Documented, not quarantined by themselves: no official rule covers them."""
    first, second, third, _, _ = read(DEFAUTS_2022)

    # origineUE (0.3) < origineFrance (0.7): French products are EU products, yet the schema only
    # bounds each share to [0, 1].
    assert not {"origineUE", "origineFrance"} & fields(first)
    # montant 1.0e17: the schema sets a minimum (1) but no maximum.
    assert "montant" not in fields(second)
    # datePublicationDonnees 2003-11-24 before dateNotification 2024-02-08.
    assert "datePublicationDonnees" not in fields(third)


# ---------------------------------------------------------------- rules beyond the schema

@pytest.mark.parametrize("container, list_name, values", [
    ("considerationsSociales", "considerationSociale", ["Pas de considération sociale", "Clause sociale"]),
    ("considerationsEnvironnementales", "considerationEnvironnementale",
     ["Critère environnemental", "Pas de considération environnementale"]),
])
def test_pas_de_consideration_with_another_value_is_quarantined(tmp_path, container, list_name, values):
    contradictory = official_marche()
    contradictory[container] = {list_name: values}
    alone = official_marche() | {"id": "SEULE"}
    alone[container] = {list_name: [value for value in values if value.startswith("Pas de")]}

    quarantined, loaded = read(write_decp(tmp_path, [contradictory, alone]))

    assert fields(quarantined) == {f"{container}.{list_name}"}
    assert all(value in message_of(quarantined, f"{container}.{list_name}") for value in values)
    assert loaded.violations == [] and loaded.values["id"] == "SEULE"


@pytest.mark.parametrize("publication_date", ["2024-02-31", "2024-05-25T10:00:00", "le 2024-05-25"])
def test_a_date_must_be_a_real_calendar_date(tmp_path, publication_date):
    record = official_marche() | {"datePublicationDonnees": publication_date}

    (parsed,) = read(write_decp(tmp_path, [record]))

    assert fields(parsed) == {"datePublicationDonnees"}
    assert publication_date in message_of(parsed, "datePublicationDonnees")
    assert "AAAA-MM-JJ" in message_of(parsed, "datePublicationDonnees")


def test_nan_and_duplicate_keys_are_quarantined(tmp_path):
    text = json.dumps({"marches": {"marche": [official_marche(), official_marche()]}}, ensure_ascii=False)
    text = text.replace('"montant": 575000', '"montant": NaN', 1)
    text = text.replace('"objet": "envoi pour Json test 1"', '"objet": "A", "objet": "B"', 1)
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")

    first, second = read(path)

    assert fields(first) == {"montant", "objet"}
    assert "NaN" in message_of(first, "montant")
    assert "plusieurs fois" in message_of(first, "objet")
    assert second.violations == []


def test_la_poste_sirets_follow_their_own_rule(tmp_path):
    record = official_marche()
    # Digit sum divisible by 5, Luhn key wrong: valid only through La Poste's exception.
    record["titulaires"] = [{"titulaire": {"typeIdentifiant": "SIRET", "id": "35600000000001"}},
                            {"titulaire": {"typeIdentifiant": "SIRET", "id": "35600000000002"}},
                            {"titulaire": {"typeIdentifiant": "TVA", "id": "FR12345678901"}}]

    (parsed,) = read(write_decp(tmp_path, [record]))

    flagged = {flag.field for flag in parsed.flags if flag.field.startswith("titulaires")}
    assert flagged == {"titulaires[1].titulaire.id"}


# ---------------------------------------------------------------- records that cannot be read

def test_records_that_are_not_objects_or_of_unknown_kind_are_quarantined(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"marches": {
        "marche": ["pas un objet", official_marche()],
        "concession": [official_marche()],
    }}, ensure_ascii=False), encoding="utf-8")

    not_an_object, good, unknown_kind = read(path)

    assert fields(not_an_object) == {WHOLE_RECORD} and "pas un objet" in not_an_object.violations[0].message
    assert good.violations == [] and good.number == 2
    assert fields(unknown_kind) == {WHOLE_RECORD} and "marches.concession" in unknown_kind.violations[0].message


# ---------------------------------------------------------------- whole files rejected

def test_the_2019_format_is_recognised_and_rejected_with_what_to_do():
    with pytest.raises(FileRejected) as rejected:
        read(FORMAT_2019)

    message = str(rejected.value)
    assert "DECP 1.x" in message and "2019" in message
    assert "n'est plus accepté" in message and "Réexportez" in message and "v2.0.3" in message


def test_a_bare_list_of_1x_records_is_recognised_too(tmp_path):
    records = json.loads(FORMAT_2019.read_text(encoding="utf-8"))["marches"]
    path = tmp_path / "liste.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(FileRejected, match="DECP 1.x"):
        read(path)


def test_truncated_json_is_rejected_with_its_position(tmp_path):
    text = OFFICIAL_MARCHES.read_text(encoding="utf-8")
    path = tmp_path / "tronque.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")

    with pytest.raises(FileRejected) as rejected:
        read(path)

    message = str(rejected.value)
    assert message.startswith("tronque.json : JSON invalide ligne ") and "tronqué" in message


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_file_is_rejected(tmp_path, content):
    path = tmp_path / "vide.json"
    path.write_bytes(content)

    with pytest.raises(FileRejected, match="fichier vide"):
        read(path)


@pytest.mark.parametrize("content, expected", [
    ('{"marche": []}', "la clé « marches » est absente"),
    ('[1, 2]', "la clé « marches » est absente"),
    ('{"marches": {}}', "ni « marche » ni « contrat-concession »"),
    ('{"marches": "rien"}', "« marches » n'est pas un objet"),
    ('{"marches": {"marche": {"id": "1"}}}', "« marches.marche » doit être une liste"),
    ('{"marches": {"marche": [], "marche": []}}', "« marche » apparaît plusieurs fois"),
])
def test_a_json_that_is_not_the_2024_format_is_rejected(tmp_path, content, expected):
    path = tmp_path / "autre.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(FileRejected, match=expected):
        read(path)


def test_a_file_not_in_utf8_is_rejected(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"marches": {"marche": [{"objet": "Rénovation"}]}}'.encode("latin-1"))

    with pytest.raises(FileRejected, match="UTF-8"):
        read(path)


def test_an_empty_2024_file_has_no_record(tmp_path):
    assert read(write_decp(tmp_path, [], [])) == []


# ---------------------------------------------------------------- XML flavour

OFFICIAL_XML = DECP_DIR / "exemple_officiel_marche.xml"


def test_official_xml_example_loads_as_the_json_structure():
    records = read(OFFICIAL_XML)

    assert [record.violations for record in records] == [[], []]
    donnees = records[0].values["donnees"]
    assert donnees["marcheInnovant"] is True and donnees["montant"] == 575000 and donnees["origineUE"] == 0.1
    assert donnees["titulaires"] == [{"titulaire": {"id": "55204599900869", "typeIdentifiant": "SIRET"}}]
    assert donnees["considerationsSociales"] == {"considerationSociale": ["Clause sociale", "Critère social"]}
    assert donnees["actesSousTraitance"][0]["acteSousTraitance"]["dureeMois"] == 12
    assert records[0].values["date_publication_donnees"] == date(2024, 5, 25)
    assert "« 214356 »" in message_of_flag(records[0], "actesSousTraitance[0].acteSousTraitance.sousTraitant.id")


def test_xml_values_that_do_not_fit_their_type_are_reported_with_their_value(tmp_path):
    text = OFFICIAL_XML.read_text(encoding="utf-8")
    text = text.replace("<marcheInnovant>oui</marcheInnovant>", "<marcheInnovant>peut-être</marcheInnovant>", 1)
    text = text.replace("<dureeMois>48</dureeMois>", "<dureeMois>NC</dureeMois>", 1)
    path = tmp_path / "export.xml"
    path.write_text(text, encoding="utf-8")

    first, second = read(path)

    assert fields(first) == {"marcheInnovant", "dureeMois"}
    assert "« peut-être »" in message_of(first, "marcheInnovant")
    assert second.violations == []


@pytest.mark.parametrize("content, expected", [
    ("<marches><marche><id>1</id>", "XML invalide ligne 1"),
    ("<marchés><marche/></marchés>", "au lieu de « marches »"),
])
def test_broken_xml_files_are_rejected(tmp_path, content, expected):
    path = tmp_path / "export.xml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(FileRejected, match=expected):
        read(path)


# ---------------------------------------------------------------- through the loader, into PostgreSQL

def deliver(inbox: Path, *files: Path) -> None:
    folder = inbox / "marches" / "decp"
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        (folder / path.name).write_bytes(path.read_bytes())


def test_loading_decp_files_into_the_raw_layer(conn, tmp_path):
    from extract.loader import ensure_raw_schema, load_source

    ensure_raw_schema(conn)
    inbox = tmp_path / "inbox"
    deliver(inbox, OFFICIAL_MARCHES, DEFAUTS_2022, FORMAT_2019)

    report = load_source(conn, DecpSource(), inbox, "nuit-1").to_dict()

    statuses = {Path(fichier["fichier"]).name: fichier["statut"] for fichier in report["fichiers"]}
    assert statuses == {OFFICIAL_MARCHES.name: "charge", DEFAUTS_2022.name: "charge", FORMAT_2019.name: "rejete"}
    loaded = conn.execute(
        "select type_contrat, acheteur_id, id, date_publication_donnees, donnees ->> 'objet', _record_number"
        " from raw.marches_decp order by _record_number"
    ).fetchall()
    assert loaded == [
        ("marche", "21750001630066", "TEST2022", date(2024, 5, 25), "envoi pour Json test 1", 1),
        ("marche", "21750001630040", "TEST2022Bis", date(2024, 5, 25), "envoi pour Json test 2", 2),
    ]
    flagged = conn.execute(
        "select enregistrement, champ from raw.signalements where fichier like %s", (f"%{OFFICIAL_MARCHES.name}",)
    ).fetchall()
    assert (1, "modifications[0].modification.titulaires[0].titulaire.id") in flagged
    assert (2, "actesSousTraitance[0].acteSousTraitance.sousTraitant.id") in flagged
    quarantined = conn.execute(
        "select enregistrement, champ from raw.quarantaine where fichier like %s", (f"%{DEFAUTS_2022.name}",)
    ).fetchall()
    by_record: dict[int, set[str]] = {}
    for number, field in quarantined:
        by_record.setdefault(number, set()).add(field)
    assert by_record == EXPECTED_DEFAUTS_2022
    (rejection,) = conn.execute("select message from raw.fichiers where statut = 'rejete'").fetchone()
    assert "DECP 1.x" in rejection

    again = load_source(conn, DecpSource(), inbox, "nuit-2").to_dict()

    assert {fichier["statut"] for fichier in again["fichiers"]} == {"deja_charge", "deja_rejete"}
    assert conn.execute("select count(*) from raw.marches_decp").fetchone() == (2,)
    assert conn.execute("select count(*) from raw.quarantaine").fetchone() == (len(quarantined),)

"""DECP extractor: two tiers of validity, repairs, the format 2019, broken files; the project's
hand-written record always, the official examples and real buyers' files when at hand."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from spaser.ingest.base import FileRejected
from spaser.ingest.decp import WHOLE_RECORD, DecpSource
from spaser.ingest.decp_format import CONCESSION, FIELDS, LIST, MARCHE, OBJECT
from tests.conftest import REFERENCE_DIR, needs_reference

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "decp" / "marche_2024.json"
DECP_DIR = REFERENCE_DIR / "decp"
SCHEMA = DECP_DIR / "schema_decp_v2.0.3.json"
OFFICIAL_MARCHES = DECP_DIR / "exemple_officiel_marches_avec_modifications.json"
OFFICIAL_CONCESSIONS = DECP_DIR / "exemple_officiel_marches_concessions.json"
OFFICIAL_XML = DECP_DIR / "exemple_officiel_marche.xml"
DEFAUTS_2022 = DECP_DIR / "defauts_reels_decp_2022.json"
FORMAT_2019 = DECP_DIR / "ancien_format_decp_2019.json"
CROIX = DECP_DIR / "reels" / "marches-securises_ville-de-croix_2019-2021.json"
RAMA = DECP_DIR / "reels" / "rama2019_e-marchespublics.json"


def read(path: Path) -> list:
    return list(DecpSource().read(path))


def marche() -> dict:
    """The project's own hand-written DECP 2024 marché: every field right."""
    return copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))


def write_decp(folder: Path, marches: list, concessions: list | None = None) -> Path:
    wrapper = {"marche": marches} | ({"contrat-concession": concessions} if concessions is not None else {})
    path = folder / "export.json"
    path.write_text(json.dumps({"marches": wrapper}, ensure_ascii=False), encoding="utf-8")
    return path


def read_one(tmp_path: Path, record: dict):
    (parsed,) = read(write_decp(tmp_path, [record]))
    return parsed


def fields(record) -> set[str]:
    return {violation.field for violation in record.violations}


def flagged(record) -> set[str]:
    return {flag.field for flag in record.flags}


def message_of(record, field: str) -> str:
    return " ".join(violation.message for violation in record.violations if violation.field == field)


def message_of_flag(record, field: str) -> str:
    return " ".join(flag.message for flag in record.flags if flag.field == field)


# ---------------------------------------------------------------- the project's own record


def test_a_conforming_record_loads_as_delivered_without_finding(tmp_path):
    parsed = read_one(tmp_path, marche())

    assert parsed.violations == [] and parsed.flags == []
    assert parsed.key == "20006878100018|2024-VRA-017"
    assert parsed.values == {
        "type_contrat": "marche",
        "acheteur_id": "20006878100018",
        "id": "2024-VRA-017",
        "date_publication_donnees": date(2024, 3, 20),
        "donnees": marche(),
        "format_decp": "2024",
    }


def test_departures_no_indicator_reads_load_the_record_with_a_signalement_each(tmp_path):
    record = marche() | {
        "_type": "Marché",
        "uid": "2000687810001820240017",
        "source": "plateforme",
        "modifications": [],
        "sousTraitanceDeclaree": "oui",
        "offresRecues": "3",
    }
    record["actesSousTraitance"] = [
        {"acteSousTraitance": {"sousTraitant": {"id": "55204599900869", "typeIdentifiant": "SIRET"}}}
    ]
    record["lieuExecution"] = {"code ": "26", "typeCode": "CODE DEPARTEMENT"}
    record["ccag"] = "fournitures courantes et services"

    parsed = read_one(tmp_path, record)

    assert parsed.violations == []
    assert flagged(parsed) == {
        "_type",
        "uid",
        "source",
        "modifications",
        "sousTraitanceDeclaree",
        "offresRecues",
        "actesSousTraitance[0].acteSousTraitance.id",
        "actesSousTraitance[0].acteSousTraitance.dureeMois",
        "actesSousTraitance[0].acteSousTraitance.dateNotification",
        "actesSousTraitance[0].acteSousTraitance.montant",
        "actesSousTraitance[0].acteSousTraitance.variationPrix",
        "actesSousTraitance[0].acteSousTraitance.datePublicationDonnees",
        "lieuExecution.code",
        "lieuExecution.typeCode",
        "ccag",
    }
    assert "à retirer de l'export" in message_of_flag(parsed, "_type")
    assert "omettre le champ" in message_of_flag(parsed, "modifications")
    assert "« Code département »" in message_of_flag(parsed, "lieuExecution.typeCode")
    assert "à écrire true" in message_of_flag(parsed, "sousTraitanceDeclaree")
    donnees = parsed.values["donnees"]
    assert "_type" not in donnees and donnees["offresRecues"] == 3 and donnees["sousTraitanceDeclaree"] is True
    assert donnees["lieuExecution"] == {"code": "26", "typeCode": "Code département"}


def test_repairs_keep_the_value_and_say_what_to_write(tmp_path):
    record = marche() | {
        "dateNotification": "2024-03-12+01:00",
        "datePublicationDonnees": "2024-03-20Z",
        "codeCPV": "77310000",
    }
    record["acheteur"] = {"id": "200 068 781 00018"}
    record["titulaires"] = [
        {"titulaire": {"typeIdentifiant": "", "id": "410 872 748 00026"}},
        {"titulaire": {"typeIdentifiant": "tva", "id": "de123456789"}},
    ]

    parsed = read_one(tmp_path, record)

    assert parsed.violations == []
    donnees = parsed.values["donnees"]
    assert (donnees["dateNotification"], donnees["datePublicationDonnees"]) == ("2024-03-12", "2024-03-20")
    assert parsed.values["date_publication_donnees"] == date(2024, 3, 20)
    assert donnees["codeCPV"] == "77310000" and "codeCPV" not in flagged(parsed)  # check digit optional
    assert donnees["acheteur"]["id"] == parsed.values["acheteur_id"] == "20006878100018"
    assert donnees["titulaires"] == [
        {"titulaire": {"typeIdentifiant": "SIRET", "id": "41087274800026"}},
        {"titulaire": {"typeIdentifiant": "TVA", "id": "DE123456789"}},
    ]
    assert "fuseau horaire" in message_of_flag(parsed, "dateNotification")
    assert "« SIRET » retenu" in message_of_flag(parsed, "titulaires[0].titulaire.typeIdentifiant")
    assert flagged(parsed) == {
        "dateNotification",
        "datePublicationDonnees",
        "acheteur.id",
        "titulaires[0].titulaire.id",
        "titulaires[0].titulaire.typeIdentifiant",
        "titulaires[1].titulaire.id",
        "titulaires[1].titulaire.typeIdentifiant",
    }


@pytest.mark.parametrize("amount", [4_000_000_000, 0, -12.5, "NC"])
def test_an_implausible_amount_is_left_out_and_the_contract_still_counts(tmp_path, amount):
    parsed = read_one(tmp_path, marche() | {"montant": amount})

    assert parsed.violations == []
    assert "montant" not in parsed.values["donnees"]
    assert "e13" in message_of_flag(parsed, "montant")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": ""}, "id"),
        ({"dateNotification": "2024-02-31"}, "dateNotification"),
        ({"datePublicationDonnees": "le 2024-03-20"}, "datePublicationDonnees"),
        ({"datePublicationDonnees": "2024-03-20T10:00:00"}, "datePublicationDonnees"),
        ({"codeCPV": "7731"}, "codeCPV"),
        ({"acheteur": {"id": "VRA"}}, "acheteur.id"),
        ({"titulaires": []}, "titulaires"),
        ({"titulaires": [{"titulaire": "id"}]}, "titulaires[0].titulaire"),
        (
            {"considerationsEnvironnementales": {"considerationEnvironnementale": []}},
            "considerationsEnvironnementales.considerationEnvironnementale",
        ),
        ({"marcheInnovant": "peut-être"}, "marcheInnovant"),
        ({"procedure": "Gré à gré"}, "procedure"),
        (
            {"considerationsSociales": {"considerationSociale": ["Clause verte"]}},
            "considerationsSociales.considerationSociale[0]",
        ),
    ],
)
def test_a_field_an_indicator_uses_unusable_quarantines_the_record(tmp_path, change, field):
    record = marche() | change

    parsed = read_one(tmp_path, record)

    assert field in fields(parsed) and parsed.values is None


@pytest.mark.parametrize(
    "identifier, quarantined",
    [
        ("INCONNU", True),
        ("NEANT", True),
        ("GR123456789", True),
        ("99999999999", True),
        ("EL123456789", False),
        ("XI123456789", False),
        ("BE0123456789", False),
    ],
)
def test_only_a_member_state_prefix_makes_a_vat_number(tmp_path, identifier, quarantined):
    record = marche()
    record["titulaires"] = [{"titulaire": {"typeIdentifiant": "TVA", "id": identifier}}]

    parsed = read_one(tmp_path, record)

    assert (fields(parsed) == {"titulaires[0].titulaire.id"}) is quarantined
    assert (parsed.values is None) is quarantined


def test_a_superseded_unusable_titulaires_list_is_left_out_the_current_one_quarantines(tmp_path):
    garbage = [{"titulaire": "id"}]
    good = [{"titulaire": {"typeIdentifiant": "SIRET", "id": "55204599900869"}}]
    modification = {"dateNotificationModification": "2024-06-01", "datePublicationDonneesModification": "2024-06-02"}
    superseded = marche() | {
        "modifications": [
            {"modification": modification | {"id": 1, "titulaires": garbage}},
            {"modification": modification | {"id": 2, "titulaires": good}},
        ]
    }
    current = marche() | {
        "id": "COURANT",
        "modifications": [
            {"modification": modification | {"id": 2, "titulaires": good}},
            {"modification": modification | {"id": 3, "titulaires": garbage}},
        ],
    }

    loaded, quarantined = read(write_decp(tmp_path, [superseded, current]))

    assert loaded.violations == []
    assert [m["modification"].get("titulaires") for m in loaded.values["donnees"]["modifications"]] == [None, good]
    assert "modifications[1].modification.titulaires[0].titulaire" in fields(quarantined)


def test_an_empty_titulaires_list_in_a_modification_leaves_the_titulaires_as_they_were(tmp_path):
    record = marche() | {
        "modifications": [
            {
                "modification": {
                    "id": 1,
                    "montant": 190000,
                    "titulaires": [],
                    "dateNotificationModification": "2024-06-01",
                    "datePublicationDonneesModification": "2024-06-02",
                }
            }
        ]
    }

    parsed = read_one(tmp_path, record)

    assert parsed.violations == [] and flagged(parsed) == {"modifications[0].modification.titulaires"}
    assert "titulaires" not in parsed.values["donnees"]["modifications"][0]["modification"]


@pytest.mark.parametrize(
    "container, list_name, values",
    [
        ("considerationsSociales", "considerationSociale", ["Pas de considération sociale", "Clause sociale"]),
        (
            "considerationsEnvironnementales",
            "considerationEnvironnementale",
            ["Critère environnemental", "Pas de considération environnementale"],
        ),
    ],
)
def test_pas_de_consideration_with_another_value_is_quarantined(tmp_path, container, list_name, values):
    contradictory = marche()
    contradictory[container] = {list_name: values}
    alone = marche() | {"id": "SEULE"}
    alone[container] = {list_name: [value for value in values if value.startswith("Pas de")]}

    quarantined, loaded = read(write_decp(tmp_path, [contradictory, alone]))

    assert fields(quarantined) == {f"{container}.{list_name}"}
    assert all(value in message_of(quarantined, f"{container}.{list_name}") for value in values)
    assert loaded.violations == [] and loaded.values["id"] == "SEULE"


def test_nan_and_duplicate_keys_quarantine_an_indicator_field_only(tmp_path):
    text = json.dumps({"marches": {"marche": [marche(), marche()]}}, ensure_ascii=False)
    text = text.replace('"montant": 180000', '"montant": NaN', 1)
    text = text.replace('"objet": "Entretien', '"objet": "A", "objet": "Entretien', 1)
    text = text.replace('"codeCPV": "77310000-6"', '"codeCPV": "77310000-6", "codeCPV": "45000000"', 2)
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")

    first, second = read(path)

    assert fields(first) == {"codeCPV"} and "plusieurs fois" in message_of(first, "codeCPV")
    assert {"montant", "objet"} <= flagged(first) and "NaN" in message_of_flag(first, "montant")
    assert fields(second) == {"codeCPV"}


def test_la_poste_sirets_follow_their_own_rule(tmp_path):
    record = marche()
    # Digit sum divisible by 5, Luhn key wrong: valid only through La Poste's exception.
    record["titulaires"] = [
        {"titulaire": {"typeIdentifiant": "SIRET", "id": "35600000000001"}},
        {"titulaire": {"typeIdentifiant": "SIRET", "id": "35600000000002"}},
        {"titulaire": {"typeIdentifiant": "TVA", "id": "FR12345678901"}},
    ]

    parsed = read_one(tmp_path, record)

    assert {field for field in flagged(parsed) if field.startswith("titulaires")} == {"titulaires[1].titulaire.id"}
    assert parsed.values is not None


def test_records_that_are_not_objects_or_of_unknown_kind_are_quarantined(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            {
                "marches": {
                    "marche": ["pas un objet", marche()],
                    "concession": [marche()],
                }
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    not_an_object, good, unknown_kind = read(path)

    assert fields(not_an_object) == {WHOLE_RECORD} and "pas un objet" in not_an_object.violations[0].message
    assert good.violations == [] and good.number == 2
    assert fields(unknown_kind) == {WHOLE_RECORD} and "marches.concession" in unknown_kind.violations[0].message


# ---------------------------------------------------------------- format 2019


def as_2019(record: dict) -> dict:
    """The same contract as the arrêté du 22 mars 2019 published it (written by hand)."""
    return {
        "_type": "Marché",
        "uid": "200068781000182024-VRA-017",
        "id": record["id"],
        "acheteur": {"id": record["acheteur"]["id"], "nom": "Valence Romans Agglo"},
        "nature": "Accord-cadre",
        "objet": record["objet"],
        "codeCPV": record["codeCPV"],
        "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "26362", "typeCode": "Code commune", "nom": "Valence"},
        "dureeMois": record["dureeMois"],
        "dateNotification": record["dateNotification"],
        "datePublicationDonnees": record["datePublicationDonnees"],
        "montant": record["montant"],
        "formePrix": "Révisable",
        "titulaires": [{"typeIdentifiant": "SIRET", "id": "41087274800026", "denominationSociale": "VERT"}],
        "modifications": [
            {
                "objetModification": "Avenant 1",
                "dureeMois": 48,
                "montant": 200000,
                "titulaires": [{"typeIdentifiant": "SIRET", "id": "55204599900869"}],
                "dateNotificationModification": "2024-09-01",
                "datePublicationDonneesModification": "2024-09-05",
            }
        ],
    }


@pytest.mark.parametrize("wrapped", [True, False])
def test_the_2019_format_is_mapped_into_the_2024_structure(tmp_path, wrapped):
    record = as_2019(marche())
    path = tmp_path / "decp_2019.json"
    path.write_text(json.dumps({"marches": [record]} if wrapped else [record], ensure_ascii=False), encoding="utf-8")

    (parsed,) = read(path)

    assert parsed.violations == [] and parsed.flags == []
    assert parsed.values["format_decp"] == "2019" and parsed.values["type_contrat"] == "marche"
    assert parsed.values["donnees"] == {
        "id": "2024-VRA-017",
        "acheteur": {"id": "20006878100018"},
        "nature": "Marché",
        "techniques": {"technique": ["Accord-cadre"]},
        "objet": "Entretien des espaces verts des zones d'activités",
        "codeCPV": "77310000-6",
        "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "26362", "typeCode": "Code commune"},
        "dureeMois": 36,
        "dateNotification": "2024-03-12",
        "datePublicationDonnees": "2024-03-20",
        "montant": 180000,
        "typesPrix": {"typePrix": ["Définitif révisable"]},
        "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "41087274800026"}}],
        "modifications": [
            {
                "modification": {
                    "id": 1,
                    "dureeMois": 48,
                    "montant": 200000,
                    "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "55204599900869"}}],
                    "dateNotificationModification": "2024-09-01",
                    "datePublicationDonneesModification": "2024-09-05",
                }
            }
        ],
    }


def test_a_2019_record_of_unknown_type_is_quarantined(tmp_path):
    path = tmp_path / "decp_2019.json"
    path.write_text(json.dumps({"marches": [as_2019(marche()) | {"_type": "Bon de commande"}]}), encoding="utf-8")

    (parsed,) = read(path)

    assert fields(parsed) == {WHOLE_RECORD} and "« Bon de commande »" in parsed.violations[0].message


@needs_reference(FORMAT_2019)
def test_the_community_2019_file_loads_its_good_record():
    first, second = read(FORMAT_2019)

    assert first.violations == [] and first.values["acheteur_id"] == "21500222100012"  # from "acheteur.id"
    # titulaire "99999999999" declared TVA: no member-state prefix; the modification nests its list.
    assert fields(second) == {
        "titulaires[1].titulaire.id",
        "modifications[0].modification.titulaires",
        "modifications[0].modification.titulaires[0].titulaire",
    }


# ---------------------------------------------------------------- whole files rejected


def test_truncated_json_is_rejected_with_its_position(tmp_path):
    text = write_decp(tmp_path, [marche()]).read_text(encoding="utf-8")
    path = tmp_path / "tronque.json"
    path.write_text(text[: text.index('"objet"')], encoding="utf-8")

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


@pytest.mark.parametrize(
    "content, expected",
    [
        ('{"marche": []}', "la clé « marches » est absente"),
        ("[1, 2]", "ne contient pas que des enregistrements"),
        ('{"marches": {}}', "ni « marche » ni « contrat-concession »"),
        ('{"marches": "rien"}', "« marches » n'est ni un objet ni une liste"),
        ('{"marches": {"marche": {"id": "1"}}}', "« marches.marche » doit être une liste"),
        ('{"marches": {"marche": [], "marche": []}}', "« marche » apparaît plusieurs fois"),
    ],
)
def test_a_json_that_is_no_decp_format_is_rejected(tmp_path, content, expected):
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


@pytest.mark.parametrize(
    "content, expected",
    [
        ("<marches><marche><id>1</id>", "XML invalide ligne 1"),
        ("<marchés><marche/></marchés>", "au lieu de « marches »"),
    ],
)
def test_broken_xml_files_are_rejected(tmp_path, content, expected):
    path = tmp_path / "export.xml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(FileRejected, match=expected):
        read(path)


# ---------------------------------------------------------------- the declaration and the official schema


def _declared_enumerations(members, path=""):
    for name, champ in members.items():
        child = f"{path}.{name}" if path else name
        if champ.values:
            yield child, champ.values
        if champ.kind == OBJECT:
            yield from _declared_enumerations(champ.members, child)
        if champ.kind == LIST and champ.item is not None:
            if champ.item.values:
                yield child, champ.item.values
            yield from _declared_enumerations(champ.item.members, child)


@needs_reference(SCHEMA)
@pytest.mark.parametrize("kind", [MARCHE, CONCESSION])
def test_the_declaration_matches_the_official_schema(kind):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))

    def resolve(node):
        while "$ref" in node:
            target = schema
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    definition = schema["definitions"][kind]
    assert set(FIELDS[kind]) == set(definition["properties"])
    assert {name for name, champ in FIELDS[kind].items() if champ.required} == set(definition["required"])
    official_enums = {
        json.dumps(sorted(node["enum"]), ensure_ascii=False) for node in _walk(resolve, definition) if "enum" in node
    }
    for path, values in _declared_enumerations(FIELDS[kind]):
        assert json.dumps(sorted(values), ensure_ascii=False) in official_enums, path
    official_names = {name for node in _walk(resolve, definition) for name in node.get("properties", {})}
    assert set(_declared_names(FIELDS[kind])) <= official_names


def _declared_names(members):
    for name, champ in members.items():
        yield name
        if champ.wrapper:
            yield champ.wrapper
        yield from _declared_names(champ.members)
        if champ.item is not None:
            yield from _declared_names(champ.item.members)


def _walk(resolve, node, seen=None):
    seen = set() if seen is None else seen
    node = resolve(node)
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    for value in node.values():
        if isinstance(value, dict):
            yield from _walk(resolve, value, seen)


# ---------------------------------------------------------------- official examples and community file


@needs_reference(OFFICIAL_MARCHES, OFFICIAL_CONCESSIONS)
@pytest.mark.parametrize(
    "name, expected_kinds",
    [
        ("exemple_officiel_marches_avec_modifications.json", ["marche", "marche"]),
        # The file lists its concessions first: marchés are still numbered first.
        ("exemple_officiel_marches_concessions.json", ["marche", "marche", "contrat-concession", "contrat-concession"]),
    ],
)
def test_official_examples_load_every_record_without_violation(name, expected_kinds):
    records = read(DECP_DIR / name)

    assert [record.violations for record in records] == [[]] * len(expected_kinds)
    assert [record.number for record in records] == list(range(1, len(expected_kinds) + 1))
    assert [record.values["type_contrat"] for record in records] == expected_kinds
    # Official examples: only identifiers that are not SIRETs are flagged, nothing else departs.
    assert all(
        message.endswith("identifiant à vérifier.")
        for record in records
        for message in (flag.message for flag in record.flags)
    )


@needs_reference(OFFICIAL_CONCESSIONS)
def test_official_record_values_keep_the_record_as_delivered():
    document = json.loads(OFFICIAL_CONCESSIONS.read_text(encoding="utf-8"))
    marche_record, _, concession, _ = read(OFFICIAL_CONCESSIONS)

    assert marche_record.key == "21750001630066|TEST2022"
    assert marche_record.values["donnees"] == document["marches"]["marche"][0]
    assert concession.key == "12345678901234|0612202306122024"
    assert concession.values["date_publication_donnees"] == date(2024, 4, 12)
    assert concession.values["donnees"] == document["marches"]["contrat-concession"][0]
    assert json.loads(concession.raw_text) == document["marches"]["contrat-concession"][0]


@needs_reference(OFFICIAL_MARCHES)
def test_official_example_identifiers_that_are_not_sirets_are_flagged_not_rejected():
    first = read(OFFICIAL_MARCHES)[0]

    assert "« 868768687576575 »" in message_of_flag(first, "modifications[0].modification.titulaires[0].titulaire.id")
    assert "« 214356 »" in message_of_flag(first, "actesSousTraitance[0].acteSousTraitance.sousTraitant.id")
    assert message_of_flag(first, "titulaires[0].titulaire.id") == ""  # 55204599900869 is a valid SIRET
    assert first.values is not None


# Record number -> the fields of its violations, read off the community test file by hand:
# 1 a titulaire "99999999999" declared TVA (no member-state prefix); 4 its current titulaires (the
# only modification setting them) are two strings; 5 has no marcheInnovant. Records 2 and 3 load:
# their defects (1e17 amount, "_type", concession fields in a marché, "non" for false, "ferme",
# NaN, a superseded broken titulaires list) are no field an indicator cannot do without.
EXPECTED_DEFAUTS_2022 = {
    1: {"titulaires[1].titulaire.id"},
    4: {
        "modifications[0].modification.titulaires",
        "modifications[0].modification.titulaires[0].titulaire",
        "modifications[0].modification.titulaires[1].titulaire",
    },
    5: {"marcheInnovant"},
}


@needs_reference(DEFAUTS_2022)
def test_defauts_2022_quarantines_only_what_an_indicator_cannot_use():
    records = read(DEFAUTS_2022)

    assert {record.number: fields(record) for record in records if record.violations} == EXPECTED_DEFAUTS_2022
    _, second, third, _, _ = records
    assert "montant" not in second.values["donnees"] and "3 milliards" in message_of_flag(second, "montant")
    assert {"_type", "concessionnaires", "autoriteConcedante"} <= flagged(second)
    assert third.values["donnees"]["marcheInnovant"] is False
    assert third.values["donnees"]["actesSousTraitance"][0]["acteSousTraitance"]["variationPrix"] == "Ferme"
    assert "NaN" in message_of_flag(third, "concessionnaires")


@needs_reference(OFFICIAL_XML)
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


@needs_reference(OFFICIAL_XML)
def test_xml_values_that_do_not_fit_their_type_are_reported_with_their_value(tmp_path):
    text = OFFICIAL_XML.read_text(encoding="utf-8")
    text = text.replace("<marcheInnovant>oui</marcheInnovant>", "<marcheInnovant>peut-être</marcheInnovant>", 1)
    text = text.replace("<dureeMois>48</dureeMois>", "<dureeMois>NC</dureeMois>", 1)
    path = tmp_path / "export.xml"
    path.write_text(text, encoding="utf-8")

    first, second = read(path)

    assert fields(first) == {"marcheInnovant"} and "« peut-être »" in message_of(first, "marcheInnovant")
    assert "« NC »" in message_of_flag(first, "dureeMois")
    assert second.violations == []


# ---------------------------------------------------------------- through the loader, into PostgreSQL


def deliver(inbox: Path, *files: Path) -> None:
    folder = inbox / "marches" / "decp"
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        (folder / path.name).write_bytes(path.read_bytes())


# Counted by hand from the files (an independent jq/Python count of the delivered JSON, not this
# code): the only defects an indicator cannot do without are, in Croix's file, an empty `id` (33
# records: lots published without their number), an empty `codeCPV` (22) or no titulaire at all
# (3: records 3, 4 and 108, with no modification naming one) — 50 records with one or more;
# e-marchespublics has none. (Croix's modifications with "titulaires": [] leave the titulaires
# as they were: no defect.) Records per year of dateNotification, then distinct
# (acheteur, id) contracts (lots of one contract share its id; the later publication wins):
REELS_EXPECTED = {
    # file: (records, loaded, {year: (loaded records, contracts)})
    CROIX.name: (159, 109, {2019: (38, 30), 2020: (42, 41), 2021: (29, 27)}),
    RAMA.name: (470, 470, {2018: (164, 149), 2019: (306, 292)}),
}


@needs_reference(CROIX, RAMA)
def test_real_buyers_files_load_every_contract_an_indicator_can_use(conn, tmp_path):
    from spaser.db.migrations import migrate
    from spaser.ingest.loader import load_source

    migrate(conn)
    inbox = tmp_path / "inbox"
    deliver(inbox, CROIX, RAMA)

    report = load_source(conn, DecpSource(), inbox, "nuit-1").to_dict()

    by_file = {Path(fichier["fichier"]).name: fichier for fichier in report["fichiers"]}
    for name, (records, loaded, years) in REELS_EXPECTED.items():
        assert (by_file[name]["statut"], by_file[name]["nb_enregistrements"], by_file[name]["nb_charges"]) == (
            "charge",
            records,
            loaded,
        )
        counted = conn.execute(
            "select extract(year from (donnees ->> 'dateNotification')::date)::int, count(*),"
            " count(distinct (acheteur_id, id)) from raw.marches_decp where _source_file like %s"
            " and format_decp = '2019' group by 1 order by 1",
            (f"%{name}",),
        ).fetchall()
        assert {year: (n, contracts) for year, n, contracts in counted} == years
    quarantined_fields = dict(
        conn.execute("select champ, count(distinct enregistrement) from raw.quarantaine group by champ").fetchall()
    )
    assert quarantined_fields == {"id": 33, "codeCPV": 22, "titulaires": 3, "procedure": 2}
    assert by_file[CROIX.name]["nb_signalements"] > 0
    # Every Croix record has the key "nom " (trailing space); the loaded ones carry the signalement.
    assert conn.execute("select count(*) from raw.signalements where champ = 'lieuExecution.nom'").fetchone() == (109,)

    again = load_source(conn, DecpSource(), inbox, "nuit-2").to_dict()

    assert {fichier["statut"] for fichier in again["fichiers"]} == {"deja_charge"}
    assert conn.execute("select count(*) from raw.marches_decp").fetchone() == (109 + 470,)

"""DECP 2024 extractor: the market software's export of the "données essentielles de la commande
publique", format 2024 (arrêté du 22 décembre 2022), official JSON schema v2.0.3.

The file is ``{"marches": {"marche": [...], "contrat-concession": [...]}}``. Every record is
validated on its own against the official schema definition of its kind, so one bad record never
blocks the others; every violation of a bad record is listed with its JSON path inside the record.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Iterable, Iterator
from xml.etree import ElementTree

from jsonschema import Draft7Validator, ValidationError, validators

from extract.base import FileRejected, ParsedRecord, RecordSource, Violation
from extract.siret import is_valid_siret

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "schema_decp_v2.0.3.json"

MARCHE = "marche"
CONCESSION = "contrat-concession"
# Both lists are read in this order, whatever their order in the file: record numbers follow it.
CONTRACT_KINDS = (MARCHE, CONCESSION)
BUYER_FIELD = {MARCHE: "acheteur", CONCESSION: "autoriteConcedante"}

WHOLE_RECORD = "(enregistrement)"  # the `field` of a violation that concerns the whole record

# The schema writes every date as this unanchored pattern, so "le 2022-02-31 !" would pass it.
# Its descriptions say "au format AAAA-MM-JJ" and the warehouse casts these fields to dates:
# a date field must therefore hold exactly a real calendar date.
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
PATTERN_DESCRIPTIONS = {
    "^[0-9]{14}$": "un SIRET de 14 chiffres",
    "^[0-9]{8}(-[0-9])?$": "un code CPV de 8 chiffres, éventuellement suivi de « - » et d'un chiffre",
}
TYPE_DESCRIPTIONS = {
    "string": "une chaîne de caractères",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "un booléen (true ou false)",
    "object": "un objet",
    "array": "une liste",
    "null": "null",
}
JSON_ERROR_REASONS = {
    "Expecting value": "une valeur est attendue",
    "Expecting ',' delimiter": "une virgule est attendue",
    "Expecting ':' delimiter": "un deux-points est attendu",
    "Expecting property name enclosed in double quotes": "un nom de champ entre guillemets est attendu",
    "Unterminated string starting at": "chaîne de caractères non terminée",
    "Extra data": "données en trop après la fin du document JSON",
    "Invalid control character at": "caractère de contrôle interdit dans une chaîne",
    "Invalid \\escape": "séquence d'échappement invalide",
}
NO_CONSIDERATION = (
    ("considerationsSociales", "considerationSociale", "Pas de considération sociale"),
    ("considerationsEnvironnementales", "considerationEnvironnementale", "Pas de considération environnementale"),
)
FORMAT_2024_HINT = (
    'attendu : {"marches": {"marche": [...], "contrat-concession": [...]}}, '
    "format DECP 2024, schéma v2.0.3"
)


class DecpSource(RecordSource):
    """DECP 2024 files of the market software (inbox ``marches/decp``), JSON or XML flavour.

    Records are numbered 1, 2, ... through the whole file, the ``marche`` list first, then the
    ``contrat-concession`` list (then any unexpected list): record N is "enregistrement N" in
    ``raw.quarantaine`` and ``_record_number`` in ``raw.marches_decp``, unique within a file.
    """

    source = "marches/decp"
    raw_table = "raw.marches_decp"
    columns = ("type_contrat", "acheteur_id", "id", "date_publication_donnees", "donnees")
    file_patterns = ("*.json", "*.xml")

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        document = _load(path)
        for number, (kind, record) in enumerate(_records_of(document, path.name), start=1):
            yield _parse_record(number, kind, record)


def _parse_record(number: int, kind: str, record: Any) -> ParsedRecord:
    """Validate one record of the list ``marches.<kind>``; ``kind`` may be an unexpected list name."""
    parsed = ParsedRecord(number=number, raw_text=json.dumps(record, ensure_ascii=False))
    if not isinstance(record, dict):
        parsed.violations.append(Violation(
            WHOLE_RECORD, f"L'enregistrement n'est pas un objet JSON (valeur reçue : {_show(record)})."))
        return parsed
    if kind not in CONTRACT_KINDS:
        parsed.violations.append(Violation(
            WHOLE_RECORD,
            f"Type de contrat indéterminé : l'enregistrement est dans la liste « marches.{kind} », "
            "alors que le format 2024 ne prévoit que « marches.marche » et « marches.contrat-concession ».",
        ))
        return parsed

    buyer = record.get(BUYER_FIELD[kind])
    buyer_id = buyer.get("id") if isinstance(buyer, dict) else None
    if isinstance(buyer_id, str) and isinstance(record.get("id"), str):
        parsed.key = f"{buyer_id}|{record['id']}"

    parsed.violations.extend(_schema_violations(kind, record))
    parsed.violations.extend(_contradictory_considerations(record))
    parsed.violations.extend(_non_json_values(record, ""))
    parsed.flags.extend(_invalid_siret_flags(kind, record))
    if not parsed.violations:
        parsed.values = {
            "type_contrat": kind,
            "acheteur_id": buyer_id,
            "id": record["id"],
            "date_publication_donnees": date.fromisoformat(record["datePublicationDonnees"]),
            "donnees": record,
        }
    return parsed


# ---------------------------------------------------------------- reading the file

class _ObjectWithDuplicateKeys(dict):
    """A JSON object in which some keys appear more than once (Python keeps the last value)."""

    duplicate_keys: tuple[str, ...] = ()


def _object_noting_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    keys = [key for key, _ in pairs]
    with_duplicates = _ObjectWithDuplicateKeys(pairs)
    with_duplicates.duplicate_keys = tuple(sorted({key for key in keys if keys.count(key) > 1}))
    return with_duplicates


def _load(path: Path) -> Any:
    """The document as the JSON structure of the format 2024, whichever flavour the file is in."""
    content = path.read_bytes()
    if not content.strip():
        raise FileRejected(f"{path.name} : fichier vide, aucun marché à lire.")
    if path.suffix.lower() == ".xml":
        return _parse_xml(content, path.name)
    return _parse_json(content, path.name)


def _parse_json(content: bytes, name: str) -> Any:
    try:
        # utf-8-sig: exports written by Windows tools often start with a byte-order mark.
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(
            f"{name} : le fichier n'est pas encodé en UTF-8 (octet invalide à la position {error.start})."
        ) from error
    try:
        return json.loads(text, object_pairs_hook=_object_noting_duplicate_keys)
    except json.JSONDecodeError as error:
        reason = JSON_ERROR_REASONS.get(error.msg, error.msg)
        truncated = error.pos >= len(text.rstrip())
        cause = " : le fichier est tronqué (il s'arrête avant la fin du document JSON)" if truncated else ""
        raise FileRejected(
            f"{name} : JSON invalide ligne {error.lineno}, colonne {error.colno} "
            f"(caractère {error.pos}) : {reason}{cause}."
        ) from error


def _records_of(document: Any, name: str) -> Iterator[tuple[str, Any]]:
    """(kind, record) for every record of a DECP 2024 document, marchés first, then concessions."""
    if _is_format_1(document):
        raise FileRejected(
            f"{name} : ce fichier est au format DECP 1.x (arrêté du 22 mars 2019 : liste « marches » "
            "à plat, titulaires non encapsulés, clés « _type » / « uid »), qui n'est plus accepté "
            "depuis le format 2024 (arrêté du 22 décembre 2022). Réexportez les données depuis le "
            "logiciel de marchés au format DECP 2024, schéma v2.0.3 "
            '({"marches": {"marche": [...], "contrat-concession": [...]}}).'
        )
    if not isinstance(document, dict) or "marches" not in document:
        raise FileRejected(
            f"{name} : la clé « marches » est absente, ce n'est pas un fichier DECP ({FORMAT_2024_HINT})."
        )
    marches = document["marches"]
    if not isinstance(marches, dict):
        raise FileRejected(f"{name} : « marches » n'est pas un objet ({FORMAT_2024_HINT}).")
    duplicated = set(getattr(document, "duplicate_keys", ())) | set(getattr(marches, "duplicate_keys", ()))
    if duplicated:
        raise FileRejected(
            f"{name} : la clé {_french_list(sorted(duplicated))} apparaît plusieurs fois : une des listes "
            "d'enregistrements serait perdue."
        )
    if not any(kind in marches for kind in CONTRACT_KINDS):
        raise FileRejected(
            f"{name} : « marches » ne contient ni « marche » ni « contrat-concession » ({FORMAT_2024_HINT})."
        )
    for kind in CONTRACT_KINDS:
        records = marches.get(kind, [])
        if not isinstance(records, list):
            raise FileRejected(
                f"{name} : « marches.{kind} » doit être une liste d'enregistrements "
                f"(reçu : {_show(records)})."
            )
        yield from ((kind, record) for record in records)
    for unexpected_kind, records in marches.items():
        if unexpected_kind not in CONTRACT_KINDS:
            listed = records if isinstance(records, list) else [records]
            yield from ((unexpected_kind, record) for record in listed)


def _is_format_1(document: Any) -> bool:
    """DECP 1.x: a flat list under "marches" (or a bare list) of records keyed by "_type" / "uid"."""
    if isinstance(document, dict):
        return isinstance(document.get("marches"), list)
    return isinstance(document, list) and any(
        isinstance(record, dict) and ("_type" in record or "uid" in record) for record in document
    )


# ---------------------------------------------------------------- XML flavour

XML_BOOLEANS = {"oui": True, "true": True, "1": True, "non": False, "false": False, "0": False}


def _parse_xml(content: bytes, name: str) -> dict:
    """The XML flavour turned into the JSON structure, guided by the official JSON schema.

    XML carries no types: a value takes the type its field has in the schema when it can ("oui"
    -> true, "48" -> 48) and stays text otherwise, so that validation reports it with its value.
    """
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        line, column = error.position
        raise FileRejected(
            f"{name} : XML invalide ligne {line}, colonne {column + 1} (fichier tronqué ou mal formé)."
        ) from error
    if _local_name(root) != "marches":
        raise FileRejected(
            f"{name} : l'élément racine est « {_local_name(root)} » au lieu de « marches » : "
            "ce n'est pas un fichier DECP au format 2024 (schéma v2.0.3)."
        )
    return {"marches": _xml_value(root, _decp_schema()["properties"]["marches"])}


def _xml_value(element: ElementTree.Element, schema: dict) -> Any:
    schema = _resolve(schema)
    children = list(element)
    if schema.get("type") == "object" or "properties" in schema:
        return _xml_object(children, schema.get("properties", {}))
    if children:  # a structure where the schema expects a value: kept, so validation reports it
        return _xml_object(children, {})
    text = (element.text or "").strip()
    return _typed(text, schema.get("type"))


def _xml_object(children: list[ElementTree.Element], properties: dict) -> dict:
    pairs: list[tuple[str, Any]] = []
    repeated_lists: dict[str, list] = {}
    for child in children:
        name = _local_name(child)
        field_schema = _resolve(properties.get(name, {}))
        if field_schema.get("type") != "array":
            pairs.append((name, _xml_value(child, field_schema)))
            continue
        items = _resolve(field_schema.get("items", {}))
        if _is_wrapper_object(items):  # <titulaires><titulaire>...</titulaire>...</titulaires>
            pairs.append((name, [
                {_local_name(item): _xml_value(item, items["properties"].get(_local_name(item), {}))}
                for item in child
            ]))
        else:  # <considerationSociale>A</considerationSociale><considerationSociale>B</...>
            if name not in repeated_lists:
                repeated_lists[name] = []
                pairs.append((name, repeated_lists[name]))
            repeated_lists[name].append(_xml_value(child, items))
    return _object_noting_duplicate_keys(pairs)


def _is_wrapper_object(items: dict) -> bool:
    """The official wrapper objects hold one required property: {"titulaire": {...}}."""
    properties = items.get("properties", {})
    return len(properties) == 1 and list(properties) == items.get("required", [])


def _typed(text: str, json_type: str | None) -> Any:
    if json_type == "boolean":
        return XML_BOOLEANS.get(text.lower(), text)
    if json_type in ("integer", "number") and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if json_type == "number" and re.fullmatch(r"-?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?", text):
        return float(text)
    return text


def _resolve(schema: dict) -> dict:
    """Follow the local $ref of a schema node (draft-07: a $ref replaces its siblings)."""
    while "$ref" in schema:
        node: Any = _decp_schema()
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _local_name(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]  # without an XML namespace, if the export declares one


# ---------------------------------------------------------------- schema validation

def _required_at_the_missing_field(validator, required, instance, schema):
    # The stock keyword reports a missing field at its parent; the data team needs the field itself.
    if validator.is_type(instance, "object"):
        for name in required:
            if name not in instance:
                yield ValidationError(f"{name!r} is a required property", path=[name])


def _additional_properties_one_by_one(validator, allowed, instance, schema):
    # The stock keyword reports every unexpected field in a single error at the parent.
    if allowed is not False:
        yield from Draft7Validator.VALIDATORS["additionalProperties"](validator, allowed, instance, schema)
        return
    if validator.is_type(instance, "object"):
        declared = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for name in instance:
            if name not in declared and not any(re.search(pattern, name) for pattern in patterns):
                yield ValidationError(f"{name!r} was unexpected", path=[name])


def _pattern_with_real_dates(validator, pattern, instance, schema):
    if not validator.is_type(instance, "string"):
        return
    matches = _is_calendar_date(instance) if pattern == DATE_PATTERN else re.search(pattern, instance)
    if not matches:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _is_calendar_date(text: str) -> bool:
    if not re.fullmatch(DATE_PATTERN, text, flags=re.ASCII):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


DecpValidator = validators.extend(Draft7Validator, {
    "required": _required_at_the_missing_field,
    "additionalProperties": _additional_properties_one_by_one,
    "pattern": _pattern_with_real_dates,
})


@cache
def _decp_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator(kind: str) -> Draft7Validator:
    """The validator of one record kind; the full schema stays the root that resolves its $refs."""
    schema = _decp_schema()
    return DecpValidator(schema).evolve(schema=schema["definitions"][kind])


def _schema_violations(kind: str, record: dict) -> Iterator[Violation]:
    for error in _validator(kind).iter_errors(record):
        yield Violation(_json_path(error.absolute_path), _french_message(error))


def _french_message(error: ValidationError) -> str:
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else expected
        wanted = " ou ".join(TYPE_DESCRIPTIONS.get(name, name) for name in types)
        hint = " ; un champ sans valeur doit être omis" if value is None else ""
        return f"Valeur {_show(value)} invalide (attendu : {wanted}{hint})."
    if keyword == "enum":
        return f"Valeur {_show(value)} non autorisée (valeurs admises : {_french_list(expected)})."
    if keyword == "minimum":
        return f"Valeur {_show(value)} inférieure au minimum autorisé ({expected})."
    if keyword == "maximum":
        return f"Valeur {_show(value)} supérieure au maximum autorisé ({expected})."
    if keyword == "required":
        return "Champ obligatoire absent."
    if keyword == "additionalProperties":
        return f"Champ non prévu par le schéma DECP 2024 (valeur : {_show(value[error.path[-1]])}), à retirer de l'export."
    if keyword == "maxLength":
        return f"Texte de {len(value)} caractères, au-delà du maximum autorisé ({expected}) : {_show(value)}."
    if keyword == "minLength":
        return f"Valeur {_show(value)} trop courte (au moins {expected} caractère(s) attendu(s))."
    if keyword == "pattern" and expected == DATE_PATTERN:
        return f"Valeur {_show(value)} invalide (attendu : une date réelle au format AAAA-MM-JJ)."
    if keyword == "pattern":
        wanted = PATTERN_DESCRIPTIONS.get(expected, f"le motif {expected}")
        return f"Valeur {_show(value)} invalide (attendu : {wanted})."
    if keyword == "minItems":
        return f"Liste de {len(value)} élément(s) : au moins {expected} attendu(s)."
    if keyword == "uniqueItems":
        return f"La liste contient des éléments en double : {_show(value)}."
    return f"Valeur {_show(value)} non conforme au schéma DECP 2024 (règle « {keyword} » : {error.message})."


# ---------------------------------------------------------------- rules the schema does not catch

def _contradictory_considerations(record: dict) -> Iterator[Violation]:
    for container, list_name, none_value in NO_CONSIDERATION:
        holder = record.get(container)
        values = holder.get(list_name) if isinstance(holder, dict) else None
        if isinstance(values, list) and none_value in values:
            others = [value for value in values if value != none_value]
            if others:
                yield Violation(
                    f"{container}.{list_name}",
                    f"« {none_value} » est déclarée avec {_french_list(others)} : ces valeurs se "
                    f"contredisent ; indiquer soit « {none_value} » seule, soit les considérations présentes.",
                )


def _non_json_values(value: Any, path: str) -> Iterator[Violation]:
    """NaN / Infinity (not JSON, and refused by PostgreSQL jsonb) and keys given twice."""
    if isinstance(value, float) and not math.isfinite(value):
        yield Violation(path or WHOLE_RECORD,
                        f"Valeur {_show(value)} invalide : ce n'est pas un nombre JSON (omettre le champ s'il est sans valeur).")
    elif isinstance(value, dict):
        for key in getattr(value, "duplicate_keys", ()):
            yield Violation(_join(path, key),
                            "Champ présent plusieurs fois dans le même objet : seule la dernière valeur serait lue.")
        for key, child in value.items():
            yield from _non_json_values(child, _join(path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _non_json_values(child, f"{path}[{index}]")


def _invalid_siret_flags(kind: str, record: dict) -> Iterator[Violation]:
    """Identifiers declared as SIRET that fail the check: kept, but shown to the data team."""
    buyer = BUYER_FIELD[kind]
    if isinstance(record.get(buyer), dict):
        # The buyer's identifier is always a SIRET in the format 2024 (it has no typeIdentifiant).
        yield from _siret_flag(f"{buyer}.id", record[buyer].get("id"))
    for path, party in _identified_parties(kind, record):
        if party.get("typeIdentifiant") == "SIRET":
            yield from _siret_flag(f"{path}.id", party.get("id"))


def _siret_flag(path: str, identifier: Any) -> Iterator[Violation]:
    if isinstance(identifier, str) and not is_valid_siret(identifier):
        yield Violation(path, f"Identifiant {_show(identifier)} déclaré SIRET mais invalide (14 chiffres "
                              "et clé de Luhn attendus) : enregistrement chargé, identifiant à vérifier.")


def _identified_parties(kind: str, record: dict) -> Iterator[tuple[str, dict]]:
    """(path, party) for every titulaire, sous-traitant and concessionnaire of a record."""
    if kind == CONCESSION:
        yield from _wrapped(record, "concessionnaires", "concessionnaire")
        return
    yield from _wrapped(record, "titulaires", "titulaire")
    for path, act in _wrapped(record, "actesSousTraitance", "acteSousTraitance"):
        if isinstance(act.get("sousTraitant"), dict):
            yield f"{path}.sousTraitant", act["sousTraitant"]
    for path, modification in _wrapped(record, "modifications", "modification"):
        yield from ((f"{path}.{inner}", party) for inner, party in _wrapped(modification, "titulaires", "titulaire"))


def _wrapped(holder: dict, list_name: str, wrapper: str) -> Iterator[tuple[str, dict]]:
    """The objects of an official wrapped list: "titulaires": [{"titulaire": {...}}, ...]."""
    items = holder.get(list_name)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get(wrapper), dict):
                yield f"{list_name}[{index}].{wrapper}", item[wrapper]


# ---------------------------------------------------------------- text helpers

def _json_path(parts: Iterable[str | int]) -> str:
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, part)
    return path or WHOLE_RECORD


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any, limit: int = 120) -> str:
    if value == "":
        return "« » (texte vide)"
    text = f"« {value} »" if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _french_list(values: Iterable[Any]) -> str:
    return ", ".join(_show(value) for value in values)

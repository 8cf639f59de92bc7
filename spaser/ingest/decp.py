"""DECP extractor: the market software's export of the "données essentielles de la commande
publique", in the format 2024 (arrêté du 22 décembre 2022, national schema v2.0.3) or in the
format 2019 (arrêté du 22 mars 2019) of every contract notified before 2024.

Format 2024: ``{"marches": {"marche": [...], "contrat-concession": [...]}}``, JSON or XML.
Format 2019: a flat ``{"marches": [...]}`` list (or a bare list), each record telling its kind
in ``_type``, titulaires not wrapped; it is mapped into the structure of the format 2024, the
fields it did not have left out (NULL downstream).

Each record is checked on its own against the project's declaration (spaser/ingest/decp_format.py),
in two tiers: it is quarantined, with every reason listed, only when a field an indicator uses
is missing or unusable; any other departure is repaired or dropped and recorded as a
signalement on the loaded record, naming the fix the buyer should make in its export.
``donnees`` holds the record as conformed: the declared fields, repaired, in the 2024 structure.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from spaser.core.plausible import PLAUSIBLE_RANGE_TEXT, plausible
from spaser.ingest.base import FileRejected, ParsedRecord, RecordSource, Violation
from spaser.ingest.decp_format import (
    ABSENT_FROM_FORMAT_2019,
    BOOLEAN,
    BUYER_FIELD,
    CONCESSION,
    DEGRADABLE_FIELDS,
    FIELDS,
    FORMAT_2019,
    FORMAT_2024,
    INTEGER,
    LIST,
    MARCHE,
    MONTANT_PLAUSIBLE_MAX,
    NO_CONSIDERATION,
    NUMBER,
    OBJECT,
    OPERATEUR,
    TEXT,
    Champ,
    indicator_family,
)
from spaser.ingest.siret import is_valid_siret
from spaser.ingest.tva import EU_VAT_DESCRIPTION, is_eu_vat_number

# Both lists are read in this order, whatever their order in the file: record numbers follow it.
CONTRACT_KINDS = (MARCHE, CONCESSION)

WHOLE_RECORD = "(enregistrement)"  # the `field` of a violation that concerns the whole record

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
FORMAT_HINT = (
    'attendu : {"marches": {"marche": [...], "contrat-concession": [...]}} (format DECP 2024) '
    'ou {"marches": [...]} (format 2019)'
)
DATE_WITH_ZONE = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:?\d{2})", re.ASCII)
NUMBER_TEXT = re.compile(r"-?[0-9]+([.,][0-9]+)?([eE][-+]?[0-9]+)?", re.ASCII)
CPV = re.compile(r"[0-9]{8}(-[0-9])?", re.ASCII)
TEXT_BOOLEANS = {
    "oui": True,
    "true": True,
    "1": True,
    "vrai": True,
    "non": False,
    "false": False,
    "0": False,
    "faux": False,
}
# Keys of the format 2019 (and of the consolidations that published it) with no place in the
# 2024 structure: left out without a signalement, they were right in their format.
KEYS_OF_FORMAT_2019 = frozenset(
    {"_type", "uid", "source", "nom", "denominationSociale", "objetModification", "formePrix", "acheteur.id"}
)
# arrêté du 22 mars 2019 -> arrêté du 22 décembre 2022
PROCEDURES_2019 = {
    "procedure concurrentielle avec negociation": "Procédure avec négociation",
    "procedure negociee avec mise en concurrence prealable": "Procédure avec négociation",
    "marche negocie sans publicite ni mise en concurrence prealable": "Marché passé sans publicité ni mise en concurrence préalable",
}
TYPES_PRIX_2019 = {
    "ferme": "Définitif ferme",
    "ferme et actualisable": "Définitif actualisable",
    "revisable": "Définitif révisable",
}
KINDS_2019 = {"marche": MARCHE, "contrat de concession": CONCESSION, "concession": CONCESSION}


class DecpSource(RecordSource):
    """DECP files of the market software (inbox ``marches/decp``): format 2024 (JSON or XML) or 2019.

    Records are numbered 1, 2, ... through the whole file (format 2024: the ``marche`` list first,
    then ``contrat-concession``, then any unexpected list): record N is "enregistrement N" in
    ``raw.quarantaine`` / ``raw.signalements`` and ``_record_number`` in ``raw.marches_decp``.
    """

    raw_table = "raw.marches_decp"
    columns = ("type_contrat", "acheteur_id", "id", "date_publication_donnees", "donnees", "format_decp")
    file_patterns = ("*.json", "*.xml")

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        document = _load(path)
        for number, (kind, record, version) in enumerate(_records_of(document, path.name), start=1):
            yield _parse_record(number, kind, record, version)


@dataclass(frozen=True)
class _Finding:
    path: str  # JSON path in the delivered record, list indexes included
    message: str  # French, says what to fix
    unusable: bool  # the value could not be used (left out), as opposed to repaired or superfluous


def _parse_record(number: int, kind: str, record: Any, version: str = FORMAT_2024) -> ParsedRecord:
    """Check and conform one record; ``kind`` may be an unexpected list name (format 2024)."""
    parsed = ParsedRecord(number=number, raw_text=json.dumps(record, ensure_ascii=False, default=str))
    if not isinstance(record, dict):
        parsed.violations.append(
            Violation(WHOLE_RECORD, f"L'enregistrement n'est pas un objet JSON (valeur reçue : {_show(record)}).")
        )
        return parsed
    if kind not in CONTRACT_KINDS:
        where = (
            (
                f"est dans la liste « marches.{kind} », alors que le format 2024 ne prévoit que « marches.marche » "
                "et « marches.contrat-concession »"
            )
            if version == FORMAT_2024
            else (f"a un « _type » {_show(kind)} : « Marché » ou « Contrat de concession » attendu")
        )
        parsed.violations.append(Violation(WHOLE_RECORD, f"Type de contrat indéterminé : l'enregistrement {where}."))
        return parsed

    findings: list[_Finding] = []
    delivered = _from_format_2019(kind, record, findings) if version == FORMAT_2019 else record
    conformer = _Conformer(kind, version, findings)
    donnees = conformer.conform_object(delivered, FIELDS[kind], "")
    _check_considerations(donnees, findings)
    current_titulaires = _current_titulaires_modification(delivered)

    for finding in findings:
        target = _classify(kind, finding, current_titulaires)
        if target == "quarantaine":
            parsed.violations.append(Violation(finding.path, finding.message))
        else:
            parsed.flags.append(Violation(finding.path, finding.message))
            if target == "liste remplacée":
                _drop_modification_titulaires(delivered, donnees, finding.path)
    parsed.flags.extend(_invalid_siret_flags(kind, donnees))

    buyer = donnees.get(BUYER_FIELD[kind], {})
    if isinstance(buyer.get("id"), str) and isinstance(donnees.get("id"), str):
        parsed.key = f"{buyer['id']}|{donnees['id']}"
    if not parsed.violations:
        parsed.values = {
            "type_contrat": kind,
            "acheteur_id": buyer["id"],
            "id": donnees["id"],
            "date_publication_donnees": date.fromisoformat(donnees["datePublicationDonnees"]),
            "donnees": donnees,
            "format_decp": version,
        }
    return parsed


def _classify(kind: str, finding: _Finding, current_titulaires: int | None) -> str:
    """'quarantaine' or 'signalement' (or 'liste remplacée': a signalement whose modification
    titulaires list, superseded by a later one, is left out)."""
    if not finding.unusable:
        return "signalement"
    if indicator_family(kind, _field(finding.path)) is None:
        return "signalement"
    modification = re.match(r"modifications\[([0-9]+)\]", finding.path)
    if modification and int(modification.group(1)) != current_titulaires:
        return "liste remplacée"
    return "quarantaine"


def _current_titulaires_modification(delivered: dict) -> int | None:
    """Index, in the delivered list, of the modification whose titulaires are current: the highest
    id that sets them (staging's rule), the delivered order breaking ties."""
    setting = []
    modifications = delivered.get("modifications")
    for index, item in enumerate(modifications if isinstance(modifications, list) else []):
        modification = item.get("modification", item) if isinstance(item, dict) else None
        if isinstance(modification, dict) and modification.get("titulaires"):
            setting.append((_modification_id(modification.get("id")) or 0, index))
    return max(setting)[1] if setting else None


def _modification_id(identifier: Any) -> int | None:
    """A modification's id as a number, whether delivered as one or as text ("2")."""
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        return identifier
    if isinstance(identifier, str) and identifier.strip().isdigit():
        return int(identifier)
    return None


def _drop_modification_titulaires(delivered: dict, donnees: dict, path: str) -> None:
    """A superseded titulaires list with an unusable holder is left out whole, not half-read
    (the modification is found again by its id: a list may have lost an unusable item)."""
    index = int(re.match(r"modifications\[([0-9]+)\]", path).group(1))
    item = delivered["modifications"][index]
    identifier = _modification_id(item.get("modification", item).get("id"))
    for conformed in donnees.get("modifications", []):
        if _modification_id(conformed["modification"].get("id")) == identifier:
            conformed["modification"].pop("titulaires", None)


# ---------------------------------------------------------------- conforming a record

_MISSING = object()


class _Conformer:
    """Walks a record along the declaration: repairs what can be repaired, leaves out what cannot
    be used, and records a finding for each."""

    def __init__(self, kind: str, version: str, findings: list[_Finding]):
        self.kind, self.version, self.findings = kind, version, findings

    def note(self, path: str, message: str, unusable: bool = False) -> None:
        self.findings.append(_Finding(path or WHOLE_RECORD, message, unusable))

    def conform_object(self, value: dict, members, path: str) -> dict:
        conformed: dict[str, Any] = {}
        for key in getattr(value, "duplicate_keys", ()):
            self.note(
                _join(path, key),
                "Champ présent plusieurs fois dans le même objet : une seule valeur "
                "doit être donnée (la dernière a été lue).",
                unusable=True,
            )
        for delivered_key, child in value.items():
            key = delivered_key.strip()
            child_path = _join(path, key)
            if key != delivered_key:
                self.note(child_path, f"Nom de champ {_show(delivered_key)} entouré d'espaces : à écrire « {key} ».")
            champ = members.get(key)
            if champ is None:
                if not (self.version == FORMAT_2019 and key in KEYS_OF_FORMAT_2019):
                    self.note(
                        child_path,
                        f"Champ non prévu par le format DECP 2024 (valeur : {_show(child)}) : "
                        "à retirer de l'export ; ignoré.",
                    )
                continue
            result = self.conform(child, champ, child_path)
            if result is not _MISSING:
                conformed[key] = result
        for key, champ in members.items():
            if champ.required and key not in value and key not in conformed and not self._absent_by_format(path, key):
                self.note(_join(path, key), "Champ obligatoire absent : à renseigner dans l'export.", unusable=True)
        return conformed

    def _absent_by_format(self, path: str, key: str) -> bool:
        """A record of the format 2019 is held to the fields an indicator uses, except those that
        format did not have (considérations, innovation: NULL downstream); the 2024 format's other
        obligations did not exist for it."""
        if self.version != FORMAT_2019:
            return False
        return (not path and key in ABSENT_FROM_FORMAT_2019) or indicator_family(
            self.kind, _field(_join(path, key))
        ) is None

    def conform(self, value: Any, champ: Champ, path: str) -> Any:
        if value is None:
            self.note(path, "Valeur null : un champ sans valeur doit être omis ; ignoré.", unusable=True)
            return _MISSING
        if isinstance(value, float) and not math.isfinite(value):
            self.note(
                path,
                f"Valeur {_show(value)} invalide : ce n'est pas un nombre JSON (omettre le champ "
                "s'il est sans valeur) ; ignorée.",
                unusable=True,
            )
            return _MISSING
        if champ.kind == OBJECT:
            if not isinstance(value, dict):
                return self.unusable(path, value, "un objet")
            if champ.members is OPERATEUR.members:
                return self.conform_operator(value, path)
            conformed = self.conform_object(value, champ.members, path)
            if path in ("acheteur", "autoriteConcedante"):
                self.conform_siret(conformed, path)
            return conformed
        if champ.kind == LIST:
            return self.conform_list(value, champ, path)
        if champ.kind == TEXT:
            return self.conform_text(value, champ, path)
        if champ.kind in (INTEGER, NUMBER):
            return self.conform_number(value, champ, path)
        if champ.kind == BOOLEAN:
            return self.conform_boolean(value, path)
        return self.conform_date(value, champ, path)

    def unusable(self, path: str, value: Any, expected: str) -> Any:
        consequence = DEGRADABLE_FIELDS.get(_field(path))
        tail = f" ; valeur ignorée pour l'indicateur de {consequence}" if consequence else " ; ignorée"
        self.note(path, f"Valeur {_show(value)} inutilisable (attendu : {expected}){tail}.", unusable=True)
        return _MISSING

    def conform_text(self, value: Any, champ: Champ, path: str) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = str(value)
            self.note(path, f"Nombre {_show(value)} là où un texte est attendu : à écrire entre guillemets.")
            value = text
        if not isinstance(value, str):
            return self.unusable(path, value, "un texte")
        if not value.strip():
            return self.unusable(path, value, "un texte non vide")
        if path == "codeCPV":
            return self.conform_cpv(value, path)
        if not champ.values or value in champ.values:
            return value
        folded = _fold(value)
        for allowed in champ.values:
            if _fold(allowed) == folded:
                self.note(path, f"Valeur {_show(value)} écrite autrement que dans le format : à écrire « {allowed} ».")
                return allowed
        return self.unusable(path, value, f"une des valeurs {_french_list(champ.values)}")

    def conform_cpv(self, value: str, path: str) -> Any:
        compact = re.sub(r"\s", "", value)
        if not CPV.fullmatch(compact):
            return self.unusable(
                path, value, "un code CPV de 8 chiffres, éventuellement suivi de « - » et d'un chiffre"
            )
        if compact != value:
            self.note(path, f"Code CPV {_show(value)} avec des espaces : à écrire « {compact} ».")
        return compact

    def conform_number(self, value: Any, champ: Champ, path: str) -> Any:
        expected = "un nombre entier" if champ.kind == INTEGER else "un nombre"
        number = value
        if isinstance(value, str):
            compact = re.sub(r"[\s\u00a0\u202f]", "", value)
            if not NUMBER_TEXT.fullmatch(compact):
                return self.unusable(path, value, expected)
            number = float(compact.replace(",", "."))
            number = int(number) if number.is_integer() else number
            self.note(path, f"Nombre écrit comme un texte ({_show(value)}) : à écrire {number} sans guillemets.")
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            return self.unusable(path, value, expected)
        if champ.kind == INTEGER:
            if not float(number).is_integer():
                return self.unusable(path, value, expected)
            number = int(number)
        if champ.maximum == MONTANT_PLAUSIBLE_MAX and not 0 < number <= MONTANT_PLAUSIBLE_MAX:
            return self.unusable(path, value, "un montant HT plausible, supérieur à 0 et d'au plus 3 milliards d'euros")
        if champ.minimum is not None and number < champ.minimum:
            return self.unusable(path, value, f"au moins {champ.minimum:g}")
        if champ.maximum is not None and number > champ.maximum:
            return self.unusable(path, value, f"au plus {champ.maximum:g}")
        return number

    def conform_boolean(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)) and str(value).strip().lower() in TEXT_BOOLEANS:
            boolean = TEXT_BOOLEANS[str(value).strip().lower()]
            self.note(path, f"Booléen écrit {_show(value)} : à écrire {json.dumps(boolean)} sans guillemets.")
            return boolean
        return self.unusable(path, value, "un booléen, true ou false")

    def conform_date(self, value: Any, champ: Champ, path: str) -> Any:
        day = None
        if isinstance(value, str):
            if _is_calendar_date(value):
                day = value
            elif (zoned := DATE_WITH_ZONE.fullmatch(value.strip())) and _is_calendar_date(zoned.group(1)):
                self.note(
                    path,
                    f"Date {_show(value)} avec un fuseau horaire : à écrire « {zoned.group(1)} » "
                    "(AAAA-MM-JJ) ; la date est gardée.",
                )
                day = zoned.group(1)
        if day is None:
            return self.unusable(path, value, "une date réelle au format AAAA-MM-JJ")
        if champ.plausible and plausible(date.fromisoformat(day)) is None:
            return self.unusable(path, value, f"une date {PLAUSIBLE_RANGE_TEXT}")
        return day

    def conform_list(self, value: Any, champ: Champ, path: str) -> Any:
        if not isinstance(value, list):
            return self.unusable(path, value, "une liste")
        if not value and champ.min_items:
            if champ.required:
                self.note(path, "Liste vide : au moins un élément attendu.", unusable=True)
            elif self.version == FORMAT_2024:
                # An empty optional list says nothing: a modification's "titulaires": [] leaves
                # the titulaires as they were (the format 2019 wrote it so, rightly).
                self.note(path, "Liste vide : omettre le champ quand il n'y a rien à déclarer.")
            return _MISSING
        items = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if champ.wrapper:
                inner, item_path = self.unwrap(item, champ, item_path)
                if inner is _MISSING:
                    continue
                result = self.conform(inner, champ.item, item_path)
                if result is not _MISSING:
                    items.append({champ.wrapper: result})
            else:
                result = self.conform(item, champ.item, item_path)
                if result is not _MISSING:
                    items.append(result)
        if value and not items:
            self.note(path, "Aucun élément utilisable dans la liste.", unusable=True)
            return _MISSING
        return items

    def unwrap(self, item: Any, champ: Champ, item_path: str) -> tuple[Any, str]:
        wrapped_path = f"{item_path}.{champ.wrapper}"
        if isinstance(item, dict) and champ.wrapper in item:
            if len(item) > 1:
                self.note(item_path, f"Élément avec d'autres clés que « {champ.wrapper} » : à retirer ; ignorées.")
            return item[champ.wrapper], wrapped_path
        if isinstance(item, dict) and set(item) & set(champ.item.members):
            self.note(wrapped_path, f'Élément non encapsulé : à écrire {{"{champ.wrapper}": {{...}}}}.')
            return item, wrapped_path
        self.unusable(wrapped_path, item, f'un objet {{"{champ.wrapper}": {{...}}}}')
        return _MISSING, wrapped_path

    def conform_operator(self, value: dict, path: str) -> Any:
        """A titulaire, sous-traitant or concessionnaire: its identifier, and what kind it is."""
        party = dict(value)
        identifier = party.get("id")
        if isinstance(identifier, int) and not isinstance(identifier, bool):
            identifier = str(identifier)  # reported as a number written for a text below
        if isinstance(identifier, str):
            compact = re.sub(r"[\s\u00a0\u202f]", "", identifier)
            if is_eu_vat_number(compact.upper()):
                compact = compact.upper()
            if compact != identifier and compact:
                self.note(
                    _join(path, "id"),
                    f"Identifiant {_show(identifier)} avec des espaces ou en minuscules : à écrire « {compact} ».",
                )
                party["id"] = identifier = compact
            declared = party.get("typeIdentifiant")
            if declared in (None, ""):
                guessed = (
                    "SIRET"
                    if re.fullmatch("[0-9]{14}", identifier)
                    else ("TVA" if is_eu_vat_number(identifier) else None)
                )
                if guessed:
                    self.note(
                        _join(path, "typeIdentifiant"),
                        f"typeIdentifiant {'absent' if declared is None else 'vide'} : à renseigner ; "
                        f"« {guessed} » retenu d'après la forme de l'identifiant.",
                    )
                    party["typeIdentifiant"] = guessed
        conformed = self.conform_object(party, OPERATEUR.members, path)
        if (
            conformed.get("typeIdentifiant") == "TVA"
            and isinstance(conformed.get("id"), str)
            and not is_eu_vat_number(conformed["id"])
        ):
            self.unusable(_join(path, "id"), conformed.pop("id"), EU_VAT_DESCRIPTION)
        return conformed

    def conform_siret(self, buyer: dict, path: str) -> None:
        identifier = buyer.get("id")
        if not isinstance(identifier, str):
            return
        compact = re.sub(r"[\s\u00a0.]", "", identifier)
        if not re.fullmatch("[0-9]{14}", compact):
            del buyer["id"]
            self.unusable(_join(path, "id"), identifier, "un SIRET de 14 chiffres")
        elif compact != identifier:
            self.note(_join(path, "id"), f"SIRET {_show(identifier)} avec des espaces : à écrire « {compact} ».")
            buyer["id"] = compact


def _check_considerations(donnees: dict, findings: list[_Finding]) -> None:
    """« Pas de considération … » with another value: contradictory, which no schema rule catches."""
    for container, none_value in NO_CONSIDERATION.items():
        holder = donnees.get(container, {})
        list_name = next(iter(holder), None)
        values = holder.get(list_name, []) if list_name else []
        if none_value in values and len(values) > 1:
            others = [value for value in values if value != none_value]
            findings.append(
                _Finding(
                    f"{container}.{list_name}",
                    f"« {none_value} » est déclarée avec {_french_list(others)} : ces valeurs se contredisent ; "
                    f"indiquer soit « {none_value} » seule, soit les considérations présentes.",
                    unusable=True,
                )
            )


def _fold(text: str) -> str:
    """Case, accents, apostrophes and spacing set aside: how enumeration variants are recognised."""
    decomposed = unicodedata.normalize("NFKD", re.sub("['’]", " ", text).replace("œ", "oe"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def _is_calendar_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, flags=re.ASCII):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- format 2019


def _kind_of_2019(record: Any) -> str:
    if not isinstance(record, dict):
        return MARCHE  # reported as "not an object"
    declared = record.get("_type")
    if declared is None:
        return CONCESSION if "autoriteConcedante" in record else MARCHE
    return KINDS_2019.get(_fold(str(declared)), str(declared))


def _from_format_2019(kind: str, record: dict, findings: list[_Finding]) -> dict:
    """The record in the structure of the format 2024 (lists wrapped, values renamed)."""
    mapped = dict(record)
    if "acheteur" not in mapped and "acheteur.id" in mapped:
        findings.append(
            _Finding("acheteur.id", 'Clé « acheteur.id » à plat : à écrire {"acheteur": {"id": …}}.', unusable=False)
        )
        mapped["acheteur"] = {"id": mapped["acheteur.id"]}
    if kind == MARCHE:
        nature = _fold(str(mapped.get("nature", "")))
        if nature in ("accord-cadre", "marche subsequent"):
            # The format 2024 says it with techniques (accord-cadre) or idAccordCadre (subsequent).
            mapped["nature"] = "Marché"
            if nature == "accord-cadre":
                mapped["techniques"] = {"technique": ["Accord-cadre"]}
        if isinstance(mapped.get("procedure"), str):
            mapped["procedure"] = PROCEDURES_2019.get(_fold(mapped["procedure"]), mapped["procedure"])
        price = TYPES_PRIX_2019.get(_fold(str(mapped.pop("formePrix", ""))))
        if price:
            mapped["typesPrix"] = {"typePrix": [price]}
        mapped["titulaires"] = _wrap_2019(mapped.get("titulaires"), "titulaire")
    else:
        mapped["concessionnaires"] = _wrap_2019(mapped.get("concessionnaires"), "concessionnaire")
    if isinstance(mapped.get("modifications"), list):
        modifications = []
        for position, modification in enumerate(mapped["modifications"], start=1):
            if isinstance(modification, dict) and set(modification) == {"modification"}:
                modification = modification["modification"]  # already wrapped by its publisher
            if isinstance(modification, dict):
                # The 2019 modifications have no id: their order is their chronology.
                modification = {"id": position} | modification
                if "titulaires" in modification:
                    modification["titulaires"] = _wrap_2019(modification["titulaires"], "titulaire")
            modifications.append({"modification": modification})
        mapped["modifications"] = modifications
    return mapped


def _wrap_2019(parties: Any, wrapper: str) -> Any:
    """2019 lists hold the parties themselves; some consolidations nest them one list deeper."""
    if not isinstance(parties, list):
        return parties
    flat = [party for item in parties for party in (item if isinstance(item, list) else [item])]
    return [{wrapper: party} if isinstance(party, dict) else party for party in flat]


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
    """The document as a JSON structure, whichever flavour the file is in."""
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


def _records_of(document: Any, name: str) -> Iterator[tuple[str, Any, str]]:
    """(kind, record, format) for every record: format 2019 in file order; format 2024 marchés
    first, then concessions."""
    if isinstance(document, list) or (isinstance(document, dict) and isinstance(document.get("marches"), list)):
        records = document if isinstance(document, list) else document["marches"]
        if isinstance(document, list) and not all(isinstance(record, dict) for record in records):
            raise FileRejected(f"{name} : la liste ne contient pas que des enregistrements ({FORMAT_HINT}).")
        yield from ((_kind_of_2019(record), record, FORMAT_2019) for record in records)
        return
    if not isinstance(document, dict) or "marches" not in document:
        raise FileRejected(f"{name} : la clé « marches » est absente, ce n'est pas un fichier DECP ({FORMAT_HINT}).")
    marches = document["marches"]
    if not isinstance(marches, dict):
        raise FileRejected(f"{name} : « marches » n'est ni un objet ni une liste ({FORMAT_HINT}).")
    duplicated = set(getattr(document, "duplicate_keys", ())) | set(getattr(marches, "duplicate_keys", ()))
    if duplicated:
        raise FileRejected(
            f"{name} : la clé {_french_list(sorted(duplicated))} apparaît plusieurs fois : une des listes "
            "d'enregistrements serait perdue."
        )
    if not any(kind in marches for kind in CONTRACT_KINDS):
        raise FileRejected(f"{name} : « marches » ne contient ni « marche » ni « contrat-concession » ({FORMAT_HINT}).")
    for kind in CONTRACT_KINDS:
        records = marches.get(kind, [])
        if not isinstance(records, list):
            raise FileRejected(
                f"{name} : « marches.{kind} » doit être une liste d'enregistrements (reçu : {_show(records)})."
            )
        yield from ((kind, record, FORMAT_2024) for record in records)
    for unexpected_kind, records in marches.items():
        if unexpected_kind not in CONTRACT_KINDS:
            listed = records if isinstance(records, list) else [records]
            yield from ((unexpected_kind, record, FORMAT_2024) for record in listed)


# ---------------------------------------------------------------- XML flavour (format 2024)

XML_BOOLEANS = {"oui": True, "true": True, "1": True, "non": False, "false": False, "0": False}
XML_ROOT = Champ(
    OBJECT, members={kind: Champ(LIST, item=Champ(OBJECT, members=FIELDS[kind])) for kind in CONTRACT_KINDS}
)


def _parse_xml(content: bytes, name: str) -> dict:
    """The XML flavour turned into the JSON structure, guided by the declaration.

    XML carries no types: a value takes the type its field is declared with when it can ("oui"
    -> true, "48" -> 48) and stays text otherwise, so that the checks report it with its value.
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
    return {"marches": _xml_value(root, XML_ROOT)}


def _xml_value(element: ElementTree.Element, champ: Champ | None) -> Any:
    children = list(element)
    if (champ is not None and champ.kind == OBJECT) or children:
        # a structure where a value is declared is kept as such, so that the checks report it
        return _xml_object(children, champ.members if champ is not None else {})
    text = (element.text or "").strip()
    return _typed(text, champ.kind if champ is not None else None)


def _xml_object(children: list[ElementTree.Element], members) -> dict:
    pairs: list[tuple[str, Any]] = []
    repeated_lists: dict[str, list] = {}
    for child in children:
        name = _local_name(child)
        champ = members.get(name)
        if champ is None or champ.kind != LIST:
            pairs.append((name, _xml_value(child, champ)))
        elif champ.wrapper:  # <titulaires><titulaire>...</titulaire>...</titulaires>
            pairs.append((name, [{_local_name(item): _xml_value(item, champ.item)} for item in child]))
        else:  # <considerationSociale>A</considerationSociale><considerationSociale>B</...>
            if name not in repeated_lists:
                repeated_lists[name] = []
                pairs.append((name, repeated_lists[name]))
            repeated_lists[name].append(_xml_value(child, champ.item))
    return _object_noting_duplicate_keys(pairs)


def _typed(text: str, kind: str | None) -> Any:
    if kind == BOOLEAN:
        return XML_BOOLEANS.get(text.lower(), text)
    if kind in (INTEGER, NUMBER) and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if kind == NUMBER and re.fullmatch(r"-?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?", text):
        return float(text)
    return text


def _local_name(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]  # without an XML namespace, if the export declares one


# ---------------------------------------------------------------- identifiers


def _invalid_siret_flags(kind: str, donnees: dict) -> Iterator[Violation]:
    """Identifiers declared as SIRET that fail the check: kept, but shown to the data team."""
    buyer = BUYER_FIELD[kind]
    # The buyer's identifier is always a SIRET (it has no typeIdentifiant).
    yield from _siret_flag(f"{buyer}.id", donnees.get(buyer, {}).get("id"))
    for path, party in _identified_parties(kind, donnees):
        if party.get("typeIdentifiant") == "SIRET":
            yield from _siret_flag(f"{path}.id", party.get("id"))


def _siret_flag(path: str, identifier: Any) -> Iterator[Violation]:
    if isinstance(identifier, str) and not is_valid_siret(identifier):
        yield Violation(
            path,
            f"Identifiant {_show(identifier)} déclaré SIRET mais invalide (14 chiffres "
            "et clé de Luhn attendus) : enregistrement chargé, identifiant à vérifier.",
        )


def _identified_parties(kind: str, donnees: dict) -> Iterator[tuple[str, dict]]:
    """(path, party) for every titulaire, sous-traitant and concessionnaire of a conformed record."""
    if kind == CONCESSION:
        yield from _wrapped(donnees, "concessionnaires", "concessionnaire")
        return
    yield from _wrapped(donnees, "titulaires", "titulaire")
    for path, act in _wrapped(donnees, "actesSousTraitance", "acteSousTraitance"):
        if isinstance(act.get("sousTraitant"), dict):
            yield f"{path}.sousTraitant", act["sousTraitant"]
    for path, modification in _wrapped(donnees, "modifications", "modification"):
        yield from ((f"{path}.{inner}", party) for inner, party in _wrapped(modification, "titulaires", "titulaire"))


def _wrapped(holder: dict, list_name: str, wrapper: str) -> Iterator[tuple[str, dict]]:
    """The objects of a wrapped list: "titulaires": [{"titulaire": {...}}, ...]."""
    for index, item in enumerate(holder.get(list_name, [])):
        yield f"{list_name}[{index}].{wrapper}", item[wrapper]


# ---------------------------------------------------------------- text helpers


def _field(path: str) -> str:
    """The declared field at a JSON path: "titulaires[0].titulaire.id" -> "titulaires.titulaire.id"."""
    return re.sub(r"\[[0-9]+\]", "", path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any, limit: int = 120) -> str:
    if value == "":
        return "« » (texte vide)"
    text = f"« {value} »" if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _french_list(values: Iterable[Any]) -> str:
    return ", ".join(_show(value) for value in values)

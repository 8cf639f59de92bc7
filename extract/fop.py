"""``ged/fop``: the GED's fiches opération, the purchase-strategy questionnaire of a consultation.

A file is a JSON array of objects or JSON lines (one object per line). Each object is validated on
its own: ``acheteur_siret`` (14 digits), ``id_consultation`` and ``date_validation`` (ISO date) are
required; the questionnaire answers are booleans (or null: not answered); ``familles_agec`` is a
list of AGEC product categories. Keys the contract does not know are kept, whole, in ``autres``.
Business key (acheteur_siret, id_consultation): a later delivery replaces the fiche.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from extract.base import FileRejected, ParsedRecord, RecordSource, Violation
from extract.agec_declaration import PRODUCT_CATEGORIES
from extract.plausible import PLAUSIBLE_RANGE_TEXT, plausible

WHOLE_RECORD = "(enregistrement)"
QUESTIONS = (
    "sourcing_realise", "clause_insertion_etudiee", "clause_insertion_retenue", "egalite_fh_questionnee",
    "besoin_repense_egalite_fh", "clause_environnementale", "critere_environnemental", "cout_global",
    "critere_carbone", "label_exige", "exigence_sans_perturbateurs_endocriniens", "clause_reemploi_biosources",
)
KNOWN_KEYS = ("acheteur_siret", "id_consultation", "date_validation", "segment", *QUESTIONS, "familles_agec")


class FichesOperationSource(RecordSource):
    source = "ged/fop"
    raw_table = "raw.ged_fop"
    columns = ("acheteur_siret", "id_consultation", "date_validation", "segment", *QUESTIONS, "familles_agec",
               "autres")
    file_patterns = ("*.json", "*.jsonl", "*.ndjson")

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        for number, text, record in _records(path):
            yield _parse(number, text, record)


def _records(path: Path) -> Iterator[tuple[int, str, Any]]:
    """(number, text, object) per fiche: array index, or line number for JSON lines."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(f"{path.name} : le fichier n'est pas encodé en UTF-8 (octet {error.start}).") from error
    if not text.strip():
        raise FileRejected(f"{path.name} : fichier vide, aucune fiche opération.")
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise FileRejected(
                f"{path.name} : JSON invalide ligne {error.lineno}, colonne {error.colno} ({error.msg})."
            ) from error
        for number, record in enumerate(document, start=1):
            yield number, json.dumps(record, ensure_ascii=False), record
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            record = error
        yield number, line, record


def _parse(number: int, text: str, record: Any) -> ParsedRecord:
    parsed = ParsedRecord(number=number, raw_text=text)
    if isinstance(record, json.JSONDecodeError):
        parsed.violations.append(Violation(WHOLE_RECORD, f"ligne {number} : JSON invalide ({record.msg}, colonne {record.colno})"))
        return parsed
    if not isinstance(record, dict):
        parsed.violations.append(Violation(WHOLE_RECORD, "la fiche n'est pas un objet JSON"))
        return parsed
    siret, consultation = record.get("acheteur_siret"), record.get("id_consultation")
    if isinstance(siret, str) and isinstance(consultation, (str, int)):
        parsed.key = f"{siret}|{consultation}"
    problems = parsed.violations
    if not (isinstance(siret, str) and len(siret) == 14 and siret.isdigit()):
        problems.append(Violation("acheteur_siret", f"« {siret} » n'est pas un SIRET (14 chiffres)"))
    if not isinstance(consultation, (str, int)) or isinstance(consultation, bool) or str(consultation).strip() == "":
        problems.append(Violation("id_consultation", "identifiant de consultation manquant"))
    validated = record.get("date_validation")
    validation_date = None
    try:
        validation_date = date.fromisoformat(validated) if isinstance(validated, str) and len(validated) == 10 else None
    except ValueError:
        pass
    validation_date = plausible(validation_date)
    if validation_date is None:
        problems.append(Violation("date_validation",
                                  f"« {validated} » n'est pas une date ISO (AAAA-MM-JJ) {PLAUSIBLE_RANGE_TEXT}"))
    segment = record.get("segment")
    if segment is not None and not isinstance(segment, str):
        problems.append(Violation("segment", f"« {segment} » n'est pas un texte"))
    for question in QUESTIONS:
        answer = record.get(question)
        if answer is not None and not isinstance(answer, bool):
            problems.append(Violation(question, f"« {answer} » n'est pas un booléen (true, false ou null)"))
    families = record.get("familles_agec", [])
    if families is None:
        families = []
    if not isinstance(families, list):
        problems.append(Violation("familles_agec", "familles_agec doit être une liste de catégories AGEC"))
    else:
        for family in families:
            if family not in PRODUCT_CATEGORIES:
                problems.append(Violation(
                    "familles_agec", f"« {family} » n'est pas une catégorie AGEC (type_produit_acquis du schéma officiel)"))
    if not problems:
        parsed.values = {
            "acheteur_siret": siret,
            "id_consultation": str(consultation).strip(),
            "date_validation": validation_date,
            "segment": segment,
            **{question: record.get(question) for question in QUESTIONS},
            "familles_agec": families,
            "autres": {key: value for key, value in record.items() if key not in KNOWN_KEYS},
        }
    return parsed

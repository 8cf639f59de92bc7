"""A small validator of Frictionless Table Schemas, for the constraints the official schemas we
export use: field order and names, types ``string``, ``number``, ``integer``, ``year``, and the
constraints ``required``, ``pattern`` and ``enum``. Values are validated as CSV cells (text).
No dependency: the frictionless package is not installed and would be heavy for this."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
INTEGER = re.compile(r"^[+-]?[0-9]+$")
YEAR = re.compile(r"^[0-9]{4}$")
TYPE_PATTERNS = {"number": NUMBER, "integer": INTEGER, "year": YEAR}
SUPPORTED_TYPES = {"string", *TYPE_PATTERNS}
SUPPORTED_CONSTRAINTS = {"required", "pattern", "enum"}


@dataclass(frozen=True)
class SchemaError:
    row: int  # physical CSV line (header = 1)
    field: str
    message: str  # French

    def __str__(self) -> str:
        return f"ligne {self.row}, champ {self.field} : {self.message}"


def _check_supported(schema: dict) -> None:
    for field in schema["fields"]:
        if field.get("type", "string") not in SUPPORTED_TYPES:
            raise ValueError(f"type de champ non pris en charge : {field['type']} ({field['name']})")
        unsupported = set(field.get("constraints", {})) - SUPPORTED_CONSTRAINTS
        if unsupported:
            raise ValueError(f"contraintes non prises en charge : {sorted(unsupported)} ({field['name']})")


def validate_cell(field: dict, value: str) -> str | None:
    """Why ``value`` breaks the field's type or constraints, or None."""
    constraints = field.get("constraints", {})
    if value == "":
        return "valeur obligatoire manquante" if constraints.get("required") else None
    pattern = TYPE_PATTERNS.get(field.get("type", "string"))
    if pattern and not pattern.match(value):
        return f"« {value} » n'est pas du type {field['type']}"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
        return f"« {value} » ne respecte pas le motif {constraints['pattern']}"
    if "enum" in constraints and value not in constraints["enum"]:
        return f"« {value} » n'est pas une valeur autorisée"
    return None


def validate_csv(path: Path, schema: dict) -> list[SchemaError]:
    """Every violation of the CSV file against the Table Schema (empty list: valid)."""
    _check_supported(schema)
    fields = schema["fields"]
    expected = [field["name"] for field in fields]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if header != expected:
            return [SchemaError(1, "(en-tête)", f"en-tête {header} au lieu de {expected}")]
        errors = []
        for line, cells in enumerate(reader, start=2):
            if len(cells) != len(fields):
                errors.append(SchemaError(line, "(ligne)", f"{len(cells)} champ(s) au lieu de {len(fields)}"))
                continue
            errors.extend(
                SchemaError(line, field["name"], problem)
                for field, cell in zip(fields, cells, strict=False)
                if (problem := validate_cell(field, cell)) is not None
            )
    return errors

"""Shared helpers of the night tests that compare an export with hand-computed expected values."""

from __future__ import annotations

import csv
import math
from pathlib import Path

TOLERANCE = 1e-9

RowKey = tuple[str, str, int, str]  # indicateur_id, perimetre, annee, ventilation


def read_values(path: Path) -> dict[RowKey, float | None]:
    """indicateur_id, perimetre, annee, ventilation -> valeur (None when empty) of an export-shaped CSV."""
    values: dict[RowKey, float | None] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["indicateur_id"], row["perimetre"], int(row["annee"]), row["ventilation"])
            assert key not in values, f"ligne en double dans {path.name} : {key}"
            values[key] = float(row["valeur"]) if row["valeur"] != "" else None
    return values


def same_value(expected: float | None, actual: float | None) -> bool:
    if expected is None or actual is None:
        return expected is actual
    return math.isclose(expected, actual, rel_tol=0, abs_tol=TOLERANCE)


def show(value: float | None) -> str:
    return "NULL" if value is None else repr(value)


def differences(expected: dict[RowKey, float | None], exported: dict[RowKey, float | None]) -> list[str]:
    """Every gap between the expected rows and the exported rows of the same indicators, in French."""
    slice_ids = {key[0] for key in expected}
    actual = {key: value for key, value in exported.items() if key[0] in slice_ids}
    problems = []
    for key in sorted(expected.keys() - actual.keys()):
        problems.append(f"absente de l'export : {key} attendu {show(expected[key])}")
    for key in sorted(actual.keys() - expected.keys()):
        problems.append(f"en trop dans l'export : {key} = {show(actual[key])}")
    for key in sorted(expected.keys() & actual.keys()):
        if not same_value(expected[key], actual[key]):
            problems.append(f"valeur différente : {key} attendu {show(expected[key])}, obtenu {show(actual[key])}")
    return problems

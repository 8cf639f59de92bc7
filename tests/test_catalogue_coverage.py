"""Every indicator of the catalogue is computed every night: its id is emitted by a dbt model or
macro, and the publication gate requires it."""
from __future__ import annotations

import re
from pathlib import Path

from expectations.suites import EXPECTED_INDICATORS
from spaser.catalogue import load_catalogue

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def _catalogue_ids() -> list[str]:
    return [entry["id"] for entry in load_catalogue()["indicateurs"]]


def _modelled_ids() -> set[str]:
    text = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("models", "macros") for path in (DBT_DIR / folder).rglob("*.sql")
    )
    return set(re.findall(r"'([a-z0-9_]+)'", text))


def test_every_catalogue_indicator_has_a_model():
    modelled = _modelled_ids()
    assert [id_ for id_ in _catalogue_ids() if id_ not in modelled] == []


def test_the_gate_requires_every_catalogue_indicator():
    assert set(EXPECTED_INDICATORS) == set(_catalogue_ids())


def test_the_dbt_agec_categories_are_the_declared_ones():
    from extract.agec_declaration import PRODUCT_CATEGORIES

    macro = (DBT_DIR / "macros" / "ventilations.sql").read_text(encoding="utf-8")
    body = macro.split("macro agec_categories()")[1].split("endmacro")[0]
    assert tuple(re.findall(r'"([^"]+)"', body)) == PRODUCT_CATEGORIES

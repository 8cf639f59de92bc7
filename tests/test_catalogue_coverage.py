"""Every indicator of the catalogue is computed every night: the mart its entry names emits its id
(in its SQL or a macro it calls), fct_indicateurs unites exactly the indicator marts the catalogue
names, and the publication gate requires it (spaser.quality.suites, from the catalogue)."""

from __future__ import annotations

import re
from pathlib import Path

from spaser.core.catalogue import indicator_marts, load_catalogue

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def _model_sql(name: str) -> str:
    (path,) = (DBT_DIR / "models").rglob(f"{name}.sql")
    return path.read_text(encoding="utf-8")


def _macros() -> dict[str, str]:
    """Each macro of the project, by name, with its body."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in (DBT_DIR / "macros").rglob("*.sql"))
    return dict(re.findall(r"\{%-?\s*macro\s+(\w+)\(.*?%\}(.*?)\{%-?\s*endmacro", text, re.S))


def test_each_indicator_is_emitted_by_the_mart_its_entry_names():
    macros = _macros()
    for entry in load_catalogue()["indicateurs"]:
        sql = _model_sql(entry["mart"])
        called = "\n".join(macros.get(name, "") for name in re.findall(r"(\w+)\(", sql))
        assert f"'{entry['id']}'" in sql + called, (entry["id"], entry["mart"])


def test_fct_indicateurs_unites_every_indicator_mart_and_only_those():
    models = {path.stem for path in (DBT_DIR / "models" / "marts" / "indicateurs").glob("ind_*.sql")}
    assert sorted(indicator_marts()) == sorted(models)


def test_the_dbt_agec_categories_are_the_declared_ones():
    from spaser.core.agec_declaration import PRODUCT_CATEGORIES

    macro = (DBT_DIR / "macros" / "ventilations.sql").read_text(encoding="utf-8")
    body = macro.split("macro agec_categories()")[1].split("endmacro")[0]
    assert tuple(re.findall(r'"([^"]+)"', body)) == PRODUCT_CATEGORIES

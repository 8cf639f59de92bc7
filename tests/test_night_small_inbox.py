"""A whole night on a small hand-made inbox, checked against values computed by hand.

``tests/fixtures/inbox_small`` holds two buyers, two years and about fifteen contracts built to
exercise every rule of the marchés slice (deduplication, modifications, quarantine, categories,
territories, company sizes, empty denominators). ``attendus.csv`` lists every row the catalogue
rules require for the slice's indicators, computed by hand; ``CALCULS.md`` explains each value.
Nothing here re-implements the SQL: the expected values are data.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaser.cli import main
from tests.conftest import SMALL_INBOX as FIXTURE_DIR
from tests.conftest import SMALL_INBOX_SOURCE_FOLDERS as SOURCE_FOLDERS
from tests.indicator_values import RowKey, differences, read_values

EXPECTED_VALUES = FIXTURE_DIR / "attendus.csv"
# Shares the session's small-inbox night (tests/conftest.py) with the other module that reads it.
pytestmark = pytest.mark.xdist_group("small_inbox_night")


@dataclass
class SmallNight:
    run_status: int
    export_status: int
    exported: dict[RowKey, float | None]
    quarantine: list[tuple[str, str, int, str, str]]
    files: list[tuple[str, str, str, str | None]]


@pytest.fixture(scope="module")
def small_night(small_inbox_night, tmp_path_factory) -> SmallNight:
    export = tmp_path_factory.mktemp("small_inbox_export") / "indicateurs.csv"
    with small_inbox_night.environment() as url:
        export_status = main(["export", "indicateurs", "--format", "csv", "--output", str(export)])
        with psycopg.connect(url) as conn:
            quarantine = conn.execute(
                "select source, fichier, enregistrement, champ, message from raw.quarantaine"
            ).fetchall()
            files = conn.execute("select source, fichier, statut, message from raw.fichiers").fetchall()
    return SmallNight(small_inbox_night.run_status, export_status, read_values(export), quarantine, files)


def test_the_night_runs_and_exports(small_night):
    assert small_night.run_status == 0
    assert small_night.export_status == 0


def test_every_file_of_the_inbox_is_loaded(small_night):
    delivered = {
        (str(path.parent.relative_to(FIXTURE_DIR)), path.name)
        for folder in SOURCE_FOLDERS
        for path in (FIXTURE_DIR / folder).rglob("*")
        if path.is_file()
    }
    loaded = {(source, Path(fichier).name) for source, fichier, statut, _ in small_night.files if statut == "charge"}
    rejected = [(fichier, message) for _, fichier, statut, message in small_night.files if statut != "charge"]
    assert rejected == []
    assert loaded == delivered


def test_only_the_two_bad_decp_records_are_quarantined_with_their_reasons(small_night):
    violations: dict[tuple[str, str, int], list[tuple[str, str]]] = {}
    for source, fichier, enregistrement, champ, message in small_night.quarantine:
        violations.setdefault((source, Path(fichier).name, enregistrement), []).append((champ, message))
    schema_break = ("marches/decp", "2023-12-01_decp_export.json", 14)
    contradiction = ("marches/decp", "2023-12-15_decp_correctifs.json", 4)
    assert set(violations) == {schema_break, contradiction}

    [(champ, message)] = violations[schema_break]
    assert champ == "codeCPV" and "NC" in message

    [(champ, message)] = violations[contradiction]
    assert "considerationsSociales" in champ
    assert "Pas de considération sociale" in message and "Clause sociale" in message


def test_every_indicator_of_the_slice_matches_the_hand_computed_values(small_night):
    problems = differences(read_values(EXPECTED_VALUES), small_night.exported)
    assert not problems, (
        f"{len(problems)} écart(s) avec {EXPECTED_VALUES.name} (explications dans CALCULS.md) :\n"
        + "\n".join(problems)
    )

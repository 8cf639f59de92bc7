"""The dbt seeds: the catalogue's are derived from spaser/core/catalogue/indicateurs.yml, the
geographic ones are INSEE's facts.

The product reads only the seeds at run time. The catalogue seeds must equal what the catalogue
gives; the catalogue must equal the team's specification (../shared/spec) and the geographic seeds
INSEE's files (../shared/reference/geo) wherever those are present.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from spaser.core.catalogue import CATALOGUE_PATH, PROJECT_KEYS, SEED_NAMES, load_catalogue, seed_rows, specification
from tests.conftest import REFERENCE_DIR, SPEC_DIR, needs_reference

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return load_catalogue()


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_catalogue_seed_equals_indicateurs_yml(catalogue, seed):
    assert read_csv(SEEDS_DIR / f"{seed}.csv") == seed_rows(catalogue)[seed], (
        "seed différente du catalogue : lancez `python -m spaser.core.catalogue`"
    )


def test_a_catalogue_change_shows_in_the_derived_seeds(catalogue):
    changed = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    changed["indicateurs"][0]["libelle"] += " (modifié)"
    assert read_csv(SEEDS_DIR / "indicateurs.csv") != seed_rows(changed)["indicateurs"]


@needs_reference(SPEC_DIR / "indicateurs.yml")
def test_the_catalogue_is_the_specification_of_the_team():
    # Same data, not same bytes: the team's file may be re-indented without changing a fact. The
    # project's own keys (PROJECT_KEYS: sources' delivery rules; an indicator's perimetres, register
    # types, mart, years and drill-down) are left out explicitly; nothing else may differ.
    assert specification(load_catalogue()) == load_catalogue(SPEC_DIR / "indicateurs.yml"), (
        "spaser/core/catalogue/indicateurs.yml diffère de ../shared/spec/indicateurs.yml : reportez le changement"
        " puis lancez `python -m spaser.core.catalogue`"
    )


def test_the_specification_view_drops_only_the_project_keys(catalogue):
    spec_view = specification(catalogue)
    assert set(catalogue) - set(spec_view) == {"sources"} == set(PROJECT_KEYS["catalogue"])
    entries = dict(zip((entry["id"] for entry in catalogue["indicateurs"]), spec_view["indicateurs"], strict=False))
    k_nb_marches = catalogue["indicateurs"][0]
    assert set(k_nb_marches) - set(entries["k_nb_marches"]) == {"mart", "annees", "detail"}
    e01 = next(entry for entry in catalogue["indicateurs"] if entry["id"] == "e01_nb_instances")
    assert set(e01) - set(entries["e01_nb_instances"]) == {"mart", "annees", "perimetres", "registre"}
    assert set(PROJECT_KEYS["indicateur"]) == {"mart", "annees", "detail", "perimetres", "registre"}


def test_every_register_indicator_declares_the_record_types_its_definition_reads(catalogue):
    register = [entry for entry in catalogue["indicateurs"] if entry["sources"] == ["registre.activites"]]
    assert len(register) == 13
    for entry in register:
        assert entry["registre"]["types"], entry["id"]
        assert all(type_activite in entry["definition"] for type_activite in entry["registre"]["types"]), entry["id"]
    assert [entry["id"] for entry in register if entry["registre"].get("cumul")] == ["e01_nb_referentiels"]
    assert all("registre" not in entry for entry in catalogue["indicateurs"] if entry not in register)


def test_every_named_source_declares_how_it_delivers(catalogue):
    named = {source for entry in catalogue["indicateurs"] for source in entry["sources"]}
    assert named == set(catalogue["sources"])
    assert all(
        set(declaration) == {"acheteur", "datee", "retard_publication"} for declaration in catalogue["sources"].values()
    )


def test_indicators_whose_sources_name_no_buyer_apply_to_the_carrier_and_tous(catalogue):
    """The specification's Rows rule: an indicator whose sources name no buyer belongs to VRA and
    TOUS. The catalogue also restricts the central kitchen's (a service commun of the Agglo)."""
    sans_acheteur = {source for source, declaration in catalogue["sources"].items() if not declaration["acheteur"]}
    restricted = {entry["id"] for entry in catalogue["indicateurs"] if "perimetres" in entry}
    # e02's one source is the catalogue itself: it measures every perimetre.
    rule = {
        entry["id"]
        for entry in catalogue["indicateurs"]
        if set(entry["sources"]) <= sans_acheteur and entry["sources"] != ["catalogue"]
    }
    assert rule <= restricted
    assert restricted - rule == {
        f"e08_alim_{name}_pct"
        for name in ("bio", "siqo", "egalim", "viandes_poissons_egalim", "local", "circuit_court", "regional", "agglo")
    }
    assert all(entry["perimetres"] == ["VRA", "TOUS"] for entry in catalogue["indicateurs"] if "perimetres" in entry)
    assert len(restricted) == 24


def test_every_catalogue_indicator_is_in_the_seed(catalogue):
    seeded = {row["id"] for row in read_csv(SEEDS_DIR / "indicateurs.csv")}
    assert seeded == {indicateur["id"] for indicateur in catalogue["indicateurs"]}


def test_realisation_perimetres_are_sirens_or_tous():
    perimetres = {row["perimetre"] for row in read_csv(SEEDS_DIR / "indicateurs_realisation_2022.csv")}
    assert perimetres <= {"TOUS", "200068781", "212603625", "212602817"}
    assert "TOUS" in perimetres and "200068781" in perimetres


@needs_reference(REFERENCE_DIR / "geo" / "vra_communes_epci_2026.csv")
def test_communes_seed_equals_reference():
    reference = read_csv(REFERENCE_DIR / "geo" / "vra_communes_epci_2026.csv")
    assert len(reference) == 54
    assert read_csv(SEEDS_DIR / "communes_agglo.csv") == reference


@needs_reference(REFERENCE_DIR / "geo" / "cog_2026_departements.csv")
def test_departements_seed_equals_cog():
    reference = [
        {"dep": row["DEP"], "reg": row["REG"], "libelle": row["LIBELLE"]}
        for row in read_csv(REFERENCE_DIR / "geo" / "cog_2026_departements.csv")
    ]
    assert read_csv(SEEDS_DIR / "departements.csv") == reference


@needs_reference(REFERENCE_DIR / "geo" / "cog_2026_regions.csv")
def test_regions_seed_equals_cog():
    reference = [
        {"reg": row["REG"], "libelle": row["LIBELLE"]}
        for row in read_csv(REFERENCE_DIR / "geo" / "cog_2026_regions.csv")
    ]
    assert read_csv(SEEDS_DIR / "regions.csv") == reference

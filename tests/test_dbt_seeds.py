"""The dbt seeds are committed copies of the shared specification and reference files.

The product reads only the seeds at run time; these tests make sure the copies have not drifted
from ../shared/spec/indicateurs.yml and ../shared/reference/geo/.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from tests.conftest import REFERENCE_DIR, SPEC_DIR

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


def _number_text(value) -> str:
    return str(value)


def _list_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _ventilation_text(keys: list[str], values: tuple) -> str:
    return "|".join(f"{key}={value}" for key, value in zip(keys, values))


def _ventilation_keys(indicateur: dict) -> list[str]:
    ventilation = indicateur.get("ventilation")
    if ventilation is None:
        return []
    return ventilation if isinstance(ventilation, list) else [ventilation]


def _leaves(tree, depth: int):
    """(path, leaf) pairs of a nested mapping `depth` levels deep."""
    if depth == 0:
        yield (), tree
        return
    for key, subtree in tree.items():
        for path, leaf in _leaves(subtree, depth - 1):
            yield (key, *path), leaf


def expected_seed_rows(catalogue: dict) -> dict[str, list[dict[str, str]]]:
    """The rows each catalogue seed must hold, derived from indicateurs.yml."""
    sirens = {code: collectivite["siren"] for code, collectivite in catalogue["collectivites"].items()}

    def perimetre(code: str) -> str:
        return sirens.get(code, code)

    indicateurs, realisations, cibles = [], [], []
    for indicateur in catalogue["indicateurs"]:
        keys = _ventilation_keys(indicateur)
        indicateurs.append({
            "id": indicateur["id"],
            "engagement": _list_text(indicateur.get("engagement")),
            "libelle": indicateur["libelle"],
            "unite": indicateur["unite"],
            "ventilation": ",".join(keys),
            "definition": indicateur["definition"],
            "sources": _list_text(indicateur.get("sources")),
        })
        for code, tree in (indicateur.get("realisation_2022") or {}).items():
            for path, valeur in _leaves(tree, len(keys) if isinstance(tree, dict) else 0):
                if valeur is not None:
                    realisations.append({
                        "indicateur_id": indicateur["id"],
                        "perimetre": perimetre(code),
                        "ventilation": _ventilation_text(keys, path),
                        "valeur": _number_text(valeur),
                    })
        cible = indicateur.get("cible")
        if cible:
            # A target is either one {valeur, sens, annee} or one such target per ventilation value.
            if "sens" in cible:
                entries = [((), cible)]
            else:
                entries = [((key,), target) for key, target in cible.items()]
            for path, target in entries:
                cibles.append({
                    "indicateur_id": indicateur["id"],
                    "ventilation": _ventilation_text(keys, path),
                    "valeur": _number_text(target["valeur"]) if "valeur" in target else "",
                    "sens": str(target["sens"]),
                    "annee": str(target["annee"]),
                    "perimetre": perimetre(target["perimetre"]) if "perimetre" in target else "",
                    "base": target.get("base", ""),
                })
    collectivites = [
        {"siren": collectivite["siren"], "nom": collectivite["nom"]}
        for collectivite in catalogue["collectivites"].values()
    ]
    return {
        "indicateurs": indicateurs,
        "indicateurs_realisation_2022": realisations,
        "indicateurs_cibles": cibles,
        "collectivites": collectivites,
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def catalogue() -> dict:
    with (SPEC_DIR / "indicateurs.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize(
    "seed", ["indicateurs", "indicateurs_realisation_2022", "indicateurs_cibles", "collectivites"]
)
def test_catalogue_seed_equals_indicateurs_yml(catalogue, seed):
    assert read_csv(SEEDS_DIR / f"{seed}.csv") == expected_seed_rows(catalogue)[seed]


def test_every_catalogue_indicator_is_in_the_seed(catalogue):
    seeded = {row["id"] for row in read_csv(SEEDS_DIR / "indicateurs.csv")}
    assert seeded == {indicateur["id"] for indicateur in catalogue["indicateurs"]}


def test_realisation_perimetres_are_sirens_or_tous():
    perimetres = {row["perimetre"] for row in read_csv(SEEDS_DIR / "indicateurs_realisation_2022.csv")}
    assert perimetres <= {"TOUS", "200068781", "212603625", "212602817"}
    assert "TOUS" in perimetres and "200068781" in perimetres


def test_communes_seed_equals_reference():
    reference = read_csv(REFERENCE_DIR / "geo" / "vra_communes_epci_2026.csv")
    assert len(reference) == 54
    assert read_csv(SEEDS_DIR / "communes_agglo.csv") == reference


def test_departements_seed_equals_cog():
    reference = [
        {"dep": row["DEP"], "reg": row["REG"], "libelle": row["LIBELLE"]}
        for row in read_csv(REFERENCE_DIR / "geo" / "cog_2026_departements.csv")
    ]
    assert read_csv(SEEDS_DIR / "departements.csv") == reference


def test_regions_seed_equals_cog():
    reference = [
        {"reg": row["REG"], "libelle": row["LIBELLE"]}
        for row in read_csv(REFERENCE_DIR / "geo" / "cog_2026_regions.csv")
    ]
    assert read_csv(SEEDS_DIR / "regions.csv") == reference

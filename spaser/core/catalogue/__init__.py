"""The indicator catalogue: the project's own statement of every SPASER indicator.

``indicateurs.yml`` beside this file is the one source of the catalogue. The dbt seeds that carry it
into the warehouse (``indicateurs``, ``indicateurs_realisation_2022``, ``indicateurs_cibles``,
``collectivites``, ``indicateurs_sources``, ``indicateurs_perimetres``, ``indicateurs_types_registre``) are
derived from it: after editing the YAML, regenerate them with
``python -m spaser.core.catalogue`` (the test suite fails while they differ). What the code needs of it
besides the seeds is read from it here: the indicator marts fct_indicateurs unites
(``indicator_marts``), the years the marts gate requires of each indicator (``year_axes``) and the
dashboard's lists of counted contracts (``drill_downs``).
"""

from __future__ import annotations

import csv
from pathlib import Path

CATALOGUE_PATH = Path(__file__).with_name("indicateurs.yml")
SEED_NAMES = (
    "indicateurs",
    "indicateurs_realisation_2022",
    "indicateurs_cibles",
    "collectivites",
    "indicateurs_sources",
    "indicateurs_perimetres",
    "indicateurs_types_registre",
)
# The catalogue's own keys, absent from the team's specification (../shared/spec/indicateurs.yml):
# top-level keys, then keys of an indicator entry (the YAML header says what they mean).
PROJECT_KEYS = {"catalogue": ("sources",), "indicateur": ("perimetres", "registre", "mart", "annees", "detail")}
# The model that computes e02 itself, from every other indicator (its `mart` in the catalogue).
INDICATOR_TABLE = "fct_indicateurs"


def load_catalogue(path: Path = CATALOGUE_PATH) -> dict:
    import yaml

    # libyaml's loader when PyYAML has it: the catalogue is read at every dbt invocation.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def indicator_marts(catalogue: dict | None = None) -> list[str]:
    """The marts whose rows fct_indicateurs unites, in catalogue order."""
    marts = [entry["mart"] for entry in (catalogue or load_catalogue())["indicateurs"]]
    return [mart for mart in dict.fromkeys(marts) if mart != INDICATOR_TABLE]


def year_axes(catalogue: dict | None = None) -> dict[str, tuple[str, str]]:
    """Each indicator's (mart, year column): the years it must be published for."""
    return {
        entry["id"]: tuple(entry["annees"].split(".", 1)) for entry in (catalogue or load_catalogue())["indicateurs"]
    }


def drill_downs(catalogue: dict | None = None) -> dict[str, tuple[str, str | None]]:
    """The indicators whose counted contracts the dashboard lists: (what they are, the boolean
    column of marts.fct_marches that selects them, None for every contract notified in the year)."""
    return {
        entry["id"]: (entry["detail"]["marches"], entry["detail"].get("filtre"))
        for entry in (catalogue or load_catalogue())["indicateurs"]
        if "detail" in entry
    }


def specification(catalogue: dict) -> dict:
    """The catalogue without the project's own keys: what must equal the team's specification."""
    kept = {key: value for key, value in catalogue.items() if key not in PROJECT_KEYS["catalogue"]}
    kept["indicateurs"] = [
        {key: value for key, value in indicateur.items() if key not in PROJECT_KEYS["indicateur"]}
        for indicateur in catalogue["indicateurs"]
    ]
    return kept


def _number_text(value) -> str:
    return str(value)


def _list_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _ventilation_text(keys: list[str], values: tuple) -> str:
    return "|".join(f"{key}={value}" for key, value in zip(keys, values, strict=False))


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


def seed_rows(catalogue: dict) -> dict[str, list[dict[str, str]]]:
    """The rows of each catalogue seed, in catalogue order."""
    sirens = {code: collectivite["siren"] for code, collectivite in catalogue["collectivites"].items()}

    def perimetre(code: str) -> str:
        return sirens.get(code, code)

    indicateurs, realisations, cibles, perimetres, types_registre = [], [], [], [], []
    for indicateur in catalogue["indicateurs"]:
        keys = _ventilation_keys(indicateur)
        indicateurs.append(
            {
                "id": indicateur["id"],
                "engagement": _list_text(indicateur.get("engagement")),
                "libelle": indicateur["libelle"],
                "unite": indicateur["unite"],
                "ventilation": ",".join(keys),
                "definition": indicateur["definition"],
                "sources": _list_text(indicateur.get("sources")),
            }
        )
        perimetres.extend(
            {"indicateur_id": indicateur["id"], "perimetre": perimetre(code)}
            for code in indicateur.get("perimetres") or []
        )
        registre = indicateur.get("registre") or {}
        types_registre.extend(
            {
                "indicateur_id": indicateur["id"],
                "type_activite": type_activite,
                "cumul": str(registre.get("cumul", False)).lower(),
            }
            for type_activite in registre.get("types", [])
        )
        for code, tree in (indicateur.get("realisation_2022") or {}).items():
            for path, valeur in _leaves(tree, len(keys) if isinstance(tree, dict) else 0):
                if valeur is not None:
                    realisations.append(
                        {
                            "indicateur_id": indicateur["id"],
                            "perimetre": perimetre(code),
                            "ventilation": _ventilation_text(keys, path),
                            "valeur": _number_text(valeur),
                        }
                    )
        cible = indicateur.get("cible")
        if cible:
            # A target is either one {valeur, sens, annee} or one such target per ventilation value.
            if "sens" in cible:
                entries = [((), cible)]
            else:
                entries = [((key,), target) for key, target in cible.items()]
            for path, target in entries:
                cibles.append(
                    {
                        "indicateur_id": indicateur["id"],
                        "ventilation": _ventilation_text(keys, path),
                        "valeur": _number_text(target["valeur"]) if "valeur" in target else "",
                        "sens": str(target["sens"]),
                        "annee": str(target["annee"]),
                        "perimetre": perimetre(target["perimetre"]) if "perimetre" in target else "",
                        "base": target.get("base", ""),
                    }
                )
    collectivites = [
        {"siren": collectivite["siren"], "nom": collectivite["nom"]}
        for collectivite in catalogue["collectivites"].values()
    ]
    sources = [
        {
            "source": source,
            "acheteur": str(declaration["acheteur"]).lower(),
            "datee": str(declaration["datee"]).lower(),
            "retard_publication": str(declaration["retard_publication"]),
        }
        for source, declaration in catalogue["sources"].items()
    ]
    return {
        "indicateurs": indicateurs,
        "indicateurs_realisation_2022": realisations,
        "indicateurs_cibles": cibles,
        "collectivites": collectivites,
        "indicateurs_sources": sources,
        "indicateurs_perimetres": perimetres,
        "indicateurs_types_registre": types_registre,
    }


def write_seeds(seeds_dir: Path) -> list[Path]:
    written = []
    for name, rows in seed_rows(load_catalogue()).items():
        path = seeds_dir / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written

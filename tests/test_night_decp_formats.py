"""The same contracts published in the format 2019 give the same indicators as in the format 2024.

The small hand-made inbox (tests/fixtures/inbox_small, values in attendus.csv, explained in
CALCULS.md) with every Ville de Valence record rewritten as the arrêté du 22 mars 2019 published
it — flat list, titulaires and modifications unwrapped, no considérations, no marcheInnovant —
and one VRA contract delivered again in the format 2019, with a later publication date and
another amount: a mixed inbox (the 2022–2023 history in 2019, VRA in 2024). The night's own steps
(spaser/pipeline/night.py) run on PostgreSQL; the dbt layers are built, the gates and the publication are
not needed here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest

from tests.conftest import fresh_warehouse
from tests.indicator_values import read_values, same_value

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "inbox_small"
VALENCE = "212603625"
VRA = "200068781"
# Read in the same order as the 2024 files (name order), each 2024 file beside its 2019 twin.
DECP_FILES = ("2023-12-01_decp_export.json", "2023-12-15_decp_correctifs.json")
# Correction 4 of Valence combines "Pas de considération sociale" with "Clause sociale" and is
# quarantined in 2024; the format 2019 has no considérations, so that record cannot be written in it.
NOT_IN_2019 = {("2023-12-15_decp_correctifs.json", 4)}
# Indicators that need no field the format 2019 lacks: their hand-computed values must hold.
SAME_VALUES = ("k_nb_marches", "k_marches_par_categorie_pct", "e13_mp_attribues_tpe_pme_pct")
NOT_PUBLISHED_IN_2019 = (
    "e05_mp_clause_sociale_pct",
    "e05_nb_mp_clause_sociale",
    "e05_mp_consideration_sociale_pct",
    "e08_mp_clause_environnementale_pct",
    "e08_mp_consideration_environnementale_pct",
    "e08_nb_mp_innovants",
)


def as_2019(record: dict) -> dict:
    """A 2024 marché as the format 2019 wrote it (arrêté du 22 mars 2019)."""
    modifications = sorted(
        (item["modification"] for item in record.get("modifications", [])), key=lambda modification: modification["id"]
    )
    return {
        "_type": "Marché",
        **{
            field: record[field]
            for field in (
                "id",
                "acheteur",
                "nature",
                "objet",
                "codeCPV",
                "procedure",
                "lieuExecution",
                "dureeMois",
                "dateNotification",
                "datePublicationDonnees",
                "montant",
            )
            if field in record
        },
        "titulaires": [item["titulaire"] for item in record["titulaires"]],
        # 2019 modifications have no id: their order is their chronology.
        "modifications": [
            {
                key: ([item["titulaire"] for item in value] if key == "titulaires" else value)
                for key, value in modification.items()
                if key != "id"
            }
            for modification in modifications
        ],
    }


def mixed_inbox(inbox: Path) -> None:
    for folder in ("marches", "referentiels"):
        shutil.copytree(FIXTURE_DIR / folder, inbox / folder)
    decp = inbox / "marches" / "decp"
    for name in DECP_FILES:
        document = json.loads((decp / name).read_text(encoding="utf-8"))
        records = document["marches"]["marche"]
        document["marches"]["marche"] = [record for record in records if record["acheteur"]["id"][:9] != VALENCE]
        (decp / name).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        old = [
            as_2019(record)
            for number, record in enumerate(records, start=1)
            if record["acheteur"]["id"][:9] == VALENCE and (name, number) not in NOT_IN_2019
        ]
        if name == DECP_FILES[0]:
            # VRA's 2022-001 again in 2019, published later with another amount: the 2024 record wins.
            twin = as_2019(records[0]) | {"datePublicationDonnees": "2023-11-30", "montant": 999999}
            assert (twin["acheteur"]["id"][:9], twin["id"]) == (VRA, "2022-001")
            old.append(twin)
        (decp / name.replace(".json", "_format_2019.json")).write_text(
            json.dumps({"marches": old}, ensure_ascii=False), encoding="utf-8"
        )


@pytest.fixture(scope="module")
def night(admin_url, tmp_path_factory):
    from spaser.ingest.sources import SOURCES
    from spaser.pipeline.night import build_dbt_layer, extract_source, prepare_warehouse

    workspace = tmp_path_factory.mktemp("decp_formats")
    inbox = workspace / "inbox"
    mixed_inbox(inbox)
    with fresh_warehouse(admin_url, workspace / "spaser_home") as url:
        prepare_warehouse(str(inbox))
        reports = {
            name: extract_source(name, str(inbox), "nuit-formats") for name in SOURCES if (inbox / name).is_dir()
        }
        for layer in ("seed", "staging", "intermediate", "marts"):
            build_dbt_layer(layer)
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "select indicateur_id, perimetre, annee, ventilation, valeur, motif from marts_candidat.fct_indicateurs"
            ).fetchall()
            formats = conn.execute(
                "select acheteur_siren, format_decp, count(*) from marts_candidat.fct_marches group by 1, 2"
            ).fetchall()
            twin = conn.execute(
                "select format_decp, montant from marts_candidat.fct_marches"
                " where acheteur_id like %s and id_marche = '2022-001'",
                (f"{VRA}%",),
            ).fetchone()
    values = {(i, p, int(a), v): (None if x is None else float(x), m) for i, p, a, v, x, m in rows}
    return reports, values, formats, twin


def test_the_2019_records_load_and_the_2024_record_wins_over_its_2019_twin(night):
    reports, _values, formats, twin = night
    files = {Path(f["fichier"]).name: f for f in reports["marches/decp"]["fichiers"]}
    assert {name: file["statut"] for name, file in files.items()} == {
        "2023-12-01_decp_concessions.json": "charge",
        "2023-12-01_decp_export.json": "charge",
        "2023-12-01_decp_export_format_2019.json": "charge",
        "2023-12-15_decp_correctifs.json": "charge",
        "2023-12-15_decp_correctifs_format_2019.json": "charge",
    }
    # Valence's VAL-2023-07 has no usable CPV code in either format.
    assert files["2023-12-01_decp_export_format_2019.json"]["nb_quarantaine"] == 1
    # Valence: 2022-001, VAL-2022-08, VAL-2023-05, VAL-2023-06 (CALCULS.md); VRA: 9 contracts.
    assert sorted(formats) == [(VRA, "2024", 9), (VALENCE, "2019", 4)]
    assert twin[0] == "2024" and float(twin[1]) != 999999


def test_indicators_that_need_no_2024_field_keep_their_hand_computed_values(night):
    _reports, values, _formats, _twin = night
    expected = {key: value for key, value in read_values(FIXTURE_DIR / "attendus.csv").items() if key[0] in SAME_VALUES}
    assert expected
    problems = [
        f"{key}: attendu {value}, obtenu {values.get(key)}"
        for key, value in expected.items()
        if key not in values or not same_value(value, values[key][0])
    ]
    assert not problems, problems


def test_considerations_and_innovation_are_not_published_in_2019_never_zero(night):
    _reports, values, _formats, _twin = night
    for indicateur in NOT_PUBLISHED_IN_2019:
        for year in (2022, 2023):
            valeur, motif = values[(indicateur, VALENCE, year, "")]
            assert valeur is None and motif.startswith("non publié au format 2019"), (indicateur, year, motif)
            # TOUS: computed over VRA's contracts, which publish them.
            assert values[(indicateur, "TOUS", year, "")][0] is not None, (indicateur, year)

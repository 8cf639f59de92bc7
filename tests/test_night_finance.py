"""Two nights on a small hand-made finance inbox, checked against values computed by hand.

``tests/fixtures/inbox_finance`` holds the finance slice's sources for two buyers (mandats with a
cancellation, an unknown SIRET, a foreign supplier, a supplier without identifier, a non-purchase
account, mandats with and without contract, a contract without mandat, bad rows; titres; the
supplier register as an XLSX workbook; a SIRENE extract; three DECP contracts). The first night
loads it; the second delivers ``nuit2/`` — a corrected file that re-delivers one unchanged line,
changes an amount and moves a line to another supplier — and re-delivers the first night's files,
so that the incremental spend models are exercised. ``attendus.csv`` lists every row the catalogue
requires for the slice's indicators after the second night; ``CALCULS.md`` explains each value.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaser.cli.main import main
from spaser.pipeline.dbt import build_layer, run_dbt
from spaser.quality.ecarts import set_aside
from tests.conftest import fresh_warehouse
from tests.indicator_values import RowKey, differences, read_values

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "inbox_finance"
EXPECTED_VALUES = FIXTURE_DIR / "attendus.csv"
SOURCE_FOLDERS = ("finance", "marches", "registre", "referentiels")
SECOND_NIGHT_DIR = FIXTURE_DIR / "nuit2"


@dataclass
class FinanceNights:
    run_statuses: list[int]
    exported: dict[RowKey, float | None]
    quarantine: list[tuple[str, str, int, str, str]]
    files: list[tuple[str, str, str]]
    spend_groups: dict[str, tuple[float, int]]
    rebuilt_spend_groups: dict[str, tuple[float, int]]  # the same models rebuilt from scratch
    charter_rows: dict[tuple[str, int], tuple[float | None, str | None]]  # e12 (perimetre, annee) -> valeur, motif
    group_bid_objectives: list[tuple]  # rapport_indicateurs rows of e12_nb_offres_groupements
    spend_rows_2024: dict[tuple[str, str, str], tuple[str, str | None, float | None, str]]
    # (indicateur_id, perimetre, ventilation) -> statut, motif, derniere_valeur_validee, avancement
    quality_page: str
    spend_groups_cancellation_set_aside: dict[str, tuple[float, int]]  # after `spaser chargement ecarter`
    rebuilds_pending_after: list[bool]  # qualite.journal_chargements_ecartes.reconstruit after the build
    engagement_9_page: str  # the dashboard page of e09


@pytest.fixture(scope="module")
def finance_nights(admin_url, tmp_path_factory) -> FinanceNights:
    workspace = tmp_path_factory.mktemp("finance_inbox")
    first, second = workspace / "nuit1", workspace / "nuit2"
    for folder in SOURCE_FOLDERS:
        shutil.copytree(FIXTURE_DIR / folder, first / folder)
        shutil.copytree(FIXTURE_DIR / folder, second / folder)
    shutil.copytree(SECOND_NIGHT_DIR, second, dirs_exist_ok=True)
    export = workspace / "indicateurs.csv"
    with fresh_warehouse(admin_url, workspace / "spaser_home") as url:
        statuses = [main(["run", "--inbox", str(first)]), main(["run", "--inbox", str(second)])]
        statuses.append(main(["export", "indicateurs", "--format", "csv", "--output", str(export)]))
        with psycopg.connect(url) as conn:
            quarantine = conn.execute(
                "select source, fichier, enregistrement, champ, message from raw.quarantaine"
            ).fetchall()
            files = conn.execute("select source, fichier, statut from raw.fichiers").fetchall()
            groups = _spend_groups(conn)
            charter = {
                (perimetre, annee): (None if valeur is None else float(valeur), motif)
                for perimetre, annee, valeur, motif in conn.execute(
                    "select perimetre, annee, valeur, motif from marts.fct_indicateurs "
                    "where indicateur_id = 'e12_nb_signataires_charte'"
                )
            }
            spend_rows_2024 = {
                (indicateur_id, perimetre, ventilation): (
                    statut,
                    motif,
                    None if validee is None else float(validee),
                    avancement,
                )
                for indicateur_id, perimetre, ventilation, statut, motif, validee, avancement in conn.execute(
                    "select f.indicateur_id, f.perimetre, f.ventilation, f.statut, f.motif, f.derniere_valeur_validee,"
                    " r.avancement from marts.fct_indicateurs as f inner join marts.rapport_indicateurs as r"
                    " using (indicateur_id, perimetre, annee, ventilation) where f.annee = 2024"
                    " and indicateur_id in ('k_depenses_territoire_pct', 'e09_empreinte_carbone_achats_tco2e')"
                )
            }
            group_bid_objectives = conn.execute(
                "select perimetre, annee, valeur, objectif, objectif_motif, avancement from marts.rapport_indicateurs "
                "where indicateur_id = 'e12_nb_offres_groupements' order by perimetre, annee"
            ).fetchall()
        rebuild = run_dbt(["run", "--select", "int_finance__mandats_lignes", "int_finance__depenses", "--full-refresh"])
        assert rebuild.success, rebuild.output[-3000:]
        with psycopg.connect(url) as conn:
            rebuilt_groups = _spend_groups(conn)
            cancellation = conn.execute(
                "select load_id from raw.fichiers where fichier like '%mandats_valence_2024_annulation.csv'"
            ).fetchone()[0]
            set_aside(conn, cancellation, "annulation saisie sur le mauvais exercice", par="test")
        build_layer("intermediate")  # the night's step: rebuilds the incremental models from scratch
        with psycopg.connect(url) as conn:
            groups_set_aside = _spend_groups(conn)
            rebuilt_flags = [
                row[0] for row in conn.execute("select reconstruit from qualite.journal_chargements_ecartes")
            ]
        site = workspace / "spaser_home" / "site"
        quality_page = (site / "qualite-des-donnees.html").read_text(encoding="utf-8")
        engagement_9_page = (site / "engagement-09.html").read_text(encoding="utf-8")
    return FinanceNights(
        statuses,
        read_values(export),
        quarantine,
        files,
        groups,
        rebuilt_groups,
        charter,
        group_bid_objectives,
        spend_rows_2024,
        quality_page,
        groups_set_aside,
        rebuilt_flags,
        engagement_9_page,
    )


def _spend_groups(conn: psycopg.Connection) -> dict[str, tuple[float, int]]:
    rows = conn.execute("select depense_cle, montant_ht, nb_lignes from intermediate.int_finance__depenses").fetchall()
    return {key: (float(amount), count) for key, amount, count in rows}


def test_both_nights_run_and_export(finance_nights):
    assert finance_nights.run_statuses == [0, 0, 0]


def test_every_file_is_loaded_once_and_the_workbook_through_the_csv_loader(finance_nights):
    loaded = sorted((source, Path(fichier).name) for source, fichier, statut in finance_nights.files)
    assert all(statut == "charge" for _, _, statut in finance_nights.files)
    assert ("registre/fournisseurs", "registre_fournisseurs.xlsx") in loaded
    assert ("finance/mandats", "mandats_agglo_2023_correctif.csv") in loaded
    assert ("registre/fournisseurs", "registre_fournisseurs_correctif.csv") in loaded
    # The first night's files, delivered again on the second night, are not loaded twice.
    assert len(loaded) == len(set(loaded)) == 12


def test_bad_finance_rows_are_quarantined_with_their_reasons(finance_nights):
    by_line = {
        (Path(fichier).name, line): (champ, message) for _, fichier, line, champ, message in finance_nights.quarantine
    }
    valence = "mandats_valence_2023.csv"
    assert set(by_line) == {(valence, 4), (valence, 5), (valence, 6), (valence, 7), ("registre_fournisseurs.xlsx", 7)}
    assert by_line[(valence, 4)][0] == "montant_ht" and "« 12,5O »" in by_line[(valence, 4)][1]
    assert by_line[(valence, 5)][0] == "date_mandat" and "31/02/2023" in by_line[(valence, 5)][1]
    assert by_line[(valence, 6)][0] == "tiers_siret" and "identifiant étranger" in by_line[(valence, 6)][1]
    assert by_line[(valence, 7)] == ("compte_nature", "ligne 7, colonne compte_nature : valeur obligatoire manquante")
    assert by_line[("registre_fournisseurs.xlsx", 7)][0] == "siret"


def test_a_corrected_redelivery_replaces_lines_instead_of_adding_to_them(finance_nights):
    groups = finance_nights.spend_groups
    # Line M003 corrected from 4000 to 4400; M001 re-delivered unchanged: counted once.
    assert groups["200068781|2023|70200000200015|2313|"] == (4400.0, 1)
    assert groups["200068781|2023|70100000100019|2313|"] == (10000.0, 1)
    # M008 moved from "no identifier" to supplier 70400000400017: its former group is emptied.
    assert groups["200068781|2023||6068|"] == (0.0, 0)
    assert groups["200068781|2023|70400000400017|6068|"] == (500.0, 1)


def test_the_incremental_nights_give_the_spend_of_a_rebuild_from_scratch(finance_nights):
    incremental = {key: value for key, value in finance_nights.spend_groups.items() if value[1] > 0}
    assert incremental == finance_nights.rebuilt_spend_groups
    # Only the group emptied by the second night's correction is kept, at zero, by the increments.
    assert set(finance_nights.spend_groups) - set(incremental) == {"200068781|2023||6068|"}


def test_every_finance_indicator_matches_the_hand_computed_values(finance_nights):
    problems = differences(read_values(EXPECTED_VALUES), finance_nights.exported)
    assert not problems, (
        f"{len(problems)} écart(s) avec {EXPECTED_VALUES.name} (explications dans CALCULS.md) :\n" + "\n".join(problems)
    )


def test_a_cancellation_beyond_the_years_spend_withholds_only_its_indicators(finance_nights):
    """Night 2 cancels, in 2024, a 2023 mandat of Valence (CALCULS.md): Valence's 2024 spend is net
    negative. The night still publishes (run statuses above, every other value in attendus.csv);
    the spend indicators of Valence and TOUS for 2024 are withheld with their rule and keep showing
    the value night 1 validated."""
    rows = finance_nights.spend_rows_2024
    prefix = "contrôle qualité en échec : "
    for perimetre in ("212603625", "TOUS"):
        shares = {
            v: rows[("k_depenses_territoire_pct", perimetre, f"territoire={v}")]
            for v in ("agglo", "departement", "region", "france", "etranger", "inconnu")
        }
        assert {statut for statut, *_ in shares.values()} == {"controle_en_echec"}
        assert {motif for _, motif, *_ in shares.values()} == {prefix + "dénominateur négatif (-600, territoire=agglo)"}
        assert {v: validee for v, (_, _, validee, _) in shares.items()} == {
            "agglo": 0,
            "departement": 100,
            "region": 100,
            "france": 100,
            "etranger": 0,
            "inconnu": 0,
        }
        emissions = {
            v: rows[("e09_empreinte_carbone_achats_tco2e", perimetre, f"categorie_achat={v}")]
            for v in ("travaux", "fournitures", "services")
        }
        assert {motif for _, motif, *_ in emissions.values()} == {
            prefix + "valeur négative (-0,1, categorie_achat=services)"
        }
        assert {v: validee for v, (_, _, validee, _) in emissions.items()} == {
            "travaux": 0,
            "fournitures": 0,
            "services": 0.068,
        }
        assert {avancement for *_, avancement in emissions.values()} == {"controle_en_echec"}
    # VRA spent nothing in 2024: nothing to withhold, its emissions are 0.
    assert rows[("e09_empreinte_carbone_achats_tco2e", "200068781", "categorie_achat=services")][:3] == (
        "calcule",
        None,
        None,
    )
    assert '<table id="indicateurs-retenus">' in finance_nights.quality_page
    assert "valeur négative (-0,1, categorie_achat=services)" in finance_nights.quality_page
    # The dashboard keeps showing night 1's 0.068 t for services, flagged.
    assert "⚠ 0,07<small> (dernière valeur validée)</small>" in finance_nights.engagement_9_page


def test_a_load_set_aside_leaves_the_incremental_spend_at_the_next_build(finance_nights):
    """`spaser chargement ecarter` on night 2's cancellation: the intermediate layer, built as a night
    builds it, drops its line although the incremental models read only new loads."""
    before = finance_nights.spend_groups["212603625|2024|70200000200015|611|"]
    after = finance_nights.spend_groups_cancellation_set_aside["212603625|2024|70200000200015|611|"]
    assert (before, after) == ((-600.0, 2), (400.0, 1))
    assert finance_nights.rebuilds_pending_after == [True]


def test_a_register_correction_shows_on_the_charter_count_it_changed(finance_nights):
    """The second night corrects A BATI AGGLO's charter from 2023 to 2024 (CALCULS.md, e12): 2023 has
    no new signature yet keeps its row; its value follows tonight's register and its motif keeps the
    count first published; the other collectivités have no count of the SPASER team's register."""
    rows = finance_nights.charter_rows
    assert set(rows) == {(p, a) for p in ("200068781", "212603625", "TOUS") for a in (2022, 2023, 2024)}
    for perimetre in ("200068781", "TOUS"):
        assert [rows[(perimetre, annee)][0] for annee in (2022, 2023, 2024)] == [1, 1, 3]
        assert rows[(perimetre, 2022)][1] is None and rows[(perimetre, 2024)][1] is None
        motif = rows[(perimetre, 2023)][1]
        assert "2 signataire(s) au 31/12/2023" in motif and "registre_fournisseurs.xlsx" in motif
    for annee in (2022, 2023, 2024):
        valeur, motif = rows[("212603625", annee)]
        assert valeur is None and "pas de valeur par ville" in motif


def test_a_target_relative_to_2022_has_no_objective_without_a_2022_value(finance_nights):
    """« +50 % de groupements par rapport à 2022 »: the only bid of this inbox (marches/offres) is of
    2023, so there is no 2022 base; the objective stays empty with its reason instead of silently
    taking 2023 as the base (which would make 2023 its own reference)."""
    rows = finance_nights.group_bid_objectives
    assert [(perimetre, annee, float(valeur)) for perimetre, annee, valeur, *_ in rows] == [
        ("200068781", 2023, 1.0),
        ("212603625", 2023, 0.0),
        ("TOUS", 2023, 1.0),
    ]
    for _perimetre, _annee, _valeur, objectif, motif, avancement in rows:
        assert objectif is None and avancement == "pas_de_donnees"
        assert motif.startswith("pas d'objectif : aucune valeur 2022")

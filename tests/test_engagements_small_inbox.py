"""A whole night on the small hand-made inbox extended with the GED, insertion and register
sources (``tests/fixtures/inbox_engagements``), checked against values computed by hand
(``attendus.csv``, explained in ``CALCULS.md``); the pseudonymisation of insertion data and what
a BI tool connected as ``spaser_lecteur`` can read of it (aggregates only); the AGEC declaration
export validated against the national format's rules. The night (``engagements_night``,
tests/conftest.py) also serves test_night_small_inbox.py."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import io
import json
import math
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaser.cli.main import main
from spaser.core.agec_declaration import DECLARATION_SCHEMA
from spaser.outputs.table_schema import validate_csv
from spaser.publish.access import LECTEUR
from tests.conftest import REFERENCE_DIR, needs_reference

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "inbox_engagements"
TOLERANCE = 1e-9
PLATFORM_IDS = ("PLAT-001", "PLAT-002", "PLAT-003", "PLAT-004", "PLAT-005", "PLAT-006")
BIRTH_DATES = (
    "15/03/1970",
    "1970-03-15",
    "02/01/1998",
    "1998-01-02",
    "01/01/1972",
    "1972-01-01",
    "20/07/1985",
    "1985-07-20",
    "31/02/1980",
)
E02 = "e02_indicateurs_automatises_pct"
# Where the insertion lines are kept person by person (pseudonymised): the pipeline's alone.
PERSON_LEVEL = (
    "intermediate.int_insertion__heures_courantes",
    "staging.stg_insertion__heures",
    "raw.insertion_heures",
    "raw_stockage.insertion_heures",
)


@dataclass
class Night:
    run_status: int
    exported: dict
    url: str
    home: Path
    agec_dir: Path
    agec_status: int
    personal_hits: list
    quarantine: list
    indicator_rows: list
    source_years: set


def _read_values(path: Path) -> dict:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["indicateur_id"], row["perimetre"], int(row["annee"]), row["ventilation"]): float(row["valeur"])
            if row["valeur"] != ""
            else None
            for row in csv.DictReader(handle)
        }


def _personal_data_hits(conn: psycopg.Connection) -> list:
    """Every (table, column) of every schema whose text holds a platform id or a birth date."""
    columns = conn.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('pg_catalog', 'information_schema') "
        "and data_type in ('text', 'character varying', 'jsonb', 'json')"
    ).fetchall()
    hits = []
    needles = [*PLATFORM_IDS, *BIRTH_DATES]
    for schema, table, column in columns:
        found = conn.execute(
            f'select count(*) from "{schema}"."{table}" where "{column}"::text ilike any(%s)',
            ([f"%{needle}%" for needle in needles],),
        ).fetchone()[0]
        if found:
            hits.append((schema, table, column))
    return hits


@pytest.fixture(scope="module")
def night(engagements_night, admin_url, tmp_path_factory) -> Night:
    workspace = tmp_path_factory.mktemp("engagements")
    export = workspace / "indicateurs.csv"
    agec_dir = workspace / "agec"
    home = engagements_night.home
    run_status = engagements_night.run_status
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SPASER_PSEUDONYMISATION_KEY", raising=False)
        with engagements_night.environment() as url:
            main(["export", "indicateurs", "--format", "csv", "--output", str(export)])
            agec_messages = io.StringIO()
            with contextlib.redirect_stderr(agec_messages):
                agec_status = main(["export", "agec", "--annee", "2023", "--output", str(agec_dir)])
            with psycopg.connect(url) as conn:
                hits = _personal_data_hits(conn)
                quarantine = conn.execute(
                    "select source, enregistrement, champ, message, contenu from raw.quarantaine"
                ).fetchall()
                pseudonyms = {
                    row[0]
                    for row in conn.execute(
                        "select beneficiaire_pseudo from intermediate.int_insertion__heures_courantes"
                    )
                }
                indicator_rows = conn.execute(
                    "select indicateur_id, perimetre, annee, valeur, numerateur, denominateur, motif "
                    "from marts.fct_indicateurs"
                ).fetchall()
                source_years = set(
                    conn.execute("select source, annee from intermediate.int_indicateurs__annees_sources").fetchall()
                )
                targets = conn.execute(
                    "select indicateur_id, perimetre, annee, ventilation, cible_valeur, cible_sens from marts.fct_indicateurs "
                    "where cible_sens is not null"
                ).fetchall()
                agec_objectives = conn.execute(
                    "select perimetre, annee, ventilation, objectif, objectif_motif, avancement "
                    "from marts.rapport_indicateurs where indicateur_id = 'e10_agec_famille_pct'"
                ).fetchall()
            reader = _what_a_reader_sees(admin_url, url, pseudonyms)
    night = Night(
        run_status,
        _read_values(export),
        url,
        home,
        agec_dir,
        agec_status,
        hits,
        quarantine,
        indicator_rows,
        source_years,
    )
    night.reader = reader
    night.pseudonyms = pseudonyms
    night.targets = targets
    night.agec_objectives = agec_objectives
    night.agec_messages = agec_messages.getvalue()
    return night


def test_the_night_succeeds(night):
    assert night.run_status == 0


def test_every_indicator_of_the_issue_matches_the_hand_computed_value(night):
    expected = _read_values(FIXTURE_DIR / "attendus.csv")
    ids = {key[0] for key in expected}
    produced = {key: value for key, value in night.exported.items() if key[0] in ids}
    assert sorted(set(expected) - set(produced)) == [], "lignes attendues absentes"
    assert sorted(set(produced) - set(expected)) == [], "lignes en trop"
    wrong = [
        (key, expected[key], produced[key])
        for key in expected
        if not (expected[key] is None and produced[key] is None)
        and (
            expected[key] is None
            or produced[key] is None
            or not math.isclose(expected[key], produced[key], abs_tol=TOLERANCE)
        )
    ]
    assert wrong == []


# e02 by hand (CALCULS.md, "e02"): (perimetre, annee) -> (indicators counted, indicators that apply).
E02_BY_HAND = {
    ("200068781", 2022): (49, 71),
    ("200068781", 2023): (51, 71),
    ("200068781", 2024): (2, 71),
    ("212603625", 2022): (18, 47),
    ("212603625", 2023): (41, 47),
    ("212603625", 2024): (0, 47),
    ("TOUS", 2022): (27, 71),
    ("TOUS", 2023): (51, 71),
    ("TOUS", 2024): (2, 71),
}


def _e02(night) -> dict:
    return {
        (row[1], row[2]): (int(row[4]), int(row[5]), float(row[3])) for row in night.indicator_rows if row[0] == E02
    }


def test_e02_counts_the_indicators_that_apply_and_whose_sources_delivered(night):
    """The count (numerateur, « nombre d'indicateurs suivis et automatisés ») and the indicators
    that apply (denominateur) of every perimetre and year, written out by hand; the share is their
    ratio."""
    e02 = _e02(night)
    assert {key: value[:2] for key, value in e02.items()} == E02_BY_HAND
    for key, (count, applicable) in E02_BY_HAND.items():
        assert e02[key][2] == pytest.approx(100 * count / applicable, abs=TOLERANCE)


def test_e02_judges_each_perimetre_by_its_own_deliveries(night):
    """Valence's insertion hours (7 indicators), bids (5), AGEC statements (2) and fiches opération
    (8) start in 2023: in 2022 these 22 indicators count neither for Valence nor for TOUS (a total
    missing one buyer's delivery is not the total), though VRA's rows make them non-empty under
    TOUS."""
    e02 = _e02(night)
    assert ("insertion.heures", 2022) in night.source_years  # delivered, by VRA only
    tous_2022 = {
        row[0]
        for row in night.indicator_rows
        if row[1:3] == ("TOUS", 2022) and row[0].startswith("e05_") and row[3] is not None
    }
    assert {"e05_heures_insertion", "e05_nb_beneficiaires"} <= tous_2022
    assert e02[("TOUS", 2022)][0] == e02[("200068781", 2022)][0] - 22
    assert e02[("212603625", 2022)][:2] == (18, 47)  # the 19 DECP/consultations ones but e03_nb_nouveaux


def test_a_register_row_of_one_type_does_not_make_the_other_register_indicators_count(night):
    """The register holds 2022 rows of 10 types, none of type SEGMENT_DUREE_VIE,
    CHANTIER_REEMPLOI or ACTION_PROGRAMME: of its 13 indicators, 8 count in 2022 (e10_nb_segments_duree_vie,
    e10_operations_reemploi and the 3 of partner actions read 0 or "dénominateur vide" but are not
    fed); in 2023 no COPIL/COTECH/COSUI/GT, REUNION_PARTENARIALE, ACCOMPAGNEMENT nor ATELIER row:
    10 count (e01_nb_referentiels counts since the register's start)."""
    zero_2022 = {
        row[0]
        for row in night.indicator_rows
        if row[1:3] == ("200068781", 2022)
        and row[0] in ("e10_nb_segments_duree_vie", "e11_nb_actions_programmees")
        and row[3] == 0
    }
    assert zero_2022 == {"e10_nb_segments_duree_vie", "e11_nb_actions_programmees"}
    e02 = _e02(night)
    # VRA = the 41 indicators of buyer sources (2023) or 41 (2022: 19 - 1 + 8 + 7 + 5 + 2 + GHG 1 = 41) + register
    assert e02[("200068781", 2022)][0] == 41 + 8
    assert e02[("200068781", 2023)][0] == 41 + 10


def test_e02_measures_valence_only_against_the_indicators_that_apply_to_it(night):
    """24 indicators belong to VRA and TOUS only (13 of the team's register, the supplier register's
    charter, the territory's GHG inventory, the central kitchen's 9): Valence is measured against 47."""
    e02 = _e02(night)
    assert {e02[("212603625", annee)][1] for annee in (2022, 2023, 2024)} == {47}
    assert {e02[(perimetre, 2023)][1] for perimetre in ("200068781", "TOUS")} == {71}


def test_e02_needs_every_row_computed_and_waits_for_the_ghg_inventory_lag(night):
    """2023: the inventory lists 2 of its 8 sectors, so e09_ges_territoire_ktco2e (6 rows NULL, not
    for an empty denominator) no longer counts on its 2 computed rows. 2024 (a menu file makes it
    the latest year of the night): no inventory yet, within its 2-year publication lag, so
    e09_ges_territoire_ktco2e counts for VRA with the 2024 menus' indicator — 2 — and is not
    counted missing."""
    ges = [row for row in night.indicator_rows if row[0] == "e09_ges_territoire_ktco2e" and row[1] == "200068781"]
    assert sorted({row[2] for row in ges}) == [2022, 2023]
    assert sum(1 for row in ges if row[2] == 2023 and row[3] is None) == 6
    e02 = _e02(night)
    assert e02[("200068781", 2024)][:2] == (2, 71)
    assert e02[("200068781", 2023)][0] == 51  # 10 of the register + 41 of buyer sources, GHG out


def test_the_dashboard_shows_the_count_beside_the_share(night):
    """Engagement 2's page: « nombre d'indicateurs suivis et automatisés » / indicators that apply,
    in parentheses after the share, and the rule in one sentence."""
    page = (night.home / "site" / "engagement-02.html").read_text(encoding="utf-8")
    assert "71,83 % (51 / 71)" in page  # VRA and TOUS 2023
    assert "87,23 % (41 / 47)" in page  # Valence 2023
    assert "0 % (0 / 47)" in page  # Valence 2024
    assert "le nombre d&#x27;indicateurs suivis et automatisés" in page


VRA, VALENCE = "200068781", "212603625"


def _target_rows(night, indicator):
    return {
        (perimetre, annee, ventilation): (None if valeur is None else float(valeur))
        for id_, perimetre, annee, ventilation, valeur, _sens in night.targets
        if id_ == indicator
    }


def test_targets_land_on_the_rows_the_spaser_means(night):
    """Issue 16, by hand from the SPASER document (fct_indicateurs.sql, macros/cibles.sql)."""
    years = (2022, 2023)
    # « doublement d'ici 2026 » of the Agglo's 1 reserved and 13 insertion contracts: VRA only.
    assert _target_rows(night, "e06_nb_marches_reserves_en_cours") == {(VRA, y, ""): 2 for y in years}
    assert _target_rows(night, "e06_nb_marches_insertion_en_cours") == {(VRA, y, ""): 26 for y in years}
    # « 100 % des prestations alimentaires (traiteurs) de l'Agglo »: VRA only.
    assert _target_rows(night, "e08_traiteurs_circuit_court_pct") == {(VRA, y, ""): 100 for y in years}
    # « 2 communications / an »: the total row of each perimetre, never one audience.
    assert _target_rows(night, "e04_nb_actions_communication") == {
        (p, y, ""): 2 for p in (VRA, VALENCE, "TOUS") for y in years
    }
    # « 2 projets phares d'ici 2025 avec un taux de réutilisation de 20 % »: the cumulative count.
    assert _target_rows(night, "e10_operations_reemploi") == {
        **{(p, y, "mesure=nombre_cumule"): 2 for p in (VRA, VALENCE, "TOUS") for y in years},
        **{(p, y, "mesure=taux_moyen"): 20 for p in (VRA, VALENCE, "TOUS") for y in years},
    }
    # A target set per family stays on every family (there is no total row).
    agec = _target_rows(night, "e10_agec_famille_pct")
    assert len(agec) == 3 * 2 * 17 and set(agec.values()) == {None}
    # A target naming its perimetre keeps it.
    assert _target_rows(night, "e05_heures_insertion") == {(VRA, y, ""): 25000 for y in years}


def test_the_agec_progression_is_read_as_five_points_a_year_per_family(night):
    """CALCULS.md, registre/agec: VRA Papier 10 % in 2022 then 25 % in 2023 (objective 10 + 5);
    Mobilier 20 % in 2022, nothing in 2023 (objective 25, no value); 2021 is not published, so the
    2022 rows have no objective and say why."""
    rows = {
        (perimetre, annee, ventilation): (objectif, motif, avancement)
        for perimetre, annee, ventilation, objectif, motif, avancement in night.agec_objectives
    }
    papier = "type_produit_acquis=Papier"
    mobilier = "type_produit_acquis=Mobilier et aménagement d'intérieur"
    assert float(rows[(VRA, 2023, papier)][0]) == 15 and rows[(VRA, 2023, papier)][2] == "atteint"
    assert float(rows[(VRA, 2023, mobilier)][0]) == 25 and rows[(VRA, 2023, mobilier)][2] == "pas_de_donnees"
    objectif, motif, _ = rows[(VRA, 2022, papier)]
    assert objectif is None and motif.startswith("pas d'objectif : aucune valeur l'année précédente")


def test_no_table_holds_a_platform_id_or_a_birth_date(night):
    assert night.personal_hits == []


def test_the_quarantine_never_shows_personal_cells(night):
    rows = [row for row in night.quarantine if row[0] == "insertion/heures"]
    assert {row[2] for row in rows} == {"sexe", "date_naissance", "heures"}
    for _source, _line, _field, message, content in rows:
        assert "31/02/1980" not in message and "«" not in message
        assert content is None


def _what_a_reader_sees(admin_url: str, url: str, pseudonyms: set[str]) -> dict:
    """Connected as a BI tool's login role, member of spaser_lecteur (the night granted it):
    which person-level relations it may read, the insertion mart's rows, and every text column
    of the published marts that holds a pseudonym."""
    role = f"spaser_test_bi_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"create role {role} login")
        admin.execute(f"grant {LECTEUR} to {role}")
    try:
        with psycopg.connect(url, user=role, autocommit=True) as reader:
            readable = {}
            for relation in PERSON_LEVEL:
                try:
                    reader.execute(f"select 1 from {relation} limit 1")
                    readable[relation] = True
                except psycopg.errors.InsufficientPrivilege:
                    readable[relation] = False
            rows = reader.execute(
                "select heure_cle, heures::float, nb_beneficiaires from marts.fct_heures_insertion order by heure_cle"
            ).fetchall()
            columns = reader.execute(
                "select table_name, column_name from information_schema.columns"
                " where table_schema = 'marts' and data_type = 'text'"
            ).fetchall()
            holding_pseudonyms = [
                (table, column)
                for table, column in columns
                if reader.execute(
                    f'select count(*) from marts."{table}" where "{column}" = any(%s)', (sorted(pseudonyms),)
                ).fetchone()[0]
            ]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"drop role if exists {role}")
    return {"readable": readable, "rows": rows, "holding_pseudonyms": holding_pseudonyms}


def test_a_bi_reader_sees_insertion_hours_only_per_contract_company_and_month(night):
    assert night.reader["readable"] == dict.fromkeys(PERSON_LEVEL, False)
    assert night.reader["holding_pseudonyms"] == []
    # The loaded lines of insertion/heures (CALCULS.md), by buyer, contract, company and month: PLAT-003's
    # two contracts of January 2022 are one person; PLAT-001 and PLAT-005 share September 2023.
    assert night.reader["rows"] == [
        ("20006878100018|2022-001|81234567600025|2022-02-01", 110.5, 1),
        ("20006878100018|2022-001|81234567600025|2022-03-01", 120.0, 1),
        ("20006878100018|2022-001|82345678500018|2022-03-01", 80.0, 1),
        ("20006878100018|2022-004|43456789700013|2022-01-01", 62.0, 1),
        ("20006878100018|2023-001|51567890200013|2023-03-01", 151.67, 1),
        ("20006878100018|2023-001|88888888800016|2023-05-01", 35.0, 1),
        ("21260362500014|VAL-2023-06|81234567600025|2023-09-01", 70.0, 2),
    ]


def test_pseudonyms_are_the_keyed_hmac_under_a_private_key_file(night):
    key_file = night.home / "secrets" / "pseudonymisation.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key = key_file.read_text(encoding="ascii").strip().encode("ascii")
    expected = {hmac.new(key, f"PLAT-00{n}".encode(), hashlib.sha256).hexdigest() for n in (1, 2, 3, 4, 5)}
    assert night.pseudonyms == expected


def test_agec_declarations_follow_the_national_format(night):
    files = sorted(night.agec_dir.iterdir())
    assert night.agec_status == 0
    assert [path.name for path in files] == [
        "declaration_agec_2023_20006878100018.csv",
        "declaration_agec_2023_21260362500014.csv",
    ]
    for path in files:
        assert validate_csv(path, DECLARATION_SCHEMA) == []
    with files[1].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "annee",
        "siret",
        "raison_sociale",
        "type_produit_acquis",
        "montant_total",
        "montant_reemploi_et_reutilisation",
        "montant_produits_issus_don",
        "montant_produits_recycles",
        "commentaires",
    ]
    assert [
        (
            row["type_produit_acquis"],
            row["montant_total"],
            row["montant_reemploi_et_reutilisation"],
            row["montant_produits_recycles"],
        )
        for row in rows
    ] == [("Matériel informatique et téléphonie", "8000", "2000", "0"), ("Papier", "1000", "0", "500")]


def test_the_agec_declaration_keeps_formula_like_text_verbatim_and_flags_it(night):
    """The legal file says exactly what was declared (national format, read as data): a supplier's
    text that a spreadsheet would run as a formula is neither altered nor prefixed, but each such
    cell is reported with its file, line and field (spaser/outputs/agec.py)."""
    files = {path.name: path for path in night.agec_dir.iterdir()}
    with files["declaration_agec_2023_20006878100018.csv"].open(encoding="utf-8", newline="") as handle:
        vra = list(csv.DictReader(handle))
    assert [(row["raison_sociale"], row["commentaires"], row["montant_total"]) for row in vra] == [
        ("@SUM(1+1)*cmd|' /C calc'!A0", '=HYPERLINK("http://exemple.invalid/x","justificatif")', "4000")
    ]
    with files["declaration_agec_2023_21260362500014.csv"].open(encoding="utf-8", newline="") as handle:
        valence = list(csv.DictReader(handle))
    assert [row["commentaires"] for row in valence] == ["-2 écrans neufs, +1 reconditionné", "Papier recyclé, ramettes"]
    flagged = [line.strip() for line in night.agec_messages.splitlines() if line.startswith("  ligne")]
    assert [line.split(" : ")[0] for line in flagged] == [
        "ligne 2, champ raison_sociale",
        "ligne 2, champ commentaires",
        "ligne 2, champ commentaires",
    ]
    assert "declaration_agec_2023_20006878100018.csv : attention" in night.agec_messages
    assert "declaration_agec_2023_21260362500014.csv : attention" in night.agec_messages
    assert night.agec_status == 0


AGEC_REFERENCE = REFERENCE_DIR / "agec"


@needs_reference(AGEC_REFERENCE / "schema_declaration_reemploi_v0.1.0.json")
def test_the_declared_agec_format_is_the_published_schema():
    published = json.loads((AGEC_REFERENCE / "schema_declaration_reemploi_v0.1.0.json").read_text(encoding="utf-8"))
    assert published["version"] == DECLARATION_SCHEMA["version"]
    assert [(field["name"], field["type"], field.get("constraints", {})) for field in published["fields"]] == [
        (field["name"], field["type"], field["constraints"]) for field in DECLARATION_SCHEMA["fields"]
    ]


@needs_reference(AGEC_REFERENCE / "exemple_valide.csv")
def test_the_published_valid_example_passes_the_declared_format():
    assert validate_csv(AGEC_REFERENCE / "exemple_valide.csv", DECLARATION_SCHEMA) == []


def test_the_schema_validator_rejects_what_the_schema_forbids(tmp_path):
    header = (
        "annee,siret,raison_sociale,type_produit_acquis,montant_total,montant_reemploi_et_reutilisation,"
        "montant_produits_issus_don,montant_produits_recycles,commentaires"
    )
    valid = tmp_path / "valide.csv"
    valid.write_text(header + "\n2024,13002526500013,DINUM,Papier,1000.5,100,0,250,\n", encoding="utf-8")
    assert validate_csv(valid, DECLARATION_SCHEMA) == []
    broken = tmp_path / "invalide.csv"
    broken.write_text(header + "\n24,1300252650001,DINUM,Meubles,douze,1,2,3,\n", encoding="utf-8")
    fields = {error.field for error in validate_csv(broken, DECLARATION_SCHEMA)}
    assert fields == {"annee", "siret", "type_produit_acquis", "montant_total"}

"""The quality gate on a real PostgreSQL: suites, qualite.validations, Data Docs and the atomic swap.

Marts are built here with plain SQL following docs/ARCHITECTURE.md, so these tests do not depend on dbt.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from spaser.core.catalogue import load_catalogue
from spaser.core.settings import DBT_PROJECT_DIR
from spaser.db.migrations import migrate
from spaser.ingest.sources import SOURCES
from spaser.publish.swap import CandidateMissing, prepare_candidate, publish_candidate
from spaser.quality import suites
from spaser.quality.gate import validate_marts, validate_raw
from tests.conftest import validated

VRA_SIRET = "20006878100015"
VRA = "200068781"
YEAR = 2024
AIRFLOW_RUN_ID = "scheduled__2024-06-01T02:00:00+00:00"

MART_TABLES = {
    "dim_acheteurs": "acheteur_siret text, acheteur_siren text, acheteur_nom text",
    "dim_entreprises": "entreprise_id text, type_identifiant text, denomination text, categorie_entreprise text,"
    " tranche_effectifs text, est_pme boolean, est_tpe boolean, est_ess boolean, connue_sirene boolean",
    "fct_marches": "marche_cle text, acheteur_id text, acheteur_siren text, id_marche text, nature text, objet text,"
    " code_cpv text, procedure text, date_notification date, annee_notification integer, duree_mois integer,"
    " montant numeric, date_fin date, categorie_achat text, clause_sociale boolean, critere_social boolean,"
    " marche_reserve boolean, consideration_sociale boolean, clause_environnementale boolean,"
    " critere_environnemental boolean, consideration_environnementale boolean, marche_innovant boolean,"
    " considerations_publiees boolean, format_decp text, titulaire_principal_id text, titulaire_principal_entreprise_id text, titulaire_principal_est_pme boolean,"
    " nb_titulaires integer, id_consultation text, lot integer, variantes_autorisees boolean,"
    " lot_marche_reserve boolean, lot_marche_insertion boolean, lot_mpgp boolean, source_fichier text",
    "fct_marches_titulaires": "marche_titulaire_cle text, marche_cle text, rang integer, titulaire_id text,"
    " type_identifiant text, entreprise_id text",
    "fct_lots": "lot_cle text, acheteur_siret text, id_consultation text, lot integer, nb_lots integer, objet text,"
    " categorie text, segment text, code_cpv text, procedure text, montant_estime_ht numeric,"
    " maitrise_oeuvre boolean, date_lancement date, date_cloture date, statut text, variantes_autorisees boolean,"
    " marche_reserve boolean, marche_insertion boolean, mpgp boolean, id_marche text, acheteur_siren text,"
    " annee_lancement integer, annee_cloture integer, marche_cle text",
    "fct_offres": "offre_cle text, lot_cle text, acheteur_siren text, soumissionnaire_id text, entreprise_id text,"
    " territoire text, annee_depot integer, date_depot date, groupement boolean, retenue boolean,"
    " exclusion_motif text, demande_motifs_rejet boolean, est_pme boolean, est_tpe boolean",
    "fct_indicateurs": "indicateur_cle text, indicateur_id text, engagement text, libelle text, perimetre text,"
    " annee integer, ventilation text, valeur numeric, numerateur numeric, denominateur numeric, unite text,"
    " realisation_2022 numeric, cible_valeur numeric, cible_sens text, cible_annee integer, statut text, motif text",
    "fct_achats_alimentaires": "achat_cle text, acheteur_siren text, siret text, cantine_id text, date_achat date,"
    " annee_achat integer, description text, fournisseur text, prix_ht numeric, famille_produits text,"
    " caracteristiques text, groupe_egalim text, est_egalim boolean, est_local boolean, est_circuit_court boolean,"
    " est_france boolean, est_europe boolean, definition_local text, definition_local_km integer, source_fichier text",
    "fct_menus": "menu_cle text, acheteur_siren text, date_menu date, annee_menu integer, site text, service text,"
    " nb_repas integer, vegetarien boolean, source_fichier text",
    "fct_depenses": "depense_cle text, acheteur_siren text, annee_mandat integer, tiers_id text,"
    " type_identifiant text, tiers_nom text, compte_nature text, id_marche text, marche_cle text,"
    " categorie_achat text, est_restauration boolean, territoire text, type_structure text, circuit_court boolean,"
    " montant_ht numeric, emissions_kgco2e numeric, nb_lignes integer",
    "fct_titres": "titre_cle text, acheteur_siren text, exercice integer, numero_titre text, date_titre date,"
    " annee_titre integer, tiers_nom text, compte_nature text, objet text, montant_ht numeric, origine text,"
    " est_encheres boolean, source_fichier text",
    "dim_fournisseurs": "siret text, siren text, nom text, structure_inclusive text, date_signature_charte date,"
    " annee_signature_charte integer, circuit_court boolean, source_fichier text",
    "ind_e05_insertion": "indicateur_id text, perimetre text, annee integer, ventilation text, valeur numeric,"
    " numerateur numeric, denominateur numeric",
    "fct_heures_insertion": "heure_cle text, acheteur_siren text, annee_mois integer, mois date, territoire text,"
    " heures numeric, nb_beneficiaires integer",
    "fct_activites": "activite_cle text, date_activite date, annee_activite integer, type_activite text",
    "fct_declarations_agec": "agec_cle text, annee integer, acheteur_siret text, acheteur_siren text,"
    " type_produit_acquis text",
    "fct_fiches_operation": "consultation_cle text, acheteur_siren text, annee_lancement integer, annee_validation integer",
    "fct_ges_territoire": "ges_cle text, annee integer, emissions_ktco2e numeric",
    "fct_fiabilisation_anomalies": "anomalie_cle text, semestre text, acheteur_siren text, regle text,"
    " systeme_source text, enregistrement_cle text, date_reference date, detail text, indicateurs text",
    "fct_fiabilisation_compteurs": "compteur_cle text, semestre text, perimetre text, regle text, nb_anomalies integer,"
    " nb_anomalies_restantes integer, tendance text",
    "fct_fiabilisation_part_marches": "part_cle text, acheteur_siren text, annee integer, montant_achats_ht numeric,"
    " montant_sous_marche_publie_ht numeric",
}


def _create_marts(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f"create schema {schema}")
    for table, columns in MART_TABLES.items():
        conn.execute(f"create table {schema}.{table} ({columns})")


def _fill_marts(conn: psycopg.Connection, schema: str, buyer_name: str = "Valence Romans Agglo") -> None:
    """One marché, its lot, one bid and every expected indicator for TOUS and VRA in YEAR."""
    marche = f"{VRA_SIRET}|{YEAR}-001"
    lot = f"{VRA_SIRET}|C1|1"
    conn.execute(f"insert into {schema}.dim_acheteurs values (%s, %s, %s)", (VRA_SIRET, VRA, buyer_name))
    conn.execute(
        f"insert into {schema}.dim_entreprises values ('123456789', 'SIRET', 'ACME', 'PME', '11', true, true, false, true)"
    )
    conn.execute(
        f"insert into {schema}.fct_marches (marche_cle, acheteur_id, acheteur_siren, id_marche, date_notification,"
        " annee_notification, duree_mois, montant, date_fin, categorie_achat, nb_titulaires, lot, source_fichier)"
        f" values (%s, %s, %s, %s, '{YEAR}-03-01', {YEAR}, 12, 1000, '{YEAR + 1}-03-01', 'travaux', 1, 1, 'decp.json')",
        (marche, VRA_SIRET, VRA, f"{YEAR}-001"),
    )
    conn.execute(
        f"insert into {schema}.fct_marches_titulaires values (%s, %s, 1, '12345678900011', 'SIRET', '123456789')",
        (f"{marche}|1", marche),
    )
    conn.execute(
        f"insert into {schema}.fct_lots (lot_cle, acheteur_siret, id_consultation, lot, nb_lots, categorie, procedure,"
        " montant_estime_ht, maitrise_oeuvre, date_lancement, date_cloture, statut, acheteur_siren, annee_lancement,"
        f" annee_cloture, marche_cle) values (%s, %s, 'C1', 1, 1, 'travaux', 'procedure_adaptee', 900, false,"
        f" '{YEAR}-01-10', '{YEAR}-02-20', 'attribue', %s, {YEAR}, {YEAR}, %s)",
        (lot, VRA_SIRET, VRA, marche),
    )
    conn.execute(
        f"insert into {schema}.fct_offres values (%s, %s, %s, '12345678900011', '123456789', 'agglo', {YEAR},"
        f" '{YEAR}-01-20', false, true, null, false, true, true)",
        (f"{lot}|12345678900011", lot, VRA),
    )
    for indicator_id in suites.EXPECTED_INDICATORS:
        for perimetre in ("TOUS", VRA):
            percentage = indicator_id.endswith("_pct")
            conn.execute(
                f"insert into {schema}.fct_indicateurs (indicateur_cle, indicateur_id, libelle, perimetre, annee,"
                " ventilation, valeur, numerateur, denominateur, unite, statut) values (%s, %s, 'libellé', %s, %s, '',"
                " %s, 1, 2, %s, 'calcule')",
                (
                    f"{indicator_id}|{perimetre}|{YEAR}|",
                    indicator_id,
                    perimetre,
                    YEAR,
                    50 if percentage else 1,
                    "pourcentage" if percentage else "nombre",
                ),
            )
    conn.execute(
        f"insert into {schema}.fct_indicateurs (indicateur_cle, indicateur_id, libelle, perimetre, annee, ventilation,"
        " unite, statut, motif) values (%s, 'e03_nb_nouveaux_fournisseurs', 'libellé', 'TOUS', %s, '', 'nombre',"
        " 'pas_de_donnees', 'première année de l''historique')",
        (f"e03_nb_nouveaux_fournisseurs|TOUS|{YEAR - 1}|", YEAR - 1),
    )
    # e02 covers every year of fct_indicateurs, this earlier one included.
    for perimetre in ("TOUS", VRA):
        conn.execute(
            f"insert into {schema}.fct_indicateurs (indicateur_cle, indicateur_id, libelle, perimetre, annee,"
            " ventilation, valeur, numerateur, denominateur, unite, statut) values (%s,"
            " 'e02_indicateurs_automatises_pct', 'libellé', %s, %s, '', 50, 1, 2, 'pourcentage', 'calcule')",
            (f"e02_indicateurs_automatises_pct|{perimetre}|{YEAR - 1}|", perimetre, YEAR - 1),
        )
    conn.execute(
        f"insert into {schema}.ind_e05_insertion values ('e05_nb_mp_clause_sociale', 'TOUS', {YEAR}, '', 1, null, null)"
    )


def _load_raw(conn: psycopg.Connection) -> None:
    migrate(conn)
    sha = "a" * 64
    load_id = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut, nb_enregistrements, nb_charges)"
        " values ('nuit-1', 'marches/decp', 'decp.json', %s, 'charge', 1, 1) returning load_id",
        (sha,),
    ).fetchone()[0]
    conn.execute(
        "insert into raw_stockage.marches_decp (_load_id, _record_number, type_contrat,"
        " acheteur_id, id, date_publication_donnees, donnees) values (%s, 1, 'marche', %s,"
        " '2024-001', '2024-03-05', '{}')",
        (load_id, VRA_SIRET),
    )


def _published_content(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {table: conn.execute(f"select * from marts.{table} order by 1, 2").fetchall() for table in MART_TABLES}


@pytest.fixture
def warehouse(conn):
    """Raw data of one marché, an old published marts schema and a valid candidate."""
    _load_raw(conn)
    _create_marts(conn, "marts")
    _fill_marts(conn, "marts", buyer_name="ancienne publication")
    _create_marts(conn, "marts_candidat")
    _fill_marts(conn, "marts_candidat")
    conn.commit()
    return conn


def _failures(report, suite_name: str) -> list[dict]:
    [outcome] = [outcome for outcome in report.to_dict()["suites"] if outcome["suite"] == suite_name]
    return outcome["echecs"]


def test_a_valid_candidate_passes_the_gate_and_replaces_the_published_marts(warehouse):
    raw_report = validate_raw("nuit-1", SOURCES.values())
    assert raw_report.success, raw_report.explain()
    assert {outcome.suite for outcome in raw_report.suites} == {
        f"raw.{table}" for table in suites.raw_suites(SOURCES.values())
    }

    report = validate_marts(AIRFLOW_RUN_ID)

    assert report.success, report.explain()
    assert "marts.ind_e05_insertion" in {outcome.suite for outcome in report.suites}
    json.dumps(report.to_dict())  # goes to Airflow XCom as is
    rows = warehouse.execute(
        "select couche, count(*), bool_and(succes) from qualite.validations where run_id in ('nuit-1', %s)"
        " group by couche",
        (AIRFLOW_RUN_ID,),
    ).fetchall()
    assert sorted(rows) == [
        ("marts", len(report.suites), True),
        ("raw", len(suites.raw_suites(SOURCES.values())), True),
    ]
    index = Path(report.data_docs_index)
    assert index.name == "index.html" and "marts.fct_indicateurs" in index.read_text(encoding="utf-8")
    for outcome in report.suites:  # the links of index.html, percent-encoded there
        assert (index.parent / outcome.report_path).is_file()
        assert f'href="{quote(outcome.report_path)}"' in index.read_text(encoding="utf-8")

    publish_candidate(warehouse, AIRFLOW_RUN_ID, validated(warehouse, AIRFLOW_RUN_ID))

    assert warehouse.execute("select acheteur_nom from marts.dim_acheteurs").fetchall() == [("Valence Romans Agglo",)]
    schemas = {row[0] for row in warehouse.execute("select nspname from pg_namespace where nspname like 'marts%'")}
    assert schemas == {"marts", "marts_precedent"}  # the previous publication, kept one night


def test_a_suite_page_is_rendered_again_only_when_its_suite_or_the_page_changed(warehouse, monkeypatch):
    """A suite's Data Docs page depends on the suite only (but for the render time GX stamps in it)."""
    validate_marts("nuit-1")
    docs = Path(validate_marts("nuit-2").data_docs_index).parent
    page = docs / "gx" / "expectations" / "marts" / "dim_acheteurs.html"
    rendered = page.read_bytes()
    assert b"dim_acheteurs" in rendered

    validate_marts("nuit-3")
    assert page.read_bytes() == rendered  # same suite: not rendered again (GX's stamp would differ)

    page.write_text("abîmée", encoding="utf-8")
    validate_marts("nuit-4")
    assert b"dim_acheteurs" in page.read_bytes()

    before = page.read_bytes()
    monkeypatch.setitem(
        suites.CORE_MART_SUITES,
        "dim_acheteurs",
        lambda schema: suites._suite(
            "marts.dim_acheteurs", [*suites.dim_acheteurs_suite(schema).expectations, *suites._not_null("acheteur_nom")]
        ),
    )
    validate_marts("nuit-5")
    assert b"acheteur_nom" in page.read_bytes() and page.read_bytes() != before


def test_a_failing_candidate_is_reported_and_the_published_marts_stay_untouched(warehouse):
    """What the marts gate checks beyond dbt's tests (docs/TESTS.md): formats, consistency between
    columns and the completeness of the indicators against the loaded sources."""
    before = _published_content(warehouse)
    bad_ventilation = "categorie_achat:travaux"
    warehouse.execute(
        "update marts_candidat.fct_indicateurs set ventilation = %s,"
        " indicateur_cle = indicateur_id || '|' || perimetre || '|' || annee || '|' || %s"
        " where indicateur_id = 'e05_mp_clause_sociale_pct' and perimetre = 'TOUS'",
        (bad_ventilation, bad_ventilation),
    )
    warehouse.execute(
        "delete from marts_candidat.fct_indicateurs where indicateur_id = 'k_nb_marches' and perimetre = %s", (VRA,)
    )
    warehouse.execute("update marts_candidat.dim_acheteurs set acheteur_siren = '123456789'")
    warehouse.commit()

    report = validate_marts("nuit-2")
    validate_marts("nuit-2")  # a rerun of the night replaces its history rows

    assert not report.success
    indicator_failures = {(f["expectation"], f["column"]): f for f in _failures(report, "marts.fct_indicateurs")}
    ventilation = indicator_failures[("expect_column_values_to_match_regex", "ventilation")]
    assert ventilation["sample"] == [bad_ventilation]
    assert ventilation["summary"].startswith("ventilation : ")
    missing = indicator_failures[("unexpected_rows_expectation", None)]
    assert missing["sample"] == [{"indicateur_id": "k_nb_marches", "perimetre": VRA, "annee": YEAR}]
    [buyer] = _failures(report, "marts.dim_acheteurs")
    assert buyer["summary"].startswith("acheteur_siren est le début de acheteur_siret")
    assert bad_ventilation in report.explain() and "ÉCHEC" in report.explain()
    assert warehouse.execute(
        "select suite, nb_echecs from qualite.validations where run_id = 'nuit-2' and not succes order by suite"
    ).fetchall() == [("marts.dim_acheteurs", 1), ("marts.fct_indicateurs", 2)]
    assert _published_content(warehouse) == before


def test_empty_marts_are_accepted_only_while_raw_holds_no_data(conn):
    migrate(conn)
    _create_marts(conn, "marts_candidat")
    conn.commit()
    assert validate_marts("nuit-vide").success

    _load_raw(conn)
    conn.execute("drop table marts_candidat.fct_offres")
    conn.commit()
    report = validate_marts("nuit-sans-marts")

    failed = {outcome.suite: outcome for outcome in report.suites if not outcome.success}
    assert set(failed) == {"marts.fct_marches", "marts.fct_indicateurs", "marts.fct_offres"}
    assert "absente" in failed["marts.fct_offres"].failures[0].summary


def test_raw_tables_are_checked_only_for_what_spans_rows(conn):
    """A rule on one row is the loader's (the row is quarantined when read: tests/
    test_ingestion_safety.py): the raw gate does not refuse a stored value, it checks what no row
    shows alone — here a mandat line twice in one load, written without the loader."""
    _load_raw(conn)
    load_id = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut, nb_enregistrements, nb_charges)"
        " values ('nuit-3', 'finance/mandats', 'mandats.csv', %s, 'charge', 2, 2) returning load_id",
        ("c" * 64,),
    ).fetchone()[0]
    for record, siren in ((1, "212603625"), (2, "212603625"), (3, "2126036")):
        conn.execute(
            "insert into raw_stockage.finance_mandats (_load_id, _record_number, collectivite_siren, exercice,"
            " numero_bordereau, numero_mandat, ligne, date_mandat, compte_nature, montant_ht)"
            " values (%s, %s, %s, 2023, 'B7', 'M12', 1, '2099-04-05', '6068', 10)",
            (load_id, record, siren),
        )
    conn.commit()

    report = validate_raw("nuit-3", SOURCES.values())

    assert not report.success
    failures = {(f["expectation"], f["column"]): f["sample"] for f in _failures(report, "raw.finance_mandats")}
    key = "_load_id, collectivite_siren, exercice, numero_bordereau, numero_mandat, ligne"
    assert list(failures) == [("expect_compound_columns_to_be_unique", key)]
    assert {
        (row["collectivite_siren"], row["numero_mandat"])
        for row in failures[("expect_compound_columns_to_be_unique", key)]
    } == {("212603625", "M12")}


def test_raw_rows_whose_file_is_not_a_loaded_delivery_are_caught(conn):
    _load_raw(conn)
    rejected_load, rejected_sha = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut, message)"
        " values ('nuit-4', 'referentiels/sirene_unites_legales', 'ul.csv', %s, 'rejete', 'x')"
        " returning load_id, sha256",
        ("b" * 64,),
    ).fetchone()
    for load_id in (rejected_load, rejected_load + 1):  # a rejected file's row, and one of no file at all
        conn.execute(
            "insert into raw_stockage.sirene_unites_legales (_load_id, _record_number, siren)"
            " values (%s, 1, '123456789')",
            (load_id,),
        )
    conn.commit()

    report = validate_raw("nuit-4", SOURCES.values())

    failures = {(f["expectation"], f["column"]): f["sample"] for f in _failures(report, "raw.sirene_unites_legales")}
    assert failures[("unexpected_rows_expectation", None)] == [
        {"_load_id": rejected_load, "_file_sha256": rejected_sha},
        {"_load_id": rejected_load + 1, "_file_sha256": None},
    ]
    for column in ("_source_file", "_file_sha256", "_loaded_at"):  # the orphan's lineage is empty, not hidden
        assert failures[("expect_column_values_to_not_be_null", column)] == [None]


def _deliver_unite_legale(conn: psycopg.Connection, run_id: str, record_numbers: tuple[int, ...] = (1,)) -> int:
    """A delivery of unités légales; a record number given twice is what no loader writes (the
    raw gate's lineage check refuses it)."""
    sha = f"{len(run_id):x}{run_id.encode().hex()}".ljust(64, "0")[:64]
    load_id = conn.execute(
        "insert into raw.fichiers (run_id, source, fichier, sha256, statut, nb_enregistrements, nb_charges)"
        " values (%s, 'referentiels/sirene_unites_legales', 'ul.csv', %s, 'charge', 1, 1) returning load_id",
        (run_id, sha),
    ).fetchone()[0]
    for record in record_numbers:
        conn.execute(
            "insert into raw_stockage.sirene_unites_legales (_load_id, _record_number, siren)"
            " values (%s, %s, '123456789')",
            (load_id, record),
        )
    conn.commit()
    return load_id


def test_raw_gate_reads_the_loads_no_passed_night_covered_and_keeps_a_failed_night_in_scope(conn):
    _load_raw(conn)
    conn.commit()
    first_night = validate_raw("nuit-1", SOURCES.values())
    assert first_night.success and _loads_read(first_night, "raw.marches_decp") == [0, 1]

    bad_load = _deliver_unite_legale(conn, "nuit-2", (1, 1))
    second_night = validate_raw("nuit-2", SOURCES.values())
    assert not second_night.success
    assert _loads_read(second_night, "raw.sirene_unites_legales") == [bad_load, bad_load]  # not load 1 again
    assert _loads_read(second_night, "raw.fichiers") is None  # read whole

    # A good delivery does not let the failed night's rows through: they stay in scope.
    good_load = _deliver_unite_legale(conn, "nuit-3")
    third_night = validate_raw("nuit-3", SOURCES.values())
    assert not third_night.success
    assert _loads_read(third_night, "raw.sirene_unites_legales") == [bad_load, good_load]
    assert [(f["expectation"], len(f["sample"])) for f in _failures(third_night, "raw.sirene_unites_legales")] == [
        ("expect_compound_columns_to_be_unique", 2)
    ]

    # Once the bad delivery is withdrawn, a passing night covers everything up to its last load.
    conn.execute("delete from raw_stockage.sirene_unites_legales where _load_id = %s", (bad_load,))
    conn.commit()
    assert validate_raw("nuit-4", SOURCES.values()).success
    nothing_new = validate_raw("nuit-5", SOURCES.values())
    assert nothing_new.success, nothing_new.explain()
    assert _loads_read(nothing_new, "raw.marches_decp") == [good_load + 1, good_load]  # an empty range
    assert conn.execute(
        "select premier_load_id, dernier_load_id from qualite.validations"
        " where run_id = 'nuit-4' and suite = 'raw.sirene_unites_legales'"
    ).fetchall() == [(bad_load, good_load)]
    auditors_page = Path(nothing_new.data_docs_index).read_text(encoding="utf-8")
    assert f"chargements {bad_load} à {good_load}" in auditors_page and "table entière" in auditors_page


def _loads_read(report, suite_name: str):
    [outcome] = [outcome for outcome in report.to_dict()["suites"] if outcome["suite"] == suite_name]
    return outcome["chargements"]


def test_publication_without_candidate_is_refused_and_keeps_the_published_marts(conn):
    _create_marts(conn, "marts")
    _fill_marts(conn, "marts")
    conn.commit()
    before = _published_content(conn)

    with pytest.raises(CandidateMissing):
        publish_candidate(conn, "nuit", None)

    assert _published_content(conn) == before
    _create_marts(conn, "marts_candidat")
    conn.commit()
    prepare_candidate(conn)
    assert conn.execute("select 1 from pg_namespace where nspname = 'marts_candidat'").fetchone() is None


def test_the_years_each_indicator_must_cover_come_from_one_of_its_sources():
    source_of_axis = {
        "fct_marches.annee_notification": "marches.decp",
        "fct_lots.annee_lancement": "marches.consultations",
        "fct_lots.annee_cloture": "marches.consultations",
        "fct_offres.annee_depot": "marches.offres",
        "fct_achats_alimentaires.annee_achat": "cuisine.achats",
        "fct_menus.annee_menu": "cuisine.menus",
        "fct_heures_insertion.annee_mois": "insertion.heures",
        "fct_activites.annee_activite": "registre.activites",
        "fct_declarations_agec.annee": "registre.agec",
        "fct_fiches_operation.annee_lancement": "ged.fop",
        "fct_ges_territoire.annee": "referentiels.ges_territoire",
        # e02 is computed for every year any indicator has.
        "fct_indicateurs.annee": "catalogue",
        "fct_depenses.annee_mandat": "finance.mandats",
        "fct_titres.annee_titre": "finance.titres",
        "dim_fournisseurs.annee_signature_charte": "registre.fournisseurs",
    }
    for entry in load_catalogue()["indicateurs"]:
        assert source_of_axis[entry["annees"]] in entry["sources"], entry["id"]
        axis = suites.EXPECTED_INDICATORS[entry["id"]]
        assert f"{axis.table}.{axis.year_column}" == entry["annees"]


# The GX expectation a dbt generic test of the same column makes redundant.
DBT_TEST_OF_EXPECTATION = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_in_set": "accepted_values",
    "expect_column_values_to_be_unique": "unique",
}


def _dbt_column_tests() -> dict[tuple[str, str], set[str]]:
    """(mart, column) -> the generic tests the marts' dbt YAML declares on the column."""
    import yaml

    tests: dict[tuple[str, str], set[str]] = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []) + column.get("tests", []):
                    tests.setdefault((model["name"], column["name"]), set()).add(
                        test if isinstance(test, str) else next(iter(test))
                    )
    return tests


def test_the_marts_gate_repeats_no_check_dbt_makes_while_building():
    """docs/TESTS.md: a key, a NULL or a code list of a mart is dbt's; the gate checks the rest."""
    dbt_tests = _dbt_column_tests()
    assert ("fct_marches", "marche_cle") in dbt_tests  # the YAML is read at all
    repeated = [
        (table, expectation.expectation_type, expectation.column)
        for table, factory in suites.CORE_MART_SUITES.items()
        for expectation in factory("marts_candidat").expectations
        if getattr(expectation, "row_condition", None) is None
        and DBT_TEST_OF_EXPECTATION.get(expectation.expectation_type)
        in dbt_tests.get((table, getattr(expectation, "column", None)), set())
    ]
    assert repeated == []

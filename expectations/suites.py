"""The data-quality suites, as code: one per raw table and one per public mart.

Suites are built from this module at every validation, so the code is the only source of truth
(GX's context is ephemeral: nothing of it is stored). Column-level expectations pass on
an empty table, which is what a night without a delivery for a source looks like; emptiness is
only a failure where the layer below holds data (see ``_not_empty_while``).

Indicator completeness (``fct_indicateurs``): the catalogue's shared rule asks for one row per
indicator x perimetre x year "for every perimetre present in any loaded source and every year with
data in the indicator's sources". The gate enforces it with the following reading, written here
because the rule leaves the year axis of multi-source indicators open:
- perimetres = ``TOUS`` and every buyer SIREN found in the candidate fct_marches, fct_lots and
  fct_offres (the loaded sources as the marts see them);
- years of an indicator = the years of the events it counts (``YearAxis``), e.g. notification years
  for marchés, closing years for lots closed in the year, deposit years for bids. Any broader
  reading of "years with data in its sources" contains these years, so a defensible mart never
  fails the gate, while a missing indicator, perimetre or year always does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from extract.plausible import PLAUSIBLE_FIRST_DATE, latest_plausible_date
from spaser.config import PERIMETRE_TOUS

RAW_SCHEMA = "raw"
LINEAGE_COLUMNS = ("_load_id", "_source_file", "_file_sha256", "_record_number", "_loaded_at")

STATUTS_FICHIER = ("charge", "rejete")
TYPES_CONTRAT = ("marche", "contrat-concession")
CATEGORIES_ACHAT = ("travaux", "fournitures", "services")
STATUTS_LOT = ("en_cours", "attribue", "infructueux", "sans_suite")
PROCEDURES = (
    "procedure_adaptee", "appel_offres_ouvert", "appel_offres_restreint", "procedure_negociee",
    "dialogue_competitif", "sans_publicite", "bon_de_commande", "lettre_consultation",
)
TYPES_IDENTIFIANT_OFFRE = ("SIRET", "TVA_UE")
STRUCTURES_INCLUSIVES = ("EI", "AI", "ACI", "ETTI", "EITI", "GEIQ", "EA", "EATT", "ESAT")
TYPES_STRUCTURE = (*STRUCTURES_INCLUSIVES, "ESS")
TERRITOIRES = ("agglo", "departement", "region", "france", "etranger", "inconnu")
# SIRENE codes (INSEE documentation of StockEtablissement / StockUniteLegale).
ETATS_ETABLISSEMENT = ("A", "F")
ETATS_UNITE_LEGALE = ("A", "C")
CATEGORIES_ENTREPRISE = ("PME", "ETI", "GE")
OUI_NON_SIRENE = ("O", "N")

SIREN_REGEX = r"^[0-9]{9}$"
SIRET_REGEX = r"^[0-9]{14}$"
TVA_UE_REGEX = r"^[A-Z]{2}[A-Z0-9]{2,13}$"
SHA256_REGEX = r"^[0-9a-f]{64}$"
PERIMETRE_REGEX = rf"^({PERIMETRE_TOUS}|[0-9]{{9}})$"
# Code commune INSEE (2A/2B for Corsica) or 99xxx for a foreign country.
CODE_COMMUNE_REGEX = r"^[0-9][0-9AB][0-9]{3}$"
# Empty, or key=value pairs joined by | (docs/ARCHITECTURE.md, fct_indicateurs.ventilation).
VENTILATION_REGEX = r"^$|^[a-z_]+=[^|=]+(\|[a-z_]+=[^|=]+)*$"


@dataclass(frozen=True)
class YearAxis:
    """Where the years an indicator is computed for are found in the marts."""

    table: str
    year_column: str


MARCHES_NOTIFIES = YearAxis("fct_marches", "annee_notification")
LOTS_LANCES = YearAxis("fct_lots", "annee_lancement")
LOTS_CLOTURES = YearAxis("fct_lots", "annee_cloture")
OFFRES_DEPOSEES = YearAxis("fct_offres", "annee_depot")
ACHATS_ALIMENTAIRES = YearAxis("fct_achats_alimentaires", "annee_achat")
MENUS_SERVIS = YearAxis("fct_menus", "annee_menu")
HEURES_INSERTION = YearAxis("fct_heures_insertion", "annee_mois")
ACTIVITES_REGISTRE = YearAxis("fct_activites", "annee_activite")
DECLARATIONS_AGEC = YearAxis("fct_declarations_agec", "annee")
FICHES_OPERATION = YearAxis("fct_fiches_operation", "annee_lancement")
INVENTAIRE_GES = YearAxis("fct_ges_territoire", "annee")
# e02 is computed for every year any indicator has.
ANNEES_INDICATEURS = YearAxis("fct_indicateurs", "annee")
DEPENSES = YearAxis("fct_depenses", "annee_mandat")
TITRES = YearAxis("fct_titres", "annee_titre")
SIGNATURES_CHARTE = YearAxis("dim_fournisseurs", "annee_signature_charte")

# The indicators the marts must deliver, each with the years it must cover. Adding an indicator
# is one line here; adding a source adds a YearAxis and, when it names buyers, a PERIMETRE_SOURCES
# entry.
EXPECTED_INDICATORS: dict[str, YearAxis] = {
    "k_nb_marches": MARCHES_NOTIFIES,
    "k_marches_par_categorie_pct": MARCHES_NOTIFIES,
    "k_soumissionnaires_territoire_pct": OFFRES_DEPOSEES,
    "e03_mp_infructueux_pct": LOTS_CLOTURES,
    "e03_nb_nouveaux_fournisseurs": MARCHES_NOTIFIES,
    "e03_nb_mp_variante": MARCHES_NOTIFIES,
    "e05_mp_clause_sociale_pct": MARCHES_NOTIFIES,
    "e05_nb_mp_clause_sociale": MARCHES_NOTIFIES,
    "e05_mp_clause_sociale_par_categorie_pct": MARCHES_NOTIFIES,
    "e05_mp_fournitures_clause_insertion_pct": MARCHES_NOTIFIES,
    "e05_mp_consideration_sociale_pct": MARCHES_NOTIFIES,
    "e06_nb_marches_reserves_en_cours": MARCHES_NOTIFIES,
    "e06_nb_marches_insertion_en_cours": MARCHES_NOTIFIES,
    "e07_nb_interdictions_soumissionner": OFFRES_DEPOSEES,
    "e08_mp_clause_environnementale_pct": MARCHES_NOTIFIES,
    "e08_mp_critere_environnemental_pct": MARCHES_NOTIFIES,
    "e08_mp_consideration_environnementale_pct": MARCHES_NOTIFIES,
    "e08_nb_mp_innovants": MARCHES_NOTIFIES,
    "e12_nb_offres_groupements": OFFRES_DEPOSEES,
    "e13_nb_tpe_pme_soumissionnaires": OFFRES_DEPOSEES,
    "e13_mp_attribues_tpe_pme_pct": MARCHES_NOTIFIES,
    "e13_nb_courriers_reserves": OFFRES_DEPOSEES,
    "e13_procedure_simplifiee_moins_40k_pct": LOTS_LANCES,
    "e13_allotissement_pct": LOTS_LANCES,
    "e08_alim_bio_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_siqo_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_egalim_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_viandes_poissons_egalim_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_local_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_circuit_court_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_regional_pct": ACHATS_ALIMENTAIRES,
    "e08_alim_agglo_pct": ACHATS_ALIMENTAIRES,
    "e08_menus_vegetariens_pct": MENUS_SERVIS,
    "e05_heures_insertion": HEURES_INSERTION,
    "e05_nb_beneficiaires": HEURES_INSERTION,
    "e05_nb_entreprises_insertion": HEURES_INSERTION,
    "e05_public_feminin_pct": HEURES_INSERTION,
    "e05_seniors_pct": HEURES_INSERTION,
    "e05_nb_contrats_signes": HEURES_INSERTION,
    "e05_acces_emploi_durable_pct": HEURES_INSERTION,
    "e01_nb_instances": ACTIVITES_REGISTRE,
    "e01_nb_referentiels": ACTIVITES_REGISTRE,
    "e03_nb_agents_formes": ACTIVITES_REGISTRE,
    "e04_nb_actions_communication": ACTIVITES_REGISTRE,
    "e10_nb_segments_duree_vie": ACTIVITES_REGISTRE,
    "e10_operations_reemploi": ACTIVITES_REGISTRE,
    "e11_nb_reunions_partenariales": ACTIVITES_REGISTRE,
    "e11_nb_actions_programmees": ACTIVITES_REGISTRE,
    "e11_nb_partenaires_impliques": ACTIVITES_REGISTRE,
    "e11_actions_portees_partenaires_pct": ACTIVITES_REGISTRE,
    "e12_nb_entreprises_accompagnees": ACTIVITES_REGISTRE,
    "e13_nb_entreprises_sensibilisees": ACTIVITES_REGISTRE,
    "e13_nb_telechargements_outils": ACTIVITES_REGISTRE,
    "e10_agec_famille_pct": DECLARATIONS_AGEC,
    "e10_agec_moyenne_pct": DECLARATIONS_AGEC,
    "e03_nb_consultations_sourcing": FICHES_OPERATION,
    "e07_egalite_fh_questionnee_pct": LOTS_LANCES,
    "e07_nb_besoin_repense_egalite_fh": FICHES_OPERATION,
    "e09_nb_consultations_label": FICHES_OPERATION,
    "e09_nb_consultations_sans_pe": FICHES_OPERATION,
    "e08_mp_cout_global_pct": MARCHES_NOTIFIES,
    "e09_nb_mp_critere_carbone": MARCHES_NOTIFIES,
    "e10_mp_btp_reemploi_pct": MARCHES_NOTIFIES,
    "e09_ges_territoire_ktco2e": INVENTAIRE_GES,
    "e02_indicateurs_automatises_pct": ANNEES_INDICATEURS,
    "k_depenses_territoire_pct": DEPENSES,
    "k_depenses_categorie_territoire_pct": DEPENSES,
    "e06_depenses_structures_inclusives_eur": DEPENSES,
    "e08_traiteurs_circuit_court_pct": DEPENSES,
    "e09_empreinte_carbone_achats_tco2e": DEPENSES,
    "e10_recette_encheres_eur": TITRES,
    "e12_nb_signataires_charte": SIGNATURES_CHARTE,
}

# Marts naming the buyers of the loaded sources: (table, SIREN column).
PERIMETRE_SOURCES = (
    ("fct_marches", "acheteur_siren"),
    ("fct_lots", "acheteur_siren"),
    ("fct_offres", "acheteur_siren"),
    ("fct_achats_alimentaires", "acheteur_siren"),
    ("fct_menus", "acheteur_siren"),
    ("fct_heures_insertion", "acheteur_siren"),
    ("fct_fiches_operation", "acheteur_siren"),
    ("fct_declarations_agec", "acheteur_siren"),
    ("fct_depenses", "acheteur_siren"),
    ("fct_titres", "acheteur_siren"),
)

# Raw rows that feed the indicators: when one exists, an empty fct_indicateurs is a failure.
INDICATOR_RAW_DATA = (
    "select 1 from raw.marches_decp where type_contrat = 'marche'",
    "select 1 from raw.marches_consultations",
    "select 1 from raw.marches_offres",
    "select 1 from raw.cuisine_achats",
    "select 1 from raw.cuisine_menus",
    "select 1 from raw.insertion_heures",
    "select 1 from raw.registre_activites",
    "select 1 from raw.registre_agec",
    "select 1 from raw.ged_fop",
    "select 1 from raw.finance_mandats",
    "select 1 from raw.finance_titres",
)


# ---------------------------------------------------------------------------- building blocks

def _not_null(*columns: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def _primary_key(column: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=column), gxe.ExpectColumnValuesToBeUnique(column=column)]


def _in_set(column: str, values: tuple[str, ...]) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


def _at_least(column: str, minimum: int) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum)


def _plausible_date(column: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=PLAUSIBLE_FIRST_DATE, max_value=latest_plausible_date()
    )


def _plausible_year(column: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=PLAUSIBLE_FIRST_DATE.year, max_value=latest_plausible_date().year
    )


def _no_rows(description: str, query: str) -> gxe.Expectation:
    """A rule written as SQL returning the offending rows; ``{batch}`` is the validated table.

    GX substitutes ``{batch}`` with an aliased subquery unless the query contains JOIN, in which
    case the alias is left to the query: the queries here never alias ``{batch}`` nor use JOIN.
    """
    return gxe.UnexpectedRowsExpectation(description=description, unexpected_rows_query=query)


def _year_of(date_column: str, year_column: str) -> gxe.Expectation:
    return _no_rows(
        f"{year_column} est l'année de {date_column}",
        f"select {date_column}, {year_column} from {{batch}} "
        f"where {year_column} is distinct from extract(year from {date_column})::integer",
    )


def _tpe_is_pme() -> gxe.Expectation:
    return _no_rows(
        "une TPE est toujours une PME (est_tpe implique est_pme)",
        "select * from {batch} where est_tpe and not coalesce(est_pme, false)",
    )


def _not_empty_while(description: str, *raw_data_queries: str) -> gxe.Expectation:
    raw_data_exists = " or ".join(f"exists ({query})" for query in raw_data_queries)
    return _no_rows(
        description,
        f"select 'table vide' as constat where not exists (select 1 from {{batch}}) and ({raw_data_exists})",
    )


def _lineage() -> list[gxe.Expectation]:
    return [
        *_not_null(*LINEAGE_COLUMNS),
        _at_least("_record_number", 1),
        # The same record of the same file content is loaded once, whatever the number of reruns.
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["_file_sha256", "_record_number"]),
        gxe.ExpectColumnValuesToMatchRegex(column="_file_sha256", regex=SHA256_REGEX),
        # Raw data tables carry no foreign key (it cost more than the COPY itself at scale):
        # the lineage's integrity is checked here, once per night, set-based.
        _no_rows(
            "chaque ligne provient d'un fichier chargé de raw.fichiers (même load_id, même empreinte)",
            # Unqualified lineage columns resolve to the batch: raw.fichiers has none of them.
            "select _load_id, _file_sha256 from {batch} where not exists ("
            " select 1 from raw.fichiers as f where f.load_id = _load_id"
            " and f.sha256 = _file_sha256 and f.statut = 'charge')",
        ),
    ]


def _suite(name: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name, expectations=expectations)


# ---------------------------------------------------------------------------- raw layer

def raw_fichiers_suite() -> gx.ExpectationSuite:
    return _suite("raw.fichiers", [
        *_primary_key("load_id"),
        *_not_null("run_id", "source", "fichier", "sha256", "statut", "charge_le"),
        _in_set("statut", STATUTS_FICHIER),
        gxe.ExpectColumnValuesToMatchRegex(column="sha256", regex=SHA256_REGEX),
        gxe.ExpectColumnValuesToNotBeNull(column="message", row_condition=Column("statut") == "rejete"),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["source", "sha256"], row_condition=Column("statut") == "charge"
        ),
        *(_at_least(column, 0) for column in ("nb_enregistrements", "nb_charges", "nb_quarantaine", "nb_signalements")),
        _plausible_date("charge_le"),
    ])


def _finding_suite(name: str) -> gx.ExpectationSuite:
    """raw.quarantaine and raw.signalements share one shape: a finding on one record."""
    return _suite(name, [
        *_not_null("load_id", "source", "fichier", "enregistrement", "champ", "message"),
        _at_least("enregistrement", 1),
    ])


def raw_quarantaine_suite() -> gx.ExpectationSuite:
    return _finding_suite("raw.quarantaine")


def raw_signalements_suite() -> gx.ExpectationSuite:
    return _finding_suite("raw.signalements")


def raw_marches_decp_suite() -> gx.ExpectationSuite:
    return _suite("raw.marches_decp", [
        *_lineage(),
        *_not_null("type_contrat", "acheteur_id", "id", "donnees"),
        _in_set("type_contrat", TYPES_CONTRAT),
        _plausible_date("date_publication_donnees"),
    ])


def raw_marches_consultations_suite() -> gx.ExpectationSuite:
    return _suite("raw.marches_consultations", [
        *_lineage(),
        *_not_null("acheteur_siret", "id_consultation", "lot"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siret", regex=SIRET_REGEX),
        _at_least("lot", 1),
        _at_least("nb_lots", 1),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="nb_lots", column_B="lot", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        _in_set("categorie", CATEGORIES_ACHAT),
        _in_set("procedure", PROCEDURES),
        _in_set("statut", STATUTS_LOT),
        _at_least("montant_estime_ht", 0),
        _plausible_date("date_lancement"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="date_cloture", column_B="date_lancement", or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
    ])


def raw_marches_offres_suite() -> gx.ExpectationSuite:
    return _suite("raw.marches_offres", [
        *_lineage(),
        *_not_null("acheteur_siret", "id_consultation", "lot", "soumissionnaire_siret", "type_identifiant"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siret", regex=SIRET_REGEX),
        _at_least("lot", 1),
        _in_set("type_identifiant", TYPES_IDENTIFIANT_OFFRE),
        gxe.ExpectColumnValuesToMatchRegex(
            column="soumissionnaire_siret", regex=SIRET_REGEX, row_condition=Column("type_identifiant") == "SIRET"
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="soumissionnaire_siret", regex=TVA_UE_REGEX, row_condition=Column("type_identifiant") == "TVA_UE"
        ),
        _plausible_date("date_depot"),
    ])


def raw_sirene_etablissements_suite() -> gx.ExpectationSuite:
    return _suite("raw.sirene_etablissements", [
        *_lineage(),
        *_not_null("siren", "siret"),
        gxe.ExpectColumnValuesToMatchRegex(column="siren", regex=SIREN_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="siret", regex=SIRET_REGEX),
        _no_rows("le SIRET commence par le SIREN", "select siren, siret from {batch} where left(siret, 9) <> siren"),
        gxe.ExpectColumnValuesToMatchRegex(column="codeCommuneEtablissement", regex=CODE_COMMUNE_REGEX),
        _in_set("etatAdministratifEtablissement", ETATS_ETABLISSEMENT),
    ])


def raw_sirene_unites_legales_suite() -> gx.ExpectationSuite:
    return _suite("raw.sirene_unites_legales", [
        *_lineage(),
        *_not_null("siren"),
        gxe.ExpectColumnValuesToMatchRegex(column="siren", regex=SIREN_REGEX),
        _in_set("categorieEntreprise", CATEGORIES_ENTREPRISE),
        _in_set("economieSocialeSolidaireUniteLegale", OUI_NON_SIRENE),
        _in_set("etatAdministratifUniteLegale", ETATS_UNITE_LEGALE),
    ])


FAMILLES_PRODUITS = (
    "VIANDES_VOLAILLES", "CHARCUTERIE", "PRODUITS_DE_LA_MER", "FRUITS_ET_LEGUMES", "PRODUITS_LAITIERS",
    "BOULANGERIE", "BOISSONS", "AUTRES",
)
# AUTRE: only on rows loaded before ma-cantine's 2026 rules (raw rows are never modified).
DEFINITIONS_LOCAL = ("REGION", "DEPARTEMENT", "PAT", "COMMUNE", "KM", "AUTRE")


def raw_cuisine_achats_suite() -> gx.ExpectationSuite:
    return _suite("raw.cuisine_achats", [
        *_lineage(),
        *_not_null("format", "description", "date", "prix_ht", "famille_produits", "caracteristiques"),
        _in_set("format", ("actuel", "ancien")),
        gxe.ExpectColumnValuesToMatchRegex(column="siret", regex=SIRET_REGEX),
        _no_rows("un achat nomme sa cuisine par siret ou par cantine_id, pas les deux",
                 "select * from {batch} where (siret is null) = (cantine_id is null)"),
        _in_set("famille_produits", FAMILLES_PRODUITS),
        _in_set("definition_local", DEFINITIONS_LOCAL),
        _at_least("prix_ht", 0),
        _at_least("definition_local_km", 0),
        _plausible_date("date"),
    ])


def raw_cuisine_menus_suite() -> gx.ExpectationSuite:
    return _suite("raw.cuisine_menus", [
        *_lineage(),
        *_not_null("date", "site", "service", "nb_repas", "vegetarien"),
        _at_least("nb_repas", 0),
        _plausible_date("date"),
    ])


PSEUDONYME_REGEX = r"^[0-9a-f]{64}$"
TRANCHES_AGE = ("moins_de_26_ans", "de_26_a_49_ans", "50_ans_et_plus")
SORTIES_INSERTION = ("emploi_durable", "emploi_transition", "formation", "autre", "inconnue")


def raw_insertion_heures_suite() -> gx.ExpectationSuite:
    return _suite("raw.insertion_heures", [
        *_lineage(),
        *_not_null("acheteur_siret", "entreprise_siret", "beneficiaire_pseudo", "mois", "heures"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siret", regex=SIRET_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="entreprise_siret", regex=SIRET_REGEX),
        # The platform's id never reaches the warehouse: only its keyed HMAC-SHA256.
        gxe.ExpectColumnValuesToMatchRegex(column="beneficiaire_pseudo", regex=PSEUDONYME_REGEX),
        _in_set("sexe", ("F", "M")),
        _in_set("tranche_age", TRANCHES_AGE),
        _in_set("sortie_type", SORTIES_INSERTION),
        _at_least("heures", 0),
        _plausible_date("mois"),
    ])


def raw_registre_activites_suite() -> gx.ExpectationSuite:
    return _suite("raw.registre_activites", [
        *_lineage(), *_not_null("date", "type"), _plausible_date("date"),
        gxe.ExpectColumnValuesToBeBetween(column="taux", min_value=0, max_value=100),
    ])


def raw_registre_agec_suite() -> gx.ExpectationSuite:
    return _suite("raw.registre_agec", [
        *_lineage(), *_not_null("annee", "siret", "type_produit_acquis", "montant_total"),
        gxe.ExpectColumnValuesToMatchRegex(column="siret", regex=SIRET_REGEX),
        _at_least("montant_total", 0),
        _no_rows(
            "les montants réemploi, don et recyclés ne dépassent pas le montant total",
            "select * from {batch} where montant_reemploi_et_reutilisation + montant_produits_issus_don"
            " + montant_produits_recycles > montant_total",
        ),
    ])


def raw_ged_fop_suite() -> gx.ExpectationSuite:
    return _suite("raw.ged_fop", [
        *_lineage(), *_not_null("acheteur_siret", "id_consultation", "date_validation", "familles_agec", "autres"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siret", regex=SIRET_REGEX),
        _plausible_date("date_validation"),
    ])


def raw_referentiels_ges_territoire_suite() -> gx.ExpectationSuite:
    return _suite("raw.referentiels_ges_territoire", [
        *_lineage(), *_not_null("annee", "secteur", "emissions_ktco2e"), _at_least("emissions_ktco2e", 0),
    ])


def raw_finance_mandats_suite() -> gx.ExpectationSuite:
    return _suite("raw.finance_mandats", [
        *_lineage(),
        *_not_null("collectivite_siren", "exercice", "numero_bordereau", "numero_mandat", "ligne", "date_mandat",
                   "compte_nature", "montant_ht"),
        gxe.ExpectColumnValuesToMatchRegex(column="collectivite_siren", regex=SIREN_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="compte_nature", regex=r"^[0-9]+$"),
        _plausible_date("date_mandat"),
        _plausible_year("exercice"),
        # A re-delivered line is a correction: it may appear in several files, never twice in one.
        gxe.ExpectCompoundColumnsToBeUnique(column_list=[
            "_load_id", "collectivite_siren", "exercice", "numero_bordereau", "numero_mandat", "ligne"]),
    ])


def raw_finance_titres_suite() -> gx.ExpectationSuite:
    return _suite("raw.finance_titres", [
        *_lineage(),
        *_not_null("collectivite_siren", "exercice", "numero_titre", "date_titre", "montant_ht"),
        gxe.ExpectColumnValuesToMatchRegex(column="collectivite_siren", regex=SIREN_REGEX),
        _plausible_date("date_titre"),
    ])


def raw_registre_fournisseurs_suite() -> gx.ExpectationSuite:
    return _suite("raw.registre_fournisseurs", [
        *_lineage(),
        *_not_null("siret", "circuit_court"),
        gxe.ExpectColumnValuesToMatchRegex(column="siret", regex=SIRET_REGEX),
        _in_set("structure_inclusive", STRUCTURES_INCLUSIVES),
        _plausible_date("date_signature_charte"),
    ])


RAW_SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    "fichiers": raw_fichiers_suite,
    "quarantaine": raw_quarantaine_suite,
    "signalements": raw_signalements_suite,
    "marches_decp": raw_marches_decp_suite,
    "marches_consultations": raw_marches_consultations_suite,
    "marches_offres": raw_marches_offres_suite,
    "sirene_etablissements": raw_sirene_etablissements_suite,
    "sirene_unites_legales": raw_sirene_unites_legales_suite,
    "cuisine_achats": raw_cuisine_achats_suite,
    "cuisine_menus": raw_cuisine_menus_suite,
    "insertion_heures": raw_insertion_heures_suite,
    "registre_activites": raw_registre_activites_suite,
    "registre_agec": raw_registre_agec_suite,
    "ged_fop": raw_ged_fop_suite,
    "referentiels_ges_territoire": raw_referentiels_ges_territoire_suite,
    "finance_mandats": raw_finance_mandats_suite,
    "finance_titres": raw_finance_titres_suite,
    "registre_fournisseurs": raw_registre_fournisseurs_suite,
}


# ---------------------------------------------------------------------------- public marts
# Mart suites take the schema they validate (marts_candidat before publication) because some
# rules read a sibling mart; suite names do not carry it: they are the published names.

def dim_acheteurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.dim_acheteurs", [
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siret", regex=SIRET_REGEX),
        _no_rows(
            "acheteur_siren est le début de acheteur_siret",
            "select * from {batch} where acheteur_siren is distinct from left(acheteur_siret, 9)",
        ),
    ])


def dim_entreprises_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.dim_entreprises", [
        *_not_null("type_identifiant", "connue_sirene"),
        gxe.ExpectColumnValuesToMatchRegex(
            column="entreprise_id", regex=SIREN_REGEX, row_condition=Column("type_identifiant") == "SIRET"
        ),
        _in_set("categorie_entreprise", CATEGORIES_ENTREPRISE),
        _tpe_is_pme(),
    ])


def fct_marches_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_marches", [
        *_not_null("acheteur_id", "acheteur_siren", "id_marche", "date_notification", "annee_notification",
                   "source_fichier"),
        _no_rows(
            "marche_cle vaut acheteur_id|id_marche",
            "select marche_cle, acheteur_id, id_marche from {batch} where marche_cle <> acheteur_id || '|' || id_marche",
        ),
        _at_least("montant", 0),
        _at_least("duree_mois", 0),
        _at_least("nb_titulaires", 0),
        _at_least("lot", 1),
        _plausible_date("date_notification"),
        _year_of("date_notification", "annee_notification"),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="date_fin", column_B="date_notification", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        _not_empty_while(
            "fct_marches n'est pas vide quand raw.marches_decp contient des marchés",
            "select 1 from raw.marches_decp where type_contrat = 'marche'",
        ),
    ])


def fct_marches_titulaires_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_marches_titulaires", [
        *_not_null("marche_cle", "rang", "titulaire_id", "type_identifiant"),
        _at_least("rang", 1),
    ])


def fct_lots_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_lots", [
        *_not_null("acheteur_siret", "acheteur_siren", "id_consultation", "lot"),
        _at_least("lot", 1),
        _in_set("categorie", CATEGORIES_ACHAT),
        _in_set("procedure", PROCEDURES),
        _at_least("montant_estime_ht", 0),
        _plausible_date("date_lancement"),
        _year_of("date_lancement", "annee_lancement"),
        _year_of("date_cloture", "annee_cloture"),
        _not_empty_while(
            "fct_lots n'est pas vide quand raw.marches_consultations contient des lots",
            "select 1 from raw.marches_consultations",
        ),
    ])


def fct_offres_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_offres", [
        *_not_null("lot_cle", "acheteur_siren", "soumissionnaire_id", "groupement", "retenue"),
        _plausible_date("date_depot"),
        _year_of("date_depot", "annee_depot"),
        _tpe_is_pme(),
        _not_empty_while(
            "fct_offres n'est pas vide quand raw.marches_offres contient des offres",
            "select 1 from raw.marches_offres",
        ),
    ])


def fct_achats_alimentaires_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_achats_alimentaires", [
        *_not_null("est_egalim", "est_local", "est_circuit_court"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
        _in_set("famille_produits", FAMILLES_PRODUITS),
        _no_rows("est_egalim vaut groupe_egalim renseigné",
                 "select * from {batch} where est_egalim is distinct from (groupe_egalim is not null)"),
        _at_least("prix_ht", 0),
        _plausible_date("date_achat"),
        _year_of("date_achat", "annee_achat"),
        _not_empty_while("fct_achats_alimentaires n'est pas vide quand raw.cuisine_achats contient des achats",
                         "select 1 from raw.cuisine_achats"),
    ])


def fct_menus_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_menus", [
        *_not_null("date_menu", "site", "service", "nb_repas", "vegetarien"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
        _at_least("nb_repas", 0),
        _year_of("date_menu", "annee_menu"),
        _not_empty_while("fct_menus n'est pas vide quand raw.cuisine_menus contient des menus",
                         "select 1 from raw.cuisine_menus"),
    ])


def fct_depenses_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_depenses", [
        *_not_null("emissions_kgco2e"),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
        _in_set("type_structure", TYPES_STRUCTURE),
        _plausible_year("annee_mandat"),
        _at_least("nb_lignes", 1),
        _no_rows(
            "un tiers étranger est classé etranger, un tiers sans identifiant inconnu",
            "select * from {batch} where (type_identifiant = 'etranger') <> (territoire = 'etranger')"
            " or (type_identifiant = 'absent' and territoire <> 'inconnu')",
        ),
        _no_rows(
            "chaque marché lié est un marché de fct_marches",
            f"select marche_cle from {{batch}} where marche_cle is not null and marche_cle not in "
            f"(select marche_cle from {schema}.fct_marches where marche_cle is not null)",
        ),
    ])


def fct_titres_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_titres", [
        _year_of("date_titre", "annee_titre"),
        _not_empty_while("fct_titres n'est pas vide quand raw.finance_titres contient des titres",
                         "select 1 from raw.finance_titres"),
    ])


def dim_fournisseurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.dim_fournisseurs", [
        gxe.ExpectColumnValuesToMatchRegex(column="siret", regex=SIRET_REGEX),
        _in_set("structure_inclusive", STRUCTURES_INCLUSIVES),
        _year_of("date_signature_charte", "annee_signature_charte"),
    ])


SEMESTRE_REGEX = r"^[0-9]{4}-S[12]$"


def fct_fiabilisation_anomalies_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_fiabilisation_anomalies", [
        *_not_null("systeme_source", "enregistrement_cle", "date_reference", "detail", "indicateurs"),
        gxe.ExpectColumnValuesToMatchRegex(column="semestre", regex=SEMESTRE_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
        _no_rows("le semestre est celui de la date de référence",
                 "select * from {batch} where semestre <> extract(year from date_reference)::int::text"
                 " || case when extract(month from date_reference) <= 6 then '-S1' else '-S2' end"
                 " and regle not in ('paiement_autre_siret', 'tiers_hors_sirene', 'heures_sans_decp')"),
    ])


def fct_fiabilisation_compteurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_fiabilisation_compteurs", [
        *_not_null("nb_anomalies_restantes"),
        gxe.ExpectColumnValuesToMatchRegex(column="semestre", regex=SEMESTRE_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="perimetre", regex=PERIMETRE_REGEX),
        _at_least("nb_anomalies", 0),
        _at_least("nb_anomalies_restantes", 0),
    ])


def fct_fiabilisation_part_marches_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_fiabilisation_part_marches", [
        *_not_null("acheteur_siren", "annee", "montant_achats_ht", "montant_sous_marche_publie_ht"),
        _plausible_year("annee"),
    ])


def _indicator_rows() -> list[gxe.Expectation]:
    """Rules every indicator row obeys, in fct_indicateurs as in each ind_* mart. Keys, NULLs and
    uniqueness are dbt's (docs/TESTS.md); the value rules withhold an indicator instead of failing
    the night (dbt_project/macros/controles_valeurs.sql)."""
    return [
        gxe.ExpectColumnValuesToMatchRegex(column="perimetre", regex=PERIMETRE_REGEX),
        gxe.ExpectColumnValuesToMatchRegex(column="ventilation", regex=VENTILATION_REGEX),
        _plausible_year("annee"),
    ]


def missing_indicators_query(schema: str) -> str:
    """SQL listing the (indicateur_id, perimetre, annee) triples the marts should hold but do not."""
    perimetres = " union ".join(
        [f"select '{PERIMETRE_TOUS}'::text"]
        + [f"select {column}::text from {schema}.{table} where {column} is not null" for table, column in PERIMETRE_SOURCES]
    )
    indicators_by_axis: dict[YearAxis, list[str]] = {}
    for indicator_id, axis in EXPECTED_INDICATORS.items():
        indicators_by_axis.setdefault(axis, []).append(indicator_id)
    expected_parts = []
    for axis, indicator_ids in indicators_by_axis.items():
        id_rows = ", ".join(f"('{indicator_id}')" for indicator_id in indicator_ids)
        expected_parts.append(
            f"select ids.indicateur_id, years.annee from (values {id_rows}) as ids (indicateur_id), "
            f"(select distinct {axis.year_column}::integer as annee from {schema}.{axis.table} "
            f"where {axis.year_column} is not null) as years"
        )
    expected = " union all ".join(expected_parts)
    return (
        f"with perimetres (perimetre) as ({perimetres}), expected as ({expected}) "
        f"select e.indicateur_id, p.perimetre, e.annee from expected e, perimetres p "
        f"where (e.indicateur_id, p.perimetre, e.annee) not in (select indicateur_id, perimetre, annee::integer "
        f"from {{batch}} where indicateur_id is not null and perimetre is not null and annee is not null) "
        f"order by e.indicateur_id, p.perimetre, e.annee"
    )


def fct_indicateurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_indicateurs", [
        _no_rows(
            "indicateur_cle vaut indicateur_id|perimetre|annee|ventilation",
            "select indicateur_cle from {batch} where indicateur_cle <> "
            "indicateur_id || '|' || perimetre || '|' || annee::text || '|' || ventilation",
        ),
        *_indicator_rows(),
        *_not_null("libelle", "unite"),
        _no_rows(
            "chaque indicateur attendu est présent pour chaque périmètre et chaque année ayant des données",
            missing_indicators_query(schema),
        ),
        _not_empty_while(
            "fct_indicateurs n'est pas vide quand la couche raw contient des données de marchés",
            *INDICATOR_RAW_DATA,
        ),
    ])


def indicator_mart_suite(table: str) -> gx.ExpectationSuite:
    """Suite of one ind_* mart (one per engagement; which exist depends on the loaded sources)."""
    return _suite(f"marts.{table}", _indicator_rows())


def fct_heures_insertion_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_heures_insertion", [
        *_not_null("acheteur_siren", "beneficiaire_pseudo", "annee_mois", "territoire"),
        gxe.ExpectColumnValuesToMatchRegex(column="beneficiaire_pseudo", regex=PSEUDONYME_REGEX),
        _in_set("territoire", TERRITOIRES),
        _in_set("tranche_age", TRANCHES_AGE),
        _year_of("mois", "annee_mois"),
        _not_empty_while("fct_heures_insertion n'est pas vide quand raw.insertion_heures contient des heures",
                         "select 1 from raw.insertion_heures"),
    ])


def fct_activites_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_activites", [
        *_not_null("date_activite", "type_activite"),
        _year_of("date_activite", "annee_activite"),
    ])


def fct_declarations_agec_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_declarations_agec", [
        *_not_null("annee", "acheteur_siret", "type_produit_acquis"),
    ])


def fct_fiches_operation_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_fiches_operation", [
        *_not_null("acheteur_siren", "annee_validation"),
    ])


def fct_ges_territoire_suite(schema: str) -> gx.ExpectationSuite:
    return _suite("marts.fct_ges_territoire", [_at_least("emissions_ktco2e", 0)])


CORE_MART_SUITES: dict[str, Callable[[str], gx.ExpectationSuite]] = {
    "dim_acheteurs": dim_acheteurs_suite,
    "dim_entreprises": dim_entreprises_suite,
    "fct_marches": fct_marches_suite,
    "fct_marches_titulaires": fct_marches_titulaires_suite,
    "fct_lots": fct_lots_suite,
    "fct_offres": fct_offres_suite,
    "fct_indicateurs": fct_indicateurs_suite,
    "fct_achats_alimentaires": fct_achats_alimentaires_suite,
    "fct_menus": fct_menus_suite,
    "fct_heures_insertion": fct_heures_insertion_suite,
    "fct_activites": fct_activites_suite,
    "fct_declarations_agec": fct_declarations_agec_suite,
    "fct_fiches_operation": fct_fiches_operation_suite,
    "fct_ges_territoire": fct_ges_territoire_suite,
    "fct_depenses": fct_depenses_suite,
    "fct_titres": fct_titres_suite,
    "dim_fournisseurs": dim_fournisseurs_suite,
    "fct_fiabilisation_anomalies": fct_fiabilisation_anomalies_suite,
    "fct_fiabilisation_compteurs": fct_fiabilisation_compteurs_suite,
    "fct_fiabilisation_part_marches": fct_fiabilisation_part_marches_suite,
}
INDICATOR_MART_PREFIX = "ind_"

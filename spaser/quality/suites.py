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

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from spaser.core.catalogue import year_axes
from spaser.core.codes import (
    CATEGORIES_ACHAT,
    CATEGORIES_ENTREPRISE,
    FAMILLES_PRODUITS,
    PROCEDURES,
    STRUCTURES_INCLUSIVES,
)
from spaser.core.plausible import PLAUSIBLE_FIRST_DATE, latest_plausible_date
from spaser.core.settings import PERIMETRE_TOUS

LINEAGE_COLUMNS = ("_load_id", "_source_file", "_file_sha256", "_record_number", "_loaded_at")

STATUTS_FICHIER = ("charge", "rejete")
TYPES_STRUCTURE = (*STRUCTURES_INCLUSIVES, "ESS")
TERRITOIRES = ("agglo", "departement", "region", "france", "etranger", "inconnu")

SIREN_REGEX = r"^[0-9]{9}$"
SIRET_REGEX = r"^[0-9]{14}$"
SHA256_REGEX = r"^[0-9a-f]{64}$"
PERIMETRE_REGEX = rf"^({PERIMETRE_TOUS}|[0-9]{{9}})$"
# Empty, or key=value pairs joined by | (docs/ARCHITECTURE.md, fct_indicateurs.ventilation).
VENTILATION_REGEX = r"^$|^[a-z_]+=[^|=]+(\|[a-z_]+=[^|=]+)*$"


@dataclass(frozen=True)
class YearAxis:
    """Where the years an indicator is computed for are found in the marts."""

    table: str
    year_column: str


# The indicators the marts must deliver, each with the years it must cover: the catalogue's
# `annees` (spaser/core/catalogue/indicateurs.yml). Adding a source that names buyers adds a
# PERIMETRE_SOURCES entry.
EXPECTED_INDICATORS: dict[str, YearAxis] = {indicator_id: YearAxis(*axis) for indicator_id, axis in year_axes().items()}

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
    return _suite(
        "raw.fichiers",
        [
            *_primary_key("load_id"),
            *_not_null("run_id", "source", "fichier", "sha256", "statut", "charge_le"),
            _in_set("statut", STATUTS_FICHIER),
            gxe.ExpectColumnValuesToMatchRegex(column="sha256", regex=SHA256_REGEX),
            gxe.ExpectColumnValuesToNotBeNull(column="message", row_condition=Column("statut") == "rejete"),
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["source", "sha256"], row_condition=Column("statut") == "charge"
            ),
            *(
                _at_least(column, 0)
                for column in ("nb_enregistrements", "nb_charges", "nb_quarantaine", "nb_signalements")
            ),
            _plausible_date("charge_le"),
        ],
    )


def _finding_suite(name: str) -> gx.ExpectationSuite:
    """raw.quarantaine and raw.signalements share one shape: a finding on one record."""
    return _suite(
        name,
        [
            *_not_null("load_id", "source", "fichier", "enregistrement", "champ", "message"),
            _at_least("enregistrement", 1),
        ],
    )


def raw_quarantaine_suite() -> gx.ExpectationSuite:
    return _finding_suite("raw.quarantaine")


def raw_signalements_suite() -> gx.ExpectationSuite:
    return _finding_suite("raw.signalements")


def raw_source_suite(source) -> gx.ExpectationSuite:
    """The suite of a source's raw table: what spans rows only. Every rule on one delivered row —
    types, formats, code lists, bounds, plausible dates, rules across a row's columns — is the
    source's declaration (spaser/ingest/fields.py), applied when the row is read: a row breaking one is
    quarantined then, and the rows the loader stored keep to them by construction. A row the
    gate refused could not be corrected (raw rows are never modified) and would fail every later
    night; what a single row cannot show is checked here: the lineage, and a business key the
    source declares unique within a file (a file repeating a key has its later rows quarantined
    on loading: this checks the loader kept to it)."""
    expectations = _lineage()
    if getattr(source, "key_unique_in_file", False):
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=["_load_id", *source.key_columns]))
    return _suite(source.raw_table, expectations)


def raw_suites(sources: Iterable) -> dict[str, Callable[[], gx.ExpectationSuite]]:
    """The raw layer's suites, by table: the loader's own tables, and one per source of
    ``sources`` (the extractors' declarations, which the pipeline passes: the quality checks do
    not import the extraction)."""
    return {
        "fichiers": raw_fichiers_suite,
        "quarantaine": raw_quarantaine_suite,
        "signalements": raw_signalements_suite,
        **{source.raw_table.split(".", 1)[1]: functools.partial(raw_source_suite, source) for source in sources},
    }


# ---------------------------------------------------------------------------- public marts
# Mart suites take the schema they validate (marts_candidat before publication) because some
# rules read a sibling mart; suite names do not carry it: they are the published names.


def dim_acheteurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.dim_acheteurs",
        [
            gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siret", regex=SIRET_REGEX),
            _no_rows(
                "acheteur_siren est le début de acheteur_siret",
                "select * from {batch} where acheteur_siren is distinct from left(acheteur_siret, 9)",
            ),
        ],
    )


def dim_entreprises_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.dim_entreprises",
        [
            *_not_null("type_identifiant", "connue_sirene"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="entreprise_id", regex=SIREN_REGEX, row_condition=Column("type_identifiant") == "SIRET"
            ),
            _in_set("categorie_entreprise", CATEGORIES_ENTREPRISE),
            _tpe_is_pme(),
        ],
    )


def fct_marches_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_marches",
        [
            *_not_null(
                "acheteur_id",
                "acheteur_siren",
                "id_marche",
                "date_notification",
                "annee_notification",
                "source_fichier",
            ),
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
                column_A="date_fin",
                column_B="date_notification",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            _not_empty_while(
                "fct_marches n'est pas vide quand raw.marches_decp contient des marchés",
                "select 1 from raw.marches_decp where type_contrat = 'marche'",
            ),
        ],
    )


def fct_marches_titulaires_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_marches_titulaires",
        [
            *_not_null("marche_cle", "rang", "titulaire_id", "type_identifiant"),
            _at_least("rang", 1),
        ],
    )


def fct_lots_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_lots",
        [
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
        ],
    )


def fct_offres_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_offres",
        [
            *_not_null("lot_cle", "acheteur_siren", "soumissionnaire_id", "groupement", "retenue"),
            _plausible_date("date_depot"),
            _year_of("date_depot", "annee_depot"),
            _tpe_is_pme(),
            _not_empty_while(
                "fct_offres n'est pas vide quand raw.marches_offres contient des offres",
                "select 1 from raw.marches_offres",
            ),
        ],
    )


def fct_achats_alimentaires_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_achats_alimentaires",
        [
            *_not_null("est_egalim", "est_local", "est_circuit_court"),
            gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
            _in_set("famille_produits", FAMILLES_PRODUITS),
            _no_rows(
                "est_egalim vaut groupe_egalim renseigné",
                "select * from {batch} where est_egalim is distinct from (groupe_egalim is not null)",
            ),
            _at_least("prix_ht", 0),
            _plausible_date("date_achat"),
            _year_of("date_achat", "annee_achat"),
            _not_empty_while(
                "fct_achats_alimentaires n'est pas vide quand raw.cuisine_achats contient des achats",
                "select 1 from raw.cuisine_achats",
            ),
        ],
    )


def fct_menus_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_menus",
        [
            *_not_null("date_menu", "site", "service", "nb_repas", "vegetarien"),
            gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
            _at_least("nb_repas", 0),
            _year_of("date_menu", "annee_menu"),
            _not_empty_while(
                "fct_menus n'est pas vide quand raw.cuisine_menus contient des menus", "select 1 from raw.cuisine_menus"
            ),
        ],
    )


def fct_depenses_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_depenses",
        [
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
        ],
    )


def fct_titres_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_titres",
        [
            _year_of("date_titre", "annee_titre"),
            _not_empty_while(
                "fct_titres n'est pas vide quand raw.finance_titres contient des titres",
                "select 1 from raw.finance_titres",
            ),
        ],
    )


def dim_fournisseurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.dim_fournisseurs",
        [
            gxe.ExpectColumnValuesToMatchRegex(column="siret", regex=SIRET_REGEX),
            _in_set("structure_inclusive", STRUCTURES_INCLUSIVES),
            _year_of("date_signature_charte", "annee_signature_charte"),
        ],
    )


SEMESTRE_REGEX = r"^[0-9]{4}-S[12]$"


def fct_fiabilisation_anomalies_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_fiabilisation_anomalies",
        [
            *_not_null("systeme_source", "enregistrement_cle", "date_reference", "detail", "indicateurs"),
            gxe.ExpectColumnValuesToMatchRegex(column="semestre", regex=SEMESTRE_REGEX),
            gxe.ExpectColumnValuesToMatchRegex(column="acheteur_siren", regex=SIREN_REGEX),
            _no_rows(
                "le semestre est celui de la date de référence",
                "select * from {batch} where semestre <> extract(year from date_reference)::int::text"
                " || case when extract(month from date_reference) <= 6 then '-S1' else '-S2' end"
                " and regle not in ('paiement_autre_siret', 'tiers_hors_sirene', 'heures_sans_decp')",
            ),
        ],
    )


def fct_fiabilisation_compteurs_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_fiabilisation_compteurs",
        [
            *_not_null("nb_anomalies_restantes"),
            gxe.ExpectColumnValuesToMatchRegex(column="semestre", regex=SEMESTRE_REGEX),
            gxe.ExpectColumnValuesToMatchRegex(column="perimetre", regex=PERIMETRE_REGEX),
            _at_least("nb_anomalies", 0),
            _at_least("nb_anomalies_restantes", 0),
        ],
    )


def fct_fiabilisation_part_marches_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_fiabilisation_part_marches",
        [
            *_not_null("acheteur_siren", "annee", "montant_achats_ht", "montant_sous_marche_publie_ht"),
            _plausible_year("annee"),
        ],
    )


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
        + [
            f"select {column}::text from {schema}.{table} where {column} is not null"
            for table, column in PERIMETRE_SOURCES
        ]
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
    return _suite(
        "marts.fct_indicateurs",
        [
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
        ],
    )


def indicator_mart_suite(table: str) -> gx.ExpectationSuite:
    """Suite of one ind_* mart (one per engagement; which exist depends on the loaded sources)."""
    return _suite(f"marts.{table}", _indicator_rows())


def fct_heures_insertion_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_heures_insertion",
        [
            *_not_null("acheteur_siren", "annee_mois", "territoire", "heures", "nb_beneficiaires"),
            _in_set("territoire", TERRITOIRES),
            _at_least("nb_beneficiaires", 1),
            _year_of("mois", "annee_mois"),
            _not_empty_while(
                "fct_heures_insertion n'est pas vide quand raw.insertion_heures contient des heures",
                "select 1 from raw.insertion_heures",
            ),
        ],
    )


def fct_activites_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_activites",
        [
            *_not_null("date_activite", "type_activite"),
            _year_of("date_activite", "annee_activite"),
        ],
    )


def fct_declarations_agec_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_declarations_agec",
        [
            *_not_null("annee", "acheteur_siret", "type_produit_acquis"),
        ],
    )


def fct_fiches_operation_suite(schema: str) -> gx.ExpectationSuite:
    return _suite(
        "marts.fct_fiches_operation",
        [
            *_not_null("acheteur_siren", "annee_validation"),
        ],
    )


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

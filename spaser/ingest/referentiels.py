"""INSEE SIRENE extracts (``StockEtablissement``, ``StockUniteLegale``), official headers.

INSEE's stock files are comma-separated UTF-8 with some forty columns; only the ones the warehouse
uses are declared, every other column is ignored (and reported once per file). Required in the
header: the identifiers and the columns the indicators read — the establishment's commune
(territory) for establishments; the company category, headcount band and ESS flag (TPE/PME, ESS)
for legal units. The other declared columns may be absent and are then NULL.
"""

from __future__ import annotations

from spaser.core.codes import (
    CATEGORIES_ENTREPRISE,
    ETATS_ETABLISSEMENT,
    ETATS_UNITE_LEGALE,
    OUI_NON_SIRENE,
    SECTEURS_GES,
)
from spaser.ingest.fields import BOOLEAN, INTEGER, SIREN, SIRET, TEXT, Field, code, decimal, pattern, starts_with
from spaser.ingest.rows import RowSource
from spaser.ingest.tabular import TabularSource

# Code commune INSEE (2A/2B for Corsica) or 99xxx for a foreign country.
CODE_COMMUNE = pattern(r"[0-9][0-9AB][0-9]{3}", "n'est pas un code commune INSEE (5 caractères, 2A ou 2B en Corse)")


class SireneEtablissementsSource(TabularSource):
    raw_table = "raw.sirene_etablissements"
    key_columns = ("siret",)
    columns = (
        Field("siren", SIREN, mandatory=True),
        Field("siret", SIRET, mandatory=True),
        Field("codeCommuneEtablissement", CODE_COMMUNE),
        Field("etatAdministratifEtablissement", code(ETATS_ETABLISSEMENT), required=False),
        Field("etablissementSiege", BOOLEAN, required=False),
        Field("trancheEffectifsEtablissement", TEXT, required=False),
        Field("activitePrincipaleEtablissement", TEXT, required=False),
        Field("denominationUsuelleEtablissement", TEXT, required=False),
    )
    rules = (starts_with("siret", "siren", "« {value} » ne commence pas par le SIREN « {other} »"),)


class SireneUnitesLegalesSource(TabularSource):
    raw_table = "raw.sirene_unites_legales"
    key_columns = ("siren",)
    columns = (
        Field("siren", SIREN, mandatory=True),
        Field("denominationUniteLegale", TEXT, required=False),
        Field("categorieEntreprise", code(CATEGORIES_ENTREPRISE)),
        Field("trancheEffectifsUniteLegale", TEXT),
        Field("economieSocialeSolidaireUniteLegale", code(OUI_NON_SIRENE)),
        Field("categorieJuridiqueUniteLegale", TEXT, required=False),
        Field("etatAdministratifUniteLegale", code(ETATS_UNITE_LEGALE), required=False),
    )


class GesTerritoireSource(RowSource):
    """``referentiels/ges_territoire``: the territory's yearly greenhouse-gas inventory (PCAET
    BEGES), one row per year and sector: ``annee``, ``secteur``, ``emissions_ktco2e``."""

    raw_table = "raw.referentiels_ges_territoire"
    key_fields = ("annee", "secteur")
    fields = (
        Field("annee", INTEGER, mandatory=True),
        Field("secteur", code(SECTEURS_GES), mandatory=True),
        Field("emissions_ktco2e", decimal(minimum=0), mandatory=True),  # gross emissions
    )

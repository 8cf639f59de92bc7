"""INSEE SIRENE extracts (``StockEtablissement``, ``StockUniteLegale``), official headers.

INSEE's stock files are comma-separated UTF-8 with some forty columns; only the ones the warehouse
uses are declared, every other column is ignored (and reported once per file). Required in the
header: the identifiers and the columns the indicators read — the establishment's commune
(territory) for establishments; the company category, headcount band and ESS flag (TPE/PME, ESS)
for legal units. The other declared columns may be absent and are then NULL.
"""
from __future__ import annotations

from extract.tabular import BOOLEAN, SIREN, SIRET, Column, TabularSource


class SireneEtablissementsSource(TabularSource):
    source = "referentiels/sirene_etablissements"
    raw_table = "raw.sirene_etablissements"
    key_columns = ("siret",)
    columns = (
        Column("siren", SIREN, mandatory=True),
        Column("siret", SIRET, mandatory=True),
        Column("codeCommuneEtablissement"),
        Column("etatAdministratifEtablissement", required=False),
        Column("etablissementSiege", BOOLEAN, required=False),
        Column("trancheEffectifsEtablissement", required=False),
        Column("activitePrincipaleEtablissement", required=False),
        Column("denominationUsuelleEtablissement", required=False),
    )


class SireneUnitesLegalesSource(TabularSource):
    source = "referentiels/sirene_unites_legales"
    raw_table = "raw.sirene_unites_legales"
    key_columns = ("siren",)
    columns = (
        Column("siren", SIREN, mandatory=True),
        Column("denominationUniteLegale", required=False),
        Column("categorieEntreprise"),
        Column("trancheEffectifsUniteLegale"),
        Column("economieSocialeSolidaireUniteLegale"),
        Column("categorieJuridiqueUniteLegale", required=False),
        Column("etatAdministratifUniteLegale", required=False),
    )

"""The market software's tabular exports: consultations (one row per lot) and offres (one row per bid).

Columns and codes are those of ../shared/spec/sources.md. Required in the header: every column
the warehouse uses — the business key, and every column an indicator or a mart reads (a missing
boolean column would otherwise silently read as "false" on every row). Only ``objet`` and
``code_cpv`` of consultations, descriptive, may be absent. A value is mandatory only in the
business-key columns; codes are compared in lower case.
"""
from __future__ import annotations

from extract.tabular import (
    BOOLEAN,
    COMPANY_IDENTIFIER,
    DATE,
    DECIMAL,
    INTEGER,
    PAST_DATE,
    SIRET,
    Column,
    TabularSource,
    company_identifier_kind,
    enumeration,
)

CATEGORIES = ("travaux", "fournitures", "services")
PROCEDURES = (
    "procedure_adaptee",
    "appel_offres_ouvert",
    "appel_offres_restreint",
    "procedure_negociee",
    "dialogue_competitif",
    "sans_publicite",
    "bon_de_commande",
    "lettre_consultation",
)
STATUTS = ("en_cours", "attribue", "infructueux", "sans_suite")

LOT_KEY = (
    Column("acheteur_siret", SIRET, mandatory=True),
    Column("id_consultation", mandatory=True),
    Column("lot", INTEGER, mandatory=True),
)


class ConsultationsSource(TabularSource):
    source = "marches/consultations"
    raw_table = "raw.marches_consultations"
    key_columns = ("acheteur_siret", "id_consultation", "lot")
    columns = (
        *LOT_KEY,
        Column("nb_lots", INTEGER),
        Column("objet", required=False),
        Column("categorie", enumeration(*CATEGORIES)),
        Column("segment"),
        Column("code_cpv", required=False),
        Column("procedure", enumeration(*PROCEDURES)),
        Column("montant_estime_ht", DECIMAL),
        Column("maitrise_oeuvre", BOOLEAN),
        Column("date_lancement", PAST_DATE),
        Column("date_cloture", DATE),
        Column("statut", enumeration(*STATUTS)),
        Column("variantes_autorisees", BOOLEAN),
        Column("marche_reserve", BOOLEAN),
        Column("marche_insertion", BOOLEAN),
        Column("mpgp", BOOLEAN),
        Column("id_marche"),
    )


class OffresSource(TabularSource):
    """Bids. ``soumissionnaire_siret`` holds a SIRET or an EU VAT number; ``type_identifiant``
    (SIRET / TVA_UE) is derived from its shape. An empty ``exclusion_motif`` is stored as NULL."""

    source = "marches/offres"
    raw_table = "raw.marches_offres"
    key_columns = ("acheteur_siret", "id_consultation", "lot", "soumissionnaire_siret")
    columns = (
        *LOT_KEY,
        Column("soumissionnaire_siret", COMPANY_IDENTIFIER, mandatory=True),
        Column("groupement", BOOLEAN),
        Column("date_depot", PAST_DATE),
        Column("retenue", BOOLEAN),
        Column("exclusion_motif"),
        Column("demande_motifs_rejet", BOOLEAN),
    )
    derived_columns = {"type_identifiant": lambda values: company_identifier_kind(values["soumissionnaire_siret"])}

"""The market software's tabular exports: consultations (one row per lot) and offres (one row per bid).

Columns and codes are those of ../shared/spec/sources.md. Required in the header: every column
the warehouse uses — the business key, and every column an indicator or a mart reads (a missing
boolean column would otherwise silently read as "false" on every row). Only ``objet`` and
``code_cpv`` of consultations, descriptive, may be absent. A value is mandatory only in the
business-key columns; codes are compared in lower case.
"""

from __future__ import annotations

from spaser.core.codes import CATEGORIES_ACHAT, PROCEDURES, STATUTS_LOT
from spaser.ingest.fields import (
    BOOLEAN,
    COMPANY_IDENTIFIER,
    DATE,
    PAST_DATE,
    SIRET,
    TEXT,
    Field,
    at_least,
    code,
    company_identifier_kind,
    decimal,
    integer,
)
from spaser.ingest.tabular import TabularSource

LOT_KEY = (
    Field("acheteur_siret", SIRET, mandatory=True),
    Field("id_consultation", TEXT, mandatory=True),
    Field("lot", integer(minimum=1), mandatory=True),
)


class ConsultationsSource(TabularSource):
    raw_table = "raw.marches_consultations"
    key_columns = ("acheteur_siret", "id_consultation", "lot")
    columns = (
        *LOT_KEY,
        Field("nb_lots", integer(minimum=1)),
        Field("objet", TEXT, required=False),
        Field("categorie", code(CATEGORIES_ACHAT)),
        Field("segment", TEXT),
        Field("code_cpv", TEXT, required=False),
        Field("procedure", code(PROCEDURES)),
        Field("montant_estime_ht", decimal(minimum=0)),
        Field("maitrise_oeuvre", BOOLEAN),
        Field("date_lancement", PAST_DATE),
        Field("date_cloture", DATE),
        Field("statut", code(STATUTS_LOT)),
        Field("variantes_autorisees", BOOLEAN),
        Field("marche_reserve", BOOLEAN),
        Field("marche_insertion", BOOLEAN),
        Field("mpgp", BOOLEAN),
        Field("id_marche", TEXT),
    )
    rules = (
        at_least("nb_lots", "lot", "« {value} » lot(s) en tout, moins que le numéro de lot « {other} »"),
        at_least("date_cloture", "date_lancement", "« {value} » précède la date de lancement « {other} »"),
    )


class OffresSource(TabularSource):
    """Bids. ``soumissionnaire_siret`` holds a SIRET or an EU VAT number; ``type_identifiant``
    (SIRET / TVA_UE) is derived from its shape. An empty ``exclusion_motif`` is stored as NULL."""

    raw_table = "raw.marches_offres"
    key_columns = ("acheteur_siret", "id_consultation", "lot", "soumissionnaire_siret")
    columns = (
        *LOT_KEY,
        Field("soumissionnaire_siret", COMPANY_IDENTIFIER, mandatory=True),
        Field("groupement", BOOLEAN),
        Field("date_depot", PAST_DATE),
        Field("retenue", BOOLEAN),
        Field("exclusion_motif", TEXT),
        Field("demande_motifs_rejet", BOOLEAN),
    )
    derived_columns = {"type_identifiant": lambda values: company_identifier_kind(values["soumissionnaire_siret"])}

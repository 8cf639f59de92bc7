"""The code lists of the sources, written once: the source modules declare their columns with
them (spaser/ingest/fields.py: a value outside the list quarantines its row on loading) and the quality
suites check the marts with them (spaser/quality/suites.py). Spellings are the contracts' (sources.md,
the national formats): a reader stores the value as written here, whatever case it was delivered in
(ma-cantine's codes excepted: they are case-sensitive, as in its schema).

National formats keep their own declaration where the project checks it against the published
schema: DECP (spaser/ingest/decp_format.py), the AGEC declaration (spaser/core/agec_declaration.py).
"""

from __future__ import annotations

# marches/consultations (sources.md)
CATEGORIES_ACHAT = ("travaux", "fournitures", "services")
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
STATUTS_LOT = ("en_cours", "attribue", "infructueux", "sans_suite")
# marches/offres: derived from the shape of the bidder's identifier (spaser/ingest/marches.py).
TYPES_IDENTIFIANT_OFFRE = ("SIRET", "TVA_UE")

# INSEE SIRENE (documentation of StockEtablissement / StockUniteLegale)
ETATS_ETABLISSEMENT = ("A", "F")
ETATS_UNITE_LEGALE = ("A", "C")
CATEGORIES_ENTREPRISE = ("PME", "ETI", "GE")
OUI_NON_SIRENE = ("O", "N")

# registre/fournisseurs: the inclusive structures of the SPASER team's register
STRUCTURES_INCLUSIVES = ("EI", "AI", "ACI", "ETTI", "EITI", "GEIQ", "EA", "EATT", "ESAT")

# cuisine/achats: ma-cantine's import format (spaser/ingest/cuisine.py)
FAMILLES_PRODUITS = (
    "VIANDES_VOLAILLES",
    "CHARCUTERIE",
    "PRODUITS_DE_LA_MER",
    "FRUITS_ET_LEGUMES",
    "PRODUITS_LAITIERS",
    "BOULANGERIE",
    "BOISSONS",
    "AUTRES",
)
# EGALIM labels and mentions, in ma-cantine's order (bio, SIQO, other labels, externalités/performance).
CATEGORIES_EGALIM = (
    "BIO",
    "LABEL_ROUGE",
    "AOCAOP",
    "IGP",
    "STG",
    "HVE",
    "PECHE_DURABLE",
    "RUP",
    "COMMERCE_EQUITABLE",
    "FERMIER",
    "EXTERNALITES",
    "PERFORMANCE",
)
FRANCE, EUROPE = "FRANCE", "EUROPE"
ORIGINES = (FRANCE, EUROPE)
CIRCUIT_COURT, LOCAL = "CIRCUIT_COURT", "LOCAL"
# The legacy `caracteristiques` column mixes every characteristic.
CARACTERISTIQUES = (*CATEGORIES_EGALIM, *ORIGINES, CIRCUIT_COURT, LOCAL)
# definition_local: the current format's values (the ones stored), then the legacy format's.
DEFINITIONS_LOCAL = ("PAT", "COMMUNE", "DEPARTEMENT", "REGION", "KM")
LEGACY_DEFINITIONS_LOCAL = ("AUTOUR_SERVICE", "COMMUNE", "DEPARTEMENT", "REGION", "PAT", "AUTRE")

# insertion/heures
SEXES = ("F", "M")
SORTIES_INSERTION = ("emploi_durable", "emploi_transition", "formation", "autre", "inconnue")
# Age bands on 1 January of the year of the hours (spaser/ingest/insertion.py derives them).
TRANCHES_AGE = ("moins_de_26_ans", "de_26_a_49_ans", "50_ans_et_plus")

# registre/activites
TYPES_ACTIVITE = (
    "COPIL",
    "COTECH",
    "COSUI",
    "GT",
    "REFERENTIEL",
    "FORMATION",
    "COMMUNICATION",
    "REUNION_PARTENARIALE",
    "ACTION_PROGRAMME",
    "ATELIER",
    "ACCOMPAGNEMENT",
    "SENSIBILISATION",
    "TELECHARGEMENT",
    "SEGMENT_DUREE_VIE",
    "CHANTIER_REEMPLOI",
)
PUBLICS_CIBLES = ("interne", "elus", "institutionnels", "professionnels", "grand_public")

# referentiels/ges_territoire: the PCAET's sectors (arrêté du 4 août 2016), transport split as the
# SPASER's targets split it.
SECTEURS_GES = (
    "residentiel",
    "tertiaire",
    "transport_personnes",
    "transport_marchandises",
    "agriculture",
    "dechets",
    "industrie",
    "branche_energie",
)

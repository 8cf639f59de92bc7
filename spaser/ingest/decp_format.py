"""What the warehouse checks in a DECP record: the project's own declaration of the format 2024
(arrêté du 22 décembre 2022, national schema v2.0.3) — field names, types, allowed values — and
of the two tiers of validity (sources.md, « marches/decp »).

Tier 1, the fields an indicator uses (``INDICATOR_FIELDS``): a record whose such field is missing
or unusable is quarantined. ``DEGRADABLE_FIELDS`` are used by some indicators only: an unusable
value is dropped, the record loads with a signalement and those indicators leave it out.
Tier 2, everything else this declaration describes: a departure loads the record with a
signalement naming the fix the buyer should make in its export.

The facts below are those of the national schema; tests/test_extract_decp.py compares them with
the published schema when a copy of it is at hand, so that a new version of the format is seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TEXT = "texte"
INTEGER = "nombre entier"
NUMBER = "nombre"
BOOLEAN = "booléen (true ou false)"
DATE = "date (AAAA-MM-JJ)"
OBJECT = "objet"
LIST = "liste"

MARCHE = "marche"
CONCESSION = "contrat-concession"
FORMAT_2024 = "2024"
FORMAT_2019 = "2019"


@dataclass(frozen=True)
class Champ:
    """One field: its kind, its allowed values, its members (object) or items (list).

    ``wrapper``: a list whose items are each wrapped in a single-key object, the official way
    (``"titulaires": [{"titulaire": {...}}]``). ``minimum``/``maximum`` bound a number.
    ``plausible``: a date the warehouse's checks require between 2000 and tomorrow
    (spaser/core/plausible.py; a date the marts gate reads, stored in raw, or an indicator's year)."""

    kind: str
    values: tuple[str, ...] = ()
    members: Mapping[str, Champ] = field(default_factory=dict)
    item: Champ | None = None
    wrapper: str | None = None
    required: bool = False
    min_items: int = 0
    minimum: float | None = None
    maximum: float | None = None
    plausible: bool = False


def text(*values: str, required: bool = False) -> Champ:
    return Champ(TEXT, values=values, required=required)


def scalar(kind: str, required: bool = False, minimum: float | None = None, maximum: float | None = None) -> Champ:
    return Champ(kind, required=required, minimum=minimum, maximum=maximum)


# The dates a contract is counted by (its year) and the raw column date_publication_donnees.
PLAUSIBLE_DATE = Champ(DATE, required=True, plausible=True)


def obj(required: bool = False, **members: Champ) -> Champ:
    return Champ(OBJECT, members=members, required=required)


def values_holder(list_name: str, *values: str, required: bool = False) -> Champ:
    """``"considerationsSociales": {"considerationSociale": [...]}``: an object holding one list."""
    return obj(required=required, **{list_name: Champ(LIST, item=text(*values), required=True, min_items=1)})


def wrapped_list(wrapper: str, item: Champ, required: bool = False) -> Champ:
    return Champ(LIST, item=item, wrapper=wrapper, required=required, min_items=1)


TYPES_IDENTIFIANT = ("SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "HORS-UE")
SOCIAL_MARCHE = ("Clause sociale", "Critère social", "Marché réservé", "Pas de considération sociale")
SOCIAL_CONCESSION = ("Clause sociale", "Critère social", "Concession réservée", "Pas de considération sociale")
ENVIRONNEMENTAL = ("Clause environnementale", "Critère environnemental", "Pas de considération environnementale")
NO_CONSIDERATION = {
    "considerationsSociales": "Pas de considération sociale",
    "considerationsEnvironnementales": "Pas de considération environnementale",
}
TYPES_CODE_LIEU = (
    "Code postal",
    "Code commune",
    "Code arrondissement",
    "Code canton",
    "Code département",
    "Code région",
    "Code pays",
)
PROCEDURES_MARCHE = (
    "Procédure adaptée",
    "Appel d'offres ouvert",
    "Appel d'offres restreint",
    "Procédure avec négociation",
    "Marché passé sans publicité ni mise en concurrence préalable",
    "Dialogue compétitif",
)
TECHNIQUES = (
    "Accord-cadre",
    "Concours",
    "Système de qualification",
    "Système d'acquisition dynamique",
    "Catalogue électronique",
    "Enchère électronique",
    "Sans objet",
)

# The schema's own bounds; the plausibility ceiling of an amount is the project's (issue 18, as
# the national pipelines do): beyond it the value is a typing error, not a contract.
MONTANT_PLAUSIBLE_MAX = 3_000_000_000

OPERATEUR = obj(id=text(required=True), typeIdentifiant=text(*TYPES_IDENTIFIANT, required=True))
LIEU = obj(code=text(required=True), typeCode=text(*TYPES_CODE_LIEU, required=True))
AMOUNT = scalar(NUMBER, minimum=1, maximum=MONTANT_PLAUSIBLE_MAX)
DURATION = scalar(INTEGER, minimum=1)

MARCHE_FIELDS: Mapping[str, Champ] = {
    "id": text(required=True),
    "acheteur": obj(required=True, id=text(required=True)),
    "nature": text("Marché", "Marché de partenariat", "Marché de défense ou de sécurité", required=True),
    "objet": text(required=True),
    "codeCPV": text(required=True),
    "techniques": values_holder("technique", *TECHNIQUES, required=True),
    "modalitesExecution": values_holder(
        "modaliteExecution", "Tranches", "Bons de commande", "Marchés subséquents", "Sans objet", required=True
    ),
    "idAccordCadre": text(),
    "marcheInnovant": scalar(BOOLEAN, required=True),
    "ccag": text(
        "Travaux",
        "Maitrise d'œuvre",
        "Fournitures courantes et services",
        "Marchés industriels",
        "Prestations intellectuelles",
        "Techniques de l'information et de la communication",
        "Pas de CCAG",
        required=True,
    ),
    "offresRecues": scalar(INTEGER, required=True, minimum=1),
    "attributionAvance": scalar(BOOLEAN, required=True),
    "tauxAvance": scalar(NUMBER, minimum=0, maximum=1),
    "typeGroupementOperateurs": text("Conjoint", "Solidaire", "Pas de groupement", required=True),
    "sousTraitanceDeclaree": scalar(BOOLEAN, required=True),
    "actesSousTraitance": wrapped_list(
        "acteSousTraitance",
        obj(
            id=scalar(INTEGER, required=True),
            sousTraitant=Champ(OBJECT, members=OPERATEUR.members, required=True),
            dureeMois=scalar(INTEGER, required=True, minimum=1),
            dateNotification=scalar(DATE, required=True),
            montant=scalar(NUMBER, required=True, minimum=1, maximum=MONTANT_PLAUSIBLE_MAX),
            variationPrix=text("Ferme", "Actualisable", "Révisable", required=True),
            datePublicationDonnees=scalar(DATE, required=True),
        ),
    ),
    "procedure": text(*PROCEDURES_MARCHE, required=True),
    "lieuExecution": Champ(OBJECT, members=LIEU.members, required=True),
    "dureeMois": scalar(INTEGER, required=True, minimum=1),
    "dateNotification": PLAUSIBLE_DATE,
    "datePublicationDonnees": PLAUSIBLE_DATE,
    "montant": scalar(NUMBER, required=True, minimum=1, maximum=MONTANT_PLAUSIBLE_MAX),
    "typesPrix": values_holder(
        "typePrix", "Définitif ferme", "Définitif actualisable", "Définitif révisable", "Provisoire", required=True
    ),
    "formePrix": text("Unitaire", "Forfaitaire", "Mixte", required=True),
    "origineUE": scalar(NUMBER, minimum=0, maximum=1),
    "origineFrance": scalar(NUMBER, minimum=0, maximum=1),
    "titulaires": wrapped_list("titulaire", Champ(OBJECT, members=OPERATEUR.members), required=True),
    "considerationsSociales": values_holder("considerationSociale", *SOCIAL_MARCHE, required=True),
    "considerationsEnvironnementales": values_holder("considerationEnvironnementale", *ENVIRONNEMENTAL, required=True),
    "modificationsActesSousTraitance": wrapped_list(
        "modificationActeSousTraitance",
        obj(
            id=scalar(INTEGER, required=True),
            dureeMois=DURATION,
            dateNotificationModificationSousTraitance=scalar(DATE, required=True),
            montant=AMOUNT,
            datePublicationDonnees=scalar(DATE, required=True),
        ),
    ),
    "modifications": wrapped_list(
        "modification",
        obj(
            id=scalar(INTEGER, required=True),
            dureeMois=DURATION,
            montant=AMOUNT,
            titulaires=wrapped_list("titulaire", Champ(OBJECT, members=OPERATEUR.members)),
            dateNotificationModification=scalar(DATE, required=True),
            datePublicationDonneesModification=scalar(DATE, required=True),
        ),
    ),
}

CONCESSION_FIELDS: Mapping[str, Champ] = {
    "id": text(required=True),
    "autoriteConcedante": obj(required=True, id=text(required=True)),
    "nature": text(
        "Concession de travaux",
        "Concession de service",
        "Concession de service public",
        "Délégation de service public",
        required=True,
    ),
    "objet": text(required=True),
    "procedure": text(
        "Procédure négociée ouverte",
        "Procédure non négociée ouverte",
        "Procédure négociée restreinte",
        "Procédure non négociée restreinte",
        required=True,
    ),
    "dureeMois": scalar(INTEGER, required=True, minimum=1),
    "dateSignature": PLAUSIBLE_DATE,
    "datePublicationDonnees": PLAUSIBLE_DATE,
    "dateDebutExecution": scalar(DATE, required=True),
    "valeurGlobale": scalar(NUMBER, required=True, minimum=1, maximum=MONTANT_PLAUSIBLE_MAX),
    "montantSubventionPublique": scalar(NUMBER, required=True, minimum=0),
    "donneesExecution": wrapped_list(
        "donneesAnnuelles",
        obj(
            datePublicationDonneesExecution=scalar(DATE, required=True),
            depensesInvestissement=scalar(NUMBER, required=True, minimum=0),
            tarifs=wrapped_list(
                "tarif",
                obj(intituleTarif=text(required=True), tarif=scalar(NUMBER, required=True, minimum=0)),
                required=True,
            ),
        ),
    ),
    "concessionnaires": wrapped_list("concessionnaire", Champ(OBJECT, members=OPERATEUR.members), required=True),
    "considerationsSociales": values_holder("considerationSociale", *SOCIAL_CONCESSION, required=True),
    "considerationsEnvironnementales": values_holder("considerationEnvironnementale", *ENVIRONNEMENTAL, required=True),
    "modifications": wrapped_list(
        "modification",
        obj(
            id=scalar(INTEGER, required=True),
            dureeMois=DURATION,
            valeurGlobale=AMOUNT,
            dateSignatureModification=scalar(DATE, required=True),
            datePublicationDonneesModification=scalar(DATE, required=True),
        ),
    ),
}

FIELDS: Mapping[str, Mapping[str, Champ]] = {MARCHE: MARCHE_FIELDS, CONCESSION: CONCESSION_FIELDS}
BUYER_FIELD = {MARCHE: "acheteur", CONCESSION: "autoriteConcedante"}

# ---------------------------------------------------------------- the two tiers

# Paths without list indexes ("titulaires.titulaire.id"). A record is quarantined when one of
# these is missing or unusable: the family names the indicators that would be wrong without it.
INDICATOR_FIELDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    MARCHE: {
        "identification, année et version du marché (tous les indicateurs de marchés)": (
            "id",
            "acheteur",
            "acheteur.id",
            "dateNotification",
            "datePublicationDonnees",
        ),
        "catégorie d'achat (k_marches_par_categorie_pct, e05 par catégorie et fournitures)": ("codeCPV",),
        "titulaires (e13 TPE/PME, e06 ESS)": (
            "titulaires",
            "titulaires.titulaire",
            "titulaires.titulaire.id",
            "titulaires.titulaire.typeIdentifiant",
            # only the list that is current (the modification with the highest id): see decp.py
            "modifications.modification.titulaires",
            "modifications.modification.titulaires.titulaire",
            "modifications.modification.titulaires.titulaire.id",
            "modifications.modification.titulaires.titulaire.typeIdentifiant",
        ),
        "considérations sociales et environnementales (e05, e08)": (
            "considerationsSociales",
            "considerationsSociales.considerationSociale",
            "considerationsEnvironnementales",
            "considerationsEnvironnementales.considerationEnvironnementale",
        ),
        "innovation (e08_mp_innovants_pct)": ("marcheInnovant", "procedure", "techniques.technique"),
    },
    CONCESSION: {
        "identification et version du contrat (aucun indicateur ne compte les concessions)": (
            "id",
            "autoriteConcedante",
            "autoriteConcedante.id",
            "datePublicationDonnees",
        ),
    },
}

# Used by some indicators only: an unusable value is dropped (signalement), the contract still
# counts where it is not needed.
DEGRADABLE_FIELDS: Mapping[str, str] = {
    "montant": "montant (e13 part des montants aux TPE/PME : le marché n'y est pas compté en euros, "
    "il l'est en nombre)",
    "modifications.modification.montant": "montant modifié (e13 : le montant précédent reste courant)",
    "dureeMois": "durée (e06 marchés en cours : le marché n'y est pas compté, faute de date de fin)",
    "modifications.modification.dureeMois": "durée modifiée (e06 : la durée précédente reste courante)",
}

# Fields the format 2019 (arrêté du 22 mars 2019) did not have: NULL for its records, and an
# indicator that needs them says « non publié au format 2019 » when no contract carries them.
ABSENT_FROM_FORMAT_2019 = (
    "considerationsSociales",
    "considerationsEnvironnementales",
    "marcheInnovant",
    "techniques",
    "modalitesExecution",
    "ccag",
    "offresRecues",
    "attributionAvance",
    "typeGroupementOperateurs",
    "sousTraitanceDeclaree",
    "origineUE",
    "origineFrance",
)


def indicator_family(kind: str, path: str) -> str | None:
    """The indicator family that needs the field at ``path`` (list indexes removed), if any."""
    for family, paths in INDICATOR_FIELDS[kind].items():
        if path in paths:
            return family
    return None

"""The SPASER team's registers, kept in spreadsheets (CSV or XLSX): ``registre/activites`` (one row
per event) and ``registre/agec`` (AGEC statements, official national declaration columns).

Business keys (the newest delivery wins, sources.md): an event is identified by its date, type,
libellé, porteur and company — the register has no id column, so re-delivering the spreadsheet
corrects its rows rather than duplicating them; an AGEC statement by (annee, buyer siret,
type_produit_acquis, fournisseur_siret).
"""
from __future__ import annotations

from typing import Any, Mapping

from extract.agec_declaration import PRODUCT_CATEGORIES
from extract.codes import PUBLICS_CIBLES, SECTEURS_GES, TYPES_ACTIVITE
from extract.fields import INTEGER, PAST_DATE, SIRET, TEXT, Field, RowRule, code, decimal, integer, required_when
from extract.rows import RowSource

QUANTITY = integer(minimum=0)
AMOUNT = decimal(minimum=0)


class RegistreActivitesSource(RowSource):
    raw_table = "raw.registre_activites"
    key_fields = ("date", "type", "libelle", "porteur", "entreprise_siret")
    fields = (
        Field("date", PAST_DATE, mandatory=True),
        Field("type", code(TYPES_ACTIVITE), mandatory=True),
        Field("libelle", TEXT),
        Field("public_cible", code(PUBLICS_CIBLES), required=False),
        Field("porteur", TEXT, required=False),
        Field("nb_participants", QUANTITY, required=False),
        Field("quantite", QUANTITY, required=False),
        Field("taux", decimal(minimum=0, maximum=100), required=False),  # a reuse rate, in %
        Field("entreprise_siret", SIRET, required=False),
    )
    rules = (
        # e04 counts communications by target audience: one without it would fall in no class.
        required_when("public_cible", "type", "COMMUNICATION", "une action COMMUNICATION doit préciser son public_cible"),
        required_when("entreprise_siret", "type", "ACCOMPAGNEMENT",
                      "un ACCOMPAGNEMENT doit préciser l'entreprise accompagnée"),
        required_when("quantite", "type", "TELECHARGEMENT",
                      "une ligne TELECHARGEMENT doit donner le nombre de téléchargements"),
    )


AGEC_SHARES = ("montant_reemploi_et_reutilisation", "montant_produits_issus_don", "montant_produits_recycles")


def _shares_within_total(values: Mapping[str, Any]) -> str | None:
    # The three shares are parts of the total (a reused good is not also counted as recycled):
    # more than the total would make the declaration's percentages exceed 100.
    parts = sum(values[name] for name in AGEC_SHARES)
    if parts <= values["montant_total"]:
        return None
    return (f"la somme des montants réemploi/réutilisation, don et recyclés ({parts}) dépasse "
            f"le montant total ({values['montant_total']})")


class RegistreAgecSource(RowSource):
    raw_table = "raw.registre_agec"
    key_fields = ("annee", "siret", "type_produit_acquis", "fournisseur_siret")
    fields = (
        Field("annee", integer(minimum=2000, maximum=2100), mandatory=True),
        Field("siret", SIRET, mandatory=True),
        Field("raison_sociale", TEXT),
        Field("type_produit_acquis", code(PRODUCT_CATEGORIES, case_sensitive=True), mandatory=True),
        Field("montant_total", AMOUNT, mandatory=True),
        *(Field(name, AMOUNT, mandatory=True) for name in AGEC_SHARES),
        Field("commentaires", TEXT, required=False),
        Field("fournisseur_siret", SIRET),
    )
    rules = (RowRule("montant_total", ("montant_total", *AGEC_SHARES), _shares_within_total),)


class GesTerritoireSource(RowSource):
    """``referentiels/ges_territoire``: the territory's yearly greenhouse-gas inventory (PCAET
    BEGES), one row per year and sector: ``annee``, ``secteur``, ``emissions_ktco2e``."""

    raw_table = "raw.referentiels_ges_territoire"
    key_fields = ("annee", "secteur")
    fields = (
        Field("annee", INTEGER, mandatory=True),
        Field("secteur", code(SECTEURS_GES), mandatory=True),
        Field("emissions_ktco2e", AMOUNT, mandatory=True),  # gross emissions
    )

"""The SPASER team's registers, kept in spreadsheets (CSV or XLSX): ``registre/activites`` (one row
per event) and ``registre/agec`` (AGEC statements, official national declaration columns).

Business keys (the newest delivery wins, sources.md): an event is identified by its date, type,
libellé, porteur and company — the register has no id column, so re-delivering the spreadsheet
corrects its rows rather than duplicating them; an AGEC statement by (annee, buyer siret,
type_produit_acquis, fournisseur_siret).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spaser.core.agec_declaration import PRODUCT_CATEGORIES
from spaser.core.codes import PUBLICS_CIBLES, STRUCTURES_INCLUSIVES, TYPES_ACTIVITE
from spaser.ingest.fields import BOOLEAN, PAST_DATE, SIRET, TEXT, Field, RowRule, code, decimal, integer, required_when
from spaser.ingest.rows import RowSource
from spaser.ingest.tabular import TabularSource

QUANTITY = integer(minimum=0)
AMOUNT = decimal(minimum=0)
STRUCTURE_INCLUSIVE = code(
    STRUCTURES_INCLUSIVES, problem=f"n'est pas un type de structure inclusive ({', '.join(STRUCTURES_INCLUSIVES)})"
)


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
        required_when(
            "public_cible", "type", "COMMUNICATION", "une action COMMUNICATION doit préciser son public_cible"
        ),
        required_when(
            "entreprise_siret", "type", "ACCOMPAGNEMENT", "un ACCOMPAGNEMENT doit préciser l'entreprise accompagnée"
        ),
        required_when(
            "quantite", "type", "TELECHARGEMENT", "une ligne TELECHARGEMENT doit donner le nombre de téléchargements"
        ),
    )


AGEC_SHARES = ("montant_reemploi_et_reutilisation", "montant_produits_issus_don", "montant_produits_recycles")


def _shares_within_total(values: Mapping[str, Any]) -> str | None:
    # The three shares are parts of the total (a reused good is not also counted as recycled):
    # more than the total would make the declaration's percentages exceed 100.
    parts = sum(values[name] for name in AGEC_SHARES)
    if parts <= values["montant_total"]:
        return None
    return (
        f"la somme des montants réemploi/réutilisation, don et recyclés ({parts}) dépasse "
        f"le montant total ({values['montant_total']})"
    )


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


class FournisseursSource(TabularSource):
    """The SPASER team's supplier register, one row per supplier establishment, CSV or XLSX.

    Workbooks are read through ``spaser.ingest.xlsx`` (their first sheet becomes CSV text, in memory),
    then loaded and validated exactly like a CSV delivery.
    """

    raw_table = "raw.registre_fournisseurs"
    key_columns = ("siret",)
    file_patterns = ("*.csv", "*.xlsx")
    columns = (
        Field("siret", SIRET, mandatory=True),
        Field("nom", TEXT),
        Field("structure_inclusive", STRUCTURE_INCLUSIVE),
        Field("date_signature_charte", PAST_DATE),
        Field("circuit_court", BOOLEAN),
    )

"""The SPASER team's registers, kept in spreadsheets (CSV or XLSX): ``registre/activites`` (one row
per event) and ``registre/agec`` (AGEC statements, official national declaration columns).

Business keys (the newest delivery wins, sources.md): an event is identified by its date, type,
libellé, porteur and company — the register has no id column, so re-delivering the spreadsheet
corrects its rows rather than duplicating them; an AGEC statement by (annee, buyer siret,
type_produit_acquis, fournisseur_siret).
"""
from __future__ import annotations

from typing import Any

from extract.agec_declaration import PRODUCT_CATEGORIES
from extract.base import Violation
from extract.rows import DECIMAL, INTEGER, PAST_DATE, SIRET, TEXT, Field, RowSource, enumeration

TYPES_ACTIVITE = (
    "COPIL", "COTECH", "COSUI", "GT", "REFERENTIEL", "FORMATION", "COMMUNICATION", "REUNION_PARTENARIALE",
    "ACTION_PROGRAMME", "ATELIER", "ACCOMPAGNEMENT", "SENSIBILISATION", "TELECHARGEMENT", "SEGMENT_DUREE_VIE",
    "CHANTIER_REEMPLOI",
)
PUBLICS_CIBLES = ("interne", "elus", "institutionnels", "professionnels", "grand_public")

class RegistreActivitesSource(RowSource):
    source = "registre/activites"
    raw_table = "raw.registre_activites"
    key_fields = ("date", "type", "libelle", "porteur", "entreprise_siret")
    fields = (
        Field("date", PAST_DATE, mandatory=True),
        Field("type", enumeration(*TYPES_ACTIVITE), mandatory=True),
        Field("libelle", TEXT),
        Field("public_cible", enumeration(*PUBLICS_CIBLES), required=False),
        Field("porteur", TEXT, required=False),
        Field("nb_participants", INTEGER, required=False),
        Field("quantite", INTEGER, required=False),
        Field("taux", DECIMAL, required=False),
        Field("entreprise_siret", SIRET, required=False),
    )

    def row_violations(self, values: dict[str, Any]) -> list[Violation]:
        kind = values["type"]
        violations = []
        # e04 counts communications by target audience: one without it would fall in no class.
        if kind == "COMMUNICATION" and values["public_cible"] is None:
            violations.append(Violation("public_cible", "une action COMMUNICATION doit préciser son public_cible"))
        if kind == "ACCOMPAGNEMENT" and values["entreprise_siret"] is None:
            violations.append(Violation("entreprise_siret", "un ACCOMPAGNEMENT doit préciser l'entreprise accompagnée"))
        if kind == "TELECHARGEMENT" and values["quantite"] is None:
            violations.append(Violation("quantite", "une ligne TELECHARGEMENT doit donner le nombre de téléchargements"))
        taux = values["taux"]
        if taux is not None and not 0 <= taux <= 100:
            violations.append(Violation("taux", f"« {taux} » : un taux de réemploi est compris entre 0 et 100"))
        for name in ("nb_participants", "quantite"):
            if values[name] is not None and values[name] < 0:
                violations.append(Violation(name, f"« {values[name]} » : une quantité est positive ou nulle"))
        return violations


class RegistreAgecSource(RowSource):
    source = "registre/agec"
    raw_table = "raw.registre_agec"
    key_fields = ("annee", "siret", "type_produit_acquis", "fournisseur_siret")
    fields = (
        Field("annee", INTEGER, mandatory=True),
        Field("siret", SIRET, mandatory=True),
        Field("raison_sociale", TEXT),
        Field("type_produit_acquis", enumeration(*PRODUCT_CATEGORIES, case_sensitive=True), mandatory=True),
        Field("montant_total", DECIMAL, mandatory=True),
        Field("montant_reemploi_et_reutilisation", DECIMAL, mandatory=True),
        Field("montant_produits_issus_don", DECIMAL, mandatory=True),
        Field("montant_produits_recycles", DECIMAL, mandatory=True),
        Field("commentaires", TEXT, required=False),
        Field("fournisseur_siret", SIRET),
    )
    AMOUNTS = ("montant_total", "montant_reemploi_et_reutilisation", "montant_produits_issus_don",
               "montant_produits_recycles")

    def row_violations(self, values: dict[str, Any]) -> list[Violation]:
        violations = [
            Violation(name, f"« {values[name]} » : un montant HT est positif ou nul")
            for name in self.AMOUNTS if values[name] is not None and values[name] < 0
        ]
        if values["annee"] is not None and not 2000 <= values["annee"] <= 2100:
            violations.append(Violation("annee", f"« {values['annee']} » n'est pas une année civile plausible"))
        parts = [values[name] for name in self.AMOUNTS[1:]]
        # The three shares are parts of the total (a reused good is not also counted as recycled):
        # more than the total would make the declaration's percentages exceed 100.
        if not violations and None not in parts and values["montant_total"] is not None \
                and sum(parts) > values["montant_total"]:
            violations.append(Violation(
                "montant_total",
                f"la somme des montants réemploi/réutilisation, don et recyclés ({sum(parts)}) dépasse "
                f"le montant total ({values['montant_total']})",
            ))
        return violations


SECTEURS_GES = (
    "residentiel", "tertiaire", "transport_personnes", "transport_marchandises", "agriculture", "dechets",
    "industrie", "branche_energie",
)


class GesTerritoireSource(RowSource):
    """``referentiels/ges_territoire``: the territory's yearly greenhouse-gas inventory (PCAET
    BEGES), one row per year and sector: ``annee``, ``secteur``, ``emissions_ktco2e``. Sectors are
    the PCAET's (arrêté du 4 août 2016), transport split as the SPASER's targets split it."""

    source = "referentiels/ges_territoire"
    raw_table = "raw.referentiels_ges_territoire"
    key_fields = ("annee", "secteur")
    fields = (
        Field("annee", INTEGER, mandatory=True),
        Field("secteur", enumeration(*SECTEURS_GES), mandatory=True),
        Field("emissions_ktco2e", DECIMAL, mandatory=True),
    )

    def row_violations(self, values: dict[str, Any]) -> list[Violation]:
        if values["emissions_ktco2e"] is not None and values["emissions_ktco2e"] < 0:
            return [Violation("emissions_ktco2e", "des émissions brutes sont positives ou nulles")]
        return []

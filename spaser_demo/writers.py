"""File formats of the demo inbox, exactly as ../shared/spec/sources.md describes the deliveries.

DECP: the official 2024 JSON (schema v2.0.3), UTF-8. Consultations and bids: the market software's
French CSV export (`;`, decimal comma, JJ/MM/AAAA, oui/non, Windows-1252, CRLF). SIRENE: INSEE
stock extracts with their official headers (comma, UTF-8).
"""

from __future__ import annotations

import csv
import json
import unicodedata
from datetime import date
from pathlib import Path

from spaser_demo.companies import Company
from spaser_demo.markets import Concession, Consultation, Contract

CONSULTATION_COLUMNS = (
    "acheteur_siret",
    "id_consultation",
    "lot",
    "nb_lots",
    "objet",
    "categorie",
    "segment",
    "code_cpv",
    "procedure",
    "montant_estime_ht",
    "maitrise_oeuvre",
    "date_lancement",
    "date_cloture",
    "statut",
    "variantes_autorisees",
    "marche_reserve",
    "marche_insertion",
    "mpgp",
    "id_marche",
)
OFFER_COLUMNS = (
    "acheteur_siret",
    "id_consultation",
    "lot",
    "soumissionnaire_siret",
    "groupement",
    "date_depot",
    "retenue",
    "exclusion_motif",
    "demande_motifs_rejet",
)
# A subset of the official StockEtablissement / StockUniteLegale columns, in INSEE's order.
ESTABLISHMENT_COLUMNS = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "etablissementSiege",
    "libelleCommuneEtablissement",
    "codeCommuneEtablissement",
    "etatAdministratifEtablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
)
LEGAL_UNIT_COLUMNS = (
    "siren",
    "statutDiffusionUniteLegale",
    "dateCreationUniteLegale",
    "trancheEffectifsUniteLegale",
    "categorieEntreprise",
    "etatAdministratifUniteLegale",
    "denominationUniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
)

# The market software's procedure codes and the DECP enumeration (schema v2.0.3) they are published as.
DECP_PROCEDURES = {
    "procedure_adaptee": "Procédure adaptée",
    "lettre_consultation": "Procédure adaptée",
    "bon_de_commande": "Marché passé sans publicité ni mise en concurrence préalable",
    "sans_publicite": "Marché passé sans publicité ni mise en concurrence préalable",
    "appel_offres_ouvert": "Appel d'offres ouvert",
    "appel_offres_restreint": "Appel d'offres restreint",
    "procedure_negociee": "Procédure avec négociation",
    "dialogue_competitif": "Dialogue compétitif",
}


def french_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def french_decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def oui_non(value: bool) -> str:
    return "oui" if value else "non"


def _write_french_csv(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows(rows)
    return len(rows)


def write_consultations(path: Path, consultations: list[Consultation]) -> int:
    rows = []
    for consultation in consultations:
        family = consultation.family
        for lot in consultation.lots:
            rows.append(
                [
                    consultation.buyer_siret,
                    consultation.id,
                    str(lot.number),
                    str(len(consultation.lots)),
                    consultation.objet if len(consultation.lots) == 1 else f"{consultation.objet} - {lot.label}",
                    lot.categorie,
                    family.segment,
                    lot.cpv,
                    consultation.procedure,
                    french_decimal(lot.montant_estime),
                    oui_non(family.maitrise_oeuvre),
                    french_date(consultation.launched),
                    french_date(lot.date_cloture),
                    lot.statut,
                    oui_non(lot.variantes),
                    oui_non(family.marche_reserve),
                    oui_non(family.marche_insertion),
                    oui_non(lot.mpgp),
                    lot.id_marche,
                ]
            )
    return _write_french_csv(path, CONSULTATION_COLUMNS, rows)


def write_offers(path: Path, consultations: list[Consultation]) -> int:
    rows = []
    for consultation in consultations:
        for lot in consultation.lots:
            for bid in sorted(lot.bids, key=lambda b: (b.date_depot, b.bidder_id)):
                rows.append(
                    [
                        consultation.buyer_siret,
                        consultation.id,
                        str(lot.number),
                        bid.bidder_id,
                        oui_non(bid.groupement),
                        french_date(bid.date_depot),
                        oui_non(bid.retenue),
                        bid.exclusion_motif,
                        oui_non(bid.demande_motifs_rejet),
                    ]
                )
    return _write_french_csv(path, OFFER_COLUMNS, rows)


def _titulaires(titulaires: list[tuple[str, str]]) -> list[dict]:
    return [{"titulaire": {"id": identifier, "typeIdentifiant": kind}} for identifier, kind in titulaires]


def decp_marche(contract: Contract, corrected: bool = True) -> dict:
    """The DECP 2024 record of a contract; ``corrected=False`` gives its erroneous first delivery."""
    family = contract.family
    accord_cadre = family.accord_cadre and contract.procedure not in ("bon_de_commande", "sans_publicite")
    if family.maitrise_oeuvre and contract.procedure == "appel_offres_restreint":
        techniques = ["Concours"]
    else:
        techniques = ["Accord-cadre"] if accord_cadre else ["Sans objet"]
    record: dict = {
        "id": contract.id,
        "acheteur": {"id": contract.buyer_siret},
        "nature": "Marché",
        "objet": contract.objet,
        "codeCPV": contract.cpv,
        "techniques": {"technique": techniques},
        "modalitesExecution": {"modaliteExecution": ["Bons de commande"] if accord_cadre else ["Sans objet"]},
        "marcheInnovant": contract.innovant,
        "ccag": family.ccag,
        "offresRecues": contract.offres_recues,
        "attributionAvance": family.categorie == "travaux" and contract.montant >= 50_000,
        "typeGroupementOperateurs": contract.groupement,
        "sousTraitanceDeclaree": contract.sous_traitant is not None,
        "procedure": DECP_PROCEDURES[contract.procedure],
        "lieuExecution": {"code": contract.lieu, "typeCode": "Code commune"},
        "dureeMois": contract.duree_mois,
        "dateNotification": contract.notified.isoformat(),
        "datePublicationDonnees": (
            contract.correction_published if corrected and contract.correction_published else contract.published
        ).isoformat(),
        "montant": contract.montant,
        "typesPrix": {"typePrix": ["Définitif révisable" if contract.duree_mois > 12 else "Définitif ferme"]},
        "formePrix": family.forme_prix,
        "titulaires": _titulaires(contract.titulaires),
        "considerationsSociales": {"considerationSociale": contract.considerations_sociales},
        "considerationsEnvironnementales": {"considerationEnvironnementale": contract.considerations_environnementales},
    }
    if record["attributionAvance"]:
        record["tauxAvance"] = 0.05
    if family.food_origin:
        record["origineUE"], record["origineFrance"] = 0.85, 0.6
    if contract.sous_traitant is not None:
        record["actesSousTraitance"] = [
            {
                "acteSousTraitance": {
                    "id": 1,
                    "sousTraitant": {"id": contract.sous_traitant.local_id(), "typeIdentifiant": "SIRET"},
                    "dureeMois": min(contract.duree_mois, 6),
                    "dateNotification": contract.notified.isoformat(),
                    "montant": round(contract.montant * 0.2, 2),
                    "variationPrix": "Révisable" if contract.duree_mois > 12 else "Ferme",
                    "datePublicationDonnees": contract.published.isoformat(),
                }
            }
        ]
    if contract.modifications:
        record["modifications"] = []
        for modification in contract.modifications:
            item: dict = {"id": modification.number}
            if modification.duree_mois is not None:
                item["dureeMois"] = modification.duree_mois
            if modification.montant is not None:
                item["montant"] = modification.montant
            if modification.titulaires is not None:
                item["titulaires"] = _titulaires(modification.titulaires)
            item["dateNotificationModification"] = modification.notified.isoformat()
            item["datePublicationDonneesModification"] = modification.published.isoformat()
            record["modifications"].append({"modification": item})
    if not corrected and contract.first_delivery_error is not None:
        field, wrong_value = contract.first_delivery_error
        if field == "considerationsSociales":
            record[field] = {"considerationSociale": wrong_value}
        else:
            record[field] = wrong_value
    return record


def decp_concession(concession: Concession) -> dict:
    return {
        "id": concession.id,
        "autoriteConcedante": {"id": concession.buyer_siret},
        "nature": concession.nature,
        "objet": concession.objet,
        "procedure": "Procédure négociée ouverte",
        "dureeMois": concession.duree_mois,
        "dateSignature": concession.signed.isoformat(),
        "datePublicationDonnees": concession.published.isoformat(),
        "dateDebutExecution": concession.start.isoformat(),
        "valeurGlobale": concession.valeur,
        "montantSubventionPublique": 0,
        "concessionnaires": [
            {"concessionnaire": {"id": concession.concessionnaire.local_id(), "typeIdentifiant": "SIRET"}}
        ],
        "considerationsSociales": {"considerationSociale": ["Pas de considération sociale"]},
        "considerationsEnvironnementales": {"considerationEnvironnementale": ["Clause environnementale"]},
    }


def write_decp(path: Path, marches: list[dict], concessions: list[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    content: dict = {"marche": marches}
    if concessions:
        content["contrat-concession"] = concessions
    path.write_text(json.dumps({"marches": content}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(marches) + len(concessions)


def _write_sirene_csv(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    return len(rows)


def insee_label(name: str) -> str:
    """SIRENE spells commune names in capitals without accents (libelleCommuneEtablissement)."""
    letters = unicodedata.normalize("NFD", name.upper())
    return "".join(char for char in letters if not unicodedata.combining(char)).replace("'", " ")


def write_sirene_establishments(path: Path, companies: list[Company], commune_names: dict[str, str]) -> int:
    rows = []
    for company in companies:
        for establishment in company.establishments:
            commune = insee_label(commune_names[establishment.commune])
            rows.append(
                [
                    company.key,
                    establishment.siret[9:],
                    establishment.siret,
                    "O",
                    establishment.created.isoformat(),
                    establishment.tranche,
                    "true" if establishment.siege else "false",
                    commune,
                    establishment.commune,
                    "A" if establishment.active else "F",
                    "" if establishment.siege else f"{company.name} AGENCE {commune}",
                    establishment.naf[:2] + "." + establishment.naf[2:],
                    "NAFRev2",
                ]
            )
    rows.sort(key=lambda row: row[2])
    return _write_sirene_csv(path, ESTABLISHMENT_COLUMNS, rows)


def write_sirene_legal_units(path: Path, companies: list[Company]) -> int:
    rows = []
    for company in companies:
        head_office = company.head_office or company.local
        rows.append(
            [
                company.key,
                "O",
                company.created.isoformat(),
                company.tranche,
                company.categorie_entreprise,
                "A",
                company.name,
                company.categorie_juridique,
                head_office.naf[:2] + "." + head_office.naf[2:],
                "NAFRev2",
                head_office.siret[9:],
                "O" if company.ess else "N",
            ]
        )
    rows.sort(key=lambda row: row[0])
    return _write_sirene_csv(path, LEGAL_UNIT_COLUMNS, rows)

"""Write the demo inbox: DECP, consultations, bids, SIRENE extracts, the central kitchen's purchases and menus."""

from __future__ import annotations

from pathlib import Path

from spaser_demo.calibration import BUYERS, HISTORY_YEAR, YEARS
from spaser_demo.cuisine import write_kitchen_deliveries
from spaser_demo.engagements import write_engagement_deliveries
from spaser_demo.fiabilisation import plant_market_defects
from spaser_demo.finance import write_finance_inbox
from spaser_demo.geography import COMMUNES_BY_TERRITORY
from spaser_demo.markets import build_market_data
from spaser_demo.writers import (
    decp_concession,
    decp_marche,
    write_consultations,
    write_decp,
    write_offers,
    write_sirene_establishments,
    write_sirene_legal_units,
)

DECP_DIR = "marches/decp"
CONSULTATIONS_DIR = "marches/consultations"
OFFERS_DIR = "marches/offres"
ESTABLISHMENTS_DIR = "referentiels/sirene_etablissements"
LEGAL_UNITS_DIR = "referentiels/sirene_unites_legales"
# Sorts after every yearly export, and its records carry a later datePublicationDonnees.
CORRECTIONS_FILE = "decp_correctifs.json"


def write_demo_inbox(target: Path, seed: int = 2023) -> dict:
    """Write a complete, deterministic demo inbox under ``target`` (created if needed).

    Same seed, same bytes. Returns a summary: ``files`` maps every written path (relative to
    ``target``) to its number of records, plus totals of marchés, lots, bids and companies.
    """
    target = Path(target)
    data = build_market_data(seed)
    plant_market_defects(data)
    files: dict[str, int] = {}

    def write(relative: str, writer, *args) -> None:
        files[relative] = writer(target / relative, *args)

    contracts = data.contracts
    for year in (HISTORY_YEAR, *YEARS):
        for buyer in BUYERS:
            marches = [decp_marche(c, corrected=False) for c in contracts if c.buyer == buyer and c.year == year]
            concessions = [decp_concession(c) for c in data.concessions if c.buyer == buyer and c.signed.year == year]
            if marches or concessions:
                write(f"{DECP_DIR}/decp_{buyer}_{year}.json", write_decp, marches, concessions)
    corrected = sorted(
        (c for c in contracts if c.first_delivery_error is not None),
        key=lambda c: (c.correction_published, c.buyer, c.id),
    )
    write(f"{DECP_DIR}/{CORRECTIONS_FILE}", write_decp, [decp_marche(c) for c in corrected], [])

    for year in (HISTORY_YEAR, *YEARS):
        consultations = sorted(
            (c for c in data.consultations if c.launched.year == year), key=lambda c: (c.buyer, c.id)
        )
        write(f"{CONSULTATIONS_DIR}/consultations_{year}.csv", write_consultations, consultations)
        if any(lot.bids for c in consultations for lot in c.lots):
            write(f"{OFFERS_DIR}/offres_{year}.csv", write_offers, consultations)

    # Before the SIRENE extracts: it registers the companies employing insertion beneficiaries.
    files.update(write_engagement_deliveries(target, data, seed))
    in_sirene = [company for company in data.registry.companies if company.in_sirene]
    commune_names = {code: name for communes in COMMUNES_BY_TERRITORY.values() for code, name, _w in communes}
    write(f"{ESTABLISHMENTS_DIR}/StockEtablissement_extrait.csv", write_sirene_establishments, in_sirene, commune_names)
    write(f"{LEGAL_UNITS_DIR}/StockUniteLegale_extrait.csv", write_sirene_legal_units, in_sirene)
    files.update(write_kitchen_deliveries(target, seed))
    files.update(write_finance_inbox(target, data, seed))
    return {
        "files": dict(sorted(files.items())),
        "marches": len(contracts),
        "lots": sum(len(c.lots) for c in data.consultations),
        "offres": sum(len(lot.bids) for c in data.consultations for lot in c.lots),
        "entreprises": len(data.registry.companies),
    }

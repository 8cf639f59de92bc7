"""The defects the half-yearly reliability report finds in the demo, planted a few of each.

Real source systems disagree in small ways; the demo's generators build consistent data, so the
defects the reliability report lists (dbt seed ``regles_fiabilisation``) that nothing else produces
are planted here, in the last demo year (2025: no calibrated figure of 2022 moves, and the
2025-S2 report is not empty), at Valence Romans Agglo:

- two attribué lots whose market-software record lost its id_marche, and two whose id_marche has a
  typo (« -B »): their contracts then have no lot either;
- two bids whose SIRET has a typing error in its last digit (check digit wrong);
- two mandats of 30 000 € HT each on a contract reference that DECP never published;
- one mandat on each of two published contracts paid to another supplier than the titulaire;
- one insertion beneficiary's hours declared on a contract reference with a typo.

The others occur in the generated data as they are: consultations without fiche (the fiches
are being rolled out, spaser_demo/engagements.py), about 2 % of fiches claiming an insertion
clause their contract lacks (ibid.), contracts without payment (finance links only part of its
lines to contracts, spaser_demo/finance.py), companies unknown to SIRENE (spaser_demo/companies.py).
"""

from __future__ import annotations

from datetime import date

from spaser_demo.calibration import VRA
from spaser_demo.markets import Consultation, MarketData

PLANT_YEAR = 2025
LOTS_WITHOUT_ID = 2
LOTS_WITH_TYPO = 2
INVALID_BIDS = 2
UNPUBLISHED_CONTRACT = "VRA-2025-NP01"
UNPUBLISHED_PAYMENTS = 2
UNPUBLISHED_AMOUNT = 30_000.0
OTHER_PAYEE_CONTRACTS = 2
OTHER_PAYEE_AMOUNT = 3_500.0
TYPO_SUFFIX = "-B"
DECP_THRESHOLD = 40_000


def _vra_consultations(data: MarketData) -> list[Consultation]:
    return sorted(
        (c for c in data.consultations if c.buyer == VRA and c.launched.year == PLANT_YEAR), key=lambda c: c.id
    )


def plant_market_defects(data: MarketData) -> None:
    """Lots without or with a wrong id_marche, bids with a wrong check digit (in place)."""
    lots = [
        lot
        for consultation in _vra_consultations(data)
        for lot in consultation.lots
        if lot.contract is not None and lot.montant_estime >= DECP_THRESHOLD
    ]
    for lot in lots[:LOTS_WITHOUT_ID]:
        lot.id_marche_saisi = ""
    for lot in lots[LOTS_WITHOUT_ID : LOTS_WITHOUT_ID + LOTS_WITH_TYPO]:
        lot.id_marche_saisi = lot.contract.id + TYPO_SUFFIX
    bids = [
        bid
        for consultation in _vra_consultations(data)
        for lot in consultation.lots
        for bid in lot.bids
        if not bid.retenue and bid.bidder_id.isdigit()
    ]
    for bid in bids[:INVALID_BIDS]:
        bid.bidder_id = bid.bidder_id[:-1] + str((int(bid.bidder_id[-1]) + 1) % 10)


def planted_payments(data: MarketData, other_payees: list[tuple[str, str]]) -> list[tuple]:
    """(day, (siret, name), account, amount, id_marche) of the planted 2025 VRA mandats:
    ``other_payees`` are (SIRET, name) of suppliers that hold none of the chosen contracts."""
    rows = [
        (date(PLANT_YEAR, 3 + 4 * index, 12), other_payees[index], "2313", UNPUBLISHED_AMOUNT, UNPUBLISHED_CONTRACT)
        for index in range(UNPUBLISHED_PAYMENTS)
    ]
    contracts = sorted(
        (c for c in data.contracts if c.buyer == VRA and c.year == PLANT_YEAR and c.titulaires), key=lambda c: c.id
    )
    payees = iter(other_payees[UNPUBLISHED_PAYMENTS:])
    for contract in contracts:
        if len(rows) == UNPUBLISHED_PAYMENTS + OTHER_PAYEE_CONTRACTS:
            break
        holders = {identifier for identifier, _kind in contract.titulaires}
        payee = next(p for p in payees if p[0] not in holders)
        rows.append((contract.notified, payee, "2313", OTHER_PAYEE_AMOUNT, contract.id))
    return rows


def plant_insertion_defect(rows: list[list]) -> None:
    """The first VRA beneficiary of the year: every row of its first contract gets an id_marche
    with a typo (in place); the hours themselves are unchanged."""
    buyer, marche, person, start = next((row[0], row[1], row[3], row[8]) for row in rows)
    for row in rows:
        if (row[0], row[1], row[3], row[8]) == (buyer, marche, person, start):
            row[1] = marche + TYPO_SUFFIX

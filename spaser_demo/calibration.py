"""The figures the demo inbox is built to reproduce.

2022 is calibrated on the SPASER document's baseline with the catalogue's definitions (see
../shared/spec/indicateurs.yml): 452 marchés notifiés (TOUS) split 77 / 90 / 285 = 17.0 / 19.9 /
63.1 % travaux / fournitures / services; 92 with "Clause sociale" (TOUS), 54 of VRA's 200 (27 %),
43 of them travaux and 11 services (80 / 20 %); 46 of VRA's marchés (23 %) with "Clause
environnementale"; VRA lots closed in 2022: 200 attribués, 4 infructueux, 4 sans suite (1.92 %
infructueux); VRA marchés en cours in 2022: 13 d'insertion (6 notified in 2021, 7 in 2022) and 1
réservé (notified in 2021); 26 courriers réservés at VRA; 300 distinct bidders, of which 72 in the
agglomeration (24 %) and 190 in Auvergne-Rhône-Alpes (63.33 %).
2023-2025 move toward the SPASER 2026 targets (more clauses, reserved and insertion contracts,
simplified procedures under 40 000 € HT, more bids from groupements).
"""

from __future__ import annotations

from dataclasses import dataclass

VRA, VALENCE, ROMANS = "200068781", "212603625", "212602817"
BUYERS = (VRA, VALENCE, ROMANS)
# Three-letter prefixes of the market software's consultation numbers.
BUYER_CODES = {VRA: "VRA", VALENCE: "VAL", ROMANS: "ROM"}

HISTORY_YEAR = 2021
YEARS = (2022, 2023, 2024, 2025)


@dataclass(frozen=True)
class BuyerYearPlan:
    marches: dict[str, int]  # marchés notifiés by categorie
    clause_sociale: dict[str, int]  # marchés with "Clause sociale", by categorie
    clause_environnementale: dict[str, int]
    critere_social_share: float  # share of marchés with "Critère social"
    critere_environnemental_share: float
    insertion: int  # marchés d'insertion notified (services, counted in clause_sociale)
    reserve: int  # marchés réservés notified
    infructueux: int  # lots closed infructueux
    sans_suite: int  # lots closed sans suite
    courriers_reserves: int  # rejected bids whose author asked for the reasons
    open_lots: int = 0  # lots still en cours at the end of the delivery


def _plan(
    marches,
    clause_sociale,
    clause_env,
    critere_social,
    critere_env,
    insertion,
    reserve,
    infructueux,
    sans_suite,
    courriers,
    open_lots=0,
) -> BuyerYearPlan:
    keys = ("travaux", "fournitures", "services")
    return BuyerYearPlan(
        dict(zip(keys, marches, strict=False)),
        dict(zip(keys, clause_sociale, strict=False)),
        dict(zip(keys, clause_env, strict=False)),
        critere_social,
        critere_env,
        insertion,
        reserve,
        infructueux,
        sans_suite,
        courriers,
        open_lots,
    )


PLANS = {
    2022: {
        VRA: _plan((50, 30, 120), (43, 0, 11), (20, 12, 14), 0.04, 0.15, 7, 0, 4, 4, 26),
        VALENCE: _plan((18, 40, 112), (14, 2, 10), (8, 12, 14), 0.04, 0.14, 3, 0, 3, 3, 14),
        ROMANS: _plan((9, 20, 53), (6, 0, 6), (4, 5, 6), 0.03, 0.12, 2, 0, 2, 2, 6),
    },
    2023: {
        VRA: _plan((52, 32, 124), (44, 5, 13), (22, 14, 22), 0.05, 0.18, 6, 0, 3, 3, 28),
        VALENCE: _plan((20, 42, 114), (15, 4, 11), (9, 14, 17), 0.05, 0.17, 3, 1, 3, 3, 15),
        ROMANS: _plan((10, 21, 55), (7, 1, 6), (4, 6, 8), 0.04, 0.15, 2, 0, 2, 2, 7),
    },
    2024: {
        VRA: _plan((54, 33, 128), (45, 6, 20), (24, 17, 30), 0.06, 0.21, 7, 1, 3, 3, 30),
        VALENCE: _plan((21, 43, 118), (16, 6, 13), (10, 16, 22), 0.06, 0.20, 4, 0, 2, 3, 16),
        ROMANS: _plan((10, 22, 56), (7, 3, 7), (5, 7, 10), 0.05, 0.18, 2, 1, 2, 2, 7),
    },
    2025: {
        VRA: _plan((55, 34, 131), (46, 7, 26), (26, 20, 38), 0.07, 0.24, 8, 1, 2, 3, 31, open_lots=9),
        VALENCE: _plan((22, 44, 120), (17, 9, 14), (11, 18, 27), 0.07, 0.23, 4, 1, 2, 2, 17, open_lots=6),
        ROMANS: _plan((11, 23, 58), (8, 5, 7), (6, 8, 12), 0.06, 0.20, 3, 0, 1, 2, 8, open_lots=3),
    },
}

# Contracts notified in 2021 still running in 2022: the first DECP and consultation exports include
# them, so "marchés en cours" is right from 2022 on (the bids export starts in 2022).
HISTORY = {
    VRA: {"insertion": 6, "reserve": 1},
    VALENCE: {"insertion": 3, "reserve": 1},
    ROMANS: {"insertion": 2, "reserve": 0},
}

# Distinct bidders (SIREN, or the whole identifier for foreign ones) with a bid deposited in the
# year, by their most local class: each class here excludes the more local ones.
BIDDERS = {
    2022: {"agglo": 72, "departement": 38, "region": 80, "france": 101, "etranger": 4, "inconnu": 5},
    2023: {"agglo": 80, "departement": 40, "region": 82, "france": 100, "etranger": 4, "inconnu": 4},
    2024: {"agglo": 86, "departement": 42, "region": 84, "france": 98, "etranger": 5, "inconnu": 4},
    2025: {"agglo": 92, "departement": 44, "region": 86, "france": 96, "etranger": 5, "inconnu": 3},
}

# Share of consultations launched through a simplified procedure (bon de commande, lettre de
# consultation) among lots under 40 000 € HT (SPASER target: 100 % in 2024).
SIMPLIFIED_UNDER_40K_SHARE = {2021: 0.5, 2022: 0.6, 2023: 0.8, 2024: 1.0, 2025: 1.0}
# Share of the bids in trades that team up (see markets.GROUPEMENT_TRADES) submitted by a groupement
# (SPASER target: +50 % bids from groupements in 2025 over 2022).
GROUPEMENT_BID_SHARE = {2022: 0.04, 2023: 0.048, 2024: 0.055, 2025: 0.062}
# Bids excluded because their author is under an interdiction de soumissionner (TOUS).
INTERDICTIONS = {2022: 2, 2023: 1, 2024: 2, 2025: 1}

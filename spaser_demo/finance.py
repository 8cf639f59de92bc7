"""Demo finance deliveries: mandats, titres and the supplier register, 2022-2025.

Spend is built top-down so that the 2022 figures of the SPASER document come out exactly (TOUS,
catalogue definitions): per buyer, year and categorie_achat a total, split over the territory
classes of the paid establishments (exclusive shares below, cumulative in the indicators:
travaux 65 / 70 / 90 % agglo / Drôme / region, services 30 / 32 / 60 %, fournitures 43 % in the
region; with the categories' weights, 39.60 % of all spend in the agglomeration and 67.67 % in the
region). Each class amount is cut into lines paid to demo companies of that class — first the
titulaires of the buyer's contracts of the same categorie and year (id_marche set), then other
suppliers. Some payments are duplicated then cancelled by a negative line (net zero), and a few
lines use non-purchase accounts (subsidies), which the indicators leave out. Later years move a
little spend from france to the agglomeration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from spaser_demo.calibration import BUYERS, ROMANS, VALENCE, VRA, YEARS
from spaser_demo.companies import Company
from spaser_demo.fiabilisation import PLANT_YEAR, planted_payments
from spaser_demo.geography import FOREIGN, UNKNOWN
from spaser_demo.markets import MarketData
from spaser_demo.writers import _write_french_csv, french_date, french_decimal

MANDATS_DIR = "finance/mandats"
TITRES_DIR = "finance/titres"
REGISTER_DIR = "registre/fournisseurs"

CLASSES = ("agglo", "departement", "region", "france", FOREIGN, UNKNOWN)
# Exclusive shares of each categorie's spend by class in 2022 (cumulative figures in the docstring).
SHARES_2022 = {
    "travaux": (0.65, 0.05, 0.20, 0.07, 0.01, 0.02),
    "services": (0.30, 0.02, 0.28, 0.33, 0.03, 0.04),
    "fournitures": (0.1272, 0.10, 0.2028, 0.50, 0.03, 0.04),
}
# Categories' weights in spend, solving agglo 39.60 % and region 67.67 % with the shares above.
CATEGORY_WEIGHTS = {"travaux": 0.40, "services": 0.3453, "fournitures": 0.2547}
LOCAL_DRIFT_PER_YEAR = 0.015  # share moved each year after 2022 from france to agglo
BUYER_SPEND = {VRA: 42_000_000, VALENCE: 30_000_000, ROMANS: 14_000_000}  # euros HT a year
LINES_PER_YEAR = 6_000  # demo size; the real volume (about 60 000) is exercised by benchmarks/
LINKED_LINES_SHARE = 0.5  # at most this share of a class's lines pays contract titulaires
ACCOUNTS = {
    "travaux": ("2313", "2315", "2151", "2152", "2135"),
    "fournitures": ("6068", "60632", "6064", "2183", "2188", "2051"),
    "services": ("611", "6156", "6228", "6231", "2031", "6042", "6257"),
}
CATERING_ACCOUNT = "6257"
NON_PURCHASE_ACCOUNTS = ("6574", "65541")
CANCELLED_SHARE = 0.02
MANDAT_COLUMNS = (
    "collectivite_siren",
    "exercice",
    "budget",
    "numero_bordereau",
    "numero_mandat",
    "ligne",
    "date_mandat",
    "tiers_siret",
    "tiers_nom",
    "compte_nature",
    "fonction",
    "montant_ht",
    "montant_ttc",
    "id_marche",
)
TITRE_COLUMNS = (
    "collectivite_siren",
    "exercice",
    "numero_titre",
    "date_titre",
    "tiers_nom",
    "compte_nature",
    "objet",
    "montant_ht",
    "origine",
)
REGISTER_COLUMNS = ("siret", "nom", "structure_inclusive", "date_signature_charte", "circuit_court")
# Cumulative charter signatories at the end of each year (SPASER target: 100 in 2025).
SIGNATORIES = {2022: 20, 2023: 45, 2024: 75, 2025: 105}
CIRCUIT_COURT_CATERING_SHARE = {2022: 0.35, 2023: 0.5, 2024: 0.65, 2025: 0.8}
AUCTION_ITEMS = (
    "Véhicule utilitaire",
    "Mobilier de bureau",
    "Matériel informatique",
    "Tondeuse autoportée",
    "Vélos de service",
    "Matériel de cuisine",
)
VAT = 1.2


@dataclass
class Payee:
    identifier: str  # SIRET, foreign identifier, or "" when the export gives none
    name: str
    company: Company | None


def year_shares(categorie: str, year: int) -> tuple[float, ...]:
    shares = list(SHARES_2022[categorie])
    drift = min(LOCAL_DRIFT_PER_YEAR * (year - 2022), shares[3] - 0.05)
    shares[0] += drift
    shares[3] -= drift
    return tuple(shares)


class _FinanceBuilder:
    def __init__(self, rng: random.Random, data: MarketData):
        self.rng = rng
        self.payees: dict[str, list[Payee]] = {klass: [] for klass in CLASSES}
        self.territory_of: dict[str, str] = {}
        for company in data.registry.companies:
            if company.foreign:
                self.payees[FOREIGN].append(Payee(company.key, company.name or company.key, company))
                self.territory_of[company.key] = FOREIGN
                continue
            klass = company.territory if company.in_sirene else UNKNOWN
            self.payees[klass].append(Payee(company.local.siret, company.name, company))
            for establishment in company.establishments:
                self.territory_of[establishment.siret] = establishment.territory if company.in_sirene else UNKNOWN
        # Some exports leave the payee empty: part of the "inconnu" class.
        self.payees[UNKNOWN].append(Payee("", "DIVERS", None))
        self.contracts: dict[tuple[str, int, str, str], list] = {}
        for contract in data.contracts:
            titulaire = contract.titulaires[0][0] if contract.titulaires else None
            klass = self.territory_of.get(titulaire)
            if klass is not None:
                key = (contract.buyer, contract.year, contract.family.categorie, klass)
                self.contracts.setdefault(key, []).append(contract)
        self.caterers = [
            payee
            for klass in ("agglo", "departement")
            for payee in self.payees[klass]
            if payee.company is not None and payee.company.trade not in ("insertion", "adapte")
        ][:12]

    def mandats(self, year: int) -> list[list[str]]:
        rows: list[list[str]] = []
        total_spend = sum(BUYER_SPEND.values())
        for buyer in BUYERS:
            lines_of_buyer = round(LINES_PER_YEAR * BUYER_SPEND[buyer] / total_spend)
            numbering = iter(range(1, 10 * LINES_PER_YEAR))
            for categorie, weight in CATEGORY_WEIGHTS.items():
                budget = BUYER_SPEND[buyer] * weight
                for klass, share in zip(CLASSES, year_shares(categorie, year), strict=False):
                    count = max(1, round(lines_of_buyer * weight * share))
                    rows += self._class_lines(buyer, year, categorie, klass, round(budget * share, 2), count, numbering)
            for _ in range(round(lines_of_buyer * 0.03)):
                payee = self.rng.choice(self.payees["agglo"])
                rows.append(
                    self._row(
                        buyer,
                        year,
                        next(numbering),
                        self._date(year),
                        payee,
                        self.rng.choice(NON_PURCHASE_ACCOUNTS),
                        round(self.rng.uniform(500, 20000), 2),
                    )
                )
        return rows

    def _class_lines(self, buyer, year, categorie, klass, amount, count, numbering) -> list[list[str]]:
        weights = [self.rng.lognormvariate(0, 1) for _ in range(count)]
        scale = amount / sum(weights)
        amounts = [round(weight * scale, 2) for weight in weights]
        amounts[-1] = round(amount - sum(amounts[:-1]), 2)  # the class total is exact to the cent
        contracts = list(self.contracts.get((buyer, year, categorie, klass), []))
        linked = min(len(contracts), int(count * LINKED_LINES_SHARE))
        rows = []
        for index, line_amount in enumerate(amounts):
            account = self.rng.choice(ACCOUNTS[categorie])
            if index < linked:
                contract = contracts[index]
                payee = Payee(contract.titulaires[0][0], "", None)
                id_marche = contract.id
            else:
                payee = self._payee(klass, year, account)
                id_marche = ""
            day = self._date(year)
            number = next(numbering)
            rows.append(self._row(buyer, year, number, day, payee, account, line_amount, id_marche))
            if self.rng.random() < CANCELLED_SHARE:
                # A duplicate payment cancelled later in the year by a negative line: nets to zero.
                duplicate = round(self.rng.uniform(0.1, 1.0) * abs(line_amount), 2)
                rows.append(self._row(buyer, year, number, day, payee, account, duplicate, id_marche, ligne=2))
                rows.append(
                    self._row(
                        buyer,
                        year,
                        number,
                        min(day + timedelta(days=20), date(year, 12, 31)),
                        payee,
                        account,
                        -duplicate,
                        id_marche,
                        ligne=3,
                    )
                )
        return rows

    def _payee(self, klass: str, year: int, account: str) -> Payee:
        if (
            account == CATERING_ACCOUNT
            and klass in ("agglo", "departement")
            and self.rng.random() < CIRCUIT_COURT_CATERING_SHARE[year]
        ):
            candidates = [payee for payee in self.caterers if self.territory_of.get(payee.identifier) == klass]
            if candidates:
                return self.rng.choice(candidates)
        return self.rng.choice(self.payees[klass])

    def _date(self, year: int) -> date:
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    @staticmethod
    def _row(buyer, year, number, day, payee, account, amount, id_marche="", ligne=1) -> list[str]:
        return [
            buyer,
            str(year),
            "principal",
            f"B{year}-{number // 25 + 1:04d}",
            f"M{year}-{number:06d}",
            str(ligne),
            french_date(day),
            payee.identifier,
            payee.name,
            account,
            "020",
            _signed(amount),
            _signed(round(amount * VAT, 2)),
            id_marche,
        ]

    def planted_mandats(self, data: MarketData) -> list[list[str]]:
        """The reliability defects of spaser_demo/fiabilisation.py, numbered after every ordinary mandat."""
        suppliers = [(payee.identifier, payee.name) for payee in self.payees["agglo"] if payee.company is not None]
        return [
            self._row(
                VRA, PLANT_YEAR, 9 * LINES_PER_YEAR + index, day, Payee(siret, name, None), account, amount, id_marche
            )
            for index, (day, (siret, name), account, amount, id_marche) in enumerate(
                planted_payments(data, suppliers), start=1
            )
        ]

    def titres(self, year: int) -> list[list[str]]:
        rows = []
        for buyer in BUYERS:
            for number in range(1, self.rng.randint(40, 70)):
                auction = self.rng.random() < 0.6
                rows.append(
                    [
                        buyer,
                        str(year),
                        f"T{year}-{number:05d}",
                        french_date(self._date(year)),
                        "PARTICULIER" if auction else "LOCATAIRE",
                        "775" if auction else "752",
                        self.rng.choice(AUCTION_ITEMS) if auction else "Loyer",
                        _signed(round(self.rng.uniform(50, 6000), 2)),
                        "encheres" if auction else "loyer",
                    ]
                )
        return rows

    def register(self) -> list[list[str]]:
        rows = {}
        for klass in ("agglo", "departement", "region"):
            for payee in self.payees[klass]:
                company = payee.company
                if company is not None and company.trade in ("insertion", "adapte"):
                    code = (
                        self.rng.choice(("ACI", "EI", "AI", "ETTI"))
                        if company.trade == "insertion"
                        else self.rng.choice(("EA", "ESAT"))
                    )
                    rows[payee.identifier] = [payee.identifier, payee.name, code, "", "non"]
        for payee in self.caterers:
            rows.setdefault(payee.identifier, [payee.identifier, payee.name, "", "", "non"])[4] = "oui"
        local = [payee for klass in ("agglo", "departement") for payee in self.payees[klass] if payee.company]
        signed = 0
        for year in YEARS:
            for payee in local[signed : SIGNATORIES[year]]:
                row = rows.setdefault(payee.identifier, [payee.identifier, payee.name, "", "", "non"])
                row[3] = french_date(self._date(year))
            signed = SIGNATORIES[year]
        return [rows[key] for key in sorted(rows)]


def _signed(amount: float) -> str:
    return ("-" if amount < 0 else "") + french_decimal(abs(amount))


def write_finance_inbox(target: Path, data: MarketData, seed: int) -> dict[str, int]:
    """Write the finance and register deliveries under ``target``; returns path -> number of rows."""
    builder = _FinanceBuilder(random.Random(seed + 7), data)
    files = {}
    for year in YEARS:
        relative = f"{MANDATS_DIR}/mandats_{year}.csv"
        rows = builder.mandats(year)
        if year == PLANT_YEAR:
            rows += builder.planted_mandats(data)
        files[relative] = _write_french_csv(target / relative, MANDAT_COLUMNS, rows)
        relative = f"{TITRES_DIR}/titres_{year}.csv"
        files[relative] = _write_french_csv(target / relative, TITRE_COLUMNS, builder.titres(year))
    relative = f"{REGISTER_DIR}/registre_fournisseurs.csv"
    files[relative] = _write_french_csv(target / relative, REGISTER_COLUMNS, builder.register())
    return files

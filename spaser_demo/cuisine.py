"""The central kitchen's demo deliveries: food purchases in the ma-cantine import format, and menus.

The kitchen cooks about 6,000 meals a school day for the schools of 16 communes and, all year, for
the agglomeration's crèches. Its purchases are declared to ma-cantine: one export a year, current
12-column format, comma-separated, UTF-8, under the kitchen's SIRET (a VRA establishment).

Calibration (2022, SPASER document, Valence Romans Agglo): 25.70 % bio, 12.42 % SIQO (not bio),
11 % local, in value; the later years move toward the EGALIM and SPASER targets. The labels are
assigned so that the value shares hit their targets to within one purchase line: lines are taken
in a random order and given a group while its share stays at or under its target. Some purchases
carry two labels (bio + Label Rouge, AOP + fermier) — ma-cantine counts them once, in the first
group (bio, then SIQO), which the shares above already reflect.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from spaser_demo.calibration import VRA, YEARS
from spaser_demo.companies import siret_of

KITCHEN_SIRET = siret_of(VRA, 40)  # the central kitchen, an establishment of Valence Romans Agglo
ACHATS_DIR = "cuisine/achats"
MENUS_DIR = "cuisine/menus"
PURCHASE_HEADER = (
    "siret",
    "description",
    "fournisseur",
    "date",
    "prix_ht",
    "famille_produits",
    "categories_egalim",
    "origine",
    "est_circuit_court",
    "est_local",
    "definition_local",
    "definition_local_km",
)
MENU_HEADER = ("date", "site", "service", "nb_repas", "vegetarien")


@dataclass(frozen=True)
class YearTargets:
    bio: float  # share of the year's purchases in value, 0-1
    siqo: float
    egalim_autres: float
    externalites_performance: float
    local: float
    circuit_court: float
    vegetarian_days_per_week: int


TARGETS = {
    2022: YearTargets(0.2570, 0.1242, 0.0700, 0.0150, 0.11, 0.05, 1),
    2023: YearTargets(0.2700, 0.1300, 0.0800, 0.0200, 0.13, 0.06, 1),
    2024: YearTargets(0.2850, 0.1350, 0.0900, 0.0200, 0.15, 0.07, 1),
    2025: YearTargets(0.3000, 0.1400, 0.1000, 0.0250, 0.17, 0.08, 2),
}


@dataclass(frozen=True)
class Product:
    description: str
    family: str
    supplier: str
    daily_amount: float  # € HT on an average delivery day
    # Labels the product can carry, by EGALIM group (ma-cantine codes).
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)


PRODUCTS = (
    Product(
        "Filet de poulet",
        "VIANDES_VOLAILLES",
        "Volailles de la Drôme",
        1500,
        {"bio": ("BIO", "BIO,LABEL_ROUGE"), "siqo": ("LABEL_ROUGE",), "externalites_performance": ("EXTERNALITES",)},
    ),
    Product(
        "Bœuf haché",
        "VIANDES_VOLAILLES",
        "Abattoir de Romans",
        1300,
        {"siqo": ("LABEL_ROUGE",), "egalim_autres": ("HVE",), "externalites_performance": ("PERFORMANCE",)},
    ),
    Product(
        "Sauté de porc",
        "VIANDES_VOLAILLES",
        "Salaisons du Vercors",
        700,
        {"bio": ("BIO",), "siqo": ("LABEL_ROUGE", "IGP")},
    ),
    Product("Filet de colin", "PRODUITS_DE_LA_MER", "Marée du Sud", 650, {"egalim_autres": ("PECHE_DURABLE",)}),
    Product(
        "Truite du Vercors",
        "PRODUITS_DE_LA_MER",
        "Pisciculture du Vercors",
        300,
        {"bio": ("BIO",), "egalim_autres": ("PECHE_DURABLE",)},
    ),
    Product(
        "Pommes",
        "FRUITS_ET_LEGUMES",
        "Vergers de la Valloire",
        900,
        {"bio": ("BIO",), "egalim_autres": ("HVE",), "externalites_performance": ("PERFORMANCE",)},
    ),
    Product(
        "Carottes", "FRUITS_ET_LEGUMES", "Légumerie Rhône-Alpes", 800, {"bio": ("BIO",), "egalim_autres": ("HVE",)}
    ),
    Product("Salade et crudités", "FRUITS_ET_LEGUMES", "Maraîchers de Valence", 650, {"bio": ("BIO",)}),
    Product(
        "Pommes de terre", "FRUITS_ET_LEGUMES", "Coopérative Drôme Provençale", 700, {"bio": ("BIO",), "siqo": ("IGP",)}
    ),
    Product(
        "Yaourts", "PRODUITS_LAITIERS", "Laiterie du Royans", 900, {"bio": ("BIO",), "egalim_autres": ("FERMIER",)}
    ),
    Product(
        "Fromages à la coupe",
        "PRODUITS_LAITIERS",
        "Fromagerie du Diois",
        800,
        {"bio": ("BIO", "BIO,AOCAOP"), "siqo": ("AOCAOP", "AOCAOP,FERMIER")},
    ),
    Product("Lait et beurre", "PRODUITS_LAITIERS", "Laiterie du Royans", 500, {"bio": ("BIO",)}),
    Product("Pain", "BOULANGERIE", "Boulangerie Valentinoise", 700, {"bio": ("BIO",), "siqo": ("LABEL_ROUGE",)}),
    Product("Jambon cuit", "CHARCUTERIE", "Salaisons du Vercors", 450, {"siqo": ("LABEL_ROUGE", "IGP")}),
    Product("Jus de fruits", "BOISSONS", "Vergers de la Valloire", 200, {"bio": ("BIO",)}),
    Product(
        "Pâtes et riz",
        "AUTRES",
        "Épicerie Centrale Rhône",
        650,
        {"bio": ("BIO",), "siqo": ("IGP",), "egalim_autres": ("COMMERCE_EQUITABLE",)},
    ),
    Product("Légumineuses", "AUTRES", "Épicerie Centrale Rhône", 350, {"bio": ("BIO",)}),
    Product(
        "Chocolat et sucre",
        "AUTRES",
        "Épicerie Centrale Rhône",
        250,
        {"bio": ("BIO,COMMERCE_EQUITABLE",), "egalim_autres": ("COMMERCE_EQUITABLE",)},
    ),
)
EGALIM_GROUPS = ("bio", "siqo", "egalim_autres", "externalites_performance")
# Families a kitchen buys locally, and how its local purchases are defined on ma-cantine.
LOCAL_FAMILIES = ("FRUITS_ET_LEGUMES", "PRODUITS_LAITIERS", "VIANDES_VOLAILLES", "BOULANGERIE")
LOCAL_DEFINITIONS = (("DEPARTEMENT", 0.45), ("COMMUNE", 0.25), ("REGION", 0.20), ("PAT", 0.10))

# 16 communes' school restaurants (about 5,500 lunches a school day) and the crèches (all year).
SCHOOL_COMMUNES = (
    "Valence",
    "Romans-sur-Isère",
    "Bourg-de-Péage",
    "Portes-lès-Valence",
    "Bourg-lès-Valence",
    "Saint-Marcel-lès-Valence",
    "Chabeuil",
    "Beaumont-lès-Valence",
    "Étoile-sur-Rhône",
    "Montélier",
    "Alixan",
    "Châteauneuf-sur-Isère",
    "Malissard",
    "Mours-Saint-Eusèbe",
    "Saint-Paul-lès-Romans",
    "Chatuzange-le-Goubet",
)
CRECHES = tuple(
    f"Crèche {name}"
    for name in (
        "Les Lutins",
        "Pom'Cannelle",
        "Les Petits Loups",
        "Arc-en-ciel",
        "Les Câlins",
        "La Farandole",
        "Les Marmousets",
        "Le Jardin d'Éveil",
        "Les Coccinelles",
        "Capucine",
    )
)
SCHOOL_LUNCHES_PER_DAY = 5_500
CRECHE_MEALS_PER_DAY = 500  # lunches and snacks


def _school_holidays(year: int) -> list[tuple[date, date]]:
    """Zone A school holidays, approximately: enough for a realistic calendar of school days."""
    return [
        (date(year, 1, 1), date(year, 1, 3)),
        (date(year, 2, 12), date(year, 2, 27)),
        (date(year, 4, 16), date(year, 5, 1)),
        (date(year, 7, 8), date(year, 9, 1)),
        (date(year, 10, 22), date(year, 11, 6)),
        (date(year, 12, 17), date(year, 12, 31)),
    ]


def _days(year: int) -> list[date]:
    day, days = date(year, 1, 1), []
    while day.year == year:
        days.append(day)
        day += timedelta(days=1)
    return days


def _is_school_day(day: date, holidays: list[tuple[date, date]]) -> bool:
    # French primary schools: Monday, Tuesday, Thursday, Friday.
    return day.weekday() in (0, 1, 3, 4) and not any(start <= day <= end for start, end in holidays)


def _is_creche_day(day: date) -> bool:
    return day.weekday() < 5 and day.month != 8 and not (day.month == 12 and day.day >= 24)


@dataclass
class Purchase:
    product: Product
    day: date
    amount: float
    group: str | None = None
    labels: str = ""
    origine: str = ""
    local: str | None = None  # definition_local when LOCAL
    circuit_court: bool = False


def build_purchases(year: int, rng: random.Random) -> list[Purchase]:
    holidays = _school_holidays(year)
    purchases = []
    for day in _days(year):
        school, creche = _is_school_day(day, holidays), _is_creche_day(day)
        if not (school or creche):
            continue
        activity = 1.0 if school else CRECHE_MEALS_PER_DAY / (SCHOOL_LUNCHES_PER_DAY + CRECHE_MEALS_PER_DAY)
        for product in PRODUCTS:
            if rng.random() < 0.75:  # not every product is delivered every day
                amount = product.daily_amount * activity * rng.uniform(0.8, 1.6)
                purchases.append(Purchase(product, day, round(amount, 2)))
    _assign_groups(purchases, TARGETS[year], rng)
    _assign_origins(purchases, TARGETS[year], rng)
    return purchases


def _fill(purchases: list[Purchase], share: float, total: float, eligible, assign, rng: random.Random) -> None:
    """Give ``assign`` to eligible purchases, in random order, while their value stays within ``share``."""
    budget = round(share * total, 2)
    taken = 0.0
    candidates = [purchase for purchase in purchases if eligible(purchase)]
    rng.shuffle(candidates)
    for purchase in candidates:
        if taken + purchase.amount <= budget:
            assign(purchase)
            taken += purchase.amount


def _assign_groups(purchases: list[Purchase], targets: YearTargets, rng: random.Random) -> None:
    total = sum(purchase.amount for purchase in purchases)
    for group in EGALIM_GROUPS:

        def assign(purchase: Purchase, group=group) -> None:
            purchase.group = group
            purchase.labels = rng.choice(purchase.product.labels[group])

        _fill(
            purchases,
            getattr(targets, group),
            total,
            lambda purchase, group=group: purchase.group is None and group in purchase.product.labels,
            assign,
            rng,
        )


def _assign_origins(purchases: list[Purchase], targets: YearTargets, rng: random.Random) -> None:
    total = sum(purchase.amount for purchase in purchases)
    definitions, weights = zip(*LOCAL_DEFINITIONS, strict=False)

    def make_local(purchase: Purchase) -> None:
        purchase.local = rng.choices(definitions, weights)[0]

    _fill(purchases, targets.local, total, lambda purchase: purchase.product.family in LOCAL_FAMILIES, make_local, rng)

    def make_short(purchase: Purchase) -> None:
        purchase.circuit_court = True

    # Short circuits (at most one intermediary) are mostly local producers.
    _fill(purchases, targets.circuit_court, total, lambda purchase: purchase.local is not None, make_short, rng)
    for purchase in purchases:
        purchase.origine = (
            "FRANCE" if purchase.local or rng.random() < 0.7 else ("EUROPE" if rng.random() < 0.6 else "")
        )


def write_purchases(path: Path, purchases: list[Purchase]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PURCHASE_HEADER)
        for purchase in purchases:
            product = purchase.product
            writer.writerow(
                [
                    KITCHEN_SIRET,
                    product.description,
                    product.supplier,
                    purchase.day.isoformat(),
                    f"{purchase.amount:.2f}",
                    product.family,
                    purchase.labels,
                    purchase.origine,
                    "x" if purchase.circuit_court else "",
                    "x" if purchase.local else "",
                    purchase.local or "",
                    "",
                ]
            )
    return len(purchases)


def build_menus(year: int, rng: random.Random) -> list[tuple[date, str, str, int, bool]]:
    """One row per site, day and service; the vegetarian days are the same for every site."""
    holidays = _school_holidays(year)
    vegetarian_days = TARGETS[year].vegetarian_days_per_week
    schools = [
        (f"Restaurant scolaire {commune}", weight)
        for commune, weight in zip(SCHOOL_COMMUNES, (30, 18, 8, 7, 7, 5, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2), strict=False)
    ]
    weights_total = sum(weight for _name, weight in schools)
    rows = []
    for day in _days(year):
        week_days = [0, 1, 3, 4]
        vegetarian = day.weekday() in week_days[:vegetarian_days]
        if _is_school_day(day, holidays):
            for name, weight in schools:
                meals = round(SCHOOL_LUNCHES_PER_DAY * weight / weights_total * rng.uniform(0.92, 1.05))
                rows.append((day, name, "dejeuner", meals, vegetarian))
        if _is_creche_day(day):
            for creche in CRECHES:
                lunches = round(CRECHE_MEALS_PER_DAY / len(CRECHES) / 2 * rng.uniform(0.85, 1.1))
                rows.append((day, creche, "dejeuner", lunches, vegetarian))
                rows.append((day, creche, "gouter", lunches, False))
    return rows


def write_menus(path: Path, rows: list[tuple[date, str, str, int, bool]]) -> int:
    """The kitchen's menu planning export: French CSV (`;`, JJ/MM/AAAA, oui/non), Windows-1252."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(MENU_HEADER)
        for day, site, service, meals, vegetarian in rows:
            writer.writerow([day.strftime("%d/%m/%Y"), site, service, meals, "oui" if vegetarian else "non"])
    return len(rows)


def write_kitchen_deliveries(target: Path, seed: int) -> dict[str, int]:
    """Write the kitchen's yearly purchase and menu exports under ``target``; path -> record count."""
    rng = random.Random(f"cuisine-{seed}")
    files = {}
    for year in YEARS:
        purchases_file = f"{ACHATS_DIR}/achats_ma_cantine_{year}.csv"
        files[purchases_file] = write_purchases(target / purchases_file, build_purchases(year, rng))
        menus_file = f"{MENUS_DIR}/menus_{year}.csv"
        files[menus_file] = write_menus(target / menus_file, build_menus(year, rng))
    return files

"""The companies of the demo: identifiers, SIRENE profile, establishments and their territory.

Every French company gets a Luhn-valid SIREN and Luhn-valid SIRETs; foreign bidders an EU VAT
number; a few French bidders have a valid SIRET that is deliberately absent from the SIRENE
extract (territoire "inconnu"). A company's territory is the class of its most local establishment:
large companies also have a head office farther away, from which they sometimes bid too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from spaser_demo.catalogue import TRADES
from spaser_demo.geography import COMMUNES_BY_TERRITORY, FOREIGN, FRENCH_TERRITORIES, UNKNOWN


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """``prefix`` followed by the one digit that makes the whole number pass the Luhn check."""
    return next(prefix + str(digit) for digit in range(10) if luhn_valid(prefix + str(digit)))


def siret_of(siren: str, establishment_number: int) -> str:
    """SIREN + NIC: the NIC is a 4-digit establishment number plus the digit making the SIRET Luhn-valid."""
    return luhn_complete(f"{siren}{establishment_number:04d}")


@dataclass
class Establishment:
    siret: str
    commune: str  # codeCommuneEtablissement
    territory: str
    siege: bool
    active: bool
    naf: str
    tranche: str
    created: date


@dataclass
class Company:
    key: str  # SIREN, or the VAT number of a foreign company
    trade: str
    territory: str  # class of the most local establishment (the one it bids from first)
    name: str = ""
    in_sirene: bool = True
    categorie_entreprise: str = ""  # PME / ETI / GE, empty when INSEE has not computed it
    tranche: str = "NN"  # trancheEffectifsUniteLegale
    ess: bool = False
    categorie_juridique: str = "5710"
    created: date = date(2000, 1, 1)
    establishments: list[Establishment] = field(default_factory=list)
    local: Establishment | None = None  # the most local active establishment
    head_office: Establishment | None = None  # a farther establishment the company also bids from

    @property
    def foreign(self) -> bool:
        return self.territory == FOREIGN

    @property
    def type_identifiant(self) -> str:
        return "TVA" if self.foreign else "SIRET"

    def local_id(self) -> str:
        return self.key if self.foreign else self.local.siret

    def bidding_id(self, rng: random.Random) -> str:
        """The identifier of a later bid: sometimes the head office bids instead of the local agency."""
        if self.head_office is not None and rng.random() < 0.35:
            return self.head_office.siret
        return self.local_id()


SURNAMES = (
    "Arnaud",
    "Bonnet",
    "Chabert",
    "Faure",
    "Roux",
    "Giraud",
    "Blanc",
    "Garnier",
    "Perrin",
    "Mounier",
    "Reynaud",
    "Brun",
    "Vincent",
    "Chapuis",
    "Jourdan",
    "Peyrard",
    "Fayolle",
    "Bouvier",
    "Gauthier",
    "Rey",
    "Chauvin",
    "Mathieu",
    "Lambert",
    "Morel",
    "Fournier",
    "Girard",
    "Bernard",
    "Robin",
    "Chevalier",
    "Barbier",
    "Marchand",
    "Durand",
    "Michel",
    "Colin",
    "Noël",
    "Ollier",
    "Sauvan",
    "Teyssier",
    "Vial",
)
PLACE_WORDS = {
    "agglo": ("Valentinois", "Romanais", "Valence", "Drôme des Collines", "Vercors", "Confluence"),
    "departement": ("Drômois", "Drôme Provençale", "Diois", "Montilien", "Val de Drôme", "Tricastin"),
    "region": ("Rhône-Alpes", "Dauphiné", "Lyonnais", "Ardèche", "Alpes", "Auvergne", "Forez", "Savoie"),
    "france": ("France", "Méditerranée", "Atlantique", "Île-de-France", "Occitanie", "Provence", "Nord", "Est"),
    UNKNOWN: ("Sud-Est", "Rhodanien", "Centre", "Hexagone"),
}
LEGAL_FORMS = (("5710", 45), ("5720", 15), ("5499", 25), ("5498", 6), ("5458", 3), ("5599", 6))
SME_TRANCHES = (
    ("00", 8),
    ("01", 10),
    ("02", 12),
    ("03", 12),
    ("11", 16),
    ("12", 18),
    ("21", 10),
    ("22", 8),
    ("31", 3),
    ("NN", 3),
)
# (country prefix, number of characters after it, leading character): IT 11 digits, BE 0 + 9 digits,
# ES B + 8 digits (a company), DE 9 digits, LU 8 digits, NL 9 digits + B01.
VAT_FORMATS = (("IT", 11, ""), ("BE", 10, "0"), ("ES", 9, "B"), ("DE", 9, ""), ("LU", 8, ""), ("NL", 9, ""))


class CompanyRegistry:
    """Creates companies on demand, by trade and territory class, and remembers them across years."""

    def __init__(self, rng: random.Random, reserved_sirens: tuple[str, ...]):
        self.rng = rng
        self.companies: list[Company] = []
        self._by_key: dict[str, Company] = {}
        self._pool: dict[tuple[str, str], list[Company]] = {}
        self._names: set[str] = set()
        self._used_sirens = set(reserved_sirens)

    def pool(self, trade: str, territory: str) -> list[Company]:
        return self._pool.get((trade, territory), [])

    def pick(self, trade: str, territory: str, count: int, retention: float = 0.8) -> list[Company]:
        """``count`` distinct companies: mostly known ones of the pool, completed with newcomers."""
        known = list(self.pool(trade, territory))
        self.rng.shuffle(known)
        reused = known[: min(len(known), round(count * retention))]
        return reused + [self.create(trade, territory) for _ in range(count - len(reused))]

    def create(self, trade: str, territory: str) -> Company:
        if territory == FOREIGN:
            company = Company(key=self._vat_number(), trade=trade, territory=territory, in_sirene=False)
        else:
            company = self._french_company(trade, territory)
        self.companies.append(company)
        self._by_key[company.key] = company
        self._pool.setdefault((trade, territory), []).append(company)
        return company

    # ------------------------------------------------------------------ internals
    def _new_siren(self) -> str:
        while True:
            siren = luhn_complete(f"{self.rng.randint(3, 9)}{self.rng.randint(0, 9_999_999):07d}")
            if siren not in self._used_sirens:
                self._used_sirens.add(siren)
                return siren

    def _vat_number(self) -> str:
        while True:
            country, length, lead = self.rng.choice(VAT_FORMATS)
            number = country + lead + "".join(str(self.rng.randint(0, 9)) for _ in range(length - len(lead)))
            if country == "NL":
                number += "B01"
            if number not in self._by_key:
                return number

    def _commune(self, territory: str) -> str:
        communes = COMMUNES_BY_TERRITORY[territory]
        return self.rng.choices([code for code, _n, _w in communes], [weight for _c, _n, weight in communes])[0]

    def _name(self, trade: str, territory: str) -> str:
        stems = TRADES[trade].name_stems
        while True:
            pattern = self.rng.randint(0, 2)
            stem = self.rng.choice(stems)
            if pattern == 0:
                name = f"{stem} {self.rng.choice(SURNAMES)}"
            elif pattern == 1:
                name = f"{self.rng.choice(SURNAMES)} {stem}"
            else:
                name = f"{stem} {self.rng.choice(PLACE_WORDS[territory])}"
            name = name.upper()
            if name not in self._names:
                self._names.add(name)
                return name
            if self.rng.random() < 0.5:  # a namesake: INSEE would show the same name with a suffix
                name = f"{name} {self.rng.choice(('ET FILS', 'ET ASSOCIES', 'GROUPE', 'SERVICES'))}"
                if name not in self._names:
                    self._names.add(name)
                    return name

    def _date(self, first_year: int, last_year: int) -> date:
        return date(self.rng.randint(first_year, last_year), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def _french_company(self, trade: str, territory: str) -> Company:
        rng = self.rng
        located = territory if territory != UNKNOWN else rng.choice(FRENCH_TERRITORIES)
        company = Company(
            key=self._new_siren(),
            trade=trade,
            territory=territory,
            name=self._name(trade, located if territory != UNKNOWN else UNKNOWN),
            in_sirene=territory != UNKNOWN,
            created=self._date(1965, 2021),
        )
        naf_codes = TRADES[trade].naf_codes
        if trade in ("insertion", "adapte"):
            # Structures d'insertion and ESAT are associations of the social and solidarity economy.
            company.categorie_juridique, company.ess, company.categorie_entreprise = "9220", True, "PME"
            company.tranche = rng.choice(("11", "12", "21", "22"))
            large = False
        else:
            large_share = {"agglo": 0.08, "departement": 0.08, "region": 0.15, "france": 0.35}.get(located, 0.0)
            large = territory != UNKNOWN and rng.random() < large_share
            if large:
                company.categorie_entreprise = rng.choice(("ETI", "ETI", "GE"))
                company.tranche = (
                    rng.choice(("41", "42", "51"))
                    if company.categorie_entreprise == "ETI"
                    else rng.choice(("52", "53"))
                )
                company.categorie_juridique = rng.choice(("5599", "5710"))
            else:
                company.tranche = rng.choices([t for t, _w in SME_TRANCHES], [w for _t, w in SME_TRANCHES])[0]
                # INSEE leaves categorieEntreprise empty for recent units: the warehouse falls back on the tranche.
                company.categorie_entreprise = "" if rng.random() < 0.08 else "PME"
                company.categorie_juridique = rng.choices([c for c, _w in LEGAL_FORMS], [w for _c, w in LEGAL_FORMS])[0]
                company.ess = company.categorie_juridique == "5458"
        number = 1

        def establishment(commune_territory: str, siege: bool, active: bool = True) -> Establishment:
            nonlocal number
            created = self._date(company.created.year, 2021)
            item = Establishment(
                siret=siret_of(company.key, number),
                commune=self._commune(commune_territory),
                territory=commune_territory,
                siege=siege,
                active=active,
                naf=rng.choice(naf_codes),
                tranche=company.tranche if siege else rng.choice(("03", "11", "12", "21")),
                created=created,
            )
            number += rng.randint(1, 9)
            company.establishments.append(item)
            return item

        if large and located != "france":
            head_office_territory = rng.choice(("france", "region")) if located != "region" else "france"
            company.head_office = establishment(head_office_territory, siege=True)
            company.local = establishment(located, siege=False)
        elif large:
            company.head_office = establishment("france", siege=True)
            company.local = establishment("france", siege=False)
        else:
            company.local = establishment(located, siege=True)
        if rng.random() < 0.1:  # a former establishment, closed: never bids
            establishment(rng.choice(FRENCH_TERRITORIES), siege=False, active=False)
        return company

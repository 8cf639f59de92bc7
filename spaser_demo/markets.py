"""The market-software slice of the demo: consultations and their lots, the bids, the contracts.

Everything is planned year by year from ``calibration.PLANS`` so that the calibrated figures are
exact by construction, then dressed with random but seeded details (subjects, amounts, dates,
companies). Dates of a year's consultations stay inside that year: launch, bids, closing and
notification, so each figure falls in the year it is planned for.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from spaser_demo.calibration import (
    BIDDERS,
    BUYER_CODES,
    BUYERS,
    GROUPEMENT_BID_SHARE,
    HISTORY,
    HISTORY_YEAR,
    INTERDICTIONS,
    PLANS,
    SIMPLIFIED_UNDER_40K_SHARE,
    YEARS,
    BuyerYearPlan,
)
from spaser_demo.catalogue import CATEGORIES, FAMILIES, PLACES, SERVICES, TRADES, TRAVAUX, Family, families_of
from spaser_demo.companies import Company, CompanyRegistry, siret_of
from spaser_demo.geography import EXECUTION_COMMUNES, TERRITORIES

BUYER_SIRETS = {siren: siret_of(siren, 1) for siren in BUYERS}
FORMALISED = ("appel_offres_ouvert", "appel_offres_restreint", "procedure_negociee", "dialogue_competitif")
SIMPLIFIED = ("bon_de_commande", "lettre_consultation")
SIMPLIFIED_THRESHOLD = 40_000
# Thresholds of the formalised procedures for supplies and services of local authorities (avis
# annexé au code de la commande publique), and the level above which the buyers open works too.
FORMALISED_THRESHOLD = {2021: 214_000, 2022: 215_000, 2023: 215_000, 2024: 221_000, 2025: 221_000}
WORKS_OPEN_TENDER_LEVEL = 1_500_000
# Trades where companies team up to bid (works, engineering, building maintenance, IT projects).
GROUPEMENT_TRADES = (
    "btp_batiment",
    "btp_voirie",
    "ingenierie",
    "maintenance",
    "numerique_services",
    "conseil",
    "proprete",
    "espaces_verts",
)
# The delivery is the night of 5 January 2026: nothing is dated after it.
LAST_DATE = date(2025, 12, 31)


@dataclass
class Bid:
    company: Company
    bidder_id: str
    date_depot: date
    groupement: bool = False
    partners: list[Company] = field(default_factory=list)  # other members of the groupement
    retenue: bool = False
    exclusion_motif: str = ""
    demande_motifs_rejet: bool = False


@dataclass
class Modification:
    number: int
    notified: date
    published: date
    montant: float | None = None
    duree_mois: int | None = None
    titulaires: list[tuple[str, str]] | None = None


@dataclass
class Contract:
    buyer: str  # SIREN
    id: str
    objet: str
    cpv: str
    family: Family
    procedure: str  # the lot's procedure code
    montant: float
    duree_mois: int
    notified: date
    published: date
    titulaires: list[tuple[str, str]]  # (id, typeIdentifiant)
    groupement: str = "Pas de groupement"
    offres_recues: int = 1
    considerations_sociales: list[str] = field(default_factory=list)
    considerations_environnementales: list[str] = field(default_factory=list)
    innovant: bool = False
    lieu: str = ""
    sous_traitant: Company | None = None
    modifications: list[Modification] = field(default_factory=list)
    # A first delivery with an error that a later correction file fixes: (field, wrong value).
    first_delivery_error: tuple[str, object] | None = None
    correction_published: date | None = None

    @property
    def buyer_siret(self) -> str:
        return BUYER_SIRETS[self.buyer]

    @property
    def year(self) -> int:
        return self.notified.year


@dataclass
class Lot:
    number: int
    cpv: str
    label: str
    categorie: str
    montant_estime: float
    statut: str = "attribue"
    date_cloture: date | None = None
    variantes: bool = False
    mpgp: bool = False
    bid_count: int = 0
    bids: list[Bid] = field(default_factory=list)
    contract: Contract | None = None
    # What the market software's export says of the contract when it differs from contract.id
    # (a reliability defect planted by spaser_demo/fiabilisation.py): "" lost, else a typo.
    id_marche_saisi: str | None = None

    @property
    def id_marche(self) -> str:
        if self.id_marche_saisi is not None:
            return self.id_marche_saisi
        return self.contract.id if self.contract else ""


@dataclass
class Consultation:
    buyer: str
    id: str
    family: Family
    objet: str
    launched: date
    deadline: date
    procedure: str = "procedure_adaptee"
    lots: list[Lot] = field(default_factory=list)

    @property
    def buyer_siret(self) -> str:
        return BUYER_SIRETS[self.buyer]


@dataclass
class Concession:
    buyer: str
    id: str
    nature: str
    objet: str
    signed: date
    published: date
    start: date
    duree_mois: int
    valeur: float
    concessionnaire: Company

    @property
    def buyer_siret(self) -> str:
        return BUYER_SIRETS[self.buyer]


@dataclass
class MarketData:
    consultations: list[Consultation]
    concessions: list[Concession]
    registry: CompanyRegistry

    @property
    def contracts(self) -> list[Contract]:
        return [lot.contract for consultation in self.consultations for lot in consultation.lots if lot.contract]


def build_market_data(seed: int) -> MarketData:
    rng = random.Random(seed)
    registry = CompanyRegistry(random.Random(seed + 1), BUYERS)
    builder = _YearBuilder(rng, registry)
    consultations = builder.history()
    for year in YEARS:
        consultations += builder.year(year)
    _plan_corrections(rng, consultations)
    concessions = _concessions(rng, registry)
    return MarketData(consultations, concessions, registry)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return round(math.exp(rng.uniform(math.log(low), math.log(high))), -2)


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


class _YearBuilder:
    def __init__(self, rng: random.Random, registry: CompanyRegistry):
        self.rng = rng
        self.registry = registry

    # ------------------------------------------------------------------ numbering
    @staticmethod
    def _number(year: int, consultations: list[Consultation]) -> None:
        """Number consultations by launch date and contracts by notification date, per buyer.

        Each buyer numbers its contracts from 1 every year: the same id exists under several buyers,
        which is why the DECP business key is (acheteur.id, id).
        """
        for buyer in BUYERS:
            own = sorted((c for c in consultations if c.buyer == buyer), key=lambda c: (c.launched, c.objet))
            for number, consultation in enumerate(own, start=1):
                consultation.id = f"{BUYER_CODES[buyer]}-{year}-{number:03d}"
            contracts = sorted(
                (
                    (lot.contract.notified, c.id, lot.number, lot.contract)
                    for c in own
                    for lot in c.lots
                    if lot.contract
                ),
                key=lambda item: item[:3],
            )
            for number, (_notified, _consultation, _lot, contract) in enumerate(contracts, start=1):
                contract.id = f"{year}-{number:04d}"

    # ------------------------------------------------------------------ years
    def history(self) -> list[Consultation]:
        """Multi-year insertion and reserved contracts notified in 2021, still running in 2022 (no bids)."""
        consultations = []
        for buyer in BUYERS:
            families = ["insertion"] * HISTORY[buyer]["insertion"] + ["reserve"] * HISTORY[buyer]["reserve"]
            for key in families:
                consultation = self._consultation(buyer, HISTORY_YEAR, FAMILIES[key], 1)
                self._choose_procedure(HISTORY_YEAR, consultation)
                lot = consultation.lots[0]
                trade = FAMILIES[key].trade
                winner = self.registry.pick(trade, self.rng.choice(("agglo", "agglo", "departement")), 1)[0]
                lot.bid_count = self.rng.randint(1, 3)
                self._close_lot(consultation, lot)
                contract = self._contract(
                    consultation, lot, [(winner.local_id(), winner.type_identifiant)], lot.bid_count
                )
                contract.duree_mois = self.rng.choice((36, 48))  # running through 2022 at least
                consultations.append(consultation)
        self._number(HISTORY_YEAR, consultations)
        self._assign_considerations(HISTORY_YEAR, consultations, plans=None)
        return consultations

    def year(self, year: int) -> list[Consultation]:
        consultations = []
        for buyer in BUYERS:
            consultations += self._buyer_year(buyer, year, PLANS[year][buyer])
        self._assign_bidders(year, consultations)
        for consultation in consultations:
            for lot in consultation.lots:
                self._settle_lot(year, consultation, lot)
        self._number(year, consultations)
        self._pick_interdictions(year, consultations)
        for buyer in BUYERS:
            self._pick_courriers(year, [c for c in consultations if c.buyer == buyer], PLANS[year][buyer])
        self._assign_considerations(year, consultations, PLANS[year])
        self._add_modifications(consultations)
        return consultations

    # ------------------------------------------------------------------ consultations and lots
    def _buyer_year(self, buyer: str, year: int, plan: BuyerYearPlan) -> list[Consultation]:
        rng = self.rng
        families: list[Family] = []
        for categorie in CATEGORIES:
            count = plan.marches[categorie]
            if categorie == SERVICES:
                families += [FAMILIES["insertion"]] * plan.insertion + [FAMILIES["reserve"]] * plan.reserve
                count -= plan.insertion + plan.reserve
            choices = families_of(categorie)
            families += rng.choices(choices, [family.weight for family in choices], k=count)
        by_family: dict[str, list[Family]] = {}
        for family in families:
            by_family.setdefault(family.key, []).append(family)
        consultations: list[Consultation] = []
        for key in sorted(by_family):
            family, remaining = FAMILIES[key], len(by_family[key])
            while remaining:
                size = 1
                if remaining >= 2 and rng.random() < family.multi_lot_share:
                    size = rng.randint(2, min(remaining, len(family.cpv), 6))
                consultations.append(self._consultation(buyer, year, family, size))
                remaining -= size
        multi_lot = [c for c in consultations if len(c.lots) > 1]
        for statut, count in (("infructueux", plan.infructueux), ("sans_suite", plan.sans_suite)):
            for _ in range(count):
                host = rng.choice(multi_lot) if multi_lot and rng.random() < 0.5 else None
                if host is not None and len(host.lots) < len(host.family.cpv):
                    lot = self._add_lot(host, divided=True)
                else:
                    family = rng.choice([f for c in CATEGORIES for f in families_of(c)])
                    host = self._consultation(buyer, year, family, 1)
                    consultations.append(host)
                    lot = host.lots[0]
                lot.statut = statut
        for _ in range(plan.open_lots):
            family = rng.choice([f for c in CATEGORIES for f in families_of(c)])
            consultation = self._consultation(buyer, year, family, 1, still_open=True)
            consultation.lots[0].statut = "en_cours"
            consultations.append(consultation)
        for consultation in consultations:
            self._choose_procedure(year, consultation)
            for lot in consultation.lots:
                lot.bid_count = self._bid_count(consultation, lot)
        return consultations

    def _consultation(self, buyer: str, year: int, family: Family, size: int, still_open: bool = False) -> Consultation:
        rng = self.rng
        if still_open:
            launched = _random_date(rng, date(year, 10, 15), date(year, 11, 20))
        else:
            launched = _random_date(rng, date(year, 1, 5), date(year, 9, 30))
        objet = rng.choice(family.objects).replace("{lieu}", rng.choice(PLACES[buyer]))
        consultation = Consultation(
            buyer, "", family, objet, launched, deadline=launched + timedelta(days=rng.randint(21, 35))
        )
        for _ in range(size):
            self._add_lot(consultation, divided=size > 1)
        return consultation

    def _add_lot(self, consultation: Consultation, divided: bool) -> Lot:
        rng, family = self.rng, consultation.family
        used = {lot.cpv + lot.label for lot in consultation.lots}
        cpv, label = rng.choice([item for item in family.cpv if item[0] + item[1] not in used])
        low, high = family.amount_range
        if divided:
            low = max(low, SIMPLIFIED_THRESHOLD)  # a divided consultation is not a small purchase
        lot = Lot(
            number=len(consultation.lots) + 1,
            cpv=cpv,
            label=label,
            categorie=family.categorie,
            montant_estime=_log_uniform(rng, low, max(high, low * 1.5)),
            variantes=rng.random() < 0.12,
        )
        consultation.lots.append(lot)
        return lot

    def _choose_procedure(self, year: int, consultation: Consultation) -> None:
        rng, family = self.rng, consultation.family
        total = sum(lot.montant_estime for lot in consultation.lots)
        if family.categorie == TRAVAUX:
            formalised = total >= WORKS_OPEN_TENDER_LEVEL and rng.random() < 0.5
            if formalised and total >= 3_000_000 and rng.random() < 0.3:
                consultation.lots[0].mpgp = family.key == "batiment"
        else:
            formalised = total >= FORMALISED_THRESHOLD[year]
        if formalised:
            if family.maitrise_oeuvre:
                consultation.procedure = "appel_offres_restreint"
            elif family.key in ("numerique_services", "etudes") and rng.random() < 0.15:
                consultation.procedure = "dialogue_competitif"
            else:
                consultation.procedure = rng.choices(FORMALISED[:3], (85, 8, 7))[0]
        elif (
            total < SIMPLIFIED_THRESHOLD
            and len(consultation.lots) == 1
            and not family.maitrise_oeuvre
            and rng.random() < SIMPLIFIED_UNDER_40K_SHARE[year]
        ):
            consultation.procedure = rng.choice(SIMPLIFIED)
        elif (
            len(consultation.lots) == 1 and family.key in ("numerique_services", "maintenance") and rng.random() < 0.04
        ):
            consultation.procedure = "sans_publicite"  # exclusive rights of the software's publisher
        else:
            consultation.procedure = "procedure_adaptee"

    def _bid_count(self, consultation: Consultation, lot: Lot) -> int:
        rng = self.rng
        if lot.statut == "infructueux":
            return rng.randint(1, 2)  # every bid irregular or unacceptable
        if consultation.family.marche_insertion or consultation.family.marche_reserve:
            return rng.randint(1, 2)
        if consultation.procedure == "sans_publicite":
            return 1
        if consultation.procedure in SIMPLIFIED:
            return rng.randint(1, 3)
        if consultation.procedure in FORMALISED:
            return rng.randint(3, 7)
        return rng.randint(2, 5)

    # ------------------------------------------------------------------ bidders
    def _assign_bidders(self, year: int, consultations: list[Consultation]) -> None:
        """Give every lot its bidders so that the year's distinct bidders match BIDDERS[year] exactly.

        Bid slots are grouped by trade; each trade gets a number of distinct bidders proportional to
        its slots (at least its largest lot, at most its slots), those bidders get their territory
        classes from the year's exact composition, and every one of them bids at least once, its
        first bid coming from its most local establishment.
        """
        rng = self.rng
        slots: dict[str, list[Lot]] = {}
        for consultation in consultations:
            for lot in consultation.lots:
                if lot.bid_count:
                    slots.setdefault(consultation.family.trade, []).append(lot)
        trades = sorted(slots)
        composition = BIDDERS[year]
        total = sum(composition.values())
        lower = {t: max(lot.bid_count for lot in slots[t]) for t in trades}
        upper = {t: sum(lot.bid_count for lot in slots[t]) for t in trades}
        distinct = _apportion(total, {t: upper[t] for t in trades}, lower, upper)
        classes = self._classes_by_trade(composition, distinct)
        for trade in trades:
            companies = []
            for territory in TERRITORIES:
                companies += self.registry.pick(trade, territory, classes[trade].count(territory))
            rng.shuffle(companies)
            unused = list(companies)
            lots = list(slots[trade])
            rng.shuffle(lots)
            # Spread the newcomers first so that each company bids at least once.
            for lot in lots:
                chosen = unused[: lot.bid_count]
                del unused[: lot.bid_count]
                others = [c for c in companies if c not in chosen]
                chosen += rng.sample(others, lot.bid_count - len(chosen))
                lot.bids = [Bid(company, "", date_depot=date.min) for company in chosen]
            if unused:  # cannot happen while every trade has at least as many bid slots as bidders
                raise RuntimeError(f"{len(unused)} soumissionnaires sans offre dans le métier {trade}")
            # A company's first bid of the year comes from its most local establishment, so that
            # establishment is the one the warehouse locates it by, whatever its other bids.
            seen: set[str] = set()
            for lot in lots:
                for bid in lot.bids:
                    first = bid.company.key not in seen
                    seen.add(bid.company.key)
                    bid.bidder_id = bid.company.local_id() if first else bid.company.bidding_id(rng)

    def _classes_by_trade(self, composition: dict[str, int], distinct: dict[str, int]) -> dict[str, list[str]]:
        """Share the year's territory classes among trades, weighted by how local each trade is."""
        rng = self.rng
        remaining = dict(distinct)
        classes: dict[str, list[str]] = {trade: [] for trade in distinct}
        labels = [territory for territory in TERRITORIES for _ in range(composition[territory])]
        # The rarest, most constrained classes first so that they always find a trade that accepts them.
        labels.sort(key=lambda territory: sum(TRADES[t].locality[territory] > 0 for t in distinct))
        for territory in labels:
            candidates = [t for t in sorted(remaining) if remaining[t] and TRADES[t].locality[territory] > 0]
            if not candidates:
                candidates = [t for t in sorted(remaining) if remaining[t]]
            trade = rng.choices(
                candidates, [remaining[t] * (TRADES[t].locality[territory] or 0.1) for t in candidates]
            )[0]
            classes[trade].append(territory)
            remaining[trade] -= 1
        return classes

    # ------------------------------------------------------------------ outcome of a lot
    def _settle_lot(self, year: int, consultation: Consultation, lot: Lot) -> None:
        rng = self.rng
        for bid in lot.bids:
            bid.date_depot = max(
                consultation.launched + timedelta(days=7), consultation.deadline - timedelta(days=rng.randint(0, 10))
            )
            if (
                bid.company.trade in GROUPEMENT_TRADES
                and not bid.company.foreign
                and rng.random() < GROUPEMENT_BID_SHARE[year]
            ):
                bid.groupement = True
                partners = [
                    c
                    for c in self.registry.pool(bid.company.trade, "agglo")
                    + self.registry.pool(bid.company.trade, "departement")
                    if c is not bid.company and c not in [b.company for b in lot.bids]
                ]
                count = rng.randint(1, 2)
                bid.partners = rng.sample(partners, min(count, len(partners)))
                if not bid.partners:
                    bid.partners = [self.registry.create(bid.company.trade, "agglo")]
        if lot.statut == "en_cours":
            return
        self._close_lot(consultation, lot)
        if lot.statut == "infructueux":
            for bid in lot.bids:
                bid.exclusion_motif = rng.choice(("offre_irreguliere", "offre_inacceptable"))
            return
        if lot.statut == "sans_suite":
            return
        for bid in lot.bids[1:]:
            if rng.random() < 0.06:
                bid.exclusion_motif = rng.choices(
                    ("offre_irreguliere", "offre_anormalement_basse", "offre_inacceptable"), (5, 2, 2)
                )[0]
        eligible = [bid for bid in lot.bids if not bid.exclusion_motif]
        winner = rng.choice(eligible)
        winner.retenue = True
        titulaires = [(winner.bidder_id, winner.company.type_identifiant)]
        titulaires += [(partner.local_id(), "SIRET") for partner in winner.partners]
        contract = self._contract(consultation, lot, titulaires, len(lot.bids))
        if winner.groupement:
            contract.groupement = rng.choice(("Conjoint", "Solidaire"))

    def _close_lot(self, consultation: Consultation, lot: Lot) -> None:
        lot.date_cloture = min(
            consultation.deadline + timedelta(days=self.rng.randint(7, 40)), date(consultation.launched.year, 12, 15)
        )

    def _contract(
        self, consultation: Consultation, lot: Lot, titulaires: list[tuple[str, str]], offres_recues: int
    ) -> Contract:
        rng, family = self.rng, consultation.family
        year = consultation.launched.year
        notified = min(lot.date_cloture + timedelta(days=rng.randint(3, 20)), date(year, 12, 30))
        objet = (
            consultation.objet
            if len(consultation.lots) == 1
            else f"{consultation.objet} - Lot {lot.number} : {lot.label}"
        )
        contract = Contract(
            buyer=consultation.buyer,
            id="",
            objet=objet,
            cpv=lot.cpv,
            family=family,
            procedure=consultation.procedure,
            montant=round(lot.montant_estime * rng.uniform(0.82, 1.08), 2),
            duree_mois=rng.choice(family.durations),
            notified=notified,
            published=min(notified + timedelta(days=rng.randint(5, 25)), LAST_DATE),
            titulaires=titulaires,
            offres_recues=offres_recues,
            innovant=rng.random() < 0.015,
            lieu=rng.choice(EXECUTION_COMMUNES[consultation.buyer]),
        )
        if family.categorie == TRAVAUX and rng.random() < 0.12:
            holders = {identifier for identifier, _type in titulaires}
            local_partners = [c for c in self.registry.pool(family.trade, "agglo") if c.local_id() not in holders]
            contract.sous_traitant = rng.choice(local_partners) if local_partners else None
        lot.contract = contract
        return contract

    # ------------------------------------------------------------------ exact counts
    def _pick_interdictions(self, year: int, consultations: list[Consultation]) -> None:
        candidates = [
            bid
            for c in consultations
            for lot in c.lots
            if lot.statut == "attribue"
            for bid in lot.bids
            if not bid.retenue and not bid.exclusion_motif and not bid.company.foreign
        ]
        for bid in self.rng.sample(candidates, INTERDICTIONS[year]):
            bid.exclusion_motif = "interdiction_soumissionner"

    def _pick_courriers(self, year: int, consultations: list[Consultation], plan: BuyerYearPlan) -> None:
        candidates = [
            bid
            for c in consultations
            for lot in c.lots
            if lot.statut != "en_cours"
            for bid in lot.bids
            if not bid.retenue
        ]
        for bid in self.rng.sample(candidates, plan.courriers_reserves):
            bid.demande_motifs_rejet = True

    def _assign_considerations(
        self, year: int, consultations: list[Consultation], plans: dict[str, BuyerYearPlan] | None
    ) -> None:
        """Give each buyer's contracts of the year exactly the planned numbers of clauses."""
        rng = self.rng
        for buyer in BUYERS:
            contracts = [lot.contract for c in consultations if c.buyer == buyer for lot in c.lots if lot.contract]
            social = {id(c): [] for c in contracts}
            environmental = {id(c): [] for c in contracts}
            for contract in contracts:
                if contract.family.marche_insertion:
                    social[id(contract)].append("Clause sociale")
                if contract.family.marche_reserve:
                    social[id(contract)].append("Marché réservé")
            if plans is not None:
                plan = plans[buyer]
                for categorie in CATEGORIES:
                    pool = [c for c in contracts if c.family.categorie == categorie]
                    self._mark(pool, social, "Clause sociale", plan.clause_sociale[categorie])
                    self._mark(pool, environmental, "Clause environnementale", plan.clause_environnementale[categorie])
                for contract in contracts:
                    if rng.random() < plan.critere_social_share:
                        social[id(contract)].append("Critère social")
                    if rng.random() < plan.critere_environnemental_share:
                        environmental[id(contract)].append("Critère environnemental")
            for contract in contracts:
                contract.considerations_sociales = social[id(contract)] or ["Pas de considération sociale"]
                contract.considerations_environnementales = environmental[id(contract)] or [
                    "Pas de considération environnementale"
                ]

    def _mark(self, contracts: list[Contract], marks: dict[int, list[str]], value: str, count: int) -> None:
        already = [c for c in contracts if value in marks[id(c)]]
        # Clauses go to the larger contracts first, as in practice, in a random order among them.
        others = sorted(
            (c for c in contracts if value not in marks[id(c)]),
            key=lambda c: (c.montant < SIMPLIFIED_THRESHOLD, self.rng.random()),
        )
        missing = count - len(already)
        if missing < 0 or missing > len(others):
            raise ValueError(f"impossible de donner « {value} » à {count} marchés sur {len(contracts)}")
        for contract in others[:missing]:
            marks[id(contract)].append(value)

    def _add_modifications(self, consultations: list[Consultation]) -> None:
        """Avenants on a few contracts: a higher amount, sometimes a longer duration or a new holder."""
        rng = self.rng
        for consultation in consultations:
            for lot in consultation.lots:
                contract = lot.contract
                if contract is None or contract.duree_mois < 12 or rng.random() > 0.06:
                    continue
                notified = contract.notified + timedelta(days=rng.randint(90, 300))
                if notified > LAST_DATE - timedelta(days=20):
                    continue
                contract.modifications.append(
                    Modification(
                        1,
                        notified,
                        notified + timedelta(days=rng.randint(3, 15)),
                        montant=round(contract.montant * rng.uniform(1.04, 1.15), 2),
                    )
                )
                later = notified + timedelta(days=rng.randint(60, 240))
                if rng.random() < 0.35 and later <= LAST_DATE - timedelta(days=20):
                    modification = Modification(
                        2,
                        later,
                        later + timedelta(days=rng.randint(3, 15)),
                        duree_mois=contract.duree_mois + rng.choice((6, 12)),
                    )
                    if contract.titulaires[0][1] == "SIRET" and rng.random() < 0.25:
                        # The contract is transferred to another company (cession after a takeover).
                        successor = self.registry.create(contract.family.trade, "agglo")
                        modification.titulaires = [(successor.local_id(), "SIRET")]
                    contract.modifications.append(modification)


def _apportion(total: int, weights: dict[str, int], lower: dict[str, int], upper: dict[str, int]) -> dict[str, int]:
    """Split ``total`` proportionally to ``weights`` (largest remainders) within per-key bounds."""
    if not sum(lower.values()) <= total <= sum(upper.values()):
        raise ValueError(f"impossible de répartir {total} soumissionnaires entre les métiers")
    result = dict(lower)
    while sum(result.values()) < total:
        free = [k for k in sorted(weights) if result[k] < upper[k]]
        weight_sum = sum(weights[k] for k in free)
        short = total - sum(result.values())
        shares = {k: short * weights[k] / weight_sum for k in free}
        for key in free:
            result[key] = min(upper[key], result[key] + int(shares[key]))
        short = total - sum(result.values())
        for key in sorted(free, key=lambda k: (-(shares[k] - int(shares[k])), k))[:short]:
            if result[key] < upper[key]:
                result[key] += 1
    return result


def _plan_corrections(rng: random.Random, consultations: list[Consultation]) -> None:
    """A few contracts first delivered with an error, corrected by a later file (newest wins).

    Two VRA 2022 contracts with a "Clause sociale" were first delivered without it, and a few others
    with an amount typed ten times too large: the calibrated figures hold only once corrections win.
    """
    contracts = [lot.contract for c in consultations for lot in c.lots if lot.contract]
    vra_2022 = [
        c
        for c in contracts
        if c.buyer == BUYERS[0]
        and c.year == 2022
        and "Clause sociale" in c.considerations_sociales
        and not c.family.marche_insertion
    ]
    for contract in rng.sample(vra_2022, 2):
        contract.first_delivery_error = ("considerationsSociales", ["Pas de considération sociale"])
    others = [c for c in contracts if c.year in (2022, 2023) and c.first_delivery_error is None]
    for contract in rng.sample(others, 4):
        contract.first_delivery_error = ("montant", round(contract.montant * 10, 2))
    for contract in contracts:
        if contract.first_delivery_error is not None:
            contract.correction_published = contract.published + timedelta(days=rng.randint(30, 60))


# (year, buyer, nature, objet, dureeMois, trade of the concessionnaire)
CONCESSIONS = (
    (
        2022,
        BUYERS[0],
        "Délégation de service public",
        "Exploitation du centre aquatique intercommunal",
        96,
        "maintenance",
    ),
    (2023, BUYERS[1], "Concession de service", "Gestion de la fourrière automobile", 60, "garage"),
    (2024, BUYERS[2], "Délégation de service public", "Exploitation du camping municipal", 84, "restauration"),
    (2025, BUYERS[0], "Concession de service public", "Exploitation du réseau de chaleur urbain", 240, "energie"),
)


def _concessions(rng: random.Random, registry: CompanyRegistry) -> list[Concession]:
    """Concession contracts, delivered in the same DECP files: the warehouse must leave them out of
    the marchés."""
    concessions = []
    for year, buyer, nature, objet, months, trade in CONCESSIONS:
        signed = _random_date(rng, date(year, 3, 1), date(year, 10, 31))
        concessionnaire = registry.create(trade, "france")
        concessions.append(
            Concession(
                buyer,
                f"{year}-DSP-01",
                nature,
                objet,
                signed,
                signed + timedelta(days=rng.randint(10, 30)),
                signed + timedelta(days=rng.randint(30, 90)),
                months,
                _log_uniform(rng, 2_000_000, 30_000_000),
                concessionnaire,
            )
        )
    return concessions

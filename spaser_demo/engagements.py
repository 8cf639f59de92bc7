"""Demo deliveries of the GED, the employment platform, the SPASER team's registers and the
territory's greenhouse-gas inventory, calibrated on the SPASER document's 2022 figures:

- insertion (2022, catalogue definitions): TOUS 30 637 hours, 87 beneficiaries, 94 contracts
  signed, 155 employing companies in the Drôme of which 110 in the agglomeration (plus 10 in the
  rest of the région), 20 of 24 known exits into sustainable employment (83.3 %); VRA 15 539 hours,
  41 beneficiaries of whom 12 women (29.3 %) and 7 aged 50 or more on 1 January (17.1 %), 10 of 12
  exits sustainable (83.3 %);
- register (VRA, 2022): 1 COPIL, 1 COTECH, 4 partnership meetings, 5 workshops;
- AGEC (VRA, 2022): five categories whose shares average 18 %.
2023-2025 move toward the 2026 targets (25 000 hours at VRA, 2 COPIL and 3 COTECH a year...).
Same seed, same bytes; platform ids are the platform's own pseudonymous ids ("PF-…").
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from spaser_demo.calibration import BUYERS, ROMANS, VALENCE, VRA
from spaser_demo.fiabilisation import PLANT_YEAR, plant_insertion_defect
from spaser_demo.markets import BUYER_SIRETS, MarketData

INSERTION_DIR = "insertion/heures"
ACTIVITES_DIR = "registre/activites"
AGEC_DIR = "registre/agec"
FOP_DIR = "ged/fop"
GES_DIR = "referentiels/ges_territoire"
BUYER_NAMES = {VRA: "Valence Romans Agglo", VALENCE: "Ville de Valence", ROMANS: "Ville de Romans-sur-Isère"}
INSERTION_TRADES = ("btp_batiment", "btp_voirie", "proprete", "espaces_verts", "dechets", "restauration")


@dataclass(frozen=True)
class InsertionPlan:
    hours: int
    beneficiaries: int
    women: int
    seniors: int
    pairs_started_in_year: int  # contracts signed in the year
    pairs_started_before: int  # contracts still running from the year before
    exits_sustainable: int
    exits_other: int


INSERTION_PLANS = {
    2022: {
        VRA: InsertionPlan(15539, 41, 12, 7, 44, 34, 10, 2),
        VALENCE: InsertionPlan(10000, 30, 9, 5, 33, 24, 7, 1),
        ROMANS: InsertionPlan(5098, 16, 5, 3, 17, 13, 3, 1),
    },
    2023: {
        VRA: InsertionPlan(17800, 44, 14, 8, 47, 35, 11, 2),
        VALENCE: InsertionPlan(10600, 31, 10, 6, 34, 25, 7, 1),
        ROMANS: InsertionPlan(5400, 17, 6, 3, 18, 13, 3, 1),
    },
    2024: {
        VRA: InsertionPlan(20300, 48, 16, 9, 51, 37, 12, 2),
        VALENCE: InsertionPlan(11200, 32, 11, 6, 35, 26, 8, 1),
        ROMANS: InsertionPlan(5800, 18, 6, 4, 19, 14, 3, 1),
    },
    2025: {
        VRA: InsertionPlan(22800, 52, 18, 10, 55, 40, 13, 2),
        VALENCE: InsertionPlan(11900, 33, 11, 7, 36, 27, 8, 1),
        ROMANS: InsertionPlan(6100, 19, 7, 4, 20, 15, 4, 1),
    },
}
# Companies employing beneficiaries in 2022, by territory class (the pairs of every buyer).
COMPANIES_2022 = {"agglo": 110, "departement": 45, "region": 10}

# Register events per year (VRA, the SPASER's carrier).
REGISTER_PLANS = {
    2022: {
        "COPIL": 1,
        "COTECH": 1,
        "REUNION_PARTENARIALE": 4,
        "ATELIER": 5,
        "REFERENTIEL": 3,
        "FORMATION": 2,
        "COMMUNICATION": 3,
        "ACTION_PROGRAMME": 4,
        "ACCOMPAGNEMENT": 6,
        "SENSIBILISATION": 2,
        "TELECHARGEMENT": 1,
        "SEGMENT_DUREE_VIE": 0,
        "CHANTIER_REEMPLOI": 0,
        "GT": 2,
    },
    2023: {
        "COPIL": 2,
        "COTECH": 3,
        "REUNION_PARTENARIALE": 5,
        "ATELIER": 6,
        "REFERENTIEL": 3,
        "FORMATION": 3,
        "COMMUNICATION": 4,
        "ACTION_PROGRAMME": 6,
        "ACCOMPAGNEMENT": 8,
        "SENSIBILISATION": 3,
        "TELECHARGEMENT": 1,
        "SEGMENT_DUREE_VIE": 1,
        "CHANTIER_REEMPLOI": 1,
        "GT": 3,
        "COSUI": 1,
    },
    2024: {
        "COPIL": 2,
        "COTECH": 3,
        "REUNION_PARTENARIALE": 5,
        "ATELIER": 6,
        "REFERENTIEL": 1,
        "FORMATION": 3,
        "COMMUNICATION": 5,
        "ACTION_PROGRAMME": 8,
        "ACCOMPAGNEMENT": 10,
        "SENSIBILISATION": 3,
        "TELECHARGEMENT": 1,
        "SEGMENT_DUREE_VIE": 1,
        "CHANTIER_REEMPLOI": 2,
        "GT": 3,
        "COSUI": 1,
    },
    2025: {
        "COPIL": 2,
        "COTECH": 3,
        "REUNION_PARTENARIALE": 6,
        "ATELIER": 7,
        "REFERENTIEL": 1,
        "FORMATION": 4,
        "COMMUNICATION": 6,
        "ACTION_PROGRAMME": 10,
        "ACCOMPAGNEMENT": 12,
        "SENSIBILISATION": 4,
        "TELECHARGEMENT": 1,
        "SEGMENT_DUREE_VIE": 2,
        "CHANTIER_REEMPLOI": 2,
        "GT": 3,
        "COSUI": 1,
    },
}
PUBLICS = ("interne", "elus", "institutionnels", "professionnels", "grand_public")
PARTNERS = ("CCI Drôme", "CMA Drôme", "Ressourcerie Valence", "Maison de l'emploi", "Chambre d'agriculture")

# AGEC shares (percent of montant_total) per buyer, year and category: VRA 2022 averages 18 %.
AGEC_SHARES = {
    2022: {
        VRA: {
            "Papier": 10,
            "Fournitures de bureau": 15,
            "Mobilier et aménagement d'intérieur": 18,
            "Matériel informatique et téléphonie": 22,
            "Produits textiles à l'exception des équipements de protection individuels": 25,
        },
        VALENCE: {"Papier": 20, "Mobilier et aménagement d'intérieur": 12},
    },
}
GES_2022 = {
    "residentiel": 290.0,
    "tertiaire": 128.0,
    "transport_personnes": 262.0,
    "transport_marchandises": 190.0,
    "agriculture": 118.0,
    "dechets": 24.0,
    "industrie": 112.0,
    "branche_energie": 6.0,
}


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``parts`` positive integers summing exactly to ``total``, around total / parts each."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    values = [max(1, int(weight * scale)) for weight in weights]
    values[-1] += total - sum(values)
    return values


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list], delimiter: str = ";") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


# ---------------------------------------------------------------- insertion


def insertion_rows(data: MarketData, rng: random.Random, employers: list[str]) -> dict[int, list[list]]:
    """Rows per year; ``employers`` (one establishment per 2022 employing company) is shuffled in place."""
    rows_by_year: dict[int, list[list]] = {}
    person_number = 0
    previous_pairs: dict[str, list] = {}
    for year, plans in INSERTION_PLANS.items():
        signed: dict[str, list] = {}
        rng.shuffle(employers)
        employer_iter = iter(employers * 2)
        rows = []
        for buyer in BUYERS:
            plan = plans[buyer]
            contracts = [c.id for c in data.contracts if c.buyer == buyer and c.year <= year] or ["SANS-MARCHE"]
            people = []
            for index in range(plan.beneficiaries):
                person_number += 1
                senior = index < plan.seniors
                woman = plan.beneficiaries - index <= plan.women
                # born after 1 January: 51-60 in the year means 50-59 on its first day
                birth_year = year - (rng.randint(51, 60) if senior else rng.randint(19, 48))
                people.append(
                    (
                        f"PF-{person_number:05d}",
                        "F" if woman else "M",
                        date(birth_year, rng.randint(2, 12), rng.randint(1, 28)),
                    )
                )
            pair_count = plan.pairs_started_in_year + plan.pairs_started_before
            # Every person has at least one contract; the others are spread over the people.
            holders = people + [rng.choice(people) for _ in range(pair_count - len(people))]
            hours = _split(plan.hours, pair_count, rng)
            exits_left = {"emploi_durable": plan.exits_sustainable, "formation": plan.exits_other}
            for pair_index, (person, pair_hours) in enumerate(zip(holders, hours, strict=False)):
                started_in_year = pair_index < plan.pairs_started_in_year
                siret = next(employer_iter)
                if started_in_year:
                    start = date(year, rng.randint(1, 6), rng.randint(1, 28))
                elif previous_pairs.get(buyer):
                    # A contract signed last year and still running: same person, company and start.
                    person, siret, start = previous_pairs[buyer][pair_index % len(previous_pairs[buyer])]
                else:
                    start = date(year - 1, rng.randint(7, 12), rng.randint(1, 28))
                if started_in_year:
                    signed.setdefault(buyer, []).append((person, siret, start))
                first_month = start.month if start.year == year else 1
                months = list(range(first_month, min(12, first_month + rng.randint(2, 5)) + 1))
                month_hours = _split(pair_hours, len(months), rng)
                exit_type = next((kind for kind, left in exits_left.items() if left > 0), None)
                exit_date = None
                # Exits on the first pairs, held by distinct people: counts are of distinct people.
                if exit_type and pair_index < plan.exits_sustainable + plan.exits_other:
                    exits_left[exit_type] -= 1
                    exit_date = date(year, months[-1], 28)
                marche = rng.choice(contracts)
                for month, value in zip(months, month_hours, strict=False):
                    last = month == months[-1]
                    rows.append(
                        [
                            BUYER_SIRETS[buyer],
                            marche,
                            siret,
                            person[0],
                            person[1],
                            person[2].strftime("%d/%m/%Y"),
                            rng.choice(("DELD", "RSA", "RQTH", "jeune_sans_qualification")),
                            rng.choice(("CDDI", "interim", "CDD")),
                            start.strftime("%d/%m/%Y"),
                            f"{year}-{month:02d}",
                            str(value),
                            exit_date.strftime("%d/%m/%Y") if last and exit_date else "",
                            exit_type if last and exit_date else "",
                        ]
                    )
        rows_by_year[year] = rows
        previous_pairs = signed
    return rows_by_year


INSERTION_HEADER = (
    "acheteur_siret",
    "id_marche",
    "entreprise_siret",
    "beneficiaire_id",
    "sexe",
    "date_naissance",
    "statut",
    "contrat_type",
    "date_debut_contrat",
    "mois",
    "heures",
    "date_sortie",
    "sortie_type",
)


# ---------------------------------------------------------------- register, AGEC, fiches, GES


def register_rows(rng: random.Random, companies: list[str]) -> list[list]:
    rows = []
    for year, plan in REGISTER_PLANS.items():
        for kind, count in plan.items():
            for number in range(1, count + 1):
                day = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
                row = {
                    "date": day.strftime("%d/%m/%Y"),
                    "type": kind,
                    "libelle": f"{kind.lower()} {year} n°{number}",
                    "public_cible": "",
                    "porteur": "collectivite",
                    "nb_participants": "",
                    "quantite": "",
                    "taux": "",
                    "entreprise_siret": "",
                }
                if kind == "COMMUNICATION":
                    row["public_cible"] = PUBLICS[(number - 1) % len(PUBLICS)]
                if kind == "ACTION_PROGRAMME" and number % 2 == 0:
                    row["porteur"] = PARTNERS[number % len(PARTNERS)]
                if kind in ("FORMATION", "ATELIER", "REUNION_PARTENARIALE", "SENSIBILISATION"):
                    row["nb_participants"] = str(rng.randint(8, 40))
                if kind == "TELECHARGEMENT":
                    row["quantite"] = str(250 + 80 * (year - 2022))
                if kind == "CHANTIER_REEMPLOI":
                    row["taux"] = f"{rng.randint(12, 30)},5"
                if kind == "ACCOMPAGNEMENT":
                    row["entreprise_siret"] = companies[(number * 7 + year) % len(companies)]
                rows.append(list(row.values()))
    return rows


REGISTER_HEADER = (
    "date",
    "type",
    "libelle",
    "public_cible",
    "porteur",
    "nb_participants",
    "quantite",
    "taux",
    "entreprise_siret",
)
AGEC_HEADER = (
    "annee",
    "siret",
    "raison_sociale",
    "type_produit_acquis",
    "montant_total",
    "montant_reemploi_et_reutilisation",
    "montant_produits_issus_don",
    "montant_produits_recycles",
    "commentaires",
    "fournisseur_siret",
)


def agec_rows(rng: random.Random, supplier_sirets: list[str]) -> list[list]:
    rows = []
    for year in (2022, 2023, 2024, 2025):
        shares = AGEC_SHARES[2022]
        for buyer, categories in shares.items():
            for category, share in categories.items():
                share = share + 5 * (year - 2022)  # the target: +5 points a year and a family
                total = rng.randint(8, 60) * 1000
                virtuous = total * share // 100
                reused = virtuous // 2
                rows.append(
                    [
                        str(year),
                        BUYER_SIRETS[buyer],
                        BUYER_NAMES[buyer],
                        category,
                        str(total),
                        str(reused),
                        "0",
                        str(virtuous - reused),
                        "",
                        rng.choice(supplier_sirets),
                    ]
                )
    return rows


def fop_records(data: MarketData, rng: random.Random) -> dict[int, list[dict]]:
    by_year: dict[int, list[dict]] = {}
    for consultation in data.consultations:
        year = consultation.launched.year
        progress = max(0, year - 2022) * 0.12
        if rng.random() > 0.6 + progress:
            continue
        travaux = consultation.family.categorie == "travaux"
        by_year.setdefault(year, []).append(
            {
                "acheteur_siret": consultation.buyer_siret,
                "id_consultation": consultation.id,
                "date_validation": (consultation.launched - timedelta(days=10)).isoformat(),
                "segment": consultation.family.segment,
                "sourcing_realise": rng.random() < 0.3 + progress,
                "clause_insertion_etudiee": rng.random() < 0.6,
                # As the contracts say, but for about 2 % of fiches that claim a clause the contract
                # lacks: a reliability defect (spaser_demo/fiabilisation.py).
                "clause_insertion_retenue": rng.random() < 0.02
                or any(
                    lot.contract is not None and "Clause sociale" in lot.contract.considerations_sociales
                    for lot in consultation.lots
                ),
                "egalite_fh_questionnee": rng.random() < 0.4 + progress,
                "besoin_repense_egalite_fh": rng.random() < 0.05 + progress / 2,
                "clause_environnementale": rng.random() < 0.3 + progress,
                "critere_environnemental": rng.random() < 0.2 + progress,
                "cout_global": rng.random() < 0.1 + progress,
                "critere_carbone": rng.random() < 0.05 + progress,
                "label_exige": rng.random() < 0.1,
                "exigence_sans_perturbateurs_endocriniens": rng.random() < 0.05 + progress / 2,
                "clause_reemploi_biosources": travaux and rng.random() < 0.2 + progress,
                "familles_agec": [],
                "redacteur_service": "commande publique",
            }
        )
    return by_year


def ges_rows() -> list[list]:
    rows = []
    for year in (2021, 2022, 2023):
        for sector, value in GES_2022.items():
            rows.append([str(year), sector, f"{value * (1 - 0.03 * (year - 2022)):.1f}".replace(".", ",")])
    return rows


def write_engagement_deliveries(target: Path, data: MarketData, seed: int) -> dict[str, int]:
    """Write every delivery of this module under ``target``; returns path -> number of records.
    Must run before the SIRENE extracts are written: it registers the employing companies."""
    rng = random.Random(seed * 7 + 5)
    files: dict[str, int] = {}
    employers = [
        data.registry.create(INSERTION_TRADES[index % len(INSERTION_TRADES)], territory).local.siret
        for territory, count in COMPANIES_2022.items()
        for index in range(count)
    ]
    for year, rows in insertion_rows(data, rng, list(employers)).items():
        if year == PLANT_YEAR:
            plant_insertion_defect(rows)
        relative = f"{INSERTION_DIR}/heures_insertion_{year}.csv"
        files[relative] = _write_csv(target / relative, INSERTION_HEADER, rows)
    relative = f"{ACTIVITES_DIR}/registre_spaser.csv"
    files[relative] = _write_csv(target / relative, REGISTER_HEADER, register_rows(rng, employers))
    suppliers = [c.local.siret for c in data.registry.companies if c.local is not None][:20]
    relative = f"{AGEC_DIR}/declarations_agec.csv"
    files[relative] = _write_csv(target / relative, AGEC_HEADER, agec_rows(rng, suppliers), delimiter=",")
    for year, records in sorted(fop_records(data, rng).items()):
        relative = f"{FOP_DIR}/fiches_operation_{year}.jsonl"
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
        files[relative] = len(records)
    relative = f"{GES_DIR}/inventaire_ges_territoire.csv"
    files[relative] = _write_csv(target / relative, ("annee", "secteur", "emissions_ktco2e"), ges_rows())
    return files

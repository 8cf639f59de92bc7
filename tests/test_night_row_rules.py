"""Every rule on one delivered row is applied when the row is read, through the night's own path
(``spaser run``, two nights): a small inbox whose files hold, beside good rows, rows that break
each row-level rule the raw checks once held — a mandat line repeated within its file, dates out
of the plausible range, a lot numbered 0, more lots than announced, a closing before the launch,
a negative amount or meal count, codes outside their lists, a SIRET outside its SIREN, a DECP
record published in 2099. Each such row is quarantined with its reason (file, line, column,
rule); the good rows load; both nights publish (the raw gate, which now checks only what spans
rows, passes), and the second night too."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaser.cli.main import main
from tests.conftest import fresh_warehouse

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_INBOX = FIXTURES / "inbox_small"
MANDATS_HEADER = (
    "collectivite_siren;exercice;budget;numero_bordereau;numero_mandat;ligne;date_mandat;tiers_siret;"
    "tiers_nom;compte_nature;fonction;montant_ht;montant_ttc;id_marche"
)
CONSULTATIONS_HEADER = (
    "acheteur_siret;id_consultation;lot;nb_lots;objet;categorie;segment;code_cpv;procedure;"
    "montant_estime_ht;maitrise_oeuvre;date_lancement;date_cloture;statut;variantes_autorisees;"
    "marche_reserve;marche_insertion;mpgp;id_marche"
)
CONSULTATION = (
    "20006878100018;R24-{n};{lot};{nb_lots};Objet;services;divers;;procedure_adaptee;{montant};non;"
    "{lancement};{cloture};en_cours;non;non;non;non;"
)


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _mandat(mandat: str, amount: str, day: str = "05/04/2024", line: int = 1) -> str:
    return f"212603625;2024;principal;R01;{mandat};{line};{day};70200000200015;DROME TP;611;020;{amount};;"


def _first_night_inbox(inbox: Path) -> None:
    for folder in ("marches", "referentiels"):
        shutil.copytree(SMALL_INBOX / folder, inbox / folder)
    _write(
        inbox / "finance/mandats/mandats_regles.csv",
        [
            MANDATS_HEADER,
            _mandat("M1", "100,00"),  # line 2
            _mandat("M2", "200,00"),  # line 3
            _mandat("M1", "999,00"),  # line 4: line 2's mandat line again
            _mandat("M3", "300,00", day="05/04/2099"),  # line 5
            _mandat("M1", "888,00"),  # line 6: line 2's again
            _mandat("M2", "777,00", line=2),  # line 7: another line of M2, loaded
        ],
    )
    _write(
        inbox / "marches/consultations/consultations_regles.csv",
        [
            CONSULTATIONS_HEADER,
            CONSULTATION.format(n=1, lot=1, nb_lots=1, montant="1000", lancement="01/02/2024", cloture="01/03/2024"),
            CONSULTATION.format(n=2, lot=0, nb_lots=1, montant="1000", lancement="01/02/2024", cloture="01/03/2024"),
            CONSULTATION.format(n=3, lot=2, nb_lots=1, montant="1000", lancement="01/02/2024", cloture="01/03/2024"),
            CONSULTATION.format(n=4, lot=1, nb_lots=1, montant="1000", lancement="01/02/2024", cloture="01/01/2024"),
            CONSULTATION.format(n=5, lot=1, nb_lots=1, montant="-5", lancement="01/02/2024", cloture="01/03/2024"),
        ],
    )
    _write(
        inbox / "referentiels/sirene_etablissements/etablissements_regles.csv",
        [
            "siren,siret,codeCommuneEtablissement,etatAdministratifEtablissement",
            "899999991,89999999100013,26362,A",
            "899999991,81234567600017,26362,A",
            "899999991,89999999100021,VALENCE,A",
            "899999991,89999999100039,26362,X",
        ],
    )
    _write(
        inbox / "referentiels/sirene_unites_legales/unites_regles.csv",
        [
            "siren,denominationUniteLegale,categorieEntreprise,trancheEffectifsUniteLegale,"
            "economieSocialeSolidaireUniteLegale",
            "899999991,REGLES SA,PME,11,N",
            "899999992,REGLES BIS,TPE,11,N",
            "899999993,REGLES TER,GE,11,peut-être",
        ],
    )
    _write(
        inbox / "cuisine/menus/menus_regles.csv",
        [
            "date;site;service;nb_repas;vegetarien",
            "04/03/2024;École;dejeuner;120;non",
            "05/03/2024;École;dejeuner;-3;non",
        ],
    )
    export = json.loads((SMALL_INBOX / "marches/decp/2023-12-01_decp_export.json").read_text(encoding="utf-8"))
    published_in_2099 = {**export["marches"]["marche"][0], "id": "2099-001", "datePublicationDonnees": "2099-01-02"}
    _write(inbox / "marches/decp/decp_2099.json", [json.dumps({"marches": {"marche": [published_in_2099]}})])


@dataclass
class Nights:
    statuses: list[int]
    quarantine: dict[tuple[str, int], list[tuple[str, str]]]  # (file, line) -> [(field, message)]
    mandats: list[tuple[int, str, int, float]]  # mandats_regles*.csv: (record, mandat, ligne, amount) loaded
    loaded: dict[str, int]  # file -> rows loaded
    gates: list[bool]  # the raw gate's success, night by night


@pytest.fixture(scope="module")
def nights(admin_url, tmp_path_factory) -> Nights:
    workspace = tmp_path_factory.mktemp("row_rules")
    inbox = workspace / "inbox"
    _first_night_inbox(inbox)
    with fresh_warehouse(admin_url, workspace / "home") as url:
        statuses = [main(["run", "--inbox", str(inbox)])]
        # The next night: a new delivery beside the first night's files, which are not read again.
        _write(
            inbox / "finance/mandats/mandats_regles_2.csv",
            [MANDATS_HEADER, _mandat("M9", "50,00"), _mandat("M9", "60,00")],
        )
        statuses.append(main(["run", "--inbox", str(inbox)]))
        with psycopg.connect(url) as conn:
            quarantine: dict[tuple[str, int], list[tuple[str, str]]] = {}
            for fichier, line, champ, message in conn.execute(
                "select fichier, enregistrement, champ, message from raw.quarantaine order by fichier, enregistrement"
            ):
                quarantine.setdefault((Path(fichier).name, line), []).append((champ, message))
            mandats = conn.execute(
                "select _record_number, numero_mandat, ligne, montant_ht::float from raw.finance_mandats"
                " where _source_file like '%mandats_regles%' order by _source_file, _record_number"
            ).fetchall()
            loaded = dict(conn.execute("select fichier, nb_charges from raw.fichiers").fetchall())
            gates = [
                success
                for (success,) in conn.execute(
                    "select bool_and(succes) from qualite.validations where couche = 'raw' group by run_id"
                    " order by min(valide_le)"
                )
            ]
    return Nights(statuses, quarantine, mandats, {Path(name).name: count for name, count in loaded.items()}, gates)


def test_both_nights_publish(nights):
    assert nights.statuses == [0, 0]
    assert nights.gates == [True, True]


def test_a_mandat_line_repeated_within_its_file_loads_once_the_first_time(nights):
    # Records are numbered from the first data line (line 2).
    assert nights.mandats == [(1, "M1", 1, 100.0), (2, "M2", 1, 200.0), (6, "M2", 2, 777.0), (1, "M9", 1, 50.0)]
    key = "collectivite_siren, exercice, numero_bordereau, numero_mandat, ligne"
    assert nights.quarantine[("mandats_regles.csv", 4)] == [
        (
            "ligne",
            f"ligne 4 : même {key} que la ligne 2 du fichier mandats_regles.csv : ligne répétée, "
            "seule la première est chargée",
        )
    ]
    assert nights.quarantine[("mandats_regles.csv", 6)] == [
        (
            "ligne",
            f"ligne 6 : même {key} que la ligne 2 du fichier mandats_regles.csv : ligne répétée, "
            "seule la première est chargée",
        )
    ]
    assert nights.quarantine[("mandats_regles_2.csv", 3)][0][1].startswith(
        f"ligne 3 : même {key} que la ligne 2 du fichier mandats_regles_2.csv"
    )


@pytest.mark.parametrize(
    "where, field, message",
    [
        (
            ("mandats_regles.csv", 5),
            "date_mandat",
            "ligne 5, colonne date_mandat : « 05/04/2099 » n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ) "
            "entre le 01/01/2000 et demain",
        ),
        (
            ("consultations_regles.csv", 3),
            "lot",
            "ligne 3, colonne lot : « 0 » n'est pas un nombre entier d'au moins 1",
        ),
        (
            ("consultations_regles.csv", 4),
            "nb_lots",
            "ligne 4, colonne nb_lots : « 1 » lot(s) en tout, moins que le numéro de lot « 2 »",
        ),
        (
            ("consultations_regles.csv", 5),
            "date_cloture",
            "ligne 5, colonne date_cloture : « 2024-01-01 » précède la date de lancement « 2024-02-01 »",
        ),
        (
            ("consultations_regles.csv", 6),
            "montant_estime_ht",
            "ligne 6, colonne montant_estime_ht : « -5 » n'est pas un nombre positif ou nul",
        ),
        (
            ("etablissements_regles.csv", 3),
            "siret",
            "ligne 3, colonne siret : « 81234567600017 » ne commence pas par le SIREN « 899999991 »",
        ),
        (
            ("etablissements_regles.csv", 4),
            "codeCommuneEtablissement",
            "ligne 4, colonne codeCommuneEtablissement : « VALENCE » n'est pas un code commune INSEE",
        ),
        (
            ("etablissements_regles.csv", 5),
            "etatAdministratifEtablissement",
            "ligne 5, colonne etatAdministratifEtablissement : « X » n'est pas une valeur autorisée (A, F)",
        ),
        (
            ("unites_regles.csv", 3),
            "categorieEntreprise",
            "ligne 3, colonne categorieEntreprise : « TPE » n'est pas une valeur autorisée (PME, ETI, GE)",
        ),
        (
            ("unites_regles.csv", 4),
            "economieSocialeSolidaireUniteLegale",
            "ligne 4, colonne economieSocialeSolidaireUniteLegale : « peut-être » n'est pas une valeur autorisée (O, N)",
        ),
        (
            ("menus_regles.csv", 3),
            "nb_repas",
            "ligne 3, colonne nb_repas : « -3 » n'est pas un nombre entier positif ou nul",
        ),
        (
            ("decp_2099.json", 1),
            "datePublicationDonnees",
            "Valeur « 2099-01-02 » inutilisable (attendu : une date entre le 01/01/2000 et demain)",
        ),
    ],
)
def test_a_row_breaking_a_row_rule_is_quarantined_with_its_reason(nights, where, field, message):
    assert [(champ, text) for champ, text in nights.quarantine[where] if champ == field][0][1].startswith(message)


def test_the_good_rows_of_those_files_load(nights):
    assert {
        name: nights.loaded[name]
        for name in (
            "mandats_regles.csv",
            "consultations_regles.csv",
            "etablissements_regles.csv",
            "unites_regles.csv",
            "menus_regles.csv",
            "decp_2099.json",
        )
    } == {
        "mandats_regles.csv": 3,
        "consultations_regles.csv": 1,
        "etablissements_regles.csv": 1,
        "unites_regles.csv": 1,
        "menus_regles.csv": 1,
        "decp_2099.json": 0,
    }

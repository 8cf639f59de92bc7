"""The central kitchen: the ma-cantine import rules (2026, commit 04dddca: see spaser/ingest/cuisine.py)
on the platform's own fixtures and on hand-written rows, and the EGALIM indicators on
hand-computed inboxes (the demo's 2022 calibration is checked on the demo night,
tests/test_demo_night.py).

Inbox of the night (``kitchen_night``): every ``purchases_good*`` file of ma-cantine
(../shared/reference/ma-cantine) plus ``tests/fixtures/inbox_cuisine`` (hand-made: the kitchen's
2024 purchases and September 2024 menus, a file delivered twice, a correcting menu file, and
two 2025 files of the 2026 rules, current and legacy format, each rule accepted and refused).
The reliability report's inbox is delivered the same night (``fiabilisation_kitchen_night``,
tests/conftest.py): it holds no kitchen delivery and quarantines nothing, so the values below
and the quarantine stay the kitchen's own.
Expected values, computed by hand (euros HT):

Without the ma-cantine reference copy the night runs on the hand-made files alone and only their
values (VRA and TOUS in 2024, menus) are checked.

- SIREN 210100343 (the fixtures' SIRET 21010034300016), 2022 — purchases_good.csv and its legacy
  twin, each: 90.11 BIO+LOCAL/DEPARTEMENT, 910.11 none, 910.11 RUP, 910.11 BIO, 910.11 AOCAOP,
  910.11 LOCAL/COMMUNE, 910.11 LOCAL/KM, 910.11 LOCAL/KM 200 (legacy AUTRE and AUTOUR_SERVICE are KM);
  plus 8 one-line files of 90.11 BIO+LOCAL/DEPARTEMENT (separators, floating number, legacy).
  total 2 × 6460.88 + 8 × 90.11 = 13642.64; bio 2 × 1000.22 + 720.88 = 2721.32; SIQO 1820.22;
  EGALIM 2721.32 + 1820.22 + 1820.22 (RUP) = 6361.76; local 2 × 2820.44 + 720.88 = 6361.76;
  régional 2 × 1000.22 + 720.88 = 2721.32; agglo 1820.22; circuit court 0.
- SIREN 210100343, 2026 — 100 LOCAL/DEPARTEMENT, 100 CIRCUIT_COURT, 100 BIO+COMMERCE_EQUITABLE+
  FRANCE+CIRCUIT_COURT+LOCAL/REGION, 200 BIO+COMMERCE_EQUITABLE+EUROPE: total 500, bio 300 (bio
  + commerce équitable counts as bio only), EGALIM 300, local 200, circuit court 200, régional 200.
- VRA 200068781: the `cantine_id` files (the kitchen's collectivité): 2022 2 × 90.11 BIO+LOCAL/
  DEPARTEMENT; 2026 as SIREN 210100343's second file (300). 2024 (the hand-made file; its line
  11, 30 February, is quarantined): 1000 VIANDES_VOLAILLES BIO+LABEL_ROUGE (bio only), 500 AOCAOP+
  FERMIER (SIQO only), 400 VIANDES_VOLAILLES LOCAL/COMMUNE, 300 PRODUITS_DE_LA_MER PECHE_DURABLE
  LOCAL/PAT, 200 HVE CIRCUIT_COURT LOCAL/REGION, 250 EXTERNALITES LOCAL/KM, 150 PRODUITS_DE_LA_MER
  LOCAL without definition, 100 "LABEL_ROUGE,IGP" (SIQO), 100 PERFORMANCE+FERMIER (other label:
  FERMIER ranks before PERFORMANCE) = 3000; bio 1000; SIQO 600; EGALIM 1000 + 600 + 600 + 250 =
  2450; local 1300; circuit court 200; régional (COMMUNE, PAT, REGION) 900; agglo (COMMUNE, PAT)
  700; viandes 1000 / 1400, produits de la mer 300 / 450. Menus 2024: 300 + 200 + 320 (corrected)
  + 50 = 870 meals, 320 vegetarian.
  2025 (achats_regles_2026*.csv, the loaded lines): 100 BIO FRANCE without supplier, 200 LOCAL
  without definition, 300 HVE dated 2025-3-5, 400.50 CIRCUIT_COURT (OUI) LOCAL/DEPARTEMENT, 500
  EUROPE LOCAL/KM 80; legacy: 60 BIO LOCAL without definition, 40 LOCAL FRANCE AUTOUR_SERVICE
  (KM 200) dated 2025-4-2 = 1600.50; bio 160; SIQO 0; EGALIM 160 + 300 = 460; local 200 + 400.50
  + 500 + 60 + 40 = 1200.50; circuit court 400.50; régional 400.50; agglo 0. TOUS 2025 = VRA.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from spaser.ingest.base import FileRejected
from spaser.ingest.cuisine import CantineAchatsSource, platform_today
from spaser_demo.cuisine import write_kitchen_deliveries
from tests.conftest import MA_CANTINE_DIR, needs_reference

# The platform's own import fixtures are not ours to commit: the tests on them need the reference copy.
needs_ma_cantine = needs_reference(MA_CANTINE_DIR)
VRA, FIXTURE_SIREN = "200068781", "210100343"
TOLERANCE = 1e-9


def _read(name: str):
    return list(CantineAchatsSource().read(MA_CANTINE_DIR / name))


def _data_lines(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _row in csv.reader(handle)) - 1


# ---------------------------------------------------------------- the import rules, file by file


@needs_ma_cantine
@pytest.mark.parametrize("path", sorted(MA_CANTINE_DIR.glob("purchases_good*")), ids=lambda path: path.name)
def test_every_good_file_imports_completely(path):
    records = list(CantineAchatsSource().read(path))

    assert records and all(not record.quarantined and not record.flags for record in records)
    assert len(records) == _data_lines(path)


@needs_ma_cantine
@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "purchases_bad_no_header.csv",
            "le fichier n'a pas de ligne d'en-tête : la ligne 1 contient des données (« 21010034300016 »)",
        ),
        ("purchases_bad_no_header_old.csv", "le fichier n'a pas de ligne d'en-tête"),
        ("purchases_bad_wrong_header.csv", "en-tête invalide (colonne 1 : « canteen siret » au lieu de « siret »)"),
        ("purchases_bad_wrong_header_old.csv", "en-tête invalide (colonne 1 : « canteen siret » au lieu de « siret »)"),
        ("purchases_bad_wrong_header_typo.csv", "en-tête invalide (colonne 1 : « s_iret » au lieu de « siret »)"),
        ("purchases_bad_wrong_header_typo_old.csv", "en-tête invalide (colonne 1 : « s_iret » au lieu de « siret »)"),
        (
            "purchases_bad_partial_header.csv",
            "en-tête invalide (il manque 2 colonne(s) à la fin : definition_local, definition_local_km)",
        ),
        (
            "purchases_bad_partial_header_old.csv",
            "en-tête invalide (il manque 1 colonne(s) à la fin : definition_local)",
        ),
        ("purchases_bad_extra_columns.csv", "en-tête invalide (4 colonne(s) en trop après « definition_local_km »"),
        ("purchases_bad_extra_columns_old.csv", "en-tête invalide (4 colonne(s) en trop après « definition_local »"),
        ("purchases_bad_corrupt.csv", "en-tête illisible : la première ligne est une seule cellule entre guillemets"),
        (
            "purchases_bad_corrupt_old.csv",
            "en-tête illisible : la première ligne est une seule cellule entre guillemets",
        ),
    ],
)
def test_bad_headers_reject_the_file(name, message):
    with pytest.raises(FileRejected) as rejection:
        _read(name)
    assert message in str(rejection.value)


@needs_ma_cantine
@pytest.mark.parametrize("suffix", ["", "_old"])
def test_bad_rows_are_quarantined_with_line_column_and_value(suffix):
    records = _read(f"purchases_bad{suffix}.csv")
    labels_column = "caracteristiques" if suffix else "categories_egalim"

    violations = [
        (record.number, violation.field, violation.message) for record in records for violation in record.violations
    ]

    # The legacy file's line 6 has DEPARTEMENT without LOCAL (ma-cantine's model check, which its
    # import reaches only once the file's other errors are fixed).
    not_local = (
        [
            (
                6,
                "definition_local",
                "ligne 6, colonne definition_local : « DEPARTEMENT » renseigné alors que "
                "l'achat n'est pas local (LOCAL absent de caracteristiques) : laisser vide, "
                "ou déclarer l'achat local",
            )
        ]
        if suffix
        else []
    )
    assert violations == [
        (2, "siret", "ligne 2, colonne siret : valeur obligatoire manquante"),
        (5, "description", "ligne 5, colonne description : valeur obligatoire manquante"),
        (6, "famille_produits", "ligne 6, colonne famille_produits : valeur obligatoire manquante"),
        *not_local,
        (7, "date", "ligne 7, colonne date : valeur obligatoire manquante"),
        (8, "date", "ligne 8, colonne date : « 2022-02-31 » n'est pas une date du calendrier"),
        (9, "date", "ligne 9, colonne date : « 2022/03/01 » n'est pas une date au format AAAA-MM-JJ"),
        (10, "prix_ht", "ligne 10, colonne prix_ht : valeur obligatoire manquante"),
        (
            11,
            "prix_ht",
            "ligne 11, colonne prix_ht : « A price » n'est pas un prix : des chiffres, avec le point "
            "comme séparateur décimal (1234.99)",
        ),
        (12, "famille_produits", violations[8 + len(not_local)][2]),
        (13, labels_column, violations[9 + len(not_local)][2]),
        (
            15,
            "ligne",
            f"ligne 15 : {11 if not suffix else 7} champ(s) au lieu des {12 if not suffix else 8} de l'en-tête",
        ),
    ]
    assert violations[8 + len(not_local)][2].startswith(
        "ligne 12, colonne famille_produits : « NOPE » n'est pas une valeur autorisée"
    )
    assert "« BIO,NOPE » contient « NOPE »" in violations[9 + len(not_local)][2]
    delivered = (MA_CANTINE_DIR / f"purchases_bad{suffix}.csv").read_text(encoding="utf-8").splitlines()
    assert [record.raw_text for record in records if record.quarantined] == (
        delivered[1:2] + delivered[4:13] + delivered[14:]
    )
    # The platform's account rules (canteen registered, user is its manager) do not apply: loaded.
    # Since 2026 the supplier is optional and a local purchase may leave definition_local empty:
    # line 6 (no supplier) fails only on its family, line 14 (LOCAL, no definition) loads.
    assert [record.number for record in records if not record.quarantined] == [3, 4, 14]
    assert records[12].values["caracteristiques"] == "{LOCAL}"
    assert records[12].values["definition_local"] is None


@needs_ma_cantine
@pytest.mark.parametrize("suffix", ["", "_old"])
def test_empty_rows_and_bad_prices_are_quarantined_and_good_rows_kept(suffix):
    empty = _read(f"purchases_bad_empty_rows{suffix}.csv")
    one_error = _read(f"purchases_bad_one_error{suffix}.csv")

    assert [(r.number, r.quarantined) for r in empty] == [(2, False), (3, False), (4, True), (5, True)]
    assert empty[2].violations[0].message == "ligne 4 : ligne vide (aucune valeur)"
    assert [(r.number, r.quarantined) for r in one_error] == [(2, False), (3, True)]
    assert one_error[1].violations[0].field == "prix_ht"


@needs_ma_cantine
def test_corrupt_bytes_quarantine_their_line(tmp_path):
    path = tmp_path / "achats.csv"
    header = (MA_CANTINE_DIR / "purchases_good_separator_comma.csv").read_bytes().splitlines(keepends=True)
    # A UTF-8 file (BOM) with one line carrying a byte UTF-8 never produces.
    path.write_bytes(b"\xef\xbb\xbf" + header[0] + header[1] + header[1].replace(b"Pommes", b"Pomm\xff"))

    records = list(CantineAchatsSource().read(path))

    assert [(r.number, r.quarantined) for r in records] == [(2, False), (3, True)]
    assert records[1].violations[0].message == (
        "ligne 3 : octets invalides pour l'encodage UTF-8 (caractère remplacé par « \ufffd »)"
    )


@needs_ma_cantine
def test_multi_labels_prices_and_legacy_local_definitions_read_as_ma_cantine_does():
    current = _read("purchases_good_siret_caracteristics.csv")
    legacy = _read("purchases_good_old.csv")
    floating = _read("purchases_good_floating_number.csv")

    assert current[0].values["caracteristiques"] == "{BIO,COMMERCE_EQUITABLE,FRANCE,CIRCUIT_COURT,LOCAL}"
    assert current[1].values["caracteristiques"] == "{BIO,COMMERCE_EQUITABLE,EUROPE}"
    assert [(r.values["definition_local"], r.values["definition_local_km"]) for r in legacy[-3:]] == [
        ("COMMUNE", None),
        ("KM", None),
        ("KM", 200),
    ]
    assert str(floating[0].values["prix_ht"]) == "90.11"


# ---------------------------------------------------------------- ma-cantine's 2026 rules, row by row

# A valid purchase of each format; each case changes a few cells.
CURRENT_ROW = {
    "siret": "20006878100406",
    "description": "Pommes",
    "fournisseur": "Vergers de la Valloire",
    "date": "2025-03-03",
    "prix_ht": "10.00",
    "famille_produits": "FRUITS_ET_LEGUMES",
    "categories_egalim": "",
    "origine": "",
    "est_circuit_court": "",
    "est_local": "",
    "definition_local": "",
    "definition_local_km": "",
}
LEGACY_ROW = {
    "siret": "20006878100406",
    "description": "Pommes",
    "fournisseur": "Vergers de la Valloire",
    "date": "2025-03-03",
    "prix_ht": "10.00",
    "famille_produits": "FRUITS_ET_LEGUMES",
    "caracteristiques": "",
    "definition_local": "",
}


def _one_row(tmp_path: Path, base: dict[str, str], **cells: str):
    """The record read from a comma-separated file holding ``base`` changed by ``cells``."""
    path = tmp_path / "achats.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(base)
        writer.writerow({**base, **cells}.values())
    [record] = CantineAchatsSource().read(path)
    return record


def _case_id(value) -> str:
    if value is CURRENT_ROW or value is LEGACY_ROW:
        return "actuel" if value is CURRENT_ROW else "ancien"
    return ",".join(f"{name}={cell}" for name, cell in value.items()) if isinstance(value, dict) else "refus"


@pytest.mark.parametrize(
    ("base", "cells", "expected"),
    [
        # The supplier is optional.
        (CURRENT_ROW, {"fournisseur": ""}, {"fournisseur": None}),
        # strptime's %m and %d take one digit.
        (CURRENT_ROW, {"date": "2022-5-2"}, {"date": date(2022, 5, 2)}),
        (LEGACY_ROW, {"date": "2025-12-1"}, {"date": date(2025, 12, 1)}),
        # A number with a decimal point, or none; rounded to the cent half-down.
        (CURRENT_ROW, {"prix_ht": "100"}, {"prix_ht": Decimal("100.00")}),
        (CURRENT_ROW, {"prix_ht": "0.125"}, {"prix_ht": Decimal("0.12")}),
        # A local purchase may leave its definition empty.
        (CURRENT_ROW, {"est_local": "x"}, {"caracteristiques": "{LOCAL}", "definition_local": None}),
        (LEGACY_ROW, {"caracteristiques": "BIO, LOCAL"}, {"caracteristiques": "{BIO,LOCAL}", "definition_local": None}),
        # The platform's boolean spellings.
        (
            CURRENT_ROW,
            {"est_circuit_court": "OUI", "est_local": "oui", "definition_local": "PAT"},
            {"caracteristiques": "{CIRCUIT_COURT,LOCAL}", "definition_local": "PAT"},
        ),
        (CURRENT_ROW, {"est_circuit_court": "NON", "est_local": "non"}, {"caracteristiques": "{}"}),
        # A distance for a local purchase defined by KM.
        (
            CURRENT_ROW,
            {"est_local": "x", "definition_local": "KM", "definition_local_km": "80"},
            {"definition_local": "KM", "definition_local_km": 80},
        ),
        (
            CURRENT_ROW,
            {"est_local": "x", "definition_local": "KM"},
            {"definition_local": "KM", "definition_local_km": None},
        ),
        # One origin; labels comma-separated, blanks around them ignored.
        (
            CURRENT_ROW,
            {"categories_egalim": " BIO, COMMERCE_EQUITABLE ", "origine": "EUROPE"},
            {"caracteristiques": "{BIO,COMMERCE_EQUITABLE,EUROPE}"},
        ),
        # The legacy values ma-cantine maps onto KM.
        (
            LEGACY_ROW,
            {"caracteristiques": "LOCAL", "definition_local": "AUTOUR_SERVICE"},
            {"definition_local": "KM", "definition_local_km": 200},
        ),
        (
            LEGACY_ROW,
            {"caracteristiques": "LOCAL", "definition_local": "AUTRE"},
            {"definition_local": "KM", "definition_local_km": None},
        ),
    ],
    ids=_case_id,
)
def test_a_row_the_2026_rules_accept_loads_with_its_values(tmp_path, base, cells, expected):
    record = _one_row(tmp_path, base, **cells)

    assert not record.violations, record.violations
    assert {name: record.values[name] for name in expected} == expected


NOT_LOCAL = "renseigné alors que l'achat n'est pas local"
BOOLEANS = "n'est pas un booléen accepté par ma-cantine (x, oui ou OUI pour oui ; vide, non ou NON pour non)"


@pytest.mark.parametrize(
    ("base", "cells", "expected"),
    [
        (
            CURRENT_ROW,
            {"prix_ht": "90,11"},
            [
                (
                    "prix_ht",
                    "« 90,11 » n'est pas un prix : des chiffres, avec le point comme séparateur décimal (1234.99)",
                )
            ],
        ),
        (CURRENT_ROW, {"prix_ht": "1 234.50"}, [("prix_ht", "« 1 234.50 » n'est pas un prix")]),
        (CURRENT_ROW, {"prix_ht": "-5.00"}, [("prix_ht", "« -5.00 » n'est pas un prix")]),
        (LEGACY_ROW, {"prix_ht": "12,50"}, [("prix_ht", "« 12,50 » n'est pas un prix")]),
        (CURRENT_ROW, {"date": "02/05/2022"}, [("date", "« 02/05/2022 » n'est pas une date au format AAAA-MM-JJ")]),
        (CURRENT_ROW, {"date": "2022-13-2"}, [("date", "« 2022-13-2 » n'est pas une date du calendrier")]),
        (
            CURRENT_ROW,
            {"date": "2099-01-01"},
            [("date", "« 2099-01-01 » est une date future : ma-cantine refuse un achat daté après aujourd'hui")],
        ),
        (CURRENT_ROW, {"est_local": "X", "definition_local": "DEPARTEMENT"}, [("est_local", f"« X » {BOOLEANS}")]),
        (CURRENT_ROW, {"est_circuit_court": "Oui"}, [("est_circuit_court", f"« Oui » {BOOLEANS}")]),
        (
            CURRENT_ROW,
            {"est_circuit_court": "1", "est_local": "vrai"},
            [("est_circuit_court", f"« 1 » {BOOLEANS}"), ("est_local", f"« vrai » {BOOLEANS}")],
        ),
        (
            CURRENT_ROW,
            {"categories_egalim": "LABEL_ROUGE;IGP"},
            [
                (
                    "categories_egalim",
                    "« LABEL_ROUGE;IGP » : les valeurs d'une liste se séparent par des virgules, "
                    "pas par des points-virgules",
                )
            ],
        ),
        (
            LEGACY_ROW,
            {"caracteristiques": "BIO;LOCAL", "definition_local": "COMMUNE"},
            [("caracteristiques", "« BIO;LOCAL » : les valeurs d'une liste se séparent par des virgules")],
        ),
        (
            CURRENT_ROW,
            {"origine": "FRANCE,EUROPE"},
            [
                (
                    "origine",
                    "« FRANCE,EUROPE » : FRANCE et EUROPE (hors France) ne peuvent pas être renseignées ensemble",
                )
            ],
        ),
        (
            CURRENT_ROW,
            {"origine": "FRANCE,FRANCE"},
            [("origine", "« FRANCE,FRANCE » n'est pas une valeur autorisée (une seule origine : FRANCE ou EUROPE)")],
        ),
        (
            LEGACY_ROW,
            {"caracteristiques": "EUROPE, BIO, FRANCE"},
            [
                (
                    "caracteristiques",
                    "« EUROPE, BIO, FRANCE » : FRANCE et EUROPE (hors France) ne peuvent pas être renseignées ensemble",
                )
            ],
        ),
        (
            CURRENT_ROW,
            {"est_local": "x", "definition_local": "AUTRE"},
            [
                (
                    "definition_local",
                    "« AUTRE » n'est pas une valeur autorisée (PAT, COMMUNE, DEPARTEMENT, REGION, KM) : "
                    "AUTRE n'existe que dans l'ancien format à 8 colonnes",
                )
            ],
        ),
        (
            LEGACY_ROW,
            {"caracteristiques": "LOCAL", "definition_local": "KM"},
            [
                (
                    "definition_local",
                    "« KM » n'est pas une valeur autorisée (AUTOUR_SERVICE, COMMUNE, DEPARTEMENT, REGION, "
                    "PAT, AUTRE) : KM n'existe que dans le format à 12 colonnes",
                )
            ],
        ),
        (
            CURRENT_ROW,
            {"est_local": "non", "definition_local": "REGION"},
            [
                (
                    "definition_local",
                    f"« REGION » {NOT_LOCAL} (est_local vide ou non) : laisser vide, ou déclarer l'achat local",
                )
            ],
        ),
        (
            LEGACY_ROW,
            {"caracteristiques": "BIO", "definition_local": "AUTOUR_SERVICE"},
            [("definition_local", f"« AUTOUR_SERVICE » {NOT_LOCAL} (LOCAL absent de caracteristiques)")],
        ),
        (
            CURRENT_ROW,
            {"definition_local_km": "25"},
            [("definition_local_km", f"« 25 » {NOT_LOCAL} (est_local vide ou non) : laisser vide")],
        ),
        (
            CURRENT_ROW,
            {"definition_local": "KM", "definition_local_km": "25"},
            [("definition_local", f"« KM » {NOT_LOCAL}"), ("definition_local_km", f"« 25 » {NOT_LOCAL}")],
        ),
        (
            CURRENT_ROW,
            {"est_local": "x", "definition_local": "REGION", "definition_local_km": "30"},
            [
                (
                    "definition_local_km",
                    "« 30 » renseigné alors que definition_local ne vaut pas KM : la distance ne "
                    "s'indique que pour un local défini en kilomètres",
                )
            ],
        ),
        (
            CURRENT_ROW,
            {"est_local": "x", "definition_local_km": "30"},
            [("definition_local_km", "« 30 » renseigné alors que definition_local ne vaut pas KM")],
        ),
    ],
    ids=_case_id,
)
def test_a_row_the_2026_rules_refuse_is_quarantined_naming_line_column_and_value(tmp_path, base, cells, expected):
    record = _one_row(tmp_path, base, **cells)

    assert record.quarantined and record.values is None
    assert [violation.field for violation in record.violations] == [field for field, _message in expected]
    for violation, (field, message) in zip(record.violations, expected, strict=False):
        assert violation.message.startswith(f"ligne 2, colonne {field} : {message}"), violation.message


def test_a_purchase_may_be_dated_today_on_the_platform_clock_not_tomorrow(tmp_path):
    today = platform_today()

    assert not _one_row(tmp_path, CURRENT_ROW, date=today.isoformat()).violations
    [violation] = _one_row(tmp_path, CURRENT_ROW, date=(today + timedelta(days=1)).isoformat()).violations
    assert violation.field == "date" and "est une date future" in violation.message


def test_the_demo_kitchen_exports_follow_the_2026_rules(tmp_path):
    files = write_kitchen_deliveries(tmp_path, seed=1)
    purchase_files = [tmp_path / name for name in files if name.startswith("cuisine/achats/")]

    records = [record for path in purchase_files for record in CantineAchatsSource().read(path)]

    assert len(purchase_files) == 4 and len(records) == sum(
        files[str(path.relative_to(tmp_path))] for path in purchase_files
    )
    assert [
        (record.number, record.violations, record.flags) for record in records if record.violations or record.flags
    ] == []


# ---------------------------------------------------------------- the indicators, through a night


@pytest.fixture(scope="module")
def kitchen_night(fiabilisation_kitchen_night):
    with psycopg.connect(fiabilisation_kitchen_night.url) as conn:
        values = {
            (indicator, perimetre, annee, ventilation): (valeur, numerateur, denominateur, motif)
            for indicator, perimetre, annee, ventilation, valeur, numerateur, denominateur, motif in conn.execute(
                "select indicateur_id, perimetre, annee, ventilation, valeur, numerateur, denominateur, motif"
                " from marts.fct_indicateurs where indicateur_id like 'e08_alim%' or indicateur_id like 'e08_menus%'"
            ).fetchall()
        }
        files = {
            row[0]: row[1:]
            for row in conn.execute(
                "select fichier, statut, nb_charges, nb_quarantaine from raw.fichiers where source like 'cuisine/%'"
            )
        }
        quarantine = conn.execute("select fichier, enregistrement, champ, message from raw.quarantaine").fetchall()
    return fiabilisation_kitchen_night.run_status, values, files, quarantine


def _share(numerator: float, denominator: float) -> tuple[float, float, float]:
    return 100 * numerator / denominator, numerator, denominator


EXPECTED_WITH_MA_CANTINE = {
    # (indicateur, perimetre, annee, ventilation): (valeur, numerateur, denominateur)
    ("e08_alim_bio_pct", FIXTURE_SIREN, 2022, ""): _share(2721.32, 13642.64),
    ("e08_alim_siqo_pct", FIXTURE_SIREN, 2022, ""): _share(1820.22, 13642.64),
    ("e08_alim_egalim_pct", FIXTURE_SIREN, 2022, ""): _share(6361.76, 13642.64),
    ("e08_alim_local_pct", FIXTURE_SIREN, 2022, ""): _share(6361.76, 13642.64),
    ("e08_alim_regional_pct", FIXTURE_SIREN, 2022, ""): _share(2721.32, 13642.64),
    ("e08_alim_agglo_pct", FIXTURE_SIREN, 2022, ""): _share(1820.22, 13642.64),
    ("e08_alim_circuit_court_pct", FIXTURE_SIREN, 2022, ""): _share(0, 13642.64),
    ("e08_alim_bio_pct", FIXTURE_SIREN, 2026, ""): _share(300, 500),
    ("e08_alim_egalim_pct", FIXTURE_SIREN, 2026, ""): _share(300, 500),
    ("e08_alim_local_pct", FIXTURE_SIREN, 2026, ""): _share(200, 500),
    ("e08_alim_circuit_court_pct", FIXTURE_SIREN, 2026, ""): _share(200, 500),
    ("e08_alim_regional_pct", FIXTURE_SIREN, 2026, ""): _share(200, 500),
    ("e08_alim_bio_pct", VRA, 2022, ""): _share(180.22, 180.22),
    ("e08_alim_bio_pct", "TOUS", 2022, ""): _share(2901.54, 13822.86),
    ("e08_alim_egalim_pct", "TOUS", 2022, ""): _share(6541.98, 13822.86),
    ("e08_alim_bio_pct", "TOUS", 2026, ""): _share(600, 800),
    ("e08_alim_circuit_court_pct", "TOUS", 2026, ""): _share(300, 800),
}
EXPECTED_HAND_MADE = {
    ("e08_alim_bio_pct", VRA, 2024, ""): _share(1000, 3000),
    ("e08_alim_siqo_pct", VRA, 2024, ""): _share(600, 3000),
    ("e08_alim_egalim_pct", VRA, 2024, ""): _share(2450, 3000),
    ("e08_alim_local_pct", VRA, 2024, ""): _share(1300, 3000),
    ("e08_alim_circuit_court_pct", VRA, 2024, ""): _share(200, 3000),
    ("e08_alim_regional_pct", VRA, 2024, ""): _share(900, 3000),
    ("e08_alim_agglo_pct", "TOUS", 2024, ""): _share(700, 3000),
    ("e08_alim_viandes_poissons_egalim_pct", VRA, 2024, "famille_produits=VIANDES_VOLAILLES"): _share(1000, 1400),
    ("e08_alim_viandes_poissons_egalim_pct", VRA, 2024, "famille_produits=PRODUITS_DE_LA_MER"): _share(300, 450),
    ("e08_menus_vegetariens_pct", VRA, 2024, ""): _share(320, 870),
    ("e08_menus_vegetariens_pct", "TOUS", 2024, ""): _share(320, 870),
    # The rows of the 2026 rules files that load (the refused ones count nowhere); TOUS = VRA.
    **{
        (f"e08_alim_{share}_pct", perimetre, 2025, ""): _share(numerator, 1600.50)
        for perimetre in (VRA, "TOUS")
        for share, numerator in (
            ("bio", 160),
            ("siqo", 0),
            ("egalim", 460),
            ("local", 1200.50),
            ("circuit_court", 400.50),
            ("regional", 400.50),
            ("agglo", 0),
        )
    },
}


def _assert_values(values: dict, expected_values: dict) -> None:
    for key, expected in expected_values.items():
        assert key in values, key
        valeur, numerateur, denominateur, _motif = values[key]
        assert float(valeur) == pytest.approx(expected[0], abs=TOLERANCE), key
        assert (float(numerateur), float(denominateur)) == pytest.approx(expected[1:], abs=TOLERANCE), key


def test_kitchen_night_computes_the_hand_computed_values(kitchen_night):
    status, values, _files, _quarantine = kitchen_night
    assert status == 0
    _assert_values(values, EXPECTED_HAND_MADE)


@needs_ma_cantine
def test_kitchen_night_computes_the_values_of_the_platform_fixtures(kitchen_night):
    _assert_values(kitchen_night[1], EXPECTED_WITH_MA_CANTINE)


def test_kitchen_night_emits_a_row_per_year_of_data_and_nothing_else(kitchen_night):
    _status, values, _files, _quarantine = kitchen_night
    for perimetre in (VRA, "TOUS"):
        assert ("e08_alim_bio_pct", perimetre, 2024, "") in values
        assert ("e08_menus_vegetariens_pct", perimetre, 2024, "") in values
    assert not any(key[0] == "e08_menus_vegetariens_pct" and key[2] != 2024 for key in values)


@needs_ma_cantine
def test_kitchen_night_emits_every_row_and_says_why_a_value_is_missing(kitchen_night):
    _status, values, _files, _quarantine = kitchen_night
    # Purchases: 2022, 2024, 2026 x {210100343, VRA, TOUS}; menus: 2024 only.
    for perimetre in (FIXTURE_SIREN, VRA, "TOUS"):
        for annee in (2022, 2024, 2026):
            assert ("e08_alim_bio_pct", perimetre, annee, "") in values
        assert ("e08_menus_vegetariens_pct", perimetre, 2024, "") in values
    assert not any(key[0] == "e08_menus_vegetariens_pct" and key[2] != 2024 for key in values)
    valeur, _n, denominateur, motif = values[("e08_alim_bio_pct", FIXTURE_SIREN, 2024, "")]
    assert (
        valeur is None and denominateur == 0 and motif == "dénominateur vide : aucun achat alimentaire daté de l'année"
    )
    valeur, *_rest, motif = values[
        ("e08_alim_viandes_poissons_egalim_pct", FIXTURE_SIREN, 2022, "famille_produits=VIANDES_VOLAILLES")
    ]
    assert valeur is None and motif == "dénominateur vide : aucun achat de cette famille daté de l'année"
    assert values[("e08_menus_vegetariens_pct", FIXTURE_SIREN, 2024, "")][0] is None


RULES_FILE, LEGACY_RULES_FILE = "cuisine/achats/achats_regles_2026.csv", "cuisine/achats/achats_regles_2026_ancien.csv"


def test_kitchen_night_loads_a_file_once_and_quarantines_each_row_a_2026_rule_refuses(kitchen_night):
    _status, _values, files, quarantine = kitchen_night
    assert files["cuisine/achats/achats_cuisine_centrale_2024.csv"] == ("charge", 9, 1)
    assert "cuisine/achats/achats_cuisine_centrale_2024_renvoi.csv" not in files  # déjà chargé: nothing stored
    assert files[RULES_FILE] == ("charge", 5, 9)
    assert files[LEGACY_RULES_FILE] == ("charge", 2, 5)
    assert sorted(quarantine) == [
        (
            "cuisine/achats/achats_cuisine_centrale_2024.csv",
            11,
            "date",
            "ligne 11, colonne date : « 2024-02-30 » n'est pas une date du calendrier",
        ),
        (
            RULES_FILE,
            7,
            "prix_ht",
            "ligne 7, colonne prix_ht : « 90,11 » n'est pas un prix : des chiffres, avec le point comme séparateur "
            "décimal (1234.99)",
        ),
        (
            RULES_FILE,
            8,
            "definition_local",
            f"ligne 8, colonne definition_local : « DEPARTEMENT » {NOT_LOCAL} (est_local vide ou non) : laisser vide, "
            "ou déclarer l'achat local",
        ),
        (
            RULES_FILE,
            9,
            "definition_local_km",
            "ligne 9, colonne definition_local_km : « 30 » renseigné alors que definition_local ne vaut pas KM : la "
            "distance ne s'indique que pour un local défini en kilomètres",
        ),
        (
            RULES_FILE,
            10,
            "definition_local_km",
            f"ligne 10, colonne definition_local_km : « 25 » {NOT_LOCAL} (est_local vide ou non) : laisser vide",
        ),
        (
            RULES_FILE,
            11,
            "origine",
            "ligne 11, colonne origine : « FRANCE,EUROPE » : FRANCE et EUROPE (hors France) ne peuvent pas être "
            "renseignées ensemble, une seule origine",
        ),
        (
            RULES_FILE,
            12,
            "definition_local",
            "ligne 12, colonne definition_local : « AUTRE » n'est pas une valeur autorisée (PAT, COMMUNE, DEPARTEMENT, "
            "REGION, KM) : AUTRE n'existe que dans l'ancien format à 8 colonnes",
        ),
        (RULES_FILE, 13, "est_circuit_court", f"ligne 13, colonne est_circuit_court : « Oui » {BOOLEANS}"),
        (RULES_FILE, 13, "est_local", f"ligne 13, colonne est_local : « X » {BOOLEANS}"),
        (
            RULES_FILE,
            14,
            "categories_egalim",
            "ligne 14, colonne categories_egalim : « BIO;HVE » : les valeurs d'une liste se séparent par des virgules, "
            "pas par des points-virgules",
        ),
        (
            RULES_FILE,
            15,
            "date",
            "ligne 15, colonne date : « 2099-12-31 » est une date future : ma-cantine refuse un achat daté après "
            "aujourd'hui",
        ),
        (
            LEGACY_RULES_FILE,
            4,
            "definition_local",
            "ligne 4, colonne definition_local : « KM » n'est pas une valeur autorisée (AUTOUR_SERVICE, COMMUNE, "
            "DEPARTEMENT, REGION, PAT, AUTRE) : KM n'existe que dans le format à 12 colonnes",
        ),
        (
            LEGACY_RULES_FILE,
            5,
            "definition_local",
            f"ligne 5, colonne definition_local : « REGION » {NOT_LOCAL} (LOCAL absent de caracteristiques) : laisser "
            "vide, ou déclarer l'achat local",
        ),
        (
            LEGACY_RULES_FILE,
            6,
            "caracteristiques",
            "ligne 6, colonne caracteristiques : « FRANCE,EUROPE » : FRANCE et EUROPE (hors France) ne peuvent pas être "
            "renseignées ensemble, une seule origine",
        ),
        (
            LEGACY_RULES_FILE,
            7,
            "caracteristiques",
            "ligne 7, colonne caracteristiques : « BIO;LOCAL » : les valeurs d'une liste se séparent par des virgules, "
            "pas par des points-virgules",
        ),
        (
            LEGACY_RULES_FILE,
            8,
            "prix_ht",
            "ligne 8, colonne prix_ht : « 12,50 » n'est pas un prix : des chiffres, avec le point comme séparateur "
            "décimal (1234.99)",
        ),
    ]

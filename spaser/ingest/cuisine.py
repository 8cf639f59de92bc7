"""The central kitchen's deliveries: food purchases in the ma-cantine import format, and menus served.

Purchases (``cuisine/achats``) follow the official import format of the national platform
« ma cantine » as its 2026 import rules stand (betagouv/ma-cantine, release 2026.39.1, commit
04dddca of 2026-06-30: the schemas ``data/schemas/imports/achats_{siret,id}{,_old}.json``, the views
``api/views/purchase_import*.py`` and the model checks ``data/validators/purchase.py``), so that the
warehouse reads the file the kitchen declares and gets the same numbers. They are read by the
Python row loader (spaser/ingest/rows.py) rather than the Arrow one, with the fields and rules declared
below (spaser/ingest/fields.py), because ma-cantine's rules go beyond independent columns:

- the header must be exactly one of four headers, names and order included (current 12-column
  format or legacy 8-column format, first column ``siret`` or ``cantine_id``); anything else —
  wrong, partial or missing header, extra columns, a headerless file — rejects the file, as
  ma-cantine does, with a message naming the first column that differs;
- which columns exist, and what they mean, depends on which header the file has: the legacy
  ``caracteristiques`` holds labels *and* FRANCE / EUROPE / CIRCUIT_COURT / LOCAL, the current format
  spreads them over ``categories_egalim``, ``origine`` (one value), ``est_circuit_court`` and
  ``est_local``; ``definition_local`` takes PAT, COMMUNE, DEPARTEMENT, REGION or KM in the current
  format, AUTOUR_SERVICE, COMMUNE, DEPARTEMENT, REGION, PAT or AUTRE in the legacy one;
- a row is judged as a whole: ``definition_local`` only for a local purchase (which may leave it
  empty), ``definition_local_km`` only for a local purchase defined by KM, FRANCE and EUROPE never
  together; a row of empty cells is an error, not a blank line to skip.

Row rules (ma-cantine's): every bad row is quarantined with every violation, naming the line, the
column and the value; the good rows load (ma-cantine would refuse the whole file; the warehouse's
house rule keeps the good rows and lists the bad ones). Identifier, ``description``, ``date``
(AAAA-MM-JJ, month and day on one or two digits as ma-cantine's ``%Y-%m-%d`` reads them, a real
calendar date, not after today in Paris, where the platform counts), ``prix_ht`` (digits with a
``.`` decimal point: ``90,11`` is refused; rounded to the cent half-down as ma-cantine does) and
``famille_produits`` are mandatory; ``fournisseur`` is optional. Multi-valued cells
(``BIO,COMMERCE_EQUITABLE``) are comma-separated, a ``;`` inside one is refused. Booleans take
ma-cantine's spellings only: ``x``, ``oui``, ``OUI`` for yes; empty, ``non``, ``NON`` for no.
Values are trimmed; codes are case-sensitive, as in the official patterns. A ``siret`` failing its
check digit is loaded and flagged. Two ma-cantine rules do not apply here: "the canteen exists on
the platform" and "you manage it" are account rules of the platform; the warehouse has no canteen
register (see ``cantine_id`` below). The warehouse keeps its own lower bound on dates (none before
2000, ``spaser/core/plausible.py``).

Legacy format: ``definition_local`` AUTOUR_SERVICE means KM with 200 km and AUTRE means KM, as
ma-cantine maps them.

``cantine_id`` files: the id is ma-cantine's internal canteen number, which no public register
links to a SIREN. Every file of ``cuisine/achats`` is the central kitchen's deposit, so such a
purchase is attributed to the kitchen's collectivité, the same perimetre as the menus (dbt var
``cuisine_centrale_siren``, the only place it is written); the id itself is kept in the raw table.

Menus (``cuisine/menus``) are an ordinary French CSV export: a ``TabularSource``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_DOWN
from typing import Any
from zoneinfo import ZoneInfo

from spaser.core.codes import (
    CARACTERISTIQUES,
    CATEGORIES_EGALIM,
    CIRCUIT_COURT,
    DEFINITIONS_LOCAL,
    EUROPE,
    FAMILLES_PRODUITS,
    FRANCE,
    LEGACY_DEFINITIONS_LOCAL,
    LOCAL,
    ORIGINES,
)
from spaser.core.plausible import PLAUSIBLE_RANGE_TEXT
from spaser.ingest.base import FileRejected
from spaser.ingest.fields import (
    BOOLEAN,
    PAST_DATE,
    SIRET,
    TEXT,
    DateFormat,
    Field,
    FieldType,
    Invalid,
    RowRule,
    booleans,
    code,
    code_list,
    dates,
    decimal,
    integer,
    pattern,
)
from spaser.ingest.rows import Layout, RowSource
from spaser.ingest.tabular import TabularSource

# ma-cantine's mapping of the legacy values: definition_local, definition_local_km.
LEGACY_DEFINITIONS_MAPPING = {"AUTOUR_SERVICE": ("KM", 200), "AUTRE": ("KM", None)}
# "Not in the future" is judged by the platform's clock, in France.
PLATFORM_TIMEZONE = ZoneInfo("Europe/Paris")
BOTH_ORIGINS = ": FRANCE et EUROPE (hors France) ne peuvent pas être renseignées ensemble, une seule origine"


def platform_today() -> date:
    """Today on ma-cantine's clock (France): a purchase may not be dated after it."""
    return datetime.now(PLATFORM_TIMEZONE).date()


def _one_origin(cell: Any) -> str:
    """The current format's ``origine``: one value, FRANCE or EUROPE (outside France)."""
    if cell in ORIGINES:
        return cell
    if isinstance(cell, str) and {FRANCE, EUROPE} <= {item.strip() for item in re.split(r"[,;]", cell)}:
        raise Invalid(BOTH_ORIGINS)
    raise Invalid("n'est pas une valeur autorisée (une seule origine : FRANCE ou EUROPE)")


_LEGACY_LABELS = code_list(CARACTERISTIQUES)


def _legacy_characteristics(cell: Any) -> tuple[str, ...]:
    """The legacy ``caracteristiques``: labels and characteristics, one origin at most."""
    items = _LEGACY_LABELS.value(cell)
    if FRANCE in items and EUROPE in items:
        raise Invalid(BOTH_ORIGINS)
    return items


# The cells as ma-cantine's schemas and views read them. Codes are case-sensitive, as in the
# official patterns; Python's strptime("%Y-%m-%d"), which the schema uses, reads 2022-5-2 as
# 2022-05-02; a price is the schema's `number` with its default decimal character, a point, no
# thousands separator, rounded to the cent half-down as ma-cantine does; the warehouse adds its
# own lower bound on dates (none before 2000).
PURCHASE_DATE = dates(
    DateFormat(re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"), "ymd", "AAAA-MM-JJ"),
    plausible_only=True,
    not_after=lambda: platform_today(),
    problem="n'est pas une date au format AAAA-MM-JJ",
    calendar_problem="n'est pas une date du calendrier",
    late_problem="est une date future : ma-cantine refuse un achat daté après aujourd'hui",
    implausible_problem=f"n'est pas une date d'achat plausible ({PLAUSIBLE_RANGE_TEXT})",
)
PRICE = decimal(
    minimum=0,
    separators=".",
    places=2,
    rounding=ROUND_HALF_DOWN,
    compact=False,
    problem="n'est pas un prix : des chiffres, avec le point comme séparateur décimal (1234.99)",
)
# est_circuit_court / est_local: the schema's trueValues and falseValues, case included.
MA_CANTINE_BOOLEAN = booleans(
    ("x", "oui", "OUI"),
    ("non", "NON"),
    case_sensitive=True,
    problem="n'est pas un booléen accepté par ma-cantine (x, oui ou OUI pour oui ; vide, non ou NON pour non)",
)
ONE_ORIGIN = FieldType(
    parse=_one_origin, problem="n'est pas une valeur autorisée (une seule origine : FRANCE ou EUROPE)"
)
LEGACY_CHARACTERISTICS = FieldType(parse=_legacy_characteristics, problem=_LEGACY_LABELS.problem, when_empty=())

IDENTIFIERS = (
    Field("siret", SIRET, mandatory=True),
    Field(
        "cantine_id",
        pattern(r"[0-9]+", "n'est pas un identifiant ma-cantine (nombre entier)", compact=True),
        mandatory=True,
    ),
)
COMMON_FIELDS = (
    Field("description", TEXT, mandatory=True),
    Field("fournisseur", TEXT),  # optional since ma-cantine's 2026 rules
    Field("date", PURCHASE_DATE, mandatory=True),
    Field("prix_ht", PRICE, mandatory=True),
    Field("famille_produits", code(FAMILLES_PRODUITS, case_sensitive=True), mandatory=True),
)
CURRENT_FIELDS = (
    *COMMON_FIELDS,
    Field("categories_egalim", code_list(CATEGORIES_EGALIM)),
    Field("origine", ONE_ORIGIN),
    Field("est_circuit_court", MA_CANTINE_BOOLEAN),
    Field("est_local", MA_CANTINE_BOOLEAN),
    Field(
        "definition_local",
        code(
            DEFINITIONS_LOCAL,
            case_sensitive=True,
            hints={"AUTRE": " : AUTRE n'existe que dans l'ancien format à 8 colonnes"},
        ),
    ),
    Field("definition_local_km", integer(minimum=0, problem="n'est pas un nombre entier de kilomètres", compact=False)),
)
LEGACY_FIELDS = (
    *COMMON_FIELDS,
    Field("caracteristiques", LEGACY_CHARACTERISTICS),
    Field(
        "definition_local",
        code(
            LEGACY_DEFINITIONS_LOCAL,
            case_sensitive=True,
            hints={"KM": " : KM n'existe que dans le format à 12 colonnes"},
        ),
    ),
)


def _local_rules(local_column: str, is_local, not_local: str, with_distance: bool) -> tuple[RowRule, ...]:
    """ma-cantine's rule relating the local cells (data/validators/purchase.py): ``definition_local``
    only for a local purchase, which may leave it empty; a distance (current format only: the
    legacy one has no distance column) only for a local purchase defined by KM."""

    def definition(values: Mapping[str, Any]) -> str | None:
        if values["definition_local"] and not is_local(values):
            return f"« {values['definition_local']} » renseigné alors que {not_local} : laisser vide, ou déclarer l'achat local"
        return None

    def distance(values: Mapping[str, Any]) -> str | None:
        kilometres = values["definition_local_km"]
        if kilometres is None:
            return None
        if not is_local(values):
            return f"« {kilometres} » renseigné alors que {not_local} : laisser vide"
        if values["definition_local"] != "KM":
            return (
                f"« {kilometres} » renseigné alors que definition_local ne vaut pas KM : la distance ne "
                "s'indique que pour un local défini en kilomètres"
            )
        return None

    rules = (RowRule("definition_local", (local_column, "definition_local"), definition),)
    if with_distance:
        rules += (RowRule("definition_local_km", (local_column, "definition_local", "definition_local_km"), distance),)
    return rules


CURRENT_RULES = _local_rules(
    "est_local",
    lambda values: values["est_local"],
    "l'achat n'est pas local (est_local vide ou non)",
    with_distance=True,
)
LEGACY_RULES = _local_rules(
    "caracteristiques",
    lambda values: LOCAL in (values["caracteristiques"] or ()),
    "l'achat n'est pas local (LOCAL absent de caracteristiques)",
    with_distance=False,
)
FORMATS = {"actuel": (CURRENT_FIELDS, CURRENT_RULES), "ancien": (LEGACY_FIELDS, LEGACY_RULES)}
DELIMITERS = (",", ";", "\t")


def expected_headers() -> dict[tuple[str, ...], str]:
    """Every accepted header -> its format name."""
    return {
        (identifier.name, *(field.name for field in fields)): name
        for name, (fields, _rules) in FORMATS.items()
        for identifier in IDENTIFIERS
    }


def _header_problem(header: tuple[str, ...]) -> str:
    """Why ``header`` is none of the accepted headers, naming the first column that differs."""
    if header and (header[0].isdigit() or re.fullmatch(r"[0-9 ]{9,}", header[0])):
        return (
            f"le fichier n'a pas de ligne d'en-tête : la ligne 1 contient des données (« {header[0]} »). "
            "Ajouter en première ligne l'en-tête ma-cantine"
        )
    if len(header) == 1 and any(delimiter in header[0] for delimiter in DELIMITERS):
        return (
            f"en-tête illisible : la première ligne est une seule cellule entre guillemets (« {header[0][:60]}… ») ; "
            "le fichier a été enregistré avec des guillemets doublés autour de chaque ligne (fichier corrompu)"
        )
    # Compare with the accepted header that shares the longest prefix with the delivered one.
    best = max(
        expected_headers(), key=lambda expected: (_common_prefix(expected, header), -abs(len(expected) - len(header)))
    )
    position = _common_prefix(best, header)
    if position < min(len(best), len(header)):
        detail = f"colonne {position + 1} : « {header[position]} » au lieu de « {best[position]} »"
    elif len(header) < len(best):
        detail = f"il manque {len(best) - len(header)} colonne(s) à la fin : {', '.join(best[len(header) :])}"
    else:
        extra = ", ".join(f"« {name} »" for name in header[len(best) :])
        detail = f"{len(header) - len(best)} colonne(s) en trop après « {best[-1]} » : {extra}"
    return (
        f"en-tête invalide ({detail}). La première ligne doit être exactement l'en-tête ma-cantine, mêmes noms "
        f"et même ordre : {','.join(best)}"
    )


def _common_prefix(expected: tuple[str, ...], header: tuple[str, ...]) -> int:
    count = 0
    for wanted, delivered in zip(expected, header, strict=False):
        if wanted != delivered:
            break
        count += 1
    return count


class CantineAchatsSource(RowSource):
    raw_table = "raw.cuisine_achats"
    file_patterns = ("*.csv", "*.tsv")
    columns = (
        "format",
        "siret",
        "cantine_id",
        "description",
        "fournisseur",
        "date",
        "prix_ht",
        "famille_produits",
        "caracteristiques",
        "definition_local",
        "definition_local_km",
    )
    # ma-cantine refuses a row of empty cells: it is an error, not a blank line to skip.
    quarantine_empty_rows = True

    def layout(self, header: tuple[str, ...]) -> Layout:
        """One of ma-cantine's four headers, exactly: the format decides the fields and rules."""
        file_format = expected_headers().get(header)
        if file_format is None:
            raise FileRejected(_header_problem(header))
        fields, rules = FORMATS[file_format]
        identifier = next(field for field in IDENTIFIERS if field.name == header[0])
        return Layout((identifier, *fields), {name: position for position, name in enumerate(header)}, (), rules)

    def shown_key(self, values: dict[str, Any]) -> str:
        identifier = values["siret"] or values["cantine_id"] or ""
        return f"{identifier}|{values['date'] or ''}|{values['description'] or ''}"

    def to_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        if "categories_egalim" in values:
            caracteristiques = [*(values["categories_egalim"] or ()), *filter(None, [values["origine"]])]
            caracteristiques += [CIRCUIT_COURT] * bool(values["est_circuit_court"]) + [LOCAL] * bool(
                values["est_local"]
            )
            definition_local, definition_local_km = values["definition_local"], values["definition_local_km"]
        else:
            caracteristiques = list(values["caracteristiques"] or ())
            definition_local, definition_local_km = LEGACY_DEFINITIONS_MAPPING.get(
                values["definition_local"], (values["definition_local"], None)
            )
        return {
            "format": "actuel" if "categories_egalim" in values else "ancien",
            "siret": values.get("siret"),
            "cantine_id": values.get("cantine_id"),
            **{name: values[name] for name in ("description", "fournisseur", "date", "prix_ht", "famille_produits")},
            "caracteristiques": "{" + ",".join(caracteristiques) + "}",
            "definition_local": definition_local,
            "definition_local_km": definition_local_km,
        }


class CantineMenusSource(TabularSource):
    """Menus served: one row per date, site and service. The file names no buyer: the menus are the
    central kitchen's, attributed to its collectivité in dbt (var ``cuisine_centrale_siren``)."""

    raw_table = "raw.cuisine_menus"
    key_columns = ("date", "site", "service")
    columns = (
        Field("date", PAST_DATE, mandatory=True),
        Field("site", TEXT, mandatory=True),
        Field("service", TEXT, mandatory=True),
        Field("nb_repas", integer(minimum=0), mandatory=True),
        Field("vegetarien", BOOLEAN),
    )

"""The central kitchen's deliveries: food purchases in the ma-cantine import format, and menus served.

Purchases (``cuisine/achats``) follow the official import format of the national platform
« ma cantine » as its 2026 import rules stand (betagouv/ma-cantine, release 2026.39.1, commit
04dddca of 2026-06-30: the schemas ``data/schemas/imports/achats_{siret,id}{,_old}.json``, the views
``api/views/purchase_import*.py`` and the model checks ``data/validators/purchase.py``), so that the
warehouse reads the file the kitchen declares and gets the same numbers. They are read by a
``RecordSource`` rather than a ``TabularSource`` because ma-cantine's rules are not
column-by-column casts the shared tabular loader can express:

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
2000, ``extract/plausible.py``).

Legacy format: ``definition_local`` AUTOUR_SERVICE means KM with 200 km and AUTRE means KM, as
ma-cantine maps them.

``cantine_id`` files: the id is ma-cantine's internal canteen number, which no public register
links to a SIREN. Every file of ``cuisine/achats`` is the central kitchen's deposit, so such a
purchase is attributed to the kitchen's collectivité, the same perimetre as the menus (dbt var
``cuisine_centrale_siren``, the only place it is written); the id itself is kept in the raw table.

Menus (``cuisine/menus``) are an ordinary French CSV export: a ``TabularSource``.
"""
from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import ROUND_HALF_DOWN, Decimal
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from extract.base import FileRejected, ParsedRecord, RecordSource, Violation
from extract.loader import fingerprint
from extract.siret import is_valid_siret
from extract.plausible import PLAUSIBLE_RANGE_TEXT, plausible
from extract.tabular import BOOLEAN, INTEGER, PAST_DATE, Column, TabularSource

FAMILLES_PRODUITS = (
    "VIANDES_VOLAILLES", "CHARCUTERIE", "PRODUITS_DE_LA_MER", "FRUITS_ET_LEGUMES", "PRODUITS_LAITIERS",
    "BOULANGERIE", "BOISSONS", "AUTRES",
)
# EGALIM labels and mentions, in ma-cantine's order (bio, SIQO, other labels, externalités/performance).
CATEGORIES_EGALIM = (
    "BIO", "LABEL_ROUGE", "AOCAOP", "IGP", "STG", "HVE", "PECHE_DURABLE", "RUP", "COMMERCE_EQUITABLE", "FERMIER",
    "EXTERNALITES", "PERFORMANCE",
)
FRANCE, EUROPE = "FRANCE", "EUROPE"
ORIGINES = (FRANCE, EUROPE)
CIRCUIT_COURT, LOCAL = "CIRCUIT_COURT", "LOCAL"
# The legacy `caracteristiques` column mixes every characteristic.
CARACTERISTIQUES = (*CATEGORIES_EGALIM, *ORIGINES, CIRCUIT_COURT, LOCAL)
# definition_local: the current format's values (the ones stored), then the legacy format's.
DEFINITIONS_LOCAL = ("PAT", "COMMUNE", "DEPARTEMENT", "REGION", "KM")
LEGACY_DEFINITIONS_LOCAL = ("AUTOUR_SERVICE", "COMMUNE", "DEPARTEMENT", "REGION", "PAT", "AUTRE")
# ma-cantine's mapping of the legacy values: definition_local, definition_local_km.
LEGACY_DEFINITIONS_MAPPING = {"AUTOUR_SERVICE": ("KM", 200), "AUTRE": ("KM", None)}
# est_circuit_court / est_local: the schema's trueValues and falseValues, case included.
TRUE_VALUES = ("x", "oui", "OUI")
FALSE_VALUES = ("", "non", "NON")
BOOLEAN_SPELLINGS = "x, oui ou OUI pour oui ; vide, non ou NON pour non"
# "Not in the future" is judged by the platform's clock, in France.
PLATFORM_TIMEZONE = ZoneInfo("Europe/Paris")

IDENTIFIERS = ("siret", "cantine_id")
COMMON_COLUMNS = ("description", "fournisseur", "date", "prix_ht", "famille_produits")
CURRENT_COLUMNS = (*COMMON_COLUMNS, "categories_egalim", "origine", "est_circuit_court", "est_local",
                   "definition_local", "definition_local_km")
LEGACY_COLUMNS = (*COMMON_COLUMNS, "caracteristiques", "definition_local")
FORMATS = {"actuel": CURRENT_COLUMNS, "ancien": LEGACY_COLUMNS}
DELIMITERS = (",", ";", "\t")
# Python's strptime("%Y-%m-%d"), which ma-cantine's schema uses, reads 2022-5-2 as 2022-05-02.
ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
# The schema's `number` with its default decimal character: a point, no thousands separator.
PRICE = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def expected_headers() -> dict[tuple[str, ...], str]:
    """Every accepted header -> its format name."""
    return {(identifier, *columns): name for name, columns in FORMATS.items() for identifier in IDENTIFIERS}


def _header_problem(header: tuple[str, ...]) -> str:
    """Why ``header`` is none of the accepted headers, naming the first column that differs."""
    if header and (header[0].isdigit() or re.fullmatch(r"[0-9 ]{9,}", header[0])):
        return (f"le fichier n'a pas de ligne d'en-tête : la ligne 1 contient des données (« {header[0]} »). "
                "Ajouter en première ligne l'en-tête ma-cantine")
    if len(header) == 1 and any(delimiter in header[0] for delimiter in DELIMITERS):
        return (f"en-tête illisible : la première ligne est une seule cellule entre guillemets (« {header[0][:60]}… ») ; "
                "le fichier a été enregistré avec des guillemets doublés autour de chaque ligne (fichier corrompu)")
    # Compare with the accepted header that shares the longest prefix with the delivered one.
    best = max(expected_headers(), key=lambda expected: (_common_prefix(expected, header), -abs(len(expected) - len(header))))
    position = _common_prefix(best, header)
    if position < min(len(best), len(header)):
        detail = f"colonne {position + 1} : « {header[position]} » au lieu de « {best[position]} »"
    elif len(header) < len(best):
        detail = f"il manque {len(best) - len(header)} colonne(s) à la fin : {', '.join(best[len(header):])}"
    else:
        extra = ", ".join(f"« {name} »" for name in header[len(best):])
        detail = f"{len(header) - len(best)} colonne(s) en trop après « {best[-1]} » : {extra}"
    return (f"en-tête invalide ({detail}). La première ligne doit être exactement l'en-tête ma-cantine, mêmes noms "
            f"et même ordre : {','.join(best)}")


def _common_prefix(expected: tuple[str, ...], header: tuple[str, ...]) -> int:
    count = 0
    for wanted, delivered in zip(expected, header):
        if wanted != delivered:
            break
        count += 1
    return count


def _sniff_delimiter(line: str) -> str:
    counts = {delimiter: line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _decoded_lines(path: Path, encoding: str, undecodable: set[int]) -> Iterator[str]:
    """The file's physical lines as text; lines holding bytes invalid in ``encoding`` are noted."""
    with path.open("rb") as stream:
        for number, raw_line in enumerate(stream, start=1):
            try:
                text = raw_line.decode(encoding)
                if "\x00" in text:
                    raise UnicodeDecodeError(encoding, raw_line, 0, 1, "NUL")
            except UnicodeDecodeError:
                undecodable.add(number)
                text = raw_line.decode(encoding, errors="replace").replace("\x00", "\ufffd")
            yield text.lstrip("\ufeff") if number == 1 else text


def _kept(lines: Iterator[str], delivered: list[str]) -> Iterator[str]:
    for line in lines:
        delivered.append(line)
        yield line


class _Row:
    """One delivered row being checked: its cells by column name, its violations and flags."""

    def __init__(self, line: int, cells: dict[str, str]):
        self.line = line
        self.cells = cells
        self.violations: list[Violation] = []
        self.flags: list[Violation] = []

    def fail(self, column: str, problem: str) -> None:
        self.violations.append(Violation(column, f"ligne {self.line}, colonne {column} : {problem}"))

    def failed(self, *columns: str) -> bool:
        """Whether a cell of ``columns`` already broke a rule (a rule relating cells then waits for it)."""
        return any(violation.field in columns for violation in self.violations)

    def required(self, column: str) -> str | None:
        value = self.cells[column]
        if not value:
            self.fail(column, "valeur obligatoire manquante")
            return None
        return value

    def code(self, column: str, allowed: tuple[str, ...], mandatory: bool = False,
             other_format: tuple[str, str] | None = None) -> str | None:
        """A one-code cell; ``other_format``: (a code only the other format allows, that format's name)."""
        value = self.required(column) if mandatory else self.cells[column] or None
        if value is not None and value not in allowed:
            in_other_format = other_format is not None and value == other_format[0]
            hint = f" : {value} n'existe que dans {other_format[1]}" if in_other_format else ""
            self.fail(column, f"« {value} » n'est pas une valeur autorisée ({', '.join(allowed)}){hint}")
            return None
        return value

    def codes(self, column: str, allowed: tuple[str, ...]) -> list[str]:
        """A multi-valued cell: codes separated by commas, blanks around them ignored."""
        value = self.cells[column]
        if not value:
            return []
        if ";" in value:
            self.fail(column, f"« {value} » : les valeurs d'une liste se séparent par des virgules, "
                              "pas par des points-virgules")
            return []
        items = [item.strip() for item in value.split(",")]
        unknown = [item for item in items if item not in allowed]
        if unknown:
            listed = ", ".join(f"« {item} »" if item else "(vide)" for item in unknown)
            self.fail(column, f"« {value} » contient {listed}, qui n'est pas une valeur autorisée "
                              f"({', '.join(allowed)}, séparées par des virgules)")
            return []
        return list(dict.fromkeys(items))

    def flag(self, column: str) -> bool:
        value = self.cells[column]
        if value in TRUE_VALUES:
            return True
        if value not in FALSE_VALUES:
            self.fail(column, f"« {value} » n'est pas un booléen accepté par ma-cantine ({BOOLEAN_SPELLINGS})")
        return False


class CantineAchatsSource(RecordSource):
    source = "cuisine/achats"
    raw_table = "raw.cuisine_achats"
    file_patterns = ("*.csv", "*.tsv")
    columns = (
        "format", "siret", "cantine_id", "description", "fournisseur", "date", "prix_ht", "famille_produits",
        "caracteristiques", "definition_local", "definition_local_km",
    )

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        encoding = fingerprint(path).encoding
        undecodable: set[int] = set()
        lines = _decoded_lines(path, encoding, undecodable)
        first = next(lines, "")
        if not first.strip():
            raise FileRejected("fichier vide : aucune ligne d'en-tête")
        delimiter = _sniff_delimiter(first)
        header = tuple(next(csv.reader([first], delimiter=delimiter)))
        if 1 in undecodable:
            raise FileRejected(f"en-tête illisible : octets invalides en {encoding} sur la ligne 1")
        file_format = expected_headers().get(header)
        if file_format is None:
            raise FileRejected(_header_problem(header))
        delivered: list[str] = []  # the physical lines of the record being read, for the quarantine
        reader = csv.reader(_kept(lines, delivered), delimiter=delimiter)
        start = 2
        for cells in reader:
            end = reader.line_num + 1  # the header line was read outside the reader
            text = "".join(delivered).rstrip("\r\n")
            delivered.clear()
            yield self._record(start, end, header, file_format, cells, text, undecodable, encoding)
            start = end + 1

    def _record(self, line: int, end: int, header: tuple[str, ...], file_format: str, cells: list[str], text: str,
                undecodable: set[int], encoding: str) -> ParsedRecord:
        record = ParsedRecord(number=line, raw_text=text)
        bad_bytes = sorted(number for number in undecodable if line <= number <= end)
        if bad_bytes:
            record.violations.append(Violation("ligne", f"ligne {line} : octets invalides en {encoding} "
                                                        "(fichier corrompu ou mal encodé)"))
        elif len(cells) != len(header):
            record.violations.append(Violation("ligne", f"ligne {line} : {len(cells)} cellule(s) au lieu de "
                                                        f"{len(header)}, le nombre de colonnes de l'en-tête"))
        elif not any(cell.strip() for cell in cells):
            record.violations.append(Violation("ligne", f"ligne {line} : ligne vide (aucune valeur)"))
        if record.violations:
            return record
        row = _Row(line, {name: cell.strip() for name, cell in zip(header, cells)})
        identifier_column = header[0]
        identifier = row.required(identifier_column)
        record.key = f"{identifier or ''}|{row.cells['date']}|{row.cells['description']}"
        if identifier is not None:
            identifier = identifier.replace(" ", "")
            if identifier_column == "siret":
                if not (len(identifier) == 14 and identifier.isascii() and identifier.isdigit()):
                    row.fail("siret", f"« {identifier} » n'est pas un SIRET (14 chiffres)")
                elif not is_valid_siret(identifier):
                    row.flags.append(Violation("siret", f"ligne {line}, colonne siret : « {identifier} » ne respecte "
                                                        "pas la clé de contrôle d'un SIRET (Luhn) ; achat chargé"))
            elif not (identifier.isascii() and identifier.isdigit()):
                row.fail("cantine_id", f"« {identifier} » n'est pas un identifiant ma-cantine (nombre entier)")
        values = {
            "format": file_format,
            "siret": identifier if identifier_column == "siret" else None,
            "cantine_id": identifier if identifier_column == "cantine_id" else None,
            "description": row.required("description"),
            "fournisseur": row.cells["fournisseur"] or None,  # optional since ma-cantine's 2026 rules
            "date": _purchase_date(row),
            "prix_ht": _price(row),
            "famille_produits": row.code("famille_produits", FAMILLES_PRODUITS, mandatory=True),
        }
        if file_format == "actuel":
            caracteristiques = [*row.codes("categories_egalim", CATEGORIES_EGALIM), *_origine(row)]
            if row.flag("est_circuit_court"):
                caracteristiques.append(CIRCUIT_COURT)
            local = row.flag("est_local")
            if local:
                caracteristiques.append(LOCAL)
            definition_local = row.code("definition_local", DEFINITIONS_LOCAL,
                                        other_format=("AUTRE", "l'ancien format à 8 colonnes"))
            definition_local_km = _kilometres(row)
            _check_local_definition(row, "est_local", local, definition_local, definition_local_km)
        else:
            caracteristiques = row.codes("caracteristiques", CARACTERISTIQUES)
            local = LOCAL in caracteristiques
            definition_local = row.code("definition_local", LEGACY_DEFINITIONS_LOCAL,
                                        other_format=("KM", "le format à 12 colonnes"))
            definition_local, definition_local_km = LEGACY_DEFINITIONS_MAPPING.get(
                definition_local, (definition_local, None))
            _check_local_definition(row, "caracteristiques", local, definition_local, None)
            if FRANCE in caracteristiques and EUROPE in caracteristiques:
                row.fail("caracteristiques", f"« {row.cells['caracteristiques']} » : FRANCE et EUROPE (hors France) "
                                             "ne peuvent pas être renseignées ensemble, une seule origine")
        values.update(
            caracteristiques="{" + ",".join(caracteristiques) + "}",
            definition_local=definition_local,
            definition_local_km=definition_local_km,
        )
        record.violations, record.flags = row.violations, row.flags
        if not record.violations:
            record.values = values
        return record


def platform_today() -> date:
    """Today on ma-cantine's clock (France): a purchase may not be dated after it."""
    return datetime.now(PLATFORM_TIMEZONE).date()


def _purchase_date(row: _Row) -> date | None:
    value = row.required("date")
    if value is None:
        return None
    match = ISO_DATE.match(value)
    if not match:
        row.fail("date", f"« {value} » n'est pas une date au format AAAA-MM-JJ")
        return None
    try:
        day = date(*map(int, match.groups()))
    except ValueError:
        row.fail("date", f"« {value} » n'est pas une date du calendrier")
        return None
    if day > platform_today():
        row.fail("date", f"« {value} » est une date future : ma-cantine refuse un achat daté après aujourd'hui")
        return None
    if plausible(day) is None:
        row.fail("date", f"« {value} » n'est pas une date d'achat plausible ({PLAUSIBLE_RANGE_TEXT})")
    return plausible(day)


def _price(row: _Row) -> Decimal | None:
    value = row.required("prix_ht")
    if value is None:
        return None
    if not PRICE.match(value):
        row.fail("prix_ht", f"« {value} » n'est pas un prix : des chiffres, avec le point comme séparateur "
                            "décimal (1234.99)")
        return None
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_DOWN)


def _origine(row: _Row) -> list[str]:
    """The current format's ``origine``: one value, FRANCE or EUROPE (outside France)."""
    value = row.cells["origine"]
    if not value or value in ORIGINES:
        return [value] if value else []
    if {FRANCE, EUROPE} <= {item.strip() for item in re.split(r"[,;]", value)}:
        row.fail("origine", f"« {value} » : FRANCE et EUROPE (hors France) ne peuvent pas être renseignées "
                            "ensemble, une seule origine")
    else:
        row.fail("origine", f"« {value} » n'est pas une valeur autorisée (une seule origine : FRANCE ou EUROPE)")
    return []


def _kilometres(row: _Row) -> int | None:
    value = row.cells["definition_local_km"]
    if not value:
        return None
    # isdigit() alone accepts "²" or "٣", which int() refuses.
    if not (value.isascii() and value.isdigit()):
        row.fail("definition_local_km", f"« {value} » n'est pas un nombre entier de kilomètres")
        return None
    return int(value)


def _check_local_definition(row: _Row, local_column: str, local: bool, definition_local: str | None,
                            definition_local_km: int | None) -> None:
    """ma-cantine's rule relating the local cells (data/validators/purchase.py): ``definition_local``
    only for a local purchase, which may leave it empty; a distance (current format only: the legacy
    one has no distance column) only for a local purchase defined by KM. Checked once the cells it
    relates are valid, so that one typo gives one message."""
    if row.failed(local_column, "definition_local"):
        return
    not_local = ("l'achat n'est pas local (est_local vide ou non)" if local_column == "est_local"
                 else "l'achat n'est pas local (LOCAL absent de caracteristiques)")
    if definition_local and not local:
        row.fail("definition_local", f"« {row.cells['definition_local']} » renseigné alors que {not_local} : "
                                     "laisser vide, ou déclarer l'achat local")
    if definition_local_km is None:
        return
    if not local:
        row.fail("definition_local_km", f"« {row.cells['definition_local_km']} » renseigné alors que {not_local} : "
                                        "laisser vide")
    elif definition_local != "KM":
        row.fail("definition_local_km", f"« {row.cells['definition_local_km']} » renseigné alors que "
                                        "definition_local ne vaut pas KM : la distance ne s'indique que pour un "
                                        "local défini en kilomètres")


class CantineMenusSource(TabularSource):
    """Menus served: one row per date, site and service. The file names no buyer: the menus are the
    central kitchen's, attributed to its collectivité in dbt (var ``cuisine_centrale_siren``)."""

    source = "cuisine/menus"
    raw_table = "raw.cuisine_menus"
    key_columns = ("date", "site", "service")
    columns = (
        Column("date", PAST_DATE, mandatory=True),
        Column("site", mandatory=True),
        Column("service", mandatory=True),
        Column("nb_repas", INTEGER, mandatory=True),
        Column("vegetarien", BOOLEAN),
    )

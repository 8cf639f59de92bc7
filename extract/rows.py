"""Row sources read in Python: CSV or XLSX files validated row by row before anything is stored.

Most tabular sources are validated in Arrow blocks and COPYed (``extract.tabular``). Two kinds of
delivery cannot take that road and use this module instead:
- spreadsheets (the SPASER team's registers, ``registre/*.xlsx``) when the rows need Python-side
  rules beyond the column types;
- personal data (``insertion/heures``): identifiers must be pseudonymised and birth dates reduced
  before they ever reach PostgreSQL — a COPY into a temporary table would already store them.

The casting rules are those of ``extract.tabular`` (French habits: decimal comma, JJ/MM/AAAA or
AAAA-MM-JJ dates, oui/non booleans, blanks inside identifiers and numbers), written in Python.
The header drives the reading (any column order, names compared case-insensitively); a missing
required column rejects the file naming it; an extra column is reported once (signalement on the
first data row); every violation of a row is listed with its line and column. A source declared
``personal`` never has a cell value quoted in a message nor kept in the quarantine (only file,
line, column and rule), and its undeclared columns are dropped on reading.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator

from extract.base import FileRejected, ParsedRecord, RecordSource, Violation
from extract.plausible import PLAUSIBLE_RANGE_TEXT, plausible
from extract.siret import is_valid_siret
from extract.tabular import (
    BLANKS,
    map_columns,
    sniff_delimiter,
    text_to_boolean,
    text_to_date,
    text_to_decimal,
    text_to_integer,
)
from extract.xlsx import WORKBOOK_SUFFIX, read_xlsx_rows


@dataclass(frozen=True)
class FieldType:
    """``parse`` turns a trimmed, non-empty cell into its value or raises ValueError; ``problem``
    ends the French message « x » <problem>."""

    parse: Callable[[str], Any]
    problem: str
    compact: bool = False  # blanks inside the cell are removed before parsing (identifiers, numbers)
    when_empty: Any = None


def _strict(rule: Callable[[str], Any]) -> Callable[[str], Any]:
    """One of extract.tabular's reading rules (None when invalid), raising ValueError instead."""

    def parse(text: str) -> Any:
        value = rule(text)
        if value is None:
            raise ValueError(text)
        return value

    return parse


parse_date = _strict(text_to_date)


def _siret(text: str) -> str:
    if not (len(text) == 14 and text.isascii() and text.isdigit()):
        raise ValueError(text)
    return text


def _month(text: str) -> date:
    """``AAAA-MM`` (also MM/AAAA, as spreadsheets re-type it) -> the first day of the month."""
    iso = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})(-01)?", text)
    french = re.fullmatch(r"([0-9]{1,2})/([0-9]{4})", text)
    if iso:
        return date(int(iso.group(1)), int(iso.group(2)), 1)
    if french:
        return date(int(french.group(2)), int(french.group(1)), 1)
    raise ValueError(text)


TEXT = FieldType(parse=str, problem="")
INTEGER = FieldType(parse=_strict(text_to_integer), problem="n'est pas un nombre entier", compact=True)
DECIMAL = FieldType(parse=lambda text: Decimal(_strict(text_to_decimal)(text)),
                    problem="n'est pas un nombre (virgule ou point décimal)", compact=True)
DATE = FieldType(parse=parse_date, problem="n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ)")
# Dates the raw checks require to be plausible (extract.plausible), quarantined at load time.
PAST_DATE = FieldType(parse=_strict(lambda text: plausible(text_to_date(text))),
                      problem=f"n'est pas une date valide (JJ/MM/AAAA ou AAAA-MM-JJ) {PLAUSIBLE_RANGE_TEXT}")
PAST_MONTH = FieldType(parse=_strict(lambda text: plausible(_month(text))),
                       problem=f"n'est pas un mois (AAAA-MM) {PLAUSIBLE_RANGE_TEXT}")
BOOLEAN = FieldType(parse=_strict(text_to_boolean), problem="n'est pas un booléen (oui/non, O/N, 1/0, true/false)",
                    when_empty=False)
SIRET = FieldType(parse=_siret, problem="n'est pas un SIRET (14 chiffres)", compact=True)


def enumeration(*values: str, case_sensitive: bool = False) -> FieldType:
    """A code from a closed list, stored as the contract spells it."""
    canonical = {(value if case_sensitive else value.lower()): value for value in values}

    def parse(text: str) -> str:
        return canonical[text if case_sensitive else text.lower()]

    return FieldType(parse=parse, problem=f"n'est pas une valeur autorisée ({', '.join(values)})")


@dataclass(frozen=True)
class Field:
    name: str  # header name as the contract spells it
    type: FieldType = TEXT
    required: bool = True  # the header must have it (else the file is rejected)
    mandatory: bool = False  # every row must give a value (else the row is quarantined)


# ---------------------------------------------------------------- reading the file


@dataclass(frozen=True)
class DeliveredRows:
    header: tuple[str, ...]
    delimiter: str  # for the quarantine's copy of a row
    rows: Iterator[tuple[int, list[str]]]  # (line or sheet row, cells)
    malformed: Callable[[list[str]], str | None]  # why a row does not have the header's shape


def _decoded(path: Path) -> str:
    content = path.read_bytes()
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def read_delivered_rows(path: Path) -> DeliveredRows:
    """The header and rows of a CSV (UTF-8, UTF-16 with its BOM or Windows-1252; any line
    endings, old Mac CR included) or XLSX file."""
    if path.suffix.lower() == WORKBOOK_SUFFIX:
        header, rows = read_xlsx_rows(path)
        return DeliveredRows(header, ";", rows, lambda cells: None)
    text = _decoded(path)
    if not text.strip():
        raise FileRejected(f"{path.name} : fichier vide, aucune ligne d'en-tête.")
    first_line = text.splitlines()[0]
    if "\x00" in first_line:
        raise FileRejected(f"{path.name} : octet nul dans l'en-tête, ce n'est pas un fichier CSV texte.")
    delimiter = sniff_delimiter(first_line)
    # newline="": the csv module sees every line ending (CR, LF, CRLF) and quoted ones as delivered.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[list[str]]:
        while True:
            try:
                yield next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileRejected(f"{path.name} : ligne {reader.line_num} illisible en CSV ({error}).") from None

    cells_of = records()
    header = tuple(name.strip() for name in next(cells_of))

    def rows() -> Iterator[tuple[int, list[str]]]:
        first_line_of_record = reader.line_num + 1
        for cells in cells_of:
            if any(cell.strip() for cell in cells):
                yield first_line_of_record, cells
            first_line_of_record = reader.line_num + 1

    def malformed(cells: list[str]) -> str | None:
        if len(cells) != len(header):
            return f"{len(cells)} champ(s) au lieu des {len(header)} de l'en-tête"
        return None

    return DeliveredRows(header, delimiter, rows(), malformed)


# ---------------------------------------------------------------- the source


class RowSource(RecordSource):
    """A CSV/XLSX source validated row by row in Python (see the module docstring).

    Subclasses declare ``fields`` and ``key_fields``; they may add row rules (``row_violations``)
    and turn the typed values into the raw-table values (``to_raw``: derived or pseudonymised
    columns). ``columns`` (the raw-table columns) default to the field names.
    """

    fields: ClassVar[tuple[Field, ...]]
    key_fields: ClassVar[tuple[str, ...]]
    file_patterns = ("*.csv", "*.xlsx")

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(field.name for field in self.fields)

    def row_violations(self, values: dict[str, Any]) -> list[Violation]:
        """Rules across the fields of one typed row (every field parsed, possibly None)."""
        return []

    def to_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        return values

    def shown_key(self, values: dict[str, Any]) -> str:
        return "|".join("" if values.get(name) is None else str(values[name]) for name in self.key_fields)

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        delivered = read_delivered_rows(path)
        try:
            mapping = map_columns(self.fields, delivered.header, quote_header=not self.personal)
        except FileRejected as rejection:
            raise FileRejected(f"{path.name} : {rejection}.") from rejection
        positions = {name: position - 1 for name, position in mapping.positions.items()}
        extra = mapping.extra
        first = True
        for number, cells in delivered.rows:
            record = self._parse_row(number, cells, positions, delivered)
            if first:
                record.flags.extend(
                    Violation(name or "(sans nom)", f"colonne « {name} » non prévue par le format de la source : ignorée")
                    for name in extra
                )
                first = False
            yield record

    def _parse_row(
        self, number: int, cells: list[str], positions: dict[str, int], delivered: DeliveredRows
    ) -> ParsedRecord:
        texts: dict[str, str | None] = {}
        for field in self.fields:
            position = positions.get(field.name)
            cell = cells[position] if position is not None and position < len(cells) else ""
            cell = cell.strip(BLANKS)
            if field.type.compact:
                cell = "".join(character for character in cell if character not in BLANKS)
            texts[field.name] = cell or None
        # A personal source keeps no copy of the row: which cell holds what is not known for
        # sure in a row of the wrong shape, and undeclared columns are personal data too.
        parsed = ParsedRecord(number=number,
                              raw_text=None if self.personal else delivered.delimiter.join(cells))
        shape_problem = delivered.malformed(cells)
        if shape_problem:
            parsed.violations.append(Violation("ligne", f"ligne {number} : {shape_problem}"))
            return parsed
        values: dict[str, Any] = {}
        for field in self.fields:
            values[field.name] = self._typed(field, texts[field.name], number, parsed, field.name in positions)
        if not parsed.violations:
            parsed.violations.extend(
                Violation(v.field, f"ligne {number}, colonne {v.field} : {v.message}") for v in self.row_violations(values)
            )
        raw = self.to_raw(values)
        parsed.key = self.shown_key(raw)
        if not parsed.violations:
            parsed.values = raw
            parsed.flags.extend(self._siret_flags(values, number))
        return parsed

    def _typed(self, field: Field, text: str | None, number: int, parsed: ParsedRecord, delivered: bool) -> Any:
        if text is None:
            if field.mandatory:
                parsed.violations.append(
                    Violation(field.name, f"ligne {number}, colonne {field.name} : valeur obligatoire manquante"))
            return field.type.when_empty if delivered else None
        try:
            return field.type.parse(text)
        except (ValueError, KeyError):
            shown = "la valeur" if self.personal else f"« {text} »"
            parsed.violations.append(
                Violation(field.name, f"ligne {number}, colonne {field.name} : {shown} {field.type.problem}"))
            return None

    def _siret_flags(self, values: dict[str, Any], number: int) -> list[Violation]:
        return [
            Violation(field.name, f"ligne {number}, colonne {field.name} : "
                                  f"{'la valeur' if self.personal else f'« {values[field.name]} »'} ne respecte pas "
                                  "la clé de contrôle d'un SIRET (Luhn) ; enregistrement chargé")
            for field in self.fields
            if field.type is SIRET and values.get(field.name) and not is_valid_siret(values[field.name])
        ]

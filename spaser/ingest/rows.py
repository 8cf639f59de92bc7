"""Row sources read in Python: CSV, XLSX and JSON records validated row by row before anything is stored.

Most tabular sources are validated in Arrow blocks and COPYed (``spaser.ingest.tabular``). The others take
this road, with the same declaration (spaser/ingest/fields.py: ``Field``, ``RowRule``) and the same
messages:
- spreadsheets (the SPASER team's registers, ``registre/*.xlsx``) and files whose rows need rules
  across their columns (the kitchen's ma-cantine purchases);
- personal data (``insertion/heures``): identifiers must be pseudonymised and birth dates reduced
  before they ever reach PostgreSQL — a COPY into a temporary table would already store them;
- JSON records (``ged/fop``: an array of objects or JSON lines), whose keys are the fields.

Reading a CSV: its encoding (UTF-8 with or without BOM, UTF-16 with its BOM, else Windows-1252; a
line with bytes invalid in it is quarantined), any line endings (old Mac CR included), the
separator sniffed from the header. The header drives the reading (any column order, names
compared case-insensitively; a source may instead accept only exact headers, ``layout``); a
missing required column rejects the file naming it; an extra column is reported once (signalement
on the first data row). A record with another number of cells than the header is quarantined,
as is every row breaking a field's type or a row rule, with its line and column; a blank row is
skipped (or quarantined, ``quarantine_empty_rows``). A source declared ``personal`` never has a
cell value quoted in a message nor kept in the quarantine (only file, line, column and rule), and
its undeclared columns are dropped on reading.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from spaser.ingest.base import FileRejected, ParsedRecord, RecordSource, Violation
from spaser.ingest.fields import BLANKS, Field, RowRule, check_row
from spaser.ingest.loader import detect_encoding
from spaser.ingest.tabular import ENCODING_LABELS, MALFORMED_FIELD, map_columns, sniff_delimiter
from spaser.ingest.xlsx import WORKBOOK_SUFFIX, read_xlsx_rows

WHOLE_RECORD = "(enregistrement)"  # the field of a violation that concerns a whole JSON record


@dataclass(frozen=True)
class Layout:
    """How a file's columns map onto the fields it is read with."""

    fields: tuple[Field, ...]
    positions: dict[str, int]  # field name -> 0-based position of its column in the file
    extra: tuple[str, ...]  # the file's columns no field reads
    rules: tuple[RowRule, ...]


@dataclass(frozen=True)
class DeliveredRow:
    number: int  # first physical line of the record (sheet row of a workbook)
    cells: list[str]
    text: str  # the record as delivered, for the quarantine of a source that is not personal
    defect: str | None = None  # why the record cannot be read into the header's columns


@dataclass(frozen=True)
class DeliveredRows:
    header: tuple[str, ...]
    rows: Iterator[DeliveredRow]


# ---------------------------------------------------------------- reading the file


NUL_BYTE = "octet nul"


def _text_lines(content: bytes) -> tuple[str, Iterator[tuple[int, str, str | None]]]:
    """The file's encoding and its physical lines: (number, text, why its bytes cannot be read —
    invalid in that encoding, or a NUL byte, NUL_BYTE —; the text then holds « \ufffd » instead)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = content.decode("utf-16")
        return "utf-16", (
            (number, line.replace("\x00", "\ufffd"), NUL_BYTE if "\x00" in line else None)
            for number, line in enumerate(text.splitlines(keepends=True), start=1)
        )
    encoding = detect_encoding([content])

    def lines() -> Iterator[tuple[int, str, str | None]]:
        for number, raw_line in enumerate(content.splitlines(keepends=True), start=1):
            try:
                line = raw_line.decode(encoding)
                defect = NUL_BYTE if "\x00" in line else None
            except UnicodeDecodeError:
                line, defect = raw_line.decode(encoding, errors="replace"), "invalid"
            if number == 1:
                line = line.removeprefix("\ufeff")
            yield number, line.replace("\x00", "\ufffd"), defect

    return encoding, lines()


def read_delivered_rows(path: Path, empty_rows_are_defects: bool = False) -> DeliveredRows:
    """The header and records of a CSV (UTF-8, UTF-16 with its BOM or Windows-1252; any line
    endings) or XLSX file; raise FileRejected when there is no readable header."""
    if path.suffix.lower() == WORKBOOK_SUFFIX:
        header, rows = read_xlsx_rows(path)
        return DeliveredRows(header, (DeliveredRow(number, cells, ";".join(cells)) for number, cells in rows))
    encoding, lines = _text_lines(path.read_bytes())
    label = ENCODING_LABELS.get(encoding, encoding)
    first = next(lines, None)
    if first is None or not first[1].strip():
        raise FileRejected(f"{path.name} : fichier vide, aucune ligne d'en-tête.")
    if first[2] is not None:
        reason = (
            "octet nul dans l'en-tête, ce n'est pas un fichier CSV texte"
            if first[2] == NUL_BYTE
            else f"en-tête illisible : octets invalides pour l'encodage {label}"
        )
        raise FileRejected(f"{path.name} : {reason}.")
    delimiter = sniff_delimiter(first[1].rstrip("\r\n"))
    unreadable_lines = set()
    delivered: list[str] = []  # the physical lines of the record being read

    def kept() -> Iterator[str]:
        for number, line, defect in lines:
            if defect is not None:
                unreadable_lines.add(number)
            delivered.append(line)
            yield line

    header = tuple(name.strip(BLANKS) for name in next(csv.reader([first[1]], delimiter=delimiter)))
    reader = csv.reader(kept(), delimiter=delimiter)

    def rows() -> Iterator[DeliveredRow]:
        start = 2
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileRejected(f"{path.name} : ligne {reader.line_num + 1} illisible en CSV ({error}).") from None
            end = reader.line_num + 1  # the header line was read outside the reader
            text = "".join(delivered).rstrip("\r\n")
            delivered.clear()
            empty = not any(cell.strip(BLANKS) for cell in cells)
            defect = None
            if empty and not empty_rows_are_defects:
                start = end + 1
                continue
            if any(number in unreadable_lines for number in range(start, end + 1)):
                defect = f"octets invalides pour l'encodage {label} (caractère remplacé par « \ufffd »)"
            elif len(cells) != len(header):
                defect = f"{len(cells)} champ(s) au lieu des {len(header)} de l'en-tête"
            elif empty:
                defect = "ligne vide (aucune valeur)"
            yield DeliveredRow(start, cells, text, defect)
            start = end + 1

    return DeliveredRows(header, rows())


# ---------------------------------------------------------------- the sources


class RowSource(RecordSource):
    """A CSV/XLSX source validated row by row in Python (see the module docstring).

    Subclasses declare ``fields``, ``key_fields`` and ``rules``; they may turn the typed values
    into the raw-table values (``to_raw``: derived or pseudonymised columns). ``columns`` (the
    raw-table columns) default to the field names.
    """

    fields: ClassVar[tuple[Field, ...]]
    key_fields: ClassVar[tuple[str, ...]]
    rules: ClassVar[tuple[RowRule, ...]] = ()
    file_patterns = ("*.csv", "*.xlsx")
    quarantine_empty_rows: ClassVar[bool] = False

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(field.name for field in self.fields)

    def layout(self, header: tuple[str, ...]) -> Layout:
        """The fields a file with this header is read with; raise FileRejected. By default the
        declared fields, mapped by name onto the header."""
        mapping = map_columns(self.fields, header, quote_header=not self.personal)
        return Layout(
            self.fields, {name: position - 1 for name, position in mapping.positions.items()}, mapping.extra, self.rules
        )

    def to_raw(self, values: dict[str, Any]) -> dict[str, Any]:
        return values

    def shown_key(self, values: dict[str, Any]) -> str:
        return "|".join("" if values.get(name) is None else str(values[name]) for name in self.key_fields)

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        delivered = read_delivered_rows(path, self.quarantine_empty_rows)
        try:
            layout = self.layout(delivered.header)
        except FileRejected as rejection:
            raise FileRejected(f"{path.name} : {rejection}.") from rejection
        first = True
        for row in delivered.rows:
            record = self._record(row, layout)
            if first:
                record.flags.extend(
                    Violation(
                        name or "(sans nom)", f"colonne « {name} » non prévue par le format de la source : ignorée"
                    )
                    for name in layout.extra
                )
                first = False
            yield record

    def _record(self, row: DeliveredRow, layout: Layout) -> ParsedRecord:
        # A personal source keeps no copy of the row: which cell holds what is not known for
        # sure in a row of the wrong shape, and undeclared columns are personal data too.
        parsed = ParsedRecord(number=row.number, raw_text=None if self.personal else row.text)
        if row.defect is not None:
            parsed.violations.append(Violation(MALFORMED_FIELD, f"ligne {row.number} : {row.defect}"))
            return parsed
        cells = {name: row.cells[position] for name, position in layout.positions.items() if position < len(row.cells)}
        return self._checked(
            parsed,
            layout.fields,
            layout.rules,
            cells,
            layout.positions,
            lambda name: f"ligne {row.number}, colonne {name}",
        )

    def _checked(
        self,
        parsed: ParsedRecord,
        fields: tuple[Field, ...],
        rules: tuple[RowRule, ...],
        cells: dict[str, Any],
        present,
        where,
    ) -> ParsedRecord:
        checked = check_row(fields, rules, cells, present, where, self.personal)
        raw = self.to_raw(checked.values)
        parsed.key = self.shown_key(raw)
        parsed.violations.extend(checked.violations)
        if not parsed.violations:
            parsed.values = raw
            parsed.flags.extend(checked.flags)
        return parsed


class JsonRecordSource(RowSource):
    """A source of JSON records — an array of objects, or JSON lines (one object per line) —
    validated object by object with the same declaration: each declared field is the object's
    key of that name (an absent key or null: no value). Keys nothing declares are kept, whole,
    in ``other_keys_column``."""

    file_patterns = ("*.json", "*.jsonl", "*.ndjson")
    other_keys_column: ClassVar[str]

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (*super().columns, self.other_keys_column)

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        names = [field.name for field in self.fields]
        for number, text, record in _json_records(path):
            parsed = ParsedRecord(number=number, raw_text=None if self.personal else text)
            if isinstance(record, json.JSONDecodeError):
                parsed.violations.append(
                    Violation(WHOLE_RECORD, f"ligne {number} : JSON invalide ({record.msg}, colonne {record.colno})")
                )
            elif not isinstance(record, dict):
                parsed.violations.append(
                    Violation(WHOLE_RECORD, f"enregistrement {number} : la fiche n'est pas un objet JSON")
                )
            else:
                self._checked(
                    parsed,
                    self.fields,
                    self.rules,
                    record,
                    names,
                    lambda name, number=number: f"enregistrement {number}, champ {name}",
                )
                if parsed.values is not None:
                    parsed.values[self.other_keys_column] = {
                        key: value for key, value in record.items() if key not in names
                    }
            yield parsed


def _json_records(path: Path) -> Iterator[tuple[int, str, Any]]:
    """(number, text, object) per record: array index, or line number for JSON lines (an
    unreadable line is a json.JSONDecodeError in place of its object)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(f"{path.name} : le fichier n'est pas encodé en UTF-8 (octet {error.start}).") from error
    if not text.strip():
        raise FileRejected(f"{path.name} : fichier vide, aucun enregistrement.")
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise FileRejected(
                f"{path.name} : JSON invalide ligne {error.lineno}, colonne {error.colno} ({error.msg})."
            ) from error
        for number, record in enumerate(document, start=1):
            yield number, json.dumps(record, ensure_ascii=False), record
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            record = error
        yield number, line, record

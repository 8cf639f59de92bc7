"""Spreadsheet (XLSX) deliveries read as rows of text, the way a CSV export would give them.

The SPASER team keeps its registers in spreadsheets (sources.md: ``registre/*.(csv|xlsx)``). The
first sheet is read, streaming (openpyxl read-only mode), in memory: no plaintext copy of a
workbook is ever written to disk (registers of personal data included). Its first non-empty row is
the header. Cells come back as the text a French CSV export of the same sheet would hold — dates
as ``AAAA-MM-JJ``, whole numbers without ``.0`` — so that one set of casting rules serves both
formats. Row numbers are the sheet's own row numbers, which is what the team sees in the
spreadsheet.

Limits (a workbook is a zip of XML: a few kilobytes may declare or unpack to gigabytes): the
uncompressed size of the archive, and the sheet's rows and columns — declared in its dimension or
met while reading. A workbook beyond them is rejected before, or as soon as, it is read that far.

Interface, for any source that receives spreadsheets:
- ``read_xlsx_rows(path) -> (header, rows)``, ``rows`` an iterator of ``(row_number, cells)``
  (the Python row sources, spaser/ingest/rows.py);
- ``workbook_csv_bytes(path)``: the first sheet as UTF-8 ``;``-separated CSV bytes, every row
  (empty ones too, so that line numbers are the sheet's row numbers), for the Arrow loader of
  tabular sources (spaser/ingest/tabular.py).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook

from spaser.ingest.base import FileRejected

WORKBOOK_SUFFIX = ".xlsx"
MAX_UNCOMPRESSED_BYTES = 256 << 20
MAX_ROWS = 200_000
MAX_COLUMNS = 500


def cell_text(value) -> str:
    """The text of one cell as a CSV export would hold it ('' for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@contextmanager
def _first_sheet(path: Path):
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            raise FileRejected(
                f"{path.name} : classeur XLSX refusé, {unpacked >> 20} Mio une fois décompressé "
                f"(limite : {MAX_UNCOMPRESSED_BYTES >> 20} Mio)"
            )
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected(f"{path.name} : classeur XLSX illisible ({error}).") from error
    try:
        if not workbook.worksheets:
            raise FileRejected(f"{path.name} : classeur XLSX sans feuille.")
        sheet = workbook.worksheets[0]
        # The declared dimension (<dimension ref="A1:Z1000000"/>): read-only mode pads the gaps
        # up to it with empty rows, so a tiny file could otherwise keep the night busy.
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
        if declared_rows > MAX_ROWS or declared_columns > MAX_COLUMNS:
            raise FileRejected(_too_large(path, declared_rows, declared_columns))
        yield sheet
    finally:
        workbook.close()


def _too_large(path: Path, rows: int, columns: int) -> str:
    return (
        f"{path.name} : feuille trop grande ({rows} lignes, {columns} colonnes ; limites : "
        f"{MAX_ROWS} lignes, {MAX_COLUMNS} colonnes)."
    )


def _sheet_rows(path: Path, sheet) -> Iterator[tuple[int, list[str]]]:
    """Every row of the sheet, numbered, as text cells without trailing empty ones."""
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS or len(values) > MAX_COLUMNS:
            raise FileRejected(_too_large(path, number, len(values)))
        cells = [cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        yield number, cells


def read_xlsx_rows(path: Path) -> tuple[tuple[str, ...], Iterator[tuple[int, list[str]]]]:
    """Header and non-empty data rows of the first sheet; raise FileRejected when it is not a
    readable workbook within the limits."""
    stack = ExitStack()
    try:
        rows = _sheet_rows(path, stack.enter_context(_first_sheet(path)))
        header = next((tuple(cells) for _number, cells in rows if cells), None)
        if header is None:
            raise FileRejected(f"{path.name} : feuille vide, aucune ligne d'en-tête.")
    except BaseException:
        stack.close()
        raise

    def data_rows() -> Iterator[tuple[int, list[str]]]:
        with stack:
            yield from ((number, cells) for number, cells in rows if any(cells))

    return header, data_rows()


def workbook_csv_bytes(path: Path) -> bytes:
    """The first sheet as UTF-8 CSV (``;``-separated), in memory; raise FileRejected."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=";")
    with _first_sheet(path) as sheet:
        for _number, cells in _sheet_rows(path, sheet):
            writer.writerow(cells)
    return text.getvalue().encode("utf-8")

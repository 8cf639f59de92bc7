"""Spreadsheet (XLSX) deliveries read as rows of text, the way a CSV export would give them.

The SPASER team keeps its registers in spreadsheets (sources.md: ``registre/*.(csv|xlsx)``). The
first sheet is read; its first non-empty row is the header. Cells come back as the text a French
CSV export of the same sheet would hold — dates as ``AAAA-MM-JJ``, whole numbers without ``.0`` —
so that one set of casting rules serves both formats. Row numbers are the sheet's own row numbers,
which is what the team sees in the spreadsheet.

Interface (kept small on purpose, for any source that receives spreadsheets):
``read_xlsx_rows(path) -> (header, rows)`` with ``rows`` an iterator of ``(row_number, cells)``.
"""
from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterator

from openpyxl import load_workbook

from extract.base import FileRejected


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


def read_xlsx_rows(path: Path) -> tuple[tuple[str, ...], Iterator[tuple[int, list[str]]]]:
    """Header and data rows of the first sheet; raise FileRejected when it is not a workbook."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected(f"{path.name} : classeur XLSX illisible ({error}).") from error
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header: tuple[str, ...] | None = None
    header_row = 0
    for number, values in enumerate(rows, start=1):
        texts = [cell_text(value) for value in values]
        if any(texts):
            header, header_row = tuple(texts), number
            break
    if header is None:
        workbook.close()
        raise FileRejected(f"{path.name} : feuille vide, aucune ligne d'en-tête.")
    while header and not header[-1]:
        header = header[:-1]

    def data_rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(rows, start=header_row + 1):
                texts = [cell_text(value) for value in values]
                if any(texts):
                    yield number, texts
        finally:
            workbook.close()

    return header, data_rows()

"""XLSX deliveries of tabular sources, read through the CSV loader.

``extract.tabular`` reads CSV only (it streams the file's bytes through Arrow into COPY); it does
not read workbooks. A source whose ``file_patterns`` accept ``*.xlsx`` is therefore loaded from a
temporary mirror of its inbox folder (``readable_inbox``): CSV files are linked as they are, and
each workbook's first sheet is written, streaming (openpyxl read-only mode, one row in memory at a
time), as a UTF-8 CSV file under the workbook's own name. The loader then sees the same relative
path — lineage and quarantine messages name the workbook — and validates the rows with the same
rules as a CSV delivery. The conversion is deterministic, so a workbook delivered twice has the
same content hash and is loaded once. Cells are written as ``extract.xlsx.cell_text`` reads them
(the one rule for spreadsheet cells). Every row is written, empty ones included, so that line
numbers in quarantine messages are the sheet's row numbers.
"""
from __future__ import annotations

import csv
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from openpyxl import load_workbook

from extract.loader import source_files
from extract.xlsx import cell_text

WORKBOOK_SUFFIX = ".xlsx"
UNREADABLE_WORKBOOK = "classeur XLSX illisible"


def workbook_to_csv(workbook_path: Path, csv_path: Path) -> None:
    """Write the first sheet of the workbook as UTF-8 CSV (``;``-separated), row by row.

    A file that is not a readable workbook becomes a CSV whose only header cell says so: the
    loader rejects it, naming the required columns it lacks and quoting that header, and the
    night goes on.
    """
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        try:
            workbook = load_workbook(workbook_path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            writer.writerow([UNREADABLE_WORKBOOK])
            return
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                cells = [cell_text(value) for value in row]
                while cells and cells[-1] == "":
                    cells.pop()
                writer.writerow(cells)
        finally:
            workbook.close()


@contextmanager
def readable_inbox(source, inbox: Path) -> Iterator[Path]:
    """The inbox to load ``source`` from: ``inbox`` itself unless the source's folder holds workbooks."""
    files = source_files(source, inbox)
    if not any(path.suffix.lower() == WORKBOOK_SUFFIX for path in files):
        yield inbox
        return
    with tempfile.TemporaryDirectory(prefix="spaser_xlsx_") as mirror_dir:
        mirror = Path(mirror_dir)
        folder = mirror / source.source
        folder.mkdir(parents=True)
        for path in files:
            target = folder / path.name
            if path.suffix.lower() == WORKBOOK_SUFFIX:
                workbook_to_csv(path, target)
            else:
                target.symlink_to(path.resolve())
        yield mirror

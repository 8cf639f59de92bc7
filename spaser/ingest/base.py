"""The small interface every source extractor implements: read → validate → load raw.

Two families of sources share it:
- record sources (JSON deliveries such as DECP) yield one ``ParsedRecord`` per record, validated in
  Python, and the loader streams the good ones into the raw table with ``COPY``;
- tabular sources (CSV/XLSX exports) are read in blocks, validated and typed with Apache Arrow
  by the rules their ``TabularSource`` declares, and the good rows streamed with ``COPY``
  (spaser/ingest/tabular.py).
Both end the same way: good rows in the raw table with lineage columns, every violation of a bad
row in ``raw.quarantaine``, non-blocking findings in ``raw.signalements``, one row in ``raw.fichiers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from spaser.core.plan import SOURCE_EXTRACTORS
from spaser.core.schemas import RAW_STORAGE as STORAGE_SCHEMA

# The lineage stored on every raw row; raw.<table> adds the file's own (_source_file,
# _file_sha256, _loaded_at) from raw.fichiers: see spaser/db/migrations/0002_brut.sql.
ROW_LINEAGE_COLUMNS = ("_load_id", "_record_number")


def stored_rows_table(raw_table: str) -> str:
    """Where the loader writes the rows read through ``raw_table`` (``raw.x`` → ``raw_stockage.x``)."""
    return f"{STORAGE_SCHEMA}.{raw_table.split('.', 1)[1]}"


class FileRejected(Exception):
    """The whole file cannot be read (empty, truncated, wrong format, required column missing).

    The message is French and is shown to the data team as is.
    """


class SourceUnavailable(Exception):
    """The source cannot read any file tonight, for a reason that is no file's fault (its
    configuration: e.g. the pseudonymisation key). Its files are not touched; the extraction
    step fails with this French message."""


@dataclass(frozen=True)
class Violation:
    field: str  # JSON path (DECP) or column name (CSV)
    message: str  # French


@dataclass
class ParsedRecord:
    number: int  # 1-based record index (JSON) or physical line (CSV, header = line 1)
    raw_text: str | None  # the record as delivered, for the quarantine (None: personal source)
    key: str | None = None  # business key when readable, e.g. "21260362500011|2022-0042"
    values: dict[str, Any] | None = None  # raw-table column -> value, when the record is valid
    violations: list[Violation] = field(default_factory=list)  # blocking: record quarantined
    flags: list[Violation] = field(default_factory=list)  # non-blocking: record loaded

    @property
    def quarantined(self) -> bool:
        return bool(self.violations)


@dataclass(frozen=True)
class FileLineage:
    load_id: int
    source: str
    fichier: str  # path relative to the inbox
    sha256: str


@dataclass
class LoadCounts:
    nb_enregistrements: int = 0
    nb_charges: int = 0
    nb_quarantaine: int = 0
    nb_signalements: int = 0
    message: str | None = None  # how the file was read, when it is worth telling


_SOURCE_OF_EXTRACTOR = {reference: name for name, reference in SOURCE_EXTRACTORS.items()}


def name_after_registry(extractor: type) -> None:
    """An extractor of the night's plan (spaser.core.plan.SOURCE_EXTRACTORS) takes its ``source``, the
    inbox folder it reads, from there: the plan is the one place that pairs folder and extractor."""
    name = _SOURCE_OF_EXTRACTOR.get(f"{extractor.__module__}:{extractor.__qualname__}")
    if name is not None:
        extractor.source = name


class RecordSource:
    """A source whose files are parsed and validated record by record in Python."""

    source: ClassVar[str]  # inbox sub-folder, e.g. "marches/decp" (name_after_registry)
    raw_table: ClassVar[str]  # e.g. "raw.marches_decp"
    columns: ClassVar[tuple[str, ...]]  # raw-table columns filled from ParsedRecord.values
    file_patterns: ClassVar[tuple[str, ...]]  # e.g. ("*.json",)
    # Personal data: no message, quarantine record or log line ever holds one of its cell values.
    personal: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        name_after_registry(cls)

    def prepare(self, conn) -> None:
        """Called once a night, before the source's first file; raise SourceUnavailable."""

    def read(self, path: Path) -> Iterator[ParsedRecord]:
        """Yield every record of the file; raise FileRejected when the file cannot be read."""
        raise NotImplementedError

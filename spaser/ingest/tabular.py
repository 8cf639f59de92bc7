"""Tabular (CSV) sources: parse, validate and type the file in Apache Arrow, COPY the good rows.

A tabular source declares its columns (``Field``s of spaser/ingest/fields.py: name as the standard
spells it, type, whether the header must have it, whether a value is mandatory), its rules across
columns (``RowRule``s with a vectorised check) and whether a file may repeat a business key.
Loading one file:

1. the header line is read to sniff the separator (``;``, ``,`` or tab: the most frequent one) and
   to map the file's columns (any order, names compared case-insensitively) onto the declared
   ones — a missing required column rejects the file, an extra column is reported once;
2. the rest of the file is read in blocks of whole records (about ``BLOCK_BYTES``: memory stays
   flat whatever the file size), each parsed by Arrow's CSV reader into text columns;
3. every block is validated and typed with the types' vectorised readers (low-cardinality
   types — dates, booleans, codes, numbers — are read once per distinct value), then checked
   against the row rules and, where the source says so, against the keys already met in the
   file (``_KeysSeen``: a repeated key quarantines the later row, the first loads); the good
   rows, typed, go straight into the raw table's stored rows through ``COPY`` — in PostgreSQL's
   binary format when every column has one, see COPY_OPTIONS — (the load id comes from the
   column's default, the file's own lineage from raw.fichiers); the bad rows (rare) get one
   ``raw.quarantaine`` row per violation, with the message the Python row loader would give
   (spaser/ingest/fields.py), and a non-blocking finding (a SIRET failing its check digit) one
   ``raw.signalements`` row (spaser/ingest/findings.py writes both). A Windows-1252 file is transcoded
   column by column, only where the source reads it (see ``_BlockLoader._parse_with_arrow``).

A block Arrow cannot take whole — bytes invalid in the detected encoding, a record with the wrong
number of fields, a blank line, a quoted cell spanning lines — is re-read line by line with
Python's csv module, so that every line gets its exact number, malformed records are
quarantined with their defect and blank lines reported, while the good lines still load.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import functools
import io
import itertools
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from psycopg import sql

from spaser.core.faults import fault_point
from spaser.ingest.base import FileLineage, FileRejected, LoadCounts, name_after_registry, stored_rows_table
from spaser.ingest.fields import (
    BLANKS,
    MISSING_PROBLEM,
    Field,
    FieldType,
    RowRule,
    normalized,
    not_null,
    problem_message,
    string_buffers,
)
from spaser.ingest.findings import Quarantined, Signalement, record_findings
from spaser.ingest.xlsx import WORKBOOK_SUFFIX, workbook_csv_bytes

# The loader allocates and frees buffers of a few MB block after block: glibc's allocator keeps
# and reuses them, while mimalloc, pyarrow's default pool, hands freed pages back to the system
# and faults them in again for the next block (benchmarks/bench_loader.py, ×1: 0.23-0.25 s
# with mimalloc, 0.18-0.23 s with this pool; peak memory 191 → 157 MiB).
pa.set_memory_pool(pa.system_memory_pool())
# glibc itself, by default, serves an allocation above a threshold that grows with the blocks
# from fresh pages, and gives back the freed top of its heap once it exceeds twice that: a
# block's working set (a few times its size) then goes back to the system between two blocks
# and is faulted in again, 3,000-4,000 page faults for a 2 MiB block, a fifth of its parse.
# Fixed thresholds above a block's working set keep it for the next block (×1: 134 → 124 ms,
# same peak memory).
GLIBC_M_TRIM_THRESHOLD, GLIBC_M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
if sys.platform.startswith("linux") and (_mallopt := getattr(ctypes.CDLL(None), "mallopt", None)):
    _mallopt(GLIBC_M_MMAP_THRESHOLD, 32 << 20)
    _mallopt(GLIBC_M_TRIM_THRESHOLD, 64 << 20)

ENCODING_LABELS = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}
DELIMITERS = (";", ",", "\t")
HEADER_MAX_BYTES = 1 << 20
BLOCK_BYTES = 4 << 20
FIRST_BLOCK_BYTES = 256 << 10
HEADER_LINE = 1  # physical line of the header
MALFORMED_FIELD = "ligne"  # raw.quarantaine.champ of a record that could not be split into columns
BLANK_LINES_LISTED = 20


class TabularSource:
    """A CSV source validated in Arrow and COPYed into its raw table (see the module docstring)."""

    source: ClassVar[str]  # inbox sub-folder (spaser.ingest.base.name_after_registry)
    raw_table: ClassVar[str]
    columns: ClassVar[tuple[Field, ...]]
    key_columns: ClassVar[tuple[str, ...]]  # business key, shown in raw.quarantaine.cle
    # Rules across the columns of a row: each needs its vectorised check (RowRule.vector).
    rules: ClassVar[tuple[RowRule, ...]] = ()
    # A file holds each business key once: a row repeating an earlier row's key is quarantined,
    # the first one loads (a correction comes in a later file).
    key_unique_in_file: ClassVar[bool] = False
    # Raw-table columns computed from the block's typed values (column name -> array), e.g. a
    # label from the shape of an identifier; written after the declared columns.
    derived_columns: ClassVar[dict[str, Callable[[dict[str, pa.Array]], pa.Array]]] = {}
    file_patterns: ClassVar[tuple[str, ...]] = ("*.csv",)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        name_after_registry(cls)
        # Blocks are checked at once: a rule written for one row only would fail every file.
        if unvectorised := [rule.field for rule in cls.rules if rule.vector is None]:
            raise TypeError(f"{cls.__name__}: row rules without their vectorised check: {unvectorised}")

    def prepare(self, conn: psycopg.Connection) -> None:
        """Called once a night, before the source's first file (see RecordSource.prepare)."""


# ---------------------------------------------------------------- reading the header


@dataclass(frozen=True)
class CsvLayout:
    encoding: str  # Python codec: 'utf-8' or 'cp1252'
    delimiter: str
    header: tuple[str, ...]  # the file's column names, as delivered (BOM and blanks removed)


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``;``, ``,`` and tab in the header line (``,`` for a single column)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_layout(path: Path, encoding: str) -> CsvLayout:
    with path.open("rb") as stream:
        return layout_of(stream.readline(HEADER_MAX_BYTES), encoding)


def layout_of(first_line: bytes, encoding: str) -> CsvLayout:
    """The layout a file's first line (up to its ``\\n``, at most HEADER_MAX_BYTES) gives."""
    if not first_line.strip():
        raise FileRejected("fichier vide : aucune ligne d'en-tête")
    if first_line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in first_line:
        raise FileRejected(
            "encodage non pris en charge : le fichier est en UTF-16 (ou contient un octet nul dans "
            "l'en-tête) ; l'enregistrer en CSV UTF-8 ou Windows-1252"
        )
    if b"\r" in first_line.rstrip(b"\r\n"):
        raise FileRejected(
            "fins de ligne « CR » seules (ancien format Mac) : enregistrer le fichier avec des fins "
            "de ligne Windows (CRLF) ou Unix (LF)"
        )
    if not first_line.endswith(b"\n") and len(first_line) == HEADER_MAX_BYTES:
        raise FileRejected("en-tête illisible : la première ligne dépasse 1 Mo, ce n'est pas un fichier CSV")
    text = first_line.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    delimiter = sniff_delimiter(text)
    header = tuple(name.strip() for name in next(csv.reader([text], delimiter=delimiter)))
    return CsvLayout(encoding=encoding, delimiter=delimiter, header=header)


@dataclass(frozen=True)
class ColumnMapping:
    """Declared column -> position in the file (1-based), and the file's columns nobody reads."""

    positions: dict[str, int]
    extra: tuple[str, ...]


def map_columns(columns, header: tuple[str, ...], quote_header: bool = True) -> ColumnMapping:
    """Header-driven reading of any declared columns (objects with ``name`` and ``required``).
    ``quote_header=False``: a rejection does not quote the header read (the first line of a file
    without header is a row of data)."""
    declared = {column.name.lower(): column.name for column in columns}
    positions: dict[str, int] = {}
    extra = []
    for position, name in enumerate(header, start=1):
        column_name = declared.get(name.lower())
        if column_name is None:
            extra.append(name)
        elif column_name in positions:
            raise FileRejected(f"en-tête invalide : la colonne « {column_name} » apparaît deux fois")
        else:
            positions[column_name] = position
    missing = [column.name for column in columns if column.required and column.name not in positions]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise FileRejected(
            f"colonne{plural} obligatoire{plural} absente{plural} de l'en-tête : {', '.join(missing)}"
            + (f" (en-tête lu : {', '.join(header)})" if quote_header else "")
        )
    return ColumnMapping(positions=positions, extra=tuple(extra))


# ---------------------------------------------------------------- loading


class TabularParse:
    """A CSV file of ``source`` (or a workbook, as the CSV text of its first sheet rendered in
    memory by spaser.ingest.xlsx: never written to disk) read, validated and written as COPY bodies by
    a thread, at most a few blocks ahead of PostgreSQL.

    The loader starts it as soon as it takes the file, with the encoding the file's start
    suggests, so that the first blocks are parsed while the whole file is hashed and its load
    registered: on a small file, that hashing is as long as parsing the first blocks. Nothing is
    written before ``load``; a failure to read the header (any exception) is raised there; ``close`` stops the
    thread (a file already loaded is not loaded again)."""

    def __init__(self, source: TabularSource, path: Path, encoding: str):
        self.source, self.path = source, path
        # A workbook is read as the CSV text of its first sheet, rendered in memory (UTF-8).
        self.workbook = path.suffix.lower() == WORKBOOK_SUFFIX
        self._start(encoding)

    def _open(self) -> tuple[io.BufferedIOBase, int]:
        if self.workbook:
            text = workbook_csv_bytes(self.path)
            return io.BytesIO(text), len(text)
        stream = self.path.open("rb")
        return stream, os.fstat(stream.fileno()).st_size

    def _start(self, encoding: str) -> None:
        self.encoding = "utf-8" if self.workbook else encoding
        self._stream = None
        self._bodies: _Prefetched | None = None
        self._failure: Exception | None = None
        try:
            self._stream, size = self._open()
            header = self._stream.readline(HEADER_MAX_BYTES)
            layout = layout_of(header, self.encoding)
            self._loader = _BlockLoader(
                self.source, layout, map_columns(self.source.columns, layout.header), self.path.name
            )
        except Exception as failure:  # raised by load(), inside the file's transaction
            self._failure = failure
            return
        self._bodies = _Prefetched(
            self._loader.copy_bodies(_record_blocks(self._stream, size - len(header))), max_bytes=2 * BLOCK_BYTES
        )

    def load(self, conn: psycopg.Connection, lineage: FileLineage, encoding: str) -> LoadCounts:
        """Load the file inside the caller's transaction, in ``encoding`` (the whole file's);
        raise FileRejected."""
        if not self.workbook and encoding != self.encoding:  # bytes invalid in UTF-8 past the file's start
            self.close()
            self._start(encoding)
        if self._failure is not None:
            raise self._failure
        loader = self._loader
        with _file_load_id_default(conn, loader.stored_table, lineage.load_id):
            # One COPY per run of blocks written in the same format (usually one).
            for copy_format, run in itertools.groupby(self._bodies, key=lambda body: body.copy_format):
                opening, closing = COPY_FRAMES.get(copy_format, (b"", b""))
                with conn.cursor() as cursor, cursor.copy(loader.copy_statements[copy_format]) as copy:
                    copy.write(opening)
                    for body in run:
                        copy.write(body.rows)
                        fault_point("copy_mid")
                    copy.write(closing)
        return loader.finish(conn, lineage)

    def close(self) -> None:
        if self._bodies is not None:
            self._bodies.close()
        if self._stream is not None:
            self._stream.close()


@contextmanager
def _file_load_id_default(conn: psycopg.Connection, stored_table: str, load_id: int) -> Iterator[None]:
    """The file's load id as the literal default of _load_id for the time of its load.

    The load id, constant within a file, reaches the rows through the column default rather than
    through COPY, and as a literal: PostgreSQL evaluates a default on every row, and the resting
    one (spaser/db/migrations/0004_vues_brutes.sql, which makes a write without lineage fail) calls
    current_setting. The default in place is put back before the file's transaction ends, and a
    failed load rolls both changes back; in between, the ALTER TABLE keeps other sessions off
    this table, which no step reads while its source loads (extraction, then the raw checks,
    then dbt).
    """
    with conn.pipeline():  # one round trip
        in_place = conn.execute(
            "select pg_get_expr(default_value.adbin, default_value.adrelid)"
            " from pg_attribute as attribute join pg_attrdef as default_value"
            " on default_value.adrelid = attribute.attrelid and default_value.adnum = attribute.attnum"
            " where attribute.attrelid = %s::regclass and attribute.attname = '_load_id'",
            (stored_table,),
        )
        conn.execute(_load_id_default(stored_table, sql.Literal(load_id)))
    resting = in_place.fetchone()
    yield
    conn.execute(_load_id_default(stored_table, sql.SQL(resting[0]) if resting else sql.NULL))


def _load_id_default(stored_table: str, value: sql.Composable) -> sql.Composed:
    return sql.SQL("alter table {table} alter column _load_id set default {value}").format(
        table=sql.SQL(stored_table), value=value
    )


class _Prefetched:
    """The COPY bodies of ``items``, produced by a thread started at once and kept at most
    ``max_bytes`` ahead (plus the body being made: memory stays bounded); an exception of the
    producer is raised by the iteration. ``close`` stops the producer, whether the bodies were all
    taken or not.

    The bound is in bytes rather than in bodies: a file's first blocks are small (see
    _record_blocks), and while the loader hashes the file and registers its load, PostgreSQL has
    nothing to do yet; the thread then parses as many of them as two full blocks weigh, which
    PostgreSQL finds ready instead of waiting for each in turn."""

    _DONE = object()

    def __init__(self, items: Iterator[CopyBody], max_bytes: int):
        self._ready: deque = deque()
        self._ready_bytes = 0
        self._max_bytes = max_bytes
        self._changed = threading.Condition()
        self._stop = False
        self._producer = threading.Thread(target=self._produce, args=(items,), name="tabular-blocks", daemon=True)
        self._producer.start()

    def _produce(self, items: Iterator[CopyBody]) -> None:
        try:
            for item in items:
                if not self._put(item, len(item.rows)):
                    return
            self._put(self._DONE, 0)
        except BaseException as error:  # handed over to the consumer, which raises it
            self._put(error, 0)

    def _put(self, item, size: int) -> bool:
        with self._changed:
            self._changed.wait_for(lambda: self._stop or self._ready_bytes < self._max_bytes)
            if self._stop:
                return False
            self._ready.append((item, size))
            self._ready_bytes += size
            self._changed.notify_all()
            return True

    def __iter__(self) -> Iterator[CopyBody]:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._ready)
                item, size = self._ready.popleft()
                self._ready_bytes -= size
                self._changed.notify_all()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        with self._changed:
            self._stop = True
            self._ready.clear()
            self._changed.notify_all()
        self._producer.join()


def _newlines(block: bytes) -> int:
    # numpy compares the bytes at once, where bytes.count stops on every one of the ~25,000 lines
    # of a 2 MiB block (0.13 ms against 0.77).
    return int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")))


def _record_boundary(block: bytes) -> int:
    """Index of the last newline of ``block`` outside a quoted cell (-1 if none): a newline
    preceded by an even number of quote characters ends a record ("" escapes count twice)."""
    if b'"' not in block:
        return block.rfind(b"\n")
    quotes = block.count(b'"')
    quotes_after = 0
    end = len(block)
    while (newline := block.rfind(b"\n", 0, end)) >= 0:
        quotes_after += block.count(b'"', newline, end)
        if (quotes - quotes_after) % 2 == 0:
            return newline
        end = newline
    return -1


def _record_blocks(stream, size_of_rest: int) -> Iterator[bytes]:
    """The rest of the file (``size_of_rest`` bytes) in blocks of whole lines. PostgreSQL and the
    parsing thread work side by side, block after block, so the first and the last blocks are
    small: the first (FIRST_BLOCK_BYTES, then doubling) lets PostgreSQL start sooner, the last
    (halving as the end of the file nears) leaves it little to do once the parsing is over; in
    between, blocks of BLOCK_BYTES keep the cost per block low. On small files these two waits
    are most of the load time. An unbalanced quote (a malformed file) would make a record run to
    the end of the file: the block is then cut at its last newline anyway once it reaches four
    times the usual size."""
    pending = b""
    size = min(FIRST_BLOCK_BYTES, BLOCK_BYTES)
    while chunk := stream.read(size):
        size_of_rest -= len(chunk)
        size = min(2 * size, BLOCK_BYTES, max(FIRST_BLOCK_BYTES, size_of_rest // 2))
        if size < size_of_rest < size + FIRST_BLOCK_BYTES // 2:  # no tiny last block: it costs as much as a small one
            size = size_of_rest
        block = pending + chunk
        cut = block.rfind(b"\n") if len(block) >= 4 * BLOCK_BYTES else _record_boundary(block)
        if cut < 0:
            pending = block
            continue
        yield block[: cut + 1]
        pending = block[cut + 1 :]
    if pending:
        yield pending


@dataclass
class _Rows:
    """Records of one block: their cells as delivered (one text column per header column), their
    record number and physical line, and for the malformed ones their defect and raw text."""

    cells: list[pa.Array]
    records: np.ndarray
    lines: np.ndarray
    defects: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (defect, delivered text)


class _BlockLoader:
    def __init__(self, source: TabularSource, layout: CsvLayout, mapping: ColumnMapping, file_name: str):
        self.source, self.layout, self.mapping = source, layout, mapping
        self.width = len(layout.header)
        self.records = 0
        self.counts = LoadCounts()
        self.malformed = 0
        self.first_defect: str | None = None
        self.blank_count = 0
        self.blank_lines: list[int] = []
        # Problems are few (bounded by the file's defects): written, with the file's lineage,
        # once the COPY is over.
        self.quarantined: list[Quarantined] = []
        self.signalements: list[Signalement] = []
        self.file_name = file_name
        self.keys_seen = _KeysSeen() if source.key_unique_in_file else None
        self.stored_table = stored_rows_table(source.raw_table)
        self.binary_copy = all(column.type.binary_copy for column in source.columns)
        raw_columns = [
            "_record_number",  # _load_id: the column default (see _file_load_id_default)
            *(column.name for column in source.columns),
            *source.derived_columns,
        ]
        self.copy_statements = {
            copy_format: sql.SQL("copy {table} ({columns}) from stdin ({options})").format(
                table=sql.SQL(self.stored_table),
                columns=sql.SQL(", ").join(map(sql.Identifier, raw_columns)),
                options=sql.SQL(options),
            )
            for copy_format, options in COPY_OPTIONS.items()
        }
        self.read_options = pa_csv.ReadOptions(
            column_names=[f"c{position}" for position in range(1, self.width + 1)],
            use_threads=False,
            block_size=BLOCK_BYTES * 4 + 1,
        )
        self.parse_options = pa_csv.ParseOptions(
            delimiter=layout.delimiter,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=lambda row: "skip",
        )
        self.transcoded = layout.encoding != "utf-8"
        self.read_positions = set(mapping.positions.values())
        cell_type = pa.binary() if self.transcoded else pa.string()
        self.convert_options = pa_csv.ConvertOptions(
            column_types={f"c{position}": cell_type for position in range(1, self.width + 1)},
            strings_can_be_null=False,
        )

    # ------------------------------------------------------------ parsing

    def copy_bodies(self, blocks: Iterator[bytes]) -> Iterator[CopyBody]:
        """For every block: its good rows, typed, as a COPY body; problems are kept for later."""
        line = HEADER_LINE
        for block in blocks:
            line_count = _newlines(block) + (not block.endswith(b"\n"))
            rows = self._parse_with_arrow(block, line + 1, line_count)
            if rows is None:
                rows = self._parse_with_python(block, line + 1)
            line += line_count
            self.records += len(rows.records)
            if len(rows.records) and (body := self._validate(rows)):
                yield body

    def _parse_with_arrow(self, block: bytes, first_line: int, line_count: int) -> _Rows | None:
        """Arrow's parse of a block of one record per line, else None (the block needs Python).

        A UTF-8 file is read as text (Arrow checks the bytes). A Windows-1252 one is read as bytes
        and only the columns the source reads are transcoded, one column at a time (most are
        ASCII: codes, dates, identifiers), rather than the whole block."""
        undefined_bytes = _single_byte_codec(self.layout.encoding).undefined if self.transcoded else ()
        if any(byte in block for byte in undefined_bytes):
            return None
        try:
            table = pa_csv.read_csv(
                pa.BufferReader(block),
                read_options=self.read_options,
                parse_options=self.parse_options,
                convert_options=self.convert_options,
            )
        except pa.ArrowInvalid:  # invalid UTF-8
            return None
        # Fewer rows than lines: blank or malformed lines skipped, or quoted cells spanning lines.
        if table.num_rows != line_count:
            return None
        # Copied even from a single chunk, on purpose: the chunk keeps the reader's buffers for the
        # whole block alive (×10: peak memory 250 MiB with the chunk itself, 215 with the copy).
        cells = [column.combine_chunks() for column in table.columns]
        if self.transcoded:
            cells = [
                _to_utf8(cell, self.layout.encoding) if position in self.read_positions else cell
                for position, cell in enumerate(cells, start=1)
            ]
        offsets = np.arange(1, line_count + 1)
        return _Rows(cells=cells, records=self.records + offsets, lines=first_line - 1 + offsets)

    def _parse_with_python(self, block: bytes, first_line: int) -> _Rows:
        encoding_label = ENCODING_LABELS[self.layout.encoding]
        undecodable: set[int] = set()
        reader = csv.reader(
            _decoded_lines(block, self.layout.encoding, first_line, undecodable), delimiter=self.layout.delimiter
        )
        cells: list[list[str]] = [[] for _ in range(self.width)]
        records, lines, defects = [], [], {}
        last_line = first_line - 1
        while True:
            try:
                fields = next(reader)
                defect = None
            except StopIteration:
                break
            except csv.Error as error:
                fields, defect = [], f"ligne illisible en CSV ({error})"
            start, last_line = last_line + 1, first_line - 1 + reader.line_num
            if not fields and defect is None:
                self.blank_count += 1
                if len(self.blank_lines) < BLANK_LINES_LISTED:
                    self.blank_lines.append(start)
                continue
            undecodable_here = [line for line in undecodable if start <= line <= last_line]
            if defect is None and undecodable_here:
                defect = f"octets invalides pour l'encodage {encoding_label} (caractère remplacé par « \ufffd »)"
            elif defect is None and len(fields) != self.width:
                defect = f"{len(fields)} champ(s) au lieu des {self.width} de l'en-tête"
            if defect is not None:
                # The cells that could be split are kept too, so that the business key is shown.
                defects[len(records)] = (f"ligne {start} : {defect}", self.layout.delimiter.join(fields))
                fields = (fields + [""] * self.width)[: self.width]
            for column, value in zip(cells, fields, strict=False):
                column.append(value)
            records.append(self.records + len(records) + 1)
            lines.append(start)
        return _Rows(
            cells=[pa.array(column, type=pa.string()) for column in cells],
            records=np.array(records, dtype=np.int64),
            lines=np.array(lines, dtype=np.int64),
            defects=defects,
        )

    # ------------------------------------------------------------ validating and loading

    def _validate(self, rows: _Rows) -> CopyBody | None:
        count = len(rows.records)
        valid = np.ones(count, dtype=bool)
        if rows.defects:
            valid[list(rows.defects)] = False
        texts: dict[str, pa.Array | None] = {}
        values: dict[str, pa.Array] = {}
        problems: dict[str, np.ndarray] = {}  # column -> rows whose cell is not valid
        for column in self.source.columns:
            position = self.mapping.positions.get(column.name)
            if position is None:
                texts[column.name] = None
                values[column.name] = pa.nulls(count, type=column.type.arrow_type)
                missing = np.full(count, column.mandatory)
                problems[column.name] = missing
                valid &= ~missing
                continue
            text = _trimmed(rows.cells[position - 1])
            value = _read(column.type, text)
            present = not_null(text)
            bad = present & ~not_null(value)
            if column.mandatory:
                bad |= ~present
            texts[column.name], problems[column.name] = text, bad
            valid &= ~bad
            if column.type.when_empty is not None and value.null_count:
                value = pc.fill_null(value, column.type.when_empty)
            values[column.name] = value
        broken = []  # (rule, rows breaking it), checked where the cells it reads are valid
        for rule in self.source.rules:
            unread = np.logical_or.reduce([problems[name] for name in rule.columns])
            broken.append((rule, rule.vector(values) & ~unread))
            valid &= ~broken[-1][1]
        repeated = self._repeated_keys(rows, valid, values) if self.source.key_unique_in_file else {}
        if repeated:
            valid[list(repeated)] = False
        self._note_problems(rows, valid, texts, values, problems, broken, repeated)
        return self._good_rows_body(rows, valid, values)

    def _repeated_keys(self, rows: _Rows, valid: np.ndarray, values: dict[str, pa.Array]) -> dict[int, int]:
        """Valid rows whose business key an earlier valid row of the file holds: row -> that
        earlier row's line."""
        candidates = np.flatnonzero(valid)
        if not len(candidates):
            return {}
        keep = None if len(candidates) == len(valid) else pa.array(valid)
        parts = [
            pc.cast(values[name] if keep is None else values[name].filter(keep), pa.string())
            for name in self.source.key_columns
        ]
        keys = pc.binary_join_element_wise(*parts, "\x1f", null_handling="replace", null_replacement="")
        return {
            int(candidates[index]): first
            for index, first in self.keys_seen.repeats(*_key_hashes(keys), rows.lines[candidates]).items()
        }

    def _good_rows_body(self, rows: _Rows, valid: np.ndarray, values: dict[str, pa.Array]) -> CopyBody | None:
        loaded = int(valid.sum())
        if not loaded:
            return None
        keep = None if loaded == len(valid) else pa.array(valid)
        written = [*values.values(), *(derive(values) for derive in self.source.derived_columns.values())]
        columns = [
            pa.array((rows.records if keep is None else rows.records[valid]).astype(np.int32)),
            *(value if keep is None else value.filter(keep) for value in written),
        ]
        self.counts.nb_charges += loaded
        return _binary_body(columns) if self.binary_copy else _text_body(columns)

    def _note_problems(self, rows, valid, texts, values, problems, broken, repeated) -> None:
        quarantined = np.flatnonzero(~valid)
        for row in quarantined.tolist():
            line = int(rows.lines[row])
            key = self._key(texts, row)
            if row in rows.defects:
                defect, delivered = rows.defects[row]
                self.malformed += 1
                self.first_defect = self.first_defect or defect
                self.quarantined.append(Quarantined(line, key, MALFORMED_FIELD, defect, delivered))
                continue
            delivered = self.layout.delimiter.join(
                _cell_text(cells[row].as_py(), self.layout.encoding) for cells in rows.cells
            )
            where = f"ligne {line}, colonne {{}}".format
            for column in self.source.columns:
                if not problems[column.name][row]:
                    continue
                text = texts[column.name][row].as_py() if texts[column.name] is not None else None
                message = (
                    f"{where(column.name)} : {MISSING_PROBLEM}"
                    if text is None
                    else problem_message(
                        where(column.name), text, column.type.problem_of(normalized(text, column.type))
                    )
                )
                self.quarantined.append(Quarantined(line, key, column.name, message, delivered))
            for rule, rows_breaking in broken:
                if rows_breaking[row]:
                    problem = rule.problem({name: values[name][row].as_py() for name in rule.columns})
                    self.quarantined.append(
                        Quarantined(line, key, rule.field, f"{where(rule.field)} : {problem}", delivered)
                    )
            if row in repeated:
                self.quarantined.append(
                    Quarantined(
                        line,
                        key,
                        MALFORMED_FIELD,
                        (
                            f"ligne {line} : même {', '.join(self.source.key_columns)} que la ligne {repeated[row]} du "
                            f"fichier {self.file_name} : ligne répétée, seule la première est chargée"
                        ),
                        delivered,
                    )
                )
        signalements = []
        for column in self.source.columns:
            if column.type.vector_flag is None or texts[column.name] is None:
                continue
            flagged = column.type.vector_flag(values[column.name]) & valid
            for row in np.flatnonzero(flagged).tolist():
                line = int(rows.lines[row])
                signalements.append(
                    Signalement(
                        line,
                        self._key(texts, row),
                        column.name,
                        problem_message(
                            f"ligne {line}, colonne {column.name}",
                            values[column.name][row].as_py(),
                            column.type.flag_problem,
                        ),
                    )
                )
        self.signalements.extend(signalements)
        self.counts.nb_quarantaine += len(quarantined)
        self.counts.nb_signalements += len(signalements)

    def _key(self, texts: dict[str, pa.Array | None], row: int) -> str:
        return "|".join(
            (texts[name][row].as_py() or "") if texts[name] is not None else "" for name in self.source.key_columns
        )

    def finish(self, conn: psycopg.Connection, lineage: FileLineage) -> LoadCounts:
        if self.records and self.malformed == self.records:
            raise FileRejected(
                f"fichier illisible : aucune des {self.records} ligne(s) de données n'a la forme de l'en-tête "
                f"(première : {self.first_defect})"
            )
        if self.blank_count:
            shown = ", ".join(map(str, self.blank_lines)) + (
                ", ..." if self.blank_count > len(self.blank_lines) else ""
            )
            self.signalements.append(
                Signalement(
                    self.blank_lines[0],
                    None,
                    MALFORMED_FIELD,
                    f"{self.blank_count} ligne(s) vide(s) ignorée(s) : {shown}",
                )
            )
            self.counts.nb_signalements += 1
        if self.malformed or self.blank_count:
            self.counts.message = (
                f"lecture de secours ligne à ligne des passages que l'analyseur CSV n'a pas acceptés : "
                f"{self.malformed} ligne(s) mal formée(s) mise(s) en quarantaine, "
                f"{self.blank_count} ligne(s) vide(s) ignorée(s)"
            )
        self.signalements.extend(
            Signalement(
                HEADER_LINE,
                None,
                name or "(sans nom)",
                f"colonne « {name} » non prévue par le format de la source : ignorée",
            )
            for name in self.mapping.extra
        )
        self.counts.nb_signalements += len(self.mapping.extra)
        record_findings(conn, lineage, self.quarantined, self.signalements)
        self.counts.nb_enregistrements = self.counts.nb_charges + self.counts.nb_quarantaine
        return self.counts


_HASH_STARTS = (np.uint64(0xCBF29CE484222325), np.uint64(0x6A09E667F3BCC909))
_HASH_MULTIPLIERS = (np.uint64(0x100000001B3), np.uint64(0x9E3779B97F4A7C15))
_SPLITMIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _mixed(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the result depends on every bit of the value."""
    values = (values ^ (values >> np.uint64(30))) * _SPLITMIX[0]
    values = (values ^ (values >> np.uint64(27))) * _SPLITMIX[1]
    return values ^ (values >> np.uint64(31))


def _key_hashes(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of each key: its bytes laid in a zero-padded matrix (the
    boolean mask of each row's length takes the array's bytes in order), read eight bytes at a
    time, word column by word column (a key is a few dozen bytes: a few numpy operations)."""
    offsets, data = string_buffers(keys)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    width = max(8, -(-int(lengths.max(initial=0)) // 8) * 8)
    padded = np.zeros((len(keys), width), dtype=np.uint8)
    padded[np.arange(width)[None, :] < lengths[:, None]] = data[offsets[0] : offsets[-1]]
    hashes = [np.full(len(keys), start, dtype=np.uint64) ^ lengths.astype(np.uint64) for start in _HASH_STARTS]
    for word in padded.view("<u8").T:
        hashes[0] = (hashes[0] ^ word) * _HASH_MULTIPLIERS[0]
        hashes[1] = (hashes[1] + word) * _HASH_MULTIPLIERS[1]
        hashes[1] ^= hashes[1] >> np.uint64(32)
    return _mixed(hashes[0]), _mixed(hashes[1])


def _merged(older: tuple[np.ndarray, ...], newer: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Two runs sorted by their first array, as one (a pass over both: no sort)."""
    size = len(older[0]) + len(newer[0])
    at_newer = np.searchsorted(older[0], newer[0], side="right") + np.arange(len(newer[0]))
    from_older = np.ones(size, dtype=bool)
    from_older[at_newer] = False
    at_older = np.flatnonzero(from_older)  # positions, not a mask: three arrays are placed with them
    merged = []
    for old_part, new_part in zip(older, newer, strict=False):
        part = np.empty(size, dtype=old_part.dtype)
        part[at_newer], part[at_older] = new_part, old_part
        merged.append(part)
    return tuple(merged)


class _KeysSeen:
    """The business keys of a file's rows loaded so far, each as two 64-bit hashes (two keys
    taken for one another would need both to collide: about one chance in 10^25 for ten million
    keys) with the line of the row holding it: 20 bytes a row. A bitmap of the first hashes
    (16 MiB, its pages touched only where keys fall) tells at once the keys never met, nearly all;
    the others are looked up in sorted runs, merged two by two as they grow (as many runs as the
    binary digits of the number of blocks), so that neither lookups nor insertions cost a pass
    over every key met."""

    BITMAP_BITS = 27

    def __init__(self) -> None:
        self.bitmap = np.zeros(1 << (self.BITMAP_BITS - 3), dtype=np.uint8)
        self.runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (hashes sorted, checks, lines)

    def repeats(self, hashes: np.ndarray, checks: np.ndarray, lines: np.ndarray) -> dict[int, int]:
        """Index (in the arrays given, a block's rows in line order) -> line of the earlier row
        holding the same key; the keys met for the first time are remembered."""
        order = np.argsort(hashes, kind="stable")  # a key's rows together, first line first
        if ((hashes[order][1:] == hashes[order][:-1]) & (checks[order][1:] != checks[order][:-1])).any():
            order = np.lexsort((checks, hashes))  # two keys of the block share a first hash (rare)
        hashes, checks, lines = hashes[order], checks[order], lines[order]
        first_of_run = np.ones(len(order), dtype=bool)
        first_of_run[1:] = (hashes[1:] != hashes[:-1]) | (checks[1:] != checks[:-1])
        run = np.cumsum(first_of_run) - 1
        firsts = np.flatnonzero(first_of_run)
        earlier = lines[firsts].astype(np.int64)  # the line each key was first met on
        seen = np.zeros(len(firsts), dtype=bool)
        bits = hashes[firsts] >> np.uint64(64 - self.BITMAP_BITS)
        byte, mask = (bits >> np.uint64(3)).astype(np.int64), (np.uint8(1) << (bits & np.uint64(7)).astype(np.uint8))
        candidates = np.flatnonzero(self.bitmap[byte] & mask)  # indexes in firsts; most keys are not
        for sorted_hashes, run_checks, run_lines in self.runs:
            pending = candidates[~seen[candidates]]
            wanted = hashes[firsts[pending]]
            position = np.searchsorted(sorted_hashes, wanted)
            while len(pending):
                inside = position < len(sorted_hashes)
                pending, wanted, position = pending[inside], wanted[inside], position[inside]
                same = sorted_hashes[position] == wanted
                pending, wanted, position = pending[same], wanted[same], position[same]
                found = run_checks[position] == checks[firsts[pending]]
                seen[pending[found]], earlier[pending[found]] = True, run_lines[position[found]]
                # A key sharing its first hash with another key's entry (rare): the next entry.
                pending, wanted, position = pending[~found], wanted[~found], position[~found] + 1
        new = firsts[~seen]
        np.bitwise_or.at(self.bitmap, byte[~seen], mask[~seen])
        self.runs.append((hashes[new], checks[new], lines[new].astype(np.int32)))
        while len(self.runs) > 1 and len(self.runs[-1][0]) >= len(self.runs[-2][0]):
            self.runs.append(_merged(self.runs.pop(-2), self.runs.pop()))
        repeated = ~first_of_run | seen[run]
        return dict(zip(order[repeated].tolist(), earlier[run[repeated]].tolist(), strict=False))


_BOOLEAN_LETTERS = np.array([ord("f"), ord("t")], dtype=np.uint8)


def _as_copy_value(values: pa.Array) -> pa.Array:
    """Booleans as PostgreSQL's one-letter spellings t and f: Arrow's CSV writer spells out
    true/false several times slower than it copies a text, and PostgreSQL reads fewer bytes."""
    if not pa.types.is_boolean(values.type):
        return values
    if values.null_count:
        return pc.if_else(values, pa.scalar("t"), pa.scalar("f"))
    letters = _BOOLEAN_LETTERS[values.to_numpy(zero_copy_only=False).view(np.uint8)]
    return pa.StringArray.from_buffers(
        len(values), pa.py_buffer(np.arange(len(values) + 1, dtype=np.int32)), pa.py_buffer(letters)
    )


# The COPY formats, fastest first for PostgreSQL (benchmarks/bench_loader.py, 100,000 offres:
# 85 ms in binary, 104 in text, 115 in CSV). Binary spares PostgreSQL the reading of dates,
# integers and booleans from text: it is used whenever every column of the source has a binary
# form here (FieldType.binary_copy). Otherwise text, for a block whose values hold no comma,
# quote, line break or backslash (the text format's escape character) — nearly all — and CSV,
# with quotes where needed, for the others; an empty field is NULL in both (no text is empty:
# cells are trimmed to null).
COPY_OPTIONS = {"binary": "format binary", "text": "format text, delimiter ',', null ''", "csv": "format csv"}
# What a COPY in a format starts and ends with, around the rows of its blocks. Binary: the
# signature, no flags, no header extension; the end marker (a field count of -1).
COPY_FRAMES = {"binary": (b"PGCOPY\n\xff\r\n\x00" + bytes(8), b"\xff\xff")}


@dataclass(frozen=True)
class CopyBody:
    copy_format: str  # a key of COPY_OPTIONS
    rows: bytes | memoryview


# Day 0 of PostgreSQL's binary dates, 2000-01-01, in Arrow's days since 1970-01-01.
POSTGRES_EPOCH_DAY = 10_957
_BINARY_FIXED_WIDTH = {pa.int32(): ">i4", pa.date32(): ">i4", pa.bool_(): "u1"}


def _binary_field(values: pa.Array) -> tuple[int | np.ndarray, tuple[str, np.ndarray] | pa.Array]:
    """One column as binary COPY fields: the length of each field (-1: NULL; a number when
    every field has the same), then the bytes of the fields — a fixed-width numpy dtype and
    its values when every value is present and of the same width, else an Arrow binary array
    (a NULL is empty there)."""
    if values.null_count == len(values):  # e.g. an optional column the file does not have
        return np.full(len(values), -1, dtype=np.int32), pa.nulls(len(values), pa.binary())
    if pa.types.is_string(values.type):
        offsets, data = string_buffers(values)
        lengths = offsets[1:] - offsets[:-1]
        if not values.null_count and len(lengths) and lengths[0] > 0 and (lengths == lengths[0]).all():
            width = int(lengths[0])
            return width, (f"S{width}", data[offsets[0] : offsets[-1]].view(f"S{width}"))
        if values.null_count:
            lengths = np.where(not_null(values), lengths, -1)
        return lengths, values.view(pa.binary())
    dtype = _BINARY_FIXED_WIDTH[values.type]
    if values.type == pa.bool_():
        numbers = pc.fill_null(values, False).to_numpy(zero_copy_only=False)
    else:
        numbers = np.frombuffer(values.buffers()[1], dtype=np.int32, count=len(values), offset=4 * values.offset)
    if values.type == pa.date32():
        numbers = numbers - POSTGRES_EPOCH_DAY
    width = np.dtype(dtype).itemsize
    if not values.null_count:
        return width, (dtype, numbers)
    fields = _fixed_width_binary(np.dtype([("v", dtype)]), {"v": numbers}, len(values))
    present = not_null(values)
    return np.where(present, width, -1), pc.if_else(pa.array(present), fields, pa.scalar(None, pa.binary()))


def _fixed_width_binary(dtype: np.dtype, values: dict[str, object], count: int) -> pa.Array:
    """Records of a packed numpy ``dtype`` as a binary array. The fields of one value for every
    row (field count, lengths) are written once, in a record repeated by bytearray's doubling
    copy, less than half the cost of filling them field by field; the others field by field."""
    constants = {name: value for name, value in values.items() if not isinstance(value, np.ndarray)}
    template = np.zeros(1, dtype=dtype)
    for name, value in constants.items():
        template[name] = value
    records = np.frombuffer(bytearray(template.tobytes()) * count, dtype=dtype)
    for name, value in values.items():
        if name not in constants:
            records[name] = value
    offsets = np.arange(0, (count + 1) * dtype.itemsize, dtype.itemsize, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(records.view(np.uint8))]
    )


def _binary_body(columns: list[pa.Array]) -> CopyBody:
    """The rows in PostgreSQL's binary COPY format: per row the number of fields (int16), then
    for each field its length (int32, -1 for NULL) and its bytes, integers big-endian.

    Built a column at a time: consecutive fixed-width pieces (field count, lengths, integers,
    dates, booleans, identifiers all of one width in the block) are written into one packed
    numpy record per row; the variable-width fields between them are joined to those records,
    row by row, by Arrow."""
    count = len(columns[0])
    parts: list[pa.Array] = []
    pieces: dict[str, tuple[str, object]] = {"count": (">i2", len(columns))}  # the current run

    def end_run() -> None:
        if pieces:
            dtype = np.dtype([(name, piece_dtype) for name, (piece_dtype, _) in pieces.items()])
            parts.append(_fixed_width_binary(dtype, {name: value for name, (_, value) in pieces.items()}, count))
            pieces.clear()

    for index, values in enumerate(columns):
        lengths, fields = _binary_field(values)
        pieces[f"length{index}"] = (">i4", lengths)
        if isinstance(fields, tuple):
            pieces[f"field{index}"] = fields
        else:
            end_run()
            parts.append(fields)
    end_run()
    rows = (
        parts[0]
        if len(parts) == 1
        else pc.binary_join_element_wise(
            *parts, pa.scalar(b"", pa.binary()), null_handling="replace", null_replacement=b""
        )
    )
    offsets, data = string_buffers(rows)
    return CopyBody("binary", memoryview(data[offsets[0] : offsets[-1]]))


def _text_body(columns: list[pa.Array]) -> CopyBody:
    table = pa.table({f"c{index}": _as_copy_value(values) for index, values in enumerate(columns)})
    buffer = io.BytesIO()
    try:
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    except pa.ArrowInvalid:  # a text holds a comma, a quote or a line break
        pass
    else:
        rows = buffer.getvalue()
        if b"\\" not in rows:
            return CopyBody("text", rows)
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
    return CopyBody("csv", buffer.getvalue())


def _decoded_lines(block: bytes, encoding: str, first_line: int, undecodable: set[int]) -> Iterator[str]:
    """The block's lines as text; lines with bytes invalid in ``encoding`` (or NUL) are noted."""
    for number, raw_line in enumerate(io.BytesIO(block), start=first_line):
        try:
            text = raw_line.decode(encoding)
            if "\x00" in text:
                raise UnicodeDecodeError(encoding, raw_line, 0, 1, "NUL")
        except UnicodeDecodeError:
            undecodable.add(number)
            text = raw_line.decode(encoding, errors="replace").replace("\x00", "\ufffd")
        yield text


@dataclass(frozen=True)
class _SingleByteCodec:
    undefined: tuple[bytes, ...]  # bytes the encoding does not define
    utf8_extra: np.ndarray  # per byte: UTF-8 bytes of its character, minus one


@functools.cache
def _single_byte_codec(encoding: str) -> _SingleByteCodec:
    undefined, extra = [], np.zeros(256, dtype=np.int64)
    for byte in range(256):
        try:
            extra[byte] = len(bytes([byte]).decode(encoding).encode("utf-8")) - 1
        except UnicodeDecodeError:
            undefined.append(bytes([byte]))
    return _SingleByteCodec(undefined=tuple(undefined), utf8_extra=extra)


def _to_utf8(cells: pa.Array, encoding: str) -> pa.Array:
    """A binary column of a single-byte encoding (its undefined bytes already excluded) as UTF-8
    text: ASCII as it is, otherwise the bytes transcoded at once and the offsets shifted by the
    extra bytes of every preceding character."""
    offsets, data = string_buffers(cells)
    used = data[offsets[0] : offsets[-1]]
    if not len(used) or used.max() < 0x80:
        return cells.view(pa.string())
    assert cells.offset == 0 and cells.null_count == 0, "Arrow's CSV reader gives whole columns, no null"
    shift = np.concatenate(([0], np.cumsum(_single_byte_codec(encoding).utf8_extra[used])))
    relative = offsets - offsets[0]
    text = used.tobytes().decode(encoding).encode("utf-8")
    return pa.StringArray.from_buffers(
        len(cells), pa.py_buffer((relative + shift[relative]).astype(np.int32)), pa.py_buffer(text)
    )


def _cell_text(value: str | bytes, encoding: str) -> str:
    """A cell as delivered: a column the source does not read stays in the file's bytes."""
    return value.decode(encoding, errors="replace") if isinstance(value, bytes) else value


_BOUNDARY_BYTES = np.zeros(256, dtype=bool)
# First or last byte of a blank: ASCII blanks, and the lead and final bytes of U+00A0 and U+202F
# in UTF-8 (other characters share some of them: a false alarm only costs a trim).
_BOUNDARY_BYTES[[ord(" "), ord("\t"), ord("\r"), ord("\n"), 0xC2, 0xE2, 0xA0, 0xAF]] = True


def _trimmed(cells: pa.Array) -> pa.Array:
    """The cells without surrounding blanks, null when nothing is left.

    Most columns need neither: a look at the first and last bytes of the cells (an empty cell
    shows its neighbours' bytes, a false alarm that only costs a trim) and at their lengths
    is several times cheaper than trimming and comparing every cell."""
    offsets, data = string_buffers(cells)
    if offsets[-1] > offsets[0] and (
        _BOUNDARY_BYTES[np.take(data, offsets[:-1], mode="clip")].any()
        or _BOUNDARY_BYTES[np.take(data, offsets[1:] - 1, mode="clip")].any()
    ):
        cells = pc.utf8_trim(cells, characters=BLANKS)
        offsets = string_buffers(cells)[0]
    if not (offsets[1:] == offsets[:-1]).any():
        return cells
    return pc.if_else(pc.equal(pc.binary_length(cells), 0), pa.scalar(None, pa.string()), cells)


def _read(column_type: FieldType, texts: pa.Array) -> pa.Array:
    """Typed values of the texts. Identifiers and numbers are read without their inner blanks;
    as a read that succeeds never sees a blank, the blanks are removed only where it fails."""
    values = column_type.read(texts)
    # A value is null where its text is: more nulls are failed reads.
    if not column_type.compact or values.null_count == texts.null_count:
        return values
    failed = pc.and_(pc.is_valid(texts), pc.is_null(values))
    compacted = column_type.read(pc.replace_substring_regex(texts, f"[{BLANKS}]", ""))
    return pc.if_else(failed, compacted, values)

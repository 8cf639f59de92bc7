"""The loader every source shares: identify a file by its content, load it once, report.

``load_source`` takes the files of a source's inbox folder in name order; ``load_file`` loads one
file in its own transaction:

- the file is read once, streaming, to compute its sha256 and detect its encoding (UTF-8 with or
  without BOM, else Windows-1252);
- a content already loaded for this source is not loaded again (statut ``deja_charge``, nothing
  written): the same export delivered twice, under any name, any night, counts once;
- otherwise a ``raw.fichiers`` row gives the file its ``load_id`` (increasing in processing order,
  which is what staging's "newest delivery wins" relies on, and, within a source, in commit order:
  the incremental models' watermark relies on that), then the source's rows are loaded —
  tabular sources through ``spaser.ingest.tabular`` (whose parse of the first blocks starts while the
  file is hashed, with the encoding of its first megabyte, and starts again in the rare file whose
  later bytes say otherwise), record sources by streaming their good records
  with ``COPY`` — with every violation in ``raw.quarantaine`` and every finding in
  ``raw.signalements`` (both written by ``spaser.ingest.findings.record_findings``);
- a file that cannot be read at all — whatever is raised while reading, validating or loading
  it, but a lost warehouse connection — is rolled back and recorded as ``rejete`` with its
  reason, and the next file is taken; the same content is not read again (``deja_rejete``,
  nothing written) until a different one is delivered.

``source_files`` only takes what ``inbox_refusal`` lets the night open: no link, nothing outside
the inbox or that is not a regular file, no name that is not UTF-8, no file modified within the
quiet period (SPASER_INBOX_QUIET_SECONDS: still being written, left for a later night).

Each file commits on its own: a transaction the caller left open on the connection is committed
first.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import logging
import os
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from spaser.core.faults import fault_point
from spaser.ingest.base import (
    ROW_LINEAGE_COLUMNS,
    FileLineage,
    FileRejected,
    LoadCounts,
    RecordSource,
    stored_rows_table,
)
from spaser.ingest.findings import Quarantined, Signalement, record_findings
from spaser.ingest.tabular import TabularParse, TabularSource

log = logging.getLogger(__name__)
READ_CHUNK_BYTES = 1 << 20
UTF8_BOM = codecs.BOM_UTF8

LOADED = "charge"
ALREADY_LOADED = "deja_charge"
REJECTED = "rejete"
ALREADY_REJECTED = "deja_rejete"  # reported only: the content's rejection is already in raw.fichiers
# The warehouse itself failing is no file's fault: the night stops.
CONNECTION_FAILURES = (psycopg.OperationalError, psycopg.InterfaceError)
QUIET_SECONDS_SETTING = "SPASER_INBOX_QUIET_SECONDS"
DEFAULT_QUIET_SECONDS = 300.0


@dataclass(frozen=True)
class FileFingerprint:
    sha256: str
    encoding: str  # 'utf-8' or 'cp1252' (meaningful for text files)


def fingerprint(path: Path) -> FileFingerprint:
    """Hash the file and detect its encoding in one streaming pass."""
    digest = hashlib.sha256()

    def hashed_chunks() -> Iterator[bytes]:
        # O_NOFOLLOW: a file replaced by a link since the inbox was listed is not followed.
        with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NOFOLLOW)) as stream:
            while chunk := stream.read(READ_CHUNK_BYTES):
                digest.update(chunk)
                yield chunk

    encoding = detect_encoding(hashed_chunks())
    return FileFingerprint(sha256=digest.hexdigest(), encoding=encoding)


def guessed_encoding(path: Path) -> str:
    """The encoding ``fingerprint`` finds when the rest of the file is like its first chunk."""
    with path.open("rb") as stream:
        return detect_encoding([stream.read(READ_CHUNK_BYTES)], whole_file=False)


def detect_encoding(chunks: Iterable[bytes], whole_file: bool = True) -> str:
    """'utf-8' for bytes that are UTF-8 (or start with its BOM), else 'cp1252'; every chunk is
    read. ``whole_file=False``: the chunks are only the file's start (a character may be cut)."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    has_bom = None
    for chunk in chunks:
        if has_bom is None:
            has_bom = chunk.startswith(UTF8_BOM)
        # A BOM settles the encoding: invalid bytes after it are defects of a UTF-8 file.
        if is_utf8 and not has_bom:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8 and not has_bom and whole_file:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return "utf-8" if is_utf8 else "cp1252"


@dataclass
class FileReport:
    source: str
    fichier: str
    sha256: str
    statut: str  # 'charge' | 'deja_charge' | 'rejete' | 'deja_rejete'
    message: str | None = None
    load_id: int | None = None
    nb_enregistrements: int = 0
    nb_charges: int = 0
    nb_quarantaine: int = 0
    nb_signalements: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SourceReport:
    source: str
    fichiers: list[FileReport] = field(default_factory=list)

    def to_dict(self) -> dict:
        totals = {
            name: sum(getattr(report, name) for report in self.fichiers)
            for name in ("nb_enregistrements", "nb_charges", "nb_quarantaine", "nb_signalements")
        }
        return {
            "source": self.source,
            "nb_fichiers": len(self.fichiers),
            "nb_rejetes": sum(report.statut == REJECTED for report in self.fichiers),
            **totals,
            "fichiers": [report.to_dict() for report in self.fichiers],
        }


def quiet_seconds() -> float:
    """How long a file must have been left unmodified before a night reads it
    (``SPASER_INBOX_QUIET_SECONDS``, default DEFAULT_QUIET_SECONDS)."""
    configured = os.environ.get(QUIET_SECONDS_SETTING, "").strip()
    try:
        return float(configured) if configured else DEFAULT_QUIET_SECONDS
    except ValueError:
        raise ValueError(f"{QUIET_SECONDS_SETTING} doit être un nombre de secondes (lu : {configured!r})") from None


def shown_name(path: Path, inbox: Path) -> str:
    """The path relative to the inbox as text that can be stored and printed: bytes of a name that
    is not UTF-8 become « \ufffd »."""
    return os.fsencode(path.relative_to(inbox).as_posix()).decode("utf-8", errors="replace")


def inbox_refusal(path: Path, inbox: Path, now: float | None = None) -> str | None:
    """Why the night does not open this entry of the inbox (None: it may be read).

    Nothing is opened to decide: links are refused whatever they point at (a link to a secret
    would put its first line in a rejection message), as is anything resolving outside the
    inbox or that is not a regular file (a named pipe would block the night). A file modified
    less than ``quiet_seconds()`` ago may still be being written: it is left for a later night.
    """
    try:
        status = path.lstat()
    except OSError as error:
        return f"inaccessible ({error.strerror}) : laissé en place"
    if stat.S_ISLNK(status.st_mode):
        return "lien symbolique : refusé sans être ouvert"
    if not path.resolve().is_relative_to(inbox.resolve()):
        return "hors du dossier de dépôt (lien dans le chemin) : refusé sans être ouvert"
    if not stat.S_ISREG(status.st_mode):
        return "n'est pas un fichier ordinaire : refusé sans être ouvert"
    try:
        os.fsencode(path.name).decode("utf-8")
    except UnicodeDecodeError:
        return "nom de fichier illisible (pas en UTF-8) : refusé sans être ouvert, à renommer"
    quiet = quiet_seconds()
    age = (time.time() if now is None else now) - status.st_mtime
    if age < quiet:
        return (
            f"en cours de dépôt (modifié il y a {max(age, 0):.0f} s, moins de {quiet:.0f} s) : "
            "laissé pour une nuit suivante"
        )
    return None


def source_files(source, inbox: Path) -> list[Path]:
    """The files of the source's folder that match its patterns (case-insensitive) and that the
    night may open (``inbox_refusal``), by name."""
    folder = inbox / source.source
    if not folder.is_dir() or not folder.resolve().is_relative_to(inbox.resolve()):
        return []
    now = time.time()
    return sorted(
        (
            path
            for path in folder.iterdir()
            if matches_patterns(source, path.name) and inbox_refusal(path, inbox, now) is None
        ),
        key=lambda path: path.name,
    )


def matches_patterns(source, file_name: str) -> bool:
    return any(fnmatch(file_name.lower(), pattern.lower()) for pattern in source.file_patterns)


def load_source(conn: psycopg.Connection, source, inbox: Path, run_id: str) -> SourceReport:
    report = SourceReport(source=source.source)
    files = source_files(source, inbox)
    if files:
        source.prepare(conn)
    for path in files:
        report.fichiers.append(load_file(conn, source, path, inbox, run_id))
    if any(file.statut == LOADED for file in report.fichiers):
        refresh_statistics(conn, source)
    return report


def refresh_statistics(conn: psycopg.Connection, source) -> None:
    """ANALYZE the source's raw table once its files of the night are in. The incremental models
    pick the night's rows by _load_id: without statistics on the new load ids PostgreSQL guesses
    that a third of the table qualifies and scans the whole history instead of using the
    _load_id index (×100 finance: 8 s instead of a fraction of a second), and autovacuum may come
    too late for the same night."""
    conn.execute(sql.SQL("analyze {table}").format(table=sql.SQL(stored_rows_table(source.raw_table))))
    conn.commit()


# The tables every raw view joins to its stored rows (raw_schema.sql): the file of each load, and
# the loads set aside.
RAW_VIEW_JOINED_TABLES = ("raw.fichiers", "qualite.chargements_ecartes")


def refresh_view_statistics(conn: psycopg.Connection) -> None:
    """ANALYZE the small tables the raw views join, once the night's files are recorded. Never
    analyzed (qualite.chargements_ecartes stays empty, below autovacuum's threshold, until a load
    is set aside), PostgreSQL guesses that the anti-join on it removes nearly every row: it then
    nests loops over whole raw tables, and a uniqueness check of the raw gate on 25,000 mandats
    lines took 30 s instead of 0.1 s. Milliseconds on these tables."""
    conn.execute(sql.SQL("analyze {tables}").format(tables=sql.SQL(", ").join(map(sql.SQL, RAW_VIEW_JOINED_TABLES))))
    conn.commit()


def load_file(conn: psycopg.Connection, source, path: Path, inbox: Path, run_id: str) -> FileReport:
    """Load one file; whatever goes wrong with it (but the warehouse connection itself) rejects
    the file, with the reason, and the night goes on."""
    relative = shown_name(path, inbox)
    if conn.info.transaction_status == TransactionStatus.INTRANS:
        conn.commit()
    parse = None
    try:
        try:
            # A CSV file's first blocks are parsed while the file is hashed (see TabularParse).
            if isinstance(source, TabularSource):
                parse = TabularParse(source, path, guessed_encoding(path))
            content = fingerprint(path)
        except OSError as error:
            return _record_rejection(conn, source, relative, "", run_id, error)
        if (earlier := _earlier_rejection(conn, source, content.sha256)) is not None:
            return FileReport(
                source=source.source, fichier=relative, sha256=content.sha256, statut=ALREADY_REJECTED, message=earlier
            )
        return _load_file(conn, source, relative, path, content, run_id, parse)
    finally:
        if parse is not None:
            parse.close()


def load_lock_name(source) -> str:
    """The advisory lock a load of the source holds from its registration to its commit."""
    return f"chargement:{source.source}"


def _load_file(
    conn, source, relative: str, path: Path, content: FileFingerprint, run_id: str, parse: TabularParse | None
) -> FileReport:
    report = FileReport(source=source.source, fichier=relative, sha256=content.sha256, statut=LOADED)
    with conn.transaction():
        # One load of a source at a time, its load_id taken under the lock held until its commit:
        # a source's load ids are in commit order. The incremental models' watermark (the highest
        # _load_id already merged, macros/incremental.sql) relies on it: a load committing after
        # a higher id was merged would otherwise be skipped until a full refresh. Two processes
        # given the same content at once: the second waits, then finds it loaded.
        # Both statements go in one round trip (the parsing thread is busy meanwhile and each
        # round trip waits for the GIL); the insert still runs after the lock is granted.
        with conn.pipeline():
            conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (load_lock_name(source),))
            registered = conn.execute(
                "insert into raw.fichiers (run_id, source, fichier, sha256, statut)"
                " select %(run_id)s, %(source)s, %(fichier)s, %(sha256)s, 'charge'"
                " where not exists (select from raw.fichiers"
                "                   where source = %(source)s and sha256 = %(sha256)s and statut = 'charge')"
                " returning load_id",
                {"run_id": run_id, "source": source.source, "fichier": relative, "sha256": content.sha256},
            )
        if (load_id := registered.fetchone()) is None:
            previous = conn.execute(
                "select load_id, fichier, run_id from raw.fichiers where source = %s and sha256 = %s and statut = 'charge'",
                (source.source, content.sha256),
            ).fetchone()
            report.statut = ALREADY_LOADED
            report.message = (
                f"contenu identique à « {previous[1]} », déjà chargé (chargement {previous[0]}, nuit {previous[2]}) :"
                " rien n'est rechargé"
            )
            return report
        (report.load_id,) = load_id
        lineage = FileLineage(load_id=report.load_id, source=source.source, fichier=relative, sha256=content.sha256)
        try:
            with conn.transaction():
                counts = _load_content(conn, source, path, content, lineage, parse)
        except CONNECTION_FAILURES:
            raise
        except Exception as error:
            counts = LoadCounts(message=rejection_message(source, relative, error))
            report.statut = REJECTED
        if counts.nb_quarantaine:
            fault_point("quarantine_before_status")
        report.message = counts.message
        report.nb_enregistrements = counts.nb_enregistrements
        report.nb_charges = counts.nb_charges
        report.nb_quarantaine = counts.nb_quarantaine
        report.nb_signalements = counts.nb_signalements
        conn.execute(
            "update raw.fichiers set statut = %s, message = %s, nb_enregistrements = %s, nb_charges = %s,"
            " nb_quarantaine = %s, nb_signalements = %s where load_id = %s",
            (
                report.statut,
                report.message,
                report.nb_enregistrements,
                report.nb_charges,
                report.nb_quarantaine,
                report.nb_signalements,
                report.load_id,
            ),
        )
    fault_point("file_committed")
    return report


def rejection_message(source, relative: str, error: Exception) -> str:
    """The French reason a file is rejected, from whatever was raised while reading or loading it.

    A source declared personal never has a cell value in a message: of an unforeseen exception,
    whose text may quote one, only the kind is told."""
    if isinstance(error, FileRejected):
        text = str(error)
        return text if text.startswith(Path(relative).name) else f"{relative} : {text}"
    personal = getattr(source, "personal", False)
    if isinstance(error, psycopg.DataError):
        cause = "une valeur" if personal else (error.diag.message_primary or str(error))
        return f"{relative} : refusé par PostgreSQL ({cause})"
    if isinstance(error, RecursionError):
        return f"{relative} : structure imbriquée trop profondément pour être lue"
    if isinstance(error, MemoryError):
        return f"{relative} : trop volumineux pour être lu en mémoire"
    if isinstance(error, ValueError) and "int_max_str_digits" in str(error):
        return f"{relative} : nombre de plus de {sys.get_int_max_str_digits()} chiffres, illisible"
    if isinstance(error, UnicodeError):
        return f"{relative} : encodage des caractères illisible"
    if isinstance(error, csv.Error):
        return f"{relative} : illisible en CSV ({error})"
    log.warning(
        "%s : rejeté sur une erreur imprévue (%s)", relative, type(error).__name__, exc_info=None if personal else error
    )
    detail = type(error).__name__ if personal else f"{type(error).__name__} : {error}"
    return f"{relative} : illisible, erreur imprévue à la lecture ({detail})"


def _earlier_rejection(conn: psycopg.Connection, source, sha256: str) -> str | None:
    """The message of the newest rejection of this very content (none if it ever loaded): a
    rejected content is not read again, night after night, until a different one is delivered."""
    found = conn.execute(
        "select fichier, run_id, message from raw.fichiers where source = %s and sha256 = %s and statut = 'rejete'"
        " and not exists (select from raw.fichiers as loaded where loaded.source = %s and loaded.sha256 = %s"
        "                 and loaded.statut = 'charge')"
        " order by load_id desc limit 1",
        (source.source, sha256, source.source, sha256),
    ).fetchone()
    conn.commit()
    if found is None:
        return None
    return f"contenu identique à « {found[0]} », déjà rejeté (nuit {found[1]}) : {found[2]}"


def _record_rejection(
    conn: psycopg.Connection, source, relative: str, sha256: str, run_id: str, error: Exception
) -> FileReport:
    report = FileReport(
        source=source.source,
        fichier=relative,
        sha256=sha256,
        statut=REJECTED,
        message=rejection_message(source, relative, error),
    )
    with conn.transaction():
        (report.load_id,) = conn.execute(
            "insert into raw.fichiers (run_id, source, fichier, sha256, statut, message)"
            " values (%s, %s, %s, %s, 'rejete', %s) returning load_id",
            (run_id, source.source, relative, sha256, report.message),
        ).fetchone()
    return report


def _load_content(
    conn: psycopg.Connection,
    source,
    path: Path,
    content: FileFingerprint,
    lineage: FileLineage,
    parse: TabularParse | None,
) -> LoadCounts:
    if parse is not None:
        return parse.load(conn, lineage, content.encoding)
    if isinstance(source, RecordSource):
        return _load_records(conn, source, path, lineage)
    raise TypeError(f"{type(source).__name__} is neither a TabularSource nor a RecordSource")


def _copy_value(value):
    return Jsonb(value) if isinstance(value, (dict, list, tuple)) else value


def _load_records(conn: psycopg.Connection, source: RecordSource, path: Path, lineage: FileLineage) -> LoadCounts:
    """Stream the good records into the raw table; then store the violations and the flags.

    Only the problems are kept in memory until the COPY ends (one connection runs one COPY).
    """
    counts = LoadCounts()
    quarantined: list[Quarantined] = []
    signalements: list[Signalement] = []
    table_columns = [*ROW_LINEAGE_COLUMNS, *source.columns]
    statement = sql.SQL("copy {table} ({columns}) from stdin").format(
        table=sql.SQL(stored_rows_table(source.raw_table)),
        columns=sql.SQL(", ").join(map(sql.Identifier, table_columns)),
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for record in source.read(path):
            counts.nb_enregistrements += 1
            if record.quarantined:
                counts.nb_quarantaine += 1
                quarantined.extend(
                    Quarantined(record.number, record.key, violation.field, violation.message, record.raw_text)
                    for violation in record.violations
                )
                continue
            counts.nb_charges += 1
            copy.write_row(
                [lineage.load_id, record.number, *(_copy_value(record.values.get(column)) for column in source.columns)]
            )
            fault_point("copy_mid")
            signalements.extend(
                Signalement(record.number, record.key, flag.field, flag.message) for flag in record.flags
            )
    record_findings(conn, lineage, quarantined, signalements)
    counts.nb_signalements = len(signalements)
    return counts

"""How the files users open are written: aside then renamed into place, and never as a formula.

**Atomic.** Every output (exports, the AGEC declarations, the dashboard, the quality index, dbt
docs) is written under a temporary name in its own folder, flushed to disk, then renamed over the
previous version (``os.replace``, atomic on one file system): a reader sees the old file or the new
one, never a half-written one, and a writer that fails or is killed leaves the previous version in
place. A folder of files (the dashboard) is written whole in a staging folder beside it and moved in
only once every file is written. Temporary names say who wrote them
(``.<name>~<host>~<pid>~<random>.tmp``): the next write of the same output removes those left by a
process of this host that is no longer running (a killed night), and any older than a day.

**Never a formula** (OWASP, CSV injection). A spreadsheet runs a text cell that starts with ``=``,
``+``, ``-`` or ``@`` (and, for some, a tab or carriage return) as a formula: ``=HYPERLINK(…)`` in a
supplier's name would be a live link in finance's workbook. In the CSV files meant for a
spreadsheet, such a *text* cell is prefixed with an apostrophe (``spreadsheet_text``); numbers are
never altered (``-2,5`` stays a negative number). XLSX cells holding text are written with the text
type, so nothing is ever a formula (``text_cells``). The AGEC declaration is the exception: it is a
legal file in the national format, kept verbatim and flagged instead (see spaser/outputs/agec.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LEFTOVER_MAX_AGE_SECONDS = 24 * 3600


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read this text cell as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def spreadsheet_text(value):
    """A cell for a CSV meant for a spreadsheet: a text that would be a formula gets a leading
    apostrophe; anything but text (a number, a year, None) is returned as it is."""
    return "'" + value if isinstance(value, str) and starts_like_formula(value) else value


def text_cells(cells) -> None:
    """Give every openpyxl cell holding a string the text type: openpyxl stores a string starting
    with ``=`` as a formula, which the spreadsheet would run."""
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def save_workbook(workbook, output: Path) -> None:
    """Save an openpyxl workbook atomically, every string cell typed as text (never a formula)."""
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            text_cells(row)
    with replaced(output) as temporary:
        workbook.save(temporary)


# ---------------------------------------------------------------------------- atomic writing


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}~{socket.gethostname()}~{os.getpid()}~"


def _remove_leftovers(path: Path) -> None:
    """Temporary files or folders of ``path`` whose writer is gone (killed) or which are a day old."""
    if not path.parent.is_dir():
        return
    host = socket.gethostname()
    for entry in path.parent.glob(f".{path.name}~*.tmp"):
        parts = entry.name[len(path.name) + 2 : -len(".tmp")].split("~")
        if len(parts) != 3:
            continue
        writer_host, pid, _ = parts
        try:
            gone = writer_host == host and pid.isdigit() and not psutil.pid_exists(int(pid))
            stale = time.time() - entry.lstat().st_mtime > LEFTOVER_MAX_AGE_SECONDS
        except FileNotFoundError:
            continue  # removed meanwhile by its writer
        if gone or stale:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def replaced(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write the new version into; on success it replaces
    ``path`` in one rename, on failure it is removed and ``path`` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(path)
    descriptor, name = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the output from its readers
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_text(path: Path, text: str) -> None:
    """``path.write_text(text)``, atomically."""
    with replaced(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def _same_content(path: Path, other: Path | bytes) -> bool:
    """Whether the file ``path`` holds exactly ``other`` (a file's content, or bytes)."""
    try:
        if path.is_symlink() or not path.is_file():
            return False
        size = len(other) if isinstance(other, bytes) else other.stat().st_size
        if path.stat().st_size != size:
            return False
        return path.read_bytes() == (other if isinstance(other, bytes) else other.read_bytes())
    except FileNotFoundError:
        return False


def write_bytes_if_changed(path: Path, data: bytes) -> None:
    """``path.write_bytes(data)``, atomically, unless the file holds these bytes already: then
    nothing is written (nor flushed to disk, which costs more than the comparison)."""
    if _same_content(path, data):
        _remove_leftovers(path)
        return
    with replaced(path) as temporary:
        temporary.write_bytes(data)


@contextmanager
def staged_directory(target: Path, owned: Callable[[Path], bool]) -> Iterator[Path]:
    """Yield an empty folder beside ``target`` to write the new version of its files into.

    Once the block succeeds, every file written there is renamed into ``target`` (each rename
    atomic; nothing is deleted first, so ``target`` is never empty) unless ``target`` holds the
    same bytes already (a page that did not change is neither flushed nor moved), then the files of
    ``target`` that ``owned`` claims (a path relative to ``target``) and that the new version no
    longer has are removed. Files ``owned`` does not claim (another writer's) are never touched.
    On failure the staging folder is removed and ``target`` is left as it was.
    """
    target.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    staging = Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent))
    try:
        yield staging
        written = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
        changed = [relative for relative in written if not _same_content(target / relative, staging / relative)]
        for relative in changed:
            _fsync(staging / relative)
        for relative in changed:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / relative, target / relative)
        kept = set(written)
        for existing in sorted(target.rglob("*"), reverse=True):
            relative = existing.relative_to(target)
            if not owned(relative) or relative in kept:
                continue
            if existing.is_dir() and not existing.is_symlink():
                if not any(existing.iterdir()):
                    existing.rmdir()
            else:
                existing.unlink()
        _fsync_directory(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

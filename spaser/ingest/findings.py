"""The one writer of what loading a file finds: the violations of its quarantined records
(``raw.quarantaine``: the record is not loaded) and the signalements on records it loaded
(``raw.signalements``). Every loader — Arrow blocks, Python rows, JSON records — hands its
findings to ``record_findings``, once per file, inside the file's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import psycopg

from spaser.ingest.base import FileLineage


class Quarantined(NamedTuple):
    """One violation of a record that is not loaded (a record breaking several rules has several)."""

    enregistrement: int  # line (CSV, XLSX) or record index (JSON)
    cle: str | None  # business key, as far as it could be read
    champ: str  # column, JSON path, or « ligne » for a record that could not be read into columns
    message: str  # French: file line, column and rule; never a cell of a personal source
    contenu: str | None  # the record as delivered (None: personal source)


class Signalement(NamedTuple):
    """A finding on a loaded record (e.g. a SIRET failing its check digit), or on the file."""

    enregistrement: int
    cle: str | None
    champ: str
    message: str


def record_findings(
    conn: psycopg.Connection,
    lineage: FileLineage,
    quarantined: Iterable[Quarantined] = (),
    signalements: Iterable[Signalement] = (),
) -> None:
    common = (lineage.load_id, lineage.source, lineage.fichier)
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into raw.quarantaine (load_id, source, fichier, enregistrement, cle, champ, message, contenu)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(*common, *finding) for finding in quarantined],
        )
        cursor.executemany(
            "insert into raw.signalements (load_id, source, fichier, enregistrement, cle, champ, message)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            [(*common, *finding) for finding in signalements],
        )

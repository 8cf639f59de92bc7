"""Registry of the sources the night reads: inbox folder -> source instance."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from spaser.core.plan import SOURCE_EXTRACTORS
from spaser.ingest.loader import inbox_refusal, matches_patterns, shown_name


def _extractor(reference: str):
    module_name, class_name = reference.split(":")
    return getattr(importlib.import_module(module_name), class_name)()


SOURCES = {name: _extractor(reference) for name, reference in SOURCE_EXTRACTORS.items()}

# Folders of ../shared/spec/sources.md that no extractor reads yet: their files are reported as
# awaiting support rather than as misplaced.
PLANNED_FOLDERS = ("referentiels",)


def unexpected_entries(inbox: Path) -> list[str]:
    """One French message per entry of the inbox that no source will load tonight (refused by
    ``inbox_refusal`` or read by no source); the entries stay in place."""
    messages = []
    now = time.time()
    for path in sorted(inbox.rglob("*")):
        if path.is_dir() and not path.is_symlink():  # rglob does not enter linked folders
            continue
        name = shown_name(path, inbox)
        if (refusal := inbox_refusal(path, inbox, now)) is not None:
            messages.append(f"{name} : {refusal}")
            continue
        folder = path.relative_to(inbox).parent.as_posix()
        source = SOURCES.get(folder)
        if source is not None:
            if not matches_patterns(source, path.name):
                messages.append(
                    f"{name} : format non lu par la source {folder} "
                    f"(attendu : {', '.join(source.file_patterns)}), fichier laissé en place"
                )
        elif any(folder == planned or folder.startswith(planned + "/") for planned in PLANNED_FOLDERS):
            messages.append(f"{name} : source pas encore prise en charge, fichier laissé en place")
        else:
            messages.append(f"{name} : dossier inconnu, fichier laissé en place")
    return messages

"""Registry of the sources the night reads: inbox folder -> source instance."""
from __future__ import annotations

from pathlib import Path

from extract.cantine import CantineAchatsSource, CantineMenusSource
from extract.decp import DecpSource
from extract.finance import FournisseursSource, MandatsSource, TitresSource
from extract.fop import FichesOperationSource
from extract.insertion import InsertionHeuresSource
from extract.loader import matches_patterns
from extract.marches import ConsultationsSource, OffresSource
from extract.registre import GesTerritoireSource, RegistreActivitesSource, RegistreAgecSource
from extract.sirene import SireneEtablissementsSource, SireneUnitesLegalesSource

SOURCES = {
    source.source: source
    for source in (
        DecpSource(),
        ConsultationsSource(),
        OffresSource(),
        SireneEtablissementsSource(),
        SireneUnitesLegalesSource(),
        CantineAchatsSource(),
        CantineMenusSource(),
        InsertionHeuresSource(),
        RegistreActivitesSource(),
        RegistreAgecSource(),
        FichesOperationSource(),
        GesTerritoireSource(),
        MandatsSource(),
        TitresSource(),
        FournisseursSource(),
    )
}

# Folders of ../shared/spec/sources.md that no extractor reads yet: their files are reported as
# awaiting support rather than as misplaced.
PLANNED_FOLDERS = (
    "referentiels",
)


def unexpected_entries(inbox: Path) -> list[str]:
    """One French message per file of the inbox that no source will load; the files stay in place."""
    messages = []
    for path in sorted(inbox.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(inbox)
        folder = relative.parent.as_posix()
        source = SOURCES.get(folder)
        if source is not None:
            if not matches_patterns(source, path.name):
                messages.append(
                    f"{relative.as_posix()} : format non lu par la source {folder} "
                    f"(attendu : {', '.join(source.file_patterns)}), fichier laissé en place"
                )
        elif any(folder == planned or folder.startswith(planned + "/") for planned in PLANNED_FOLDERS):
            messages.append(f"{relative.as_posix()} : source pas encore prise en charge, fichier laissé en place")
        else:
            messages.append(f"{relative.as_posix()} : dossier inconnu, fichier laissé en place")
    return messages

"""What a night is made of, in the standard library only: the sources it extracts, the dbt layers
it builds, what each step does and how long it may take.

The DAG file imports this module alone (Airflow parses it again and again: no database, no
heavy library at parse time); the steps themselves import the extractors and dbt when they run.
"""

from __future__ import annotations

from datetime import timedelta

# Inbox folder → the extractor reading it ("module:Class"). The folder is the source's name in
# every layer; each extractor class takes its ``source`` from here (spaser.ingest.base).
SOURCE_EXTRACTORS = {
    "marches/decp": "spaser.ingest.decp:DecpSource",
    "marches/consultations": "spaser.ingest.marches:ConsultationsSource",
    "marches/offres": "spaser.ingest.marches:OffresSource",
    "referentiels/sirene_etablissements": "spaser.ingest.referentiels:SireneEtablissementsSource",
    "referentiels/sirene_unites_legales": "spaser.ingest.referentiels:SireneUnitesLegalesSource",
    "cuisine/achats": "spaser.ingest.cuisine:CantineAchatsSource",
    "cuisine/menus": "spaser.ingest.cuisine:CantineMenusSource",
    "insertion/heures": "spaser.ingest.insertion:InsertionHeuresSource",
    "registre/activites": "spaser.ingest.registre:RegistreActivitesSource",
    "registre/agec": "spaser.ingest.registre:RegistreAgecSource",
    "ged/fop": "spaser.ingest.ged:FichesOperationSource",
    "referentiels/ges_territoire": "spaser.ingest.referentiels:GesTerritoireSource",
    "finance/mandats": "spaser.ingest.finance:MandatsSource",
    "finance/titres": "spaser.ingest.finance:TitresSource",
    "registre/fournisseurs": "spaser.ingest.registre:FournisseursSource",
}

# The night's dbt layers, in order (their dbt arguments: spaser.pipeline.dbt).
DBT_LAYERS = ("seed", "staging", "intermediate", "marts")

STEP_DOCS = {
    "prepare_warehouse": "Applique les migrations de l'entrepôt en attente et signale les fichiers hors périmètre.",
    "validate_raw": "Great Expectations : une suite par table brute, sur les chargements qu'aucun contrôle réussi"
    " n'a encore couverts ; un échec arrête la nuit avant dbt.",
    "validate_marts": "Porte qualité : les marts candidats ne sont publiés que si toutes les suites passent ;"
    " l'empreinte du candidat validé est enregistrée.",
    "publish": "Publication atomique : bascule du schéma marts_candidat vers marts, s'il est celui que la porte"
    " a validé ; la publication précédente est gardée une nuit (marts_precedent).",
    "grant_access": "Rôles spaser_lecteur / spaser_auditeur (créés si le compte le peut) et leurs droits de lecture.",
    "build_site": "Tableau de bord statique (site/), documentation dbt et page qualité des données.",
    "export_indicateurs": "Export des indicateurs publiés (CSV et JSON) sous $SPASER_HOME/exports.",
    "summary": "Résumé de la nuit : fichiers, lignes, quarantaine, contrôles, indicateurs.",
}

# The longest each step may run before Airflow stops it ("extract_"/"dbt_": every step so named).
STEP_TIMEOUTS = {
    "prepare_warehouse": timedelta(minutes=10),
    "extract_": timedelta(hours=2),
    "validate_raw": timedelta(hours=1),
    "dbt_": timedelta(hours=2),
    "validate_marts": timedelta(hours=1),
    "publish": timedelta(minutes=15),
    "grant_access": timedelta(minutes=10),
    "export_indicateurs": timedelta(minutes=30),
    "build_site": timedelta(hours=1),
    "summary": timedelta(minutes=10),
}


def extract_task_id(source_name: str) -> str:
    return "extract_" + source_name.replace("/", "_")


def step_timeout(task_id: str) -> timedelta:
    for name, timeout in STEP_TIMEOUTS.items():
        if task_id == name or (name.endswith("_") and task_id.startswith(name)):
            return timeout
    raise KeyError(f"aucune durée maximale pour l'étape {task_id}")

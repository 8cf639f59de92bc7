"""The warehouse's schemas, named once (docs/ARCHITECTURE.md, « Schemas »).

Python code takes the names from here; dbt reads them from the environment variables of
``DBT_SCHEMA_VARIABLES``, which ``spaser.pipeline.dbt.dbt_environment`` sets for every dbt invocation
(dbt_project.yml, the staging sources, fct_indicateurs). The migrations (``spaser/db/migrations/``)
spell them out: a migration is a record of what was applied, frozen by its checksum, so renaming
a schema is a new migration plus a change here. Standard library only: the DAG file may import it.
"""

from __future__ import annotations

RAW = "raw"  # what every reader of the deliveries uses: views with the file lineage, fichiers, quarantaine
RAW_STORAGE = "raw_stockage"  # the rows behind the raw views; only the loader writes there
REFERENTIELS = "referentiels"  # dbt seeds
STAGING = "staging"
INTERMEDIATE = "intermediate"
CANDIDATE_MARTS = "marts_candidat"  # tonight's marts, built by dbt, checked by the gate
PUBLISHED_MARTS = "marts"  # what users read, swapped in whole by the publication
PREVIOUS_MARTS = "marts_precedent"  # the publication before, kept one night for a rollback
QUALITE = "qualite"  # validations, loads set aside, the auditors' views
PILOTAGE = "pilotage"  # the nights' own bookkeeping and the applied migrations

DBT_SCHEMA_VARIABLES = {
    "SPASER_RAW_SCHEMA": RAW,
    "SPASER_REFERENTIELS_SCHEMA": REFERENTIELS,
    "SPASER_STAGING_SCHEMA": STAGING,
    "SPASER_INTERMEDIATE_SCHEMA": INTERMEDIATE,
    "SPASER_MARTS_SCHEMA": CANDIDATE_MARTS,
    # fct_indicateurs reads the last validated values of the rows the granular gate withholds.
    "SPASER_PUBLISHED_SCHEMA": PUBLISHED_MARTS,
}

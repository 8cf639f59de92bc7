"""SPASER warehouse of Valence Romans Agglo: nightly extraction, dbt models, data-quality gate."""

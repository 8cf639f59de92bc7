"""Airflow configured for the project: metadata in SQLite under $SPASER_HOME/airflow unless set.

Must run before the first ``import airflow``: Airflow reads its configuration at import time.
Variables already present in the environment (docker-compose, a real deployment) win.
"""

from __future__ import annotations

import os

from spaser.core.settings import DAGS_DIR, spaser_home


def configure_airflow_environment() -> None:
    airflow_home = spaser_home() / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def migrate_metadata_database() -> None:
    """Create or upgrade Airflow's metadata tables (idempotent, a few seconds)."""
    from airflow.utils.db import upgradedb

    upgradedb()

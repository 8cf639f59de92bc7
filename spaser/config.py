"""Run-time configuration, read from environment variables only.

Every output of a run lives under ``SPASER_HOME`` (default ``./.spaser``).
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DAGS_DIR = PROJECT_ROOT / "dags"

# The three collectivités of the shared purchasing service (SIREN).
COLLECTIVITES = {
    "200068781": "Valence Romans Agglo",
    "212603625": "Ville de Valence",
    "212602817": "Ville de Romans-sur-Isère",
}
PERIMETRE_TOUS = "TOUS"


def spaser_home() -> Path:
    home = Path(os.environ.get("SPASER_HOME", ".spaser")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def configured_warehouse_url() -> str | None:
    """The PostgreSQL URL given by ``SPASER_WAREHOUSE_URL``, or None for the embedded default."""
    return os.environ.get("SPASER_WAREHOUSE_URL") or None


def demo_inbox_dir() -> Path:
    return spaser_home() / "demo_inbox"


def site_dir() -> Path:
    return spaser_home() / "site"


def exports_dir() -> Path:
    path = spaser_home() / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path

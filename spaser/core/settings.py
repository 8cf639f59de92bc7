"""Run-time configuration, read from environment variables only.

Everything lives under ``SPASER_HOME`` (default ``./.spaser``), the machine's own folder, except
what ``SPASER_OUTPUTS`` moves: the products of the nights (dashboard, exports, summaries), which
every machine that runs tasks must see alike (README, « Plusieurs machines : CeleryExecutor »).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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


def outputs_dir() -> Path:
    """Where the nights' products go: ``SPASER_OUTPUTS``, else ``SPASER_HOME``. Tasks write there
    and never read back what another task wrote, so a shared folder is all the workers share."""
    configured = os.environ.get("SPASER_OUTPUTS")
    if not configured:
        return spaser_home()
    path = Path(configured).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def site_dir() -> Path:
    return outputs_dir() / "site"


def exports_dir() -> Path:
    path = outputs_dir() / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    """``runs/<night>/``: each night's summary, and the full log of a night run by ``spaser run``."""
    return outputs_dir() / "runs"


def last_night_summary() -> Path:
    return outputs_dir() / "derniere_nuit.json"

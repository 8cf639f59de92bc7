"""Fault injection: a test hook that kills the night hard at a named point.

``SPASER_FAULT`` names one of ``FAULT_POINTS``; the process that reaches that point kills itself
with SIGKILL — no ``finally``, no rollback sent, no lock released, as a machine losing power or the
kernel's OOM killer would. Unset (always, outside tests), ``fault_point`` only reads one variable.
``tests/test_fault_injection.py`` kills a night at each point, reruns it, and checks that the
warehouse, the exports and the site equal those of an uninterrupted night.

``SPASER_FAULT_PAUSE`` (a file path) turns the kill into a pause: the process creates the file and
waits until it is removed, then goes on. The test restarts PostgreSQL meanwhile: the night, in the
middle of a COPY, must then fail cleanly.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

FAULT_SETTING = "SPASER_FAULT"
PAUSE_SETTING = "SPASER_FAULT_PAUSE"
PAUSE_MAX_SECONDS = 600.0

# Where a night can be killed, in the order a night reaches them.
FAULT_POINTS = {
    "copy_mid": "au milieu d'un COPY (le fichier est en cours de chargement)",
    "quarantine_before_status": "après l'écriture des lignes en quarantaine d'un fichier, avant son statut",
    "file_committed": "juste après la validation (commit) du chargement d'un fichier",
    "dbt_seed": "après la couche dbt seed",
    "dbt_staging": "après la couche dbt staging",
    "dbt_intermediate": "après la couche dbt intermediate",
    "dbt_marts": "après la couche dbt marts (et sa documentation)",
    "publish_before_commit": "dans la transaction de la bascule des marts, avant sa validation (commit)",
    "site_build": "pendant la construction du tableau de bord (pages écrites à part, pas encore en place)",
}


_paused = False


def fault_point(name: str) -> None:
    """Kill this process (SIGKILL) if ``SPASER_FAULT`` names this point; nothing otherwise."""
    configured = os.environ.get(FAULT_SETTING)
    if not configured:
        return
    for point in (configured, name):
        if point not in FAULT_POINTS:
            raise ValueError(
                f"{FAULT_SETTING} : point de panne inconnu « {point} » (connus : {', '.join(FAULT_POINTS)})"
            )
    if configured != name:
        return
    pause_file = os.environ.get(PAUSE_SETTING)
    if pause_file:
        _pause(Path(pause_file))
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _pause(marker: Path) -> None:
    """Create ``marker`` and wait until someone removes it (at most PAUSE_MAX_SECONDS); once per
    process: the night goes on past the point afterwards."""
    global _paused
    if _paused:
        return
    _paused = True
    marker.write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + PAUSE_MAX_SECONDS
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)

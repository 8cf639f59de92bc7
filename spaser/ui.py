"""``spaser ui``: the Airflow components of the project, started and stopped as one.

Each component (scheduler, dag-processor, api-server) runs as a child in its own process group,
so that stopping ``spaser ui`` (Ctrl-C, SIGTERM, a closed terminal) stops everything it started:
the LocalExecutor workers and the task processes live in the scheduler's group. ``airflow
standalone`` left them running when it was killed. No triggerer is started: no task of the
project defers (docker-compose.yml, the production shape, runs one).
The embedded warehouse (pgserver) detaches itself on purpose: it outlives ``spaser ui`` and is
stopped by ``spaser arret``.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

COMPONENTS = ("scheduler", "dag-processor", "api-server")
DEFAULT_PORT = 8080
# Airflow's own default is 32 LocalExecutor workers, whatever the machine.
STOP_TIMEOUT_SECONDS = 20.0
POLL_SECONDS = 0.5


def parallelism() -> int:
    """How many tasks the LocalExecutor runs at once: one per core unless the environment says."""
    configured = os.environ.get("AIRFLOW__CORE__PARALLELISM")
    return int(configured) if configured else max(os.cpu_count() or 1, 1)


def configure_components(port: int) -> None:
    """The environment every component inherits; variables already set win."""
    from spaser.airflow_setup import configure_airflow_environment

    configure_airflow_environment()
    defaults = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism()),
        "AIRFLOW__API__PORT": str(port),
        # A local interface: reachable from this machine only unless the environment says otherwise.
        "AIRFLOW__API__HOST": "127.0.0.1",
        # Task processes report to the API server: it must be this one, not the default :8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    venv_bin = Path(sys.executable).parent
    # The components and the processes they start must find this venv's `airflow`.
    os.environ["PATH"] = f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"


@dataclass
class Component:
    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def group(self) -> int:
        return self.process.pid  # start_new_session: the child leads its own group


class _StopRequested(Exception):
    pass


def serve(port: int | None = None) -> int:
    """Run the components until a signal or until one of them dies; stop them all either way."""
    port = port or int(os.environ.get("AIRFLOW__API__PORT", DEFAULT_PORT))
    configure_components(port)
    from spaser.warehouse import warehouse_description

    # pgserver logs at INFO when this process exits; the server itself keeps running on purpose.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    airflow_home = Path(os.environ["AIRFLOW_HOME"])
    logs_dir = airflow_home / "logs" / "ui"
    logs_dir.mkdir(parents=True, exist_ok=True)
    print(f"Entrepôt : {warehouse_description()}", flush=True)
    print("Préparation de la base de métadonnées Airflow…", flush=True)
    # Through the CLI, like docker-compose's airflow-init: it also writes airflow.cfg with the
    # secrets (JWT, Fernet) every component must share, before any of them starts.
    with open(logs_dir / "db-migrate.log", "wb") as log:
        migrated = subprocess.run(["airflow", "db", "migrate"], stdout=log, stderr=subprocess.STDOUT)
    if migrated.returncode != 0:
        print(f"Échec de la préparation des métadonnées Airflow ; voir {logs_dir / 'db-migrate.log'}", file=sys.stderr)
        return 1

    components: list[Component] = []
    previous_handlers = _forward_stop_signals()
    try:
        for name in COMPONENTS:
            components.append(_start(name, logs_dir))
        print(f"Démarrage de {', '.join(COMPONENTS)} (journaux : {logs_dir})…", flush=True)
        return _watch(components, port, airflow_home)
    except _StopRequested:
        print("Arrêt demandé.", flush=True)
        return 0
    finally:
        # A second Ctrl-C must not interrupt the shutdown itself.
        for signum in previous_handlers:
            signal.signal(signum, signal.SIG_IGN)
        stop(components)
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        print("Composants Airflow arrêtés.", flush=True)


def _forward_stop_signals() -> dict:
    def request_stop(signum, frame):
        raise _StopRequested(signal.Signals(signum).name)

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, request_stop)
    return previous


def _start(name: str, logs_dir: Path) -> Component:
    log_path = logs_dir / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["airflow", name],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Component(name, process, log_path)


def _watch(components: list[Component], port: int, airflow_home: Path) -> int:
    ready = False
    while True:
        for component in components:
            if component.process.poll() is not None:
                print(
                    f"Le composant {component.name} s'est arrêté (code {component.process.returncode}) ; "
                    f"voir {component.log_path}",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
        if not ready and _healthy(port):
            ready = True
            _print_ready(port, airflow_home)
        time.sleep(POLL_SECONDS)


def _healthy(port: int) -> bool:
    """The API server answers and reports the scheduler and the dag-processor alive."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as response:
            health = json.load(response)
    except (OSError, ValueError):
        return False
    return all(
        (health.get(component) or {}).get("status") == "healthy" for component in ("scheduler", "dag_processor")
    )


def _print_ready(port: int, airflow_home: Path) -> None:
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    print(f"Interface Airflow prête : http://localhost:{port}", flush=True)
    print(
        f"  connexion : utilisateur admin, mot de passe dans {SimpleAuthManager.get_generated_password_file()}",
        flush=True,
    )
    print(f"  {parallelism()} tâche(s) en parallèle ; Ctrl-C pour tout arrêter.", flush=True)


def stop(components: list[Component], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM every component's group, wait, then SIGKILL whatever is left of those groups."""
    groups = {component.group for component in components}
    for group in groups:
        _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _members(groups):
        for component in components:
            component.process.poll()  # reap our direct children as they exit
        time.sleep(0.2)
    for group in groups:
        _signal_group(group, signal.SIGKILL)
    for component in components:
        try:
            component.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    # Processes of our groups reparented to init after their parent died.
    psutil.wait_procs(_members(groups), timeout=5)


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        pass


def _members(groups: set[int]) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) in groups and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members

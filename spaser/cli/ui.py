"""``spaser ui``: the Airflow components of the project, started and stopped as one.

Each component (scheduler, dag-processor, api-server) runs as a child in its own process group,
so that stopping ``spaser ui`` (Ctrl-C, SIGTERM, a closed terminal) stops everything it started:
the LocalExecutor workers live in the scheduler's group, each task process in a group of its own
found among the scheduler's descendants. ``airflow standalone`` left them running when it was
killed. No triggerer is started: no task of the project defers (docker-compose.yml, the
production shape, runs one).
The embedded warehouse (pgserver) detaches itself on purpose: it outlives ``spaser ui`` and is
stopped by ``spaser arret``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil

COMPONENTS = ("scheduler", "dag-processor", "api-server")
DEFAULT_PORT = 8080
STOP_TIMEOUT_SECONDS = 20.0
POLL_SECONDS = 0.5


def parallelism() -> int:
    """How many tasks the LocalExecutor runs at once: one per core unless the environment says.

    Airflow's own default, 32 worker processes whatever the machine, starved a 2-core one.
    """
    configured = os.environ.get("AIRFLOW__CORE__PARALLELISM")
    return int(configured) if configured else os.cpu_count() or 1


def configure_components(port: int) -> None:
    """The environment every component inherits; apart from the port, variables already set win."""
    from spaser.cli.airflow_setup import configure_airflow_environment

    configure_airflow_environment()
    os.environ["AIRFLOW__API__PORT"] = str(port)
    defaults = {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism()),
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


def serve(port: int | None = None) -> int:
    """Run the components until a stop signal or until one of them dies; stop them all either way."""
    port = port or int(os.environ.get("AIRFLOW__API__PORT", DEFAULT_PORT))
    configure_components(port)
    from spaser.db.warehouse import warehouse_description

    logs_dir = Path(os.environ["AIRFLOW_HOME"]) / "logs" / "ui"
    logs_dir.mkdir(parents=True, exist_ok=True)
    # The handlers only record the signal: raising from them could strike between a child's
    # start and its registration, and leave that child behind.
    stop_signal: list[str] = []
    previous_handlers = {
        signum: signal.signal(signum, lambda signum, frame: stop_signal.append(signal.Signals(signum).name))
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    components: list[Component] = []
    try:
        print("Préparation de la base de métadonnées Airflow…", flush=True)
        # Through the CLI, like docker-compose's airflow-init: it also writes airflow.cfg with the
        # secrets (JWT, Fernet) every component must share, before any of them starts.
        components.append(_start("db-migrate", ["db", "migrate"], logs_dir))
        print(f"Entrepôt : {warehouse_description()}", flush=True)  # started meanwhile if embedded
        while components[0].process.poll() is None and not stop_signal:
            time.sleep(POLL_SECONDS)
        if stop_signal:
            return _stopped(stop_signal)
        if components[0].process.returncode != 0:
            print(f"Échec de la préparation des métadonnées Airflow ; voir {components[0].log_path}", file=sys.stderr)
            return 1
        components.clear()  # the migration's group is gone: its number may be reused
        for name in COMPONENTS:
            components.append(_start(name, [name], logs_dir))
        print(f"Démarrage de {', '.join(COMPONENTS)} (journaux : {logs_dir})…", flush=True)
        return _watch(components, port, stop_signal)
    finally:
        stop(components)
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        print("Composants Airflow arrêtés.", flush=True)


def _stopped(stop_signal: list[str]) -> int:
    print(f"Arrêt demandé ({stop_signal[0]}).", flush=True)
    return 0


def _start(name: str, airflow_args: list[str], logs_dir: Path) -> Component:
    log_path = logs_dir / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["airflow", *airflow_args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Component(name, process, log_path)


def _watch(components: list[Component], port: int, stop_signal: list[str]) -> int:
    ready = False
    while not stop_signal:
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
            _print_ready(port)
        time.sleep(POLL_SECONDS)
    return _stopped(stop_signal)


def _healthy(port: int) -> bool:
    """The API server answers and reports the scheduler and the dag-processor alive."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2) as response:
            health = json.load(response)
    except (OSError, ValueError):
        return False
    return all((health.get(component) or {}).get("status") == "healthy" for component in ("scheduler", "dag_processor"))


def _print_ready(port: int) -> None:
    with warnings.catch_warnings():
        # Airflow's import chain warns about its own dependencies; nothing the user can act on.
        warnings.simplefilter("ignore")
        from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    print(f"Interface Airflow prête : http://localhost:{port}", flush=True)
    print(
        f"  connexion : utilisateur admin, mot de passe dans {SimpleAuthManager.get_generated_password_file()}",
        flush=True,
    )
    print(f"  {parallelism()} tâche(s) en parallèle ; Ctrl-C pour tout arrêter.", flush=True)


def stop(components: list[Component], timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM every group we started, wait, then SIGKILL whatever is left of those groups.

    Airflow runs each task process in a group of its own, under its LocalExecutor worker: those
    groups are gathered from the components' descendants, so that a task is stopped even when its
    worker is killed first and it is left an orphan.
    """
    signalled: set[int] = set()
    deadline = time.monotonic() + timeout
    while True:
        for group in _groups(components) - signalled:
            _signal_group(group, signal.SIGTERM)
            signalled.add(group)
        for component in components:
            component.process.poll()  # reap our direct children as they exit
        if not _members(signalled) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    for group in signalled:
        _signal_group(group, signal.SIGKILL)
    for component in components:
        try:
            component.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    # Processes of our groups reparented to init after their parent died.
    psutil.wait_procs(_members(signalled), timeout=5)


def _groups(components: list[Component]) -> set[int]:
    groups = set()
    for component in components:
        if component.process.returncode is not None:
            continue  # reaped: its pid may be another program's now
        groups.add(component.group)
        try:
            descendants = psutil.Process(component.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for process in descendants:
            try:
                # The embedded PostgreSQL, started by a task, detaches itself and must outlive us.
                if process.name() != "postgres":
                    groups.add(os.getpgid(process.pid))
            except (ProcessLookupError, psutil.Error):
                continue
    groups.discard(os.getpgrp())
    return groups


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

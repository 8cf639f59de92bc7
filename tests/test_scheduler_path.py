"""The path the data team uses: `spaser ui`, a night triggered through Airflow's REST API, then a stop.

The real scheduler, dag-processor and API server run as `spaser ui` starts them, each task in its
own LocalExecutor process, on the embedded PostgreSQL (no SPASER_WAREHOUSE_URL) with Airflow's
metadata in SQLite. The night reads the small hand-made inbox and must publish the values
computed by hand in ``attendus.csv``. SIGTERM must then stop every process `spaser ui` started,
and `spaser arret` the embedded PostgreSQL it leaves running.

About three minutes on two cores: excluded from the default run, CI runs it with
``pytest -m scheduler_path`` (see .ci/run).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import psycopg
import pytest

from tests.indicator_values import differences, read_values

pytestmark = pytest.mark.scheduler_path

SMALL_INBOX = Path(__file__).parent / "fixtures" / "inbox_small"
SPASER = Path(sys.executable).parent / "spaser"
# prepare_warehouse, 15 extractions, validate_raw, 4 dbt layers, validate_marts, publish,
# grant_access, export_indicateurs, build_site, summary.
TASK_COUNT = 27
READY_TIMEOUT = 120
NIGHT_TIMEOUT = 600  # a night took from 2.5 to over 5 minutes here, with the 2 cores shared
STOP_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AirflowApi:
    """Airflow's REST API v2 as a user logged in with the password SimpleAuthManager generated."""

    def __init__(self, port: int, password_file: Path):
        self.base = f"http://127.0.0.1:{port}"
        password = json.loads(password_file.read_text())["admin"]
        token = self._call("POST", "/auth/token", {"username": "admin", "password": password})
        self.token = token["access_token"]

    def _call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def __call__(self, method: str, path: str, body: dict | None = None) -> dict:
        return self._call(method, "/api/v2" + path, body, self.token)


def _wait_until_ready(ui: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while "Interface Airflow prête" not in output.read_text(encoding="utf-8"):
        assert ui.poll() is None, f"spaser ui s'est arrêté :\n{output.read_text(encoding='utf-8')}"
        assert time.monotonic() < deadline, f"spaser ui pas prêt en {READY_TIMEOUT} s :\n{output.read_text()}"
        time.sleep(1)


def _wait_until_parsed(api: AirflowApi) -> None:
    """The dag-processor is up when spaser ui says ready; the DAG file may take a moment more."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            api("GET", "/dags/spaser_nightly")
            return
        except urllib.error.HTTPError as error:
            assert error.code == 404 and time.monotonic() < deadline, error
        time.sleep(1)


def _wait_for_run(api: AirflowApi, run_id: str) -> dict:
    deadline = time.monotonic() + NIGHT_TIMEOUT
    path = f"/dags/spaser_nightly/dagRuns/{urllib.parse.quote(run_id, safe='')}"
    while True:
        run = api("GET", path)
        if run["state"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, f"nuit {run_id} toujours {run['state']} après {NIGHT_TIMEOUT} s"
        time.sleep(2)


def _running_task_process(api: AirflowApi, run_id: str) -> psutil.Process:
    deadline = time.monotonic() + NIGHT_TIMEOUT
    path = f"/dags/spaser_nightly/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances"
    while time.monotonic() < deadline:
        for instance in api("GET", path)["task_instances"]:
            if instance["state"] == "running" and instance["pid"]:
                try:
                    return psutil.Process(instance["pid"])
                except psutil.NoSuchProcess:
                    continue
        time.sleep(0.5)
    raise AssertionError(f"aucune tâche de la nuit {run_id} vue en cours en {NIGHT_TIMEOUT} s")


def _in_sessions(sessions: set[int]) -> list[psutil.Process]:
    """Live processes of these sessions: whatever a component started, unless it left on purpose."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) in sessions and not _gone(process):
                found.append(process)
        except (OSError, psutil.Error):
            continue
    return found


def _command_line(process: psutil.Process) -> list[str]:
    """Its command line; empty for a process that ended since it was listed."""
    try:
        return process.cmdline()
    except psutil.NoSuchProcess:  # ZombieProcess included
        return []


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_night_through_the_scheduler_then_everything_stops(tmp_path, monkeypatch):
    home = tmp_path / "spaser_home"
    inbox = tmp_path / "inbox"
    for folder in SMALL_INBOX.iterdir():
        if folder.is_dir():  # the sources only, not the expected values beside them
            shutil.copytree(folder, inbox / folder.name)
    # Deposited an hour before the night, as a source system would: past the inbox's quiet period
    # (the default one applies: the night's processes inherit no SPASER_ setting).
    an_hour_ago = time.time() - 3600
    for path in inbox.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "SPASER_"))}
    env["SPASER_HOME"] = str(home)
    # Only the manual run: unpausing must not also start the scheduled night of the last interval.
    env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"
    port = _free_port()
    output = tmp_path / "spaser_ui.out"
    with open(output, "wb") as sink:
        ui = subprocess.Popen(
            [str(SPASER), "ui", "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    try:
        _wait_until_ready(ui, output)
        api = AirflowApi(port, home / "airflow" / "simple_auth_manager_passwords.json.generated")
        _wait_until_parsed(api)
        assert api("PATCH", "/dags/spaser_nightly", {"is_paused": False})["is_paused"] is False
        run_id = api("POST", "/dags/spaser_nightly/dagRuns", {"logical_date": None, "conf": {"inbox": str(inbox)}})[
            "dag_run_id"
        ]
        run = _wait_for_run(api, run_id)
        instances = api("GET", f"/dags/spaser_nightly/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances")[
            "task_instances"
        ]
        states = {instance["task_id"]: instance["state"] for instance in instances}
        assert run["state"] == "success", states
        assert len(states) == TASK_COUNT and set(states.values()) == {"success"}, states
        # LocalExecutor: every task in a process of its own, neither a component nor a worker.
        # A task process that just ended may wait, a zombie, for its worker to reap it: dead, not counted.
        tree = [process for process in psutil.Process(ui.pid).children(recursive=True) if not _gone(process)]
        components = psutil.Process(ui.pid).children()
        workers = [process for process in tree if "LocalExecutor" in " ".join(_command_line(process))]
        assert len(components) == 3 and 1 <= len(workers) <= os.cpu_count()
        task_pids = [instance["pid"] for instance in instances]
        assert None not in task_pids and len(set(task_pids)) == TASK_COUNT
        assert not set(task_pids) & {ui.pid, *(process.pid for process in components + workers)}

        summary = json.loads((home / "derniere_nuit.json").read_text(encoding="utf-8"))
        assert summary["run_id"] == run_id and summary["succes"] is True
        # Each step's time, measured in its own process, reaches the summary through the warehouse.
        assert set(summary["durees_etapes"]) == set(states) - {"summary"}
        exported = read_values(home / "exports" / "indicateurs.csv")
        problems = differences(read_values(SMALL_INBOX / "attendus.csv"), exported)
        assert not problems, "\n".join(problems)
        monkeypatch.setenv("SPASER_HOME", str(home))
        monkeypatch.delenv("SPASER_WAREHOUSE_URL", raising=False)
        from spaser.warehouse import embedded_server_process, warehouse_url

        with psycopg.connect(warehouse_url()) as conn:
            published = conn.execute("select count(*) from marts.fct_indicateurs").fetchone()[0]
        assert published == len(exported) > 0

        # Stopped in the middle of a second night: a running task must go too.
        second = api("POST", "/dags/spaser_nightly/dagRuns", {"logical_date": None, "conf": {"inbox": str(inbox)}})
        running = _running_task_process(api, second["dag_run_id"])
        tree = psutil.Process(ui.pid).children(recursive=True)
        assert running in tree
        # Each component leads a session; the task processes have groups of their own within it.
        sessions = {component.pid for component in components}
        seen = _in_sessions(sessions)
        assert all(process in seen or _gone(process) for process in tree)
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(STOP_TIMEOUT) == 0
        survivors = [process for process in tree if not _gone(process)]
        assert survivors == [], [process.cmdline() for process in survivors]
        # Nor any process started after that snapshot.
        assert _in_sessions(sessions) == []
        said = output.read_text(encoding="utf-8")
        assert "Composants Airflow arrêtés." in said
        assert "`spaser arret` l'arrête" in said  # the embedded PostgreSQL is announced, not hidden

        postgres = embedded_server_process()
        assert postgres is not None
        stopped = subprocess.run([str(SPASER), "arret"], env=env, capture_output=True, text=True, timeout=120)
        assert stopped.returncode == 0 and "PostgreSQL embarqué arrêté" in stopped.stdout, stopped
        assert _gone(postgres) and embedded_server_process() is None
    finally:
        _stop_after_failure(ui)
        subprocess.run([str(SPASER), "arret"], env=env, capture_output=True, timeout=120)


def _stop_after_failure(ui: subprocess.Popen) -> None:
    """Leave no process behind when the test failed before its own SIGTERM."""
    if ui.poll() is not None:
        return
    tree = psutil.Process(ui.pid).children(recursive=True)
    ui.terminate()
    try:
        ui.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        ui.kill()
    for process in tree:
        if not _gone(process):
            process.kill()

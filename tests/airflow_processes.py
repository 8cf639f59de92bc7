"""Driving the real Airflow components from a test: `spaser ui` as a child, its REST API, its processes.

Shared by the scheduler-path test (LocalExecutor) and the Celery test (CeleryExecutor, two workers).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

SMALL_INBOX = Path(__file__).parent / "fixtures" / "inbox_small"
SPASER = Path(sys.executable).parent / "spaser"
# prepare_warehouse, 15 extractions, validate_raw, 4 dbt layers, validate_marts, publish,
# grant_access, export_indicateurs, build_site, summary.
TASK_COUNT = 27
READY_TIMEOUT = 120
NIGHT_TIMEOUT = 600  # a night took from 2.5 to over 5 minutes here, with the 2 cores shared
STOP_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deposit_small_inbox(inbox: Path) -> Path:
    """The sources of the small inbox, deposited an hour before the night as a source system would:
    past the inbox's quiet period (the night's processes inherit no SPASER_ setting)."""
    for folder in SMALL_INBOX.iterdir():
        if folder.is_dir():  # the sources only, not the expected values beside them
            shutil.copytree(folder, inbox / folder.name)
    an_hour_ago = time.time() - 3600
    for path in inbox.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    return inbox


def clean_environment() -> dict[str, str]:
    """This process's environment without any Airflow or SPASER setting: the test gives its own."""
    return {name: value for name, value in os.environ.items() if not name.startswith(("AIRFLOW", "SPASER_"))}


def start_ui(env: dict[str, str], port: int, output: Path, cwd: Path) -> subprocess.Popen:
    with open(output, "wb") as sink:
        return subprocess.Popen(
            [str(SPASER), "ui", "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=cwd
        )


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

    def trigger(self, inbox: Path) -> str:
        """A manual night on ``inbox``; its run id."""
        run = self("POST", "/dags/spaser_nightly/dagRuns", {"logical_date": None, "conf": {"inbox": str(inbox)}})
        return run["dag_run_id"]

    def task_instances(self, run_id: str) -> list[dict]:
        return self("GET", f"/dags/spaser_nightly/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances")[
            "task_instances"
        ]


def wait_until_ready(ui: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while "Interface Airflow prête" not in output.read_text(encoding="utf-8"):
        assert ui.poll() is None, f"spaser ui s'est arrêté :\n{output.read_text(encoding='utf-8')}"
        assert time.monotonic() < deadline, f"spaser ui pas prêt en {READY_TIMEOUT} s :\n{output.read_text()}"
        time.sleep(1)


def wait_until_parsed(api: AirflowApi) -> None:
    """The dag-processor is up when spaser ui says ready; the DAG file may take a moment more."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            api("GET", "/dags/spaser_nightly")
            return
        except urllib.error.HTTPError as error:
            assert error.code == 404 and time.monotonic() < deadline, error
        time.sleep(1)


def wait_for_run(api: AirflowApi, run_id: str) -> dict:
    deadline = time.monotonic() + NIGHT_TIMEOUT
    path = f"/dags/spaser_nightly/dagRuns/{urllib.parse.quote(run_id, safe='')}"
    while True:
        run = api("GET", path)
        if run["state"] not in ("queued", "running"):
            return run
        assert time.monotonic() < deadline, f"nuit {run_id} toujours {run['state']} après {NIGHT_TIMEOUT} s"
        time.sleep(2)


def successful_night(port: int, home: Path, inbox: Path, diagnostics=lambda: "") -> tuple[AirflowApi, str, list[dict]]:
    """Through the REST API of the `spaser ui` whose SPASER_HOME is ``home``: unpause the DAG,
    trigger a night on ``inbox``, wait for it; it must succeed, every task with it. Returns the
    API, the run id and its task instances; ``diagnostics()`` adds to a failure's message."""
    api = AirflowApi(port, home / "airflow" / "simple_auth_manager_passwords.json.generated")
    wait_until_parsed(api)
    assert api("PATCH", "/dags/spaser_nightly", {"is_paused": False})["is_paused"] is False
    run_id = api.trigger(inbox)
    run = wait_for_run(api, run_id)
    instances = api.task_instances(run_id)
    states = {instance["task_id"]: instance["state"] for instance in instances}
    assert run["state"] == "success", (states, diagnostics())
    assert len(states) == TASK_COUNT and set(states.values()) == {"success"}, states
    return api, run_id, instances


def running_task_process(api: AirflowApi, run_id: str) -> psutil.Process:
    deadline = time.monotonic() + NIGHT_TIMEOUT
    while time.monotonic() < deadline:
        for instance in api.task_instances(run_id):
            if instance["state"] == "running" and instance["pid"]:
                try:
                    return psutil.Process(instance["pid"])
                except psutil.NoSuchProcess:
                    continue
        time.sleep(0.5)
    raise AssertionError(f"aucune tâche de la nuit {run_id} vue en cours en {NIGHT_TIMEOUT} s")


def in_sessions(sessions: set[int]) -> list[psutil.Process]:
    """Live processes of these sessions: whatever a component started, unless it left on purpose."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) in sessions and not gone(process):
                found.append(process)
        except (OSError, psutil.Error):
            continue
    return found


def command_line(process: psutil.Process) -> list[str]:
    """Its command line; empty for a process that ended since it was listed."""
    try:
        return process.cmdline()
    except psutil.NoSuchProcess:  # ZombieProcess included
        return []


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop_after_failure(child: subprocess.Popen) -> None:
    """Leave no process behind when the test failed before its own SIGTERM."""
    if child.poll() is not None:
        return
    tree = psutil.Process(child.pid).children(recursive=True)
    child.terminate()
    try:
        child.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
    for process in tree:
        if not gone(process):
            process.kill()

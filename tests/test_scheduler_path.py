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
import signal
import subprocess

import psutil
import psycopg
import pytest

from tests.airflow_processes import (
    SMALL_INBOX,
    SPASER,
    STOP_TIMEOUT,
    TASK_COUNT,
    clean_environment,
    command_line,
    deposit_small_inbox,
    free_port,
    gone,
    in_sessions,
    running_task_process,
    start_ui,
    stop_after_failure,
    successful_night,
    wait_until_ready,
)
from tests.indicator_values import differences, read_values

pytestmark = pytest.mark.scheduler_path


def test_a_night_through_the_scheduler_then_everything_stops(tmp_path, monkeypatch):
    home = tmp_path / "spaser_home"
    inbox = deposit_small_inbox(tmp_path / "inbox")
    env = clean_environment()
    env["SPASER_HOME"] = str(home)
    # Only the manual run: unpausing must not also start the scheduled night of the last interval.
    env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"
    port = free_port()
    output = tmp_path / "spaser_ui.out"
    ui = start_ui(env, port, output, cwd=tmp_path)
    try:
        wait_until_ready(ui, output)
        api, run_id, instances = successful_night(port, home, inbox)
        # LocalExecutor: every task in a process of its own, neither a component nor a worker.
        # A task process that just ended may wait, a zombie, for its worker to reap it: dead, not counted.
        tree = [process for process in psutil.Process(ui.pid).children(recursive=True) if not gone(process)]
        components = psutil.Process(ui.pid).children()
        workers = [process for process in tree if "LocalExecutor" in " ".join(command_line(process))]
        assert len(components) == 3 and 1 <= len(workers) <= os.cpu_count()
        task_pids = [instance["pid"] for instance in instances]
        assert None not in task_pids and len(set(task_pids)) == TASK_COUNT
        assert not set(task_pids) & {ui.pid, *(process.pid for process in components + workers)}

        summary = json.loads((home / "derniere_nuit.json").read_text(encoding="utf-8"))
        assert summary["run_id"] == run_id and summary["succes"] is True
        # Each step's time, measured in its own process, reaches the summary through the warehouse.
        assert set(summary["durees_etapes"]) == {instance["task_id"] for instance in instances} - {"summary"}
        exported = read_values(home / "exports" / "indicateurs.csv")
        problems = differences(read_values(SMALL_INBOX / "attendus.csv"), exported)
        assert not problems, "\n".join(problems)
        monkeypatch.setenv("SPASER_HOME", str(home))
        monkeypatch.delenv("SPASER_WAREHOUSE_URL", raising=False)
        from spaser.db.warehouse import embedded_server_process, warehouse_url

        with psycopg.connect(warehouse_url()) as conn:
            published = conn.execute("select count(*) from marts.fct_indicateurs").fetchone()[0]
        assert published == len(exported) > 0

        # Stopped in the middle of a second night: a running task must go too.
        running = running_task_process(api, api.trigger(inbox))
        tree = psutil.Process(ui.pid).children(recursive=True)
        assert running in tree
        # Each component leads a session; the task processes have groups of their own within it.
        sessions = {component.pid for component in components}
        seen = in_sessions(sessions)
        assert all(process in seen or gone(process) for process in tree)
        ui.send_signal(signal.SIGTERM)
        assert ui.wait(STOP_TIMEOUT) == 0
        survivors = [process for process in tree if not gone(process)]
        assert survivors == [], [process.cmdline() for process in survivors]
        # Nor any process started after that snapshot.
        assert in_sessions(sessions) == []
        said = output.read_text(encoding="utf-8")
        assert "Composants Airflow arrêtés." in said
        assert "`spaser arret` l'arrête" in said  # the embedded PostgreSQL is announced, not hidden

        postgres = embedded_server_process()
        assert postgres is not None
        stopped = subprocess.run([str(SPASER), "arret"], env=env, capture_output=True, text=True, timeout=120)
        assert stopped.returncode == 0 and "PostgreSQL embarqué arrêté" in stopped.stdout, stopped
        assert gone(postgres) and embedded_server_process() is None
    finally:
        stop_after_failure(ui)
        subprocess.run([str(SPASER), "arret"], env=env, capture_output=True, timeout=120)

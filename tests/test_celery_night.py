"""A night under Airflow's CeleryExecutor, on two workers that share no local file.

The components run as in production: `spaser ui` starts the scheduler, the dag-processor and the
API server with ``AIRFLOW__CORE__EXECUTOR=CeleryExecutor`` and Airflow's metadata in PostgreSQL
(a new database on the test server); two ``airflow celery worker`` (one task at a time each) take
the tasks from the broker, Redis (README, « Plusieurs machines : CeleryExecutor », says why Redis).
Each worker has its own SPASER_HOME, as two machines would: all they share is the warehouse (a new
database on the test server), the broker, the inbox and the outputs folder (``SPASER_OUTPUTS``).

The DAG file is the one the scheduler path runs, unchanged. A cluster policy given to the
components (``airflow_local_settings.py``, as an operator would route tasks) sends the dbt layers
to the first worker and ``build_site`` to the second, every other task to the queue both serve:
the site is built on a worker where dbt never ran, so nothing it needs can come from a local file.
The night must succeed and publish the values computed by hand; each task must have run on
exactly one worker, the one its queue names (the worker's own log says which it executed); then,
stopped during a second night, no process of the components or of the workers may remain.

About five minutes on two cores (6 min 40 s measured with other work on the machine): excluded
from the default run, CI runs it with
``pytest -m celery_executor`` (see .ci/run). It needs the test PostgreSQL server
(``SPASER_TEST_ADMIN_URL``, else a pgserver) and Redis on 127.0.0.1:6379 (``SPASER_TEST_BROKER_URL``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest

from spaser.cli.ui import Component, stop
from spaser.core.settings import DAGS_DIR
from tests.airflow_processes import (
    SMALL_INBOX,
    STOP_TIMEOUT,
    clean_environment,
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
from tests.conftest import new_database
from tests.indicator_values import differences, read_values

pytestmark = pytest.mark.celery_executor

BROKER_URL = os.environ.get("SPASER_TEST_BROKER_URL", "redis://127.0.0.1:6379/0")
AIRFLOW = Path(sys.executable).parent / "airflow"
DBT_TASKS = {"dbt_seed", "dbt_staging", "dbt_intermediate", "dbt_marts"}
# The task policy the components load: their queue by task id, the shared queue otherwise.
POLICY = """
ROUTES = {routes!r}


def task_policy(task):
    task.queue = ROUTES.get(task.task_id, {shared!r})
"""
EXECUTED = re.compile(r"Executing workload in Celery: .*?task_id='(?P<task>[^']+)'.*?run_id='(?P<run>[^']+)'")


def _broker_reachable() -> None:
    import redis

    try:
        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.fail(f"broker Redis injoignable ({BROKER_URL}, réglage SPASER_TEST_BROKER_URL) : {error}")


def _forget_queues(queues: set[str]) -> None:
    """The broker keeps nothing of this test: its queues, their bindings, and the message of the
    task stopped mid-run (never acknowledged, it would be delivered again hours later)."""
    import redis

    broker = redis.Redis.from_url(BROKER_URL)
    broker.delete(*queues, *(f"_kombu.binding.{queue}" for queue in queues))
    for tag, payload in broker.hgetall("unacked").items():
        if json.loads(payload)[-1] in queues:  # [message, exchange, routing key]
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)


def _airflow_urls(url: str) -> dict[str, str]:
    """Airflow's metadata connections to ``url``: the synchronous one through psycopg2 (which
    dbt-postgres brings), the asynchronous one through psycopg 3, the project's own driver
    (Airflow 3.3 would otherwise derive an asyncpg URL, a driver the project does not install)."""
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url.replace("postgresql://", "postgresql+psycopg2://", 1),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": url.replace("postgresql://", "postgresql+psycopg_async://", 1),
    }


def _start_worker(name: str, queues: list[str], env: dict[str, str], home: Path, logs: Path) -> Component:
    worker_env = {
        **env,
        "SPASER_HOME": str(home),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Two workers on one machine: each serves its task logs on a port of its own.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
    }
    log_path = logs / f"worker-{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(AIRFLOW),
                "celery",
                "worker",
                "--queues",
                ",".join(queues),
                "--concurrency",
                "1",
                "--celery-hostname",
                f"{name}@%h",
            ],
            env=worker_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=home,
            start_new_session=True,
        )
    return Component(f"worker-{name}", process, log_path)


def _executed(worker: Component, run_id: str) -> list[str]:
    """The tasks of the night this worker's own log says it executed."""
    text = worker.log_path.read_text(encoding="utf-8", errors="replace")
    return [match["task"] for match in EXECUTED.finditer(text) if match["run"] == run_id]


def test_a_night_on_two_celery_workers_that_share_no_local_file(admin_url, tmp_path):
    _broker_reachable()
    home, outputs = tmp_path / "spaser_home", tmp_path / "sorties_partagees"
    worker_homes = {"a": tmp_path / "machine_a", "b": tmp_path / "machine_b"}
    inbox = deposit_small_inbox(tmp_path / "depot_partage")
    run_tag = uuid.uuid4().hex[:12]
    shared_queue = f"spaser-{run_tag}"
    queues = {"a": f"{shared_queue}-a", "b": f"{shared_queue}-b"}
    routes = {**dict.fromkeys(DBT_TASKS, queues["a"]), "build_site": queues["b"]}
    policy_dir = tmp_path / "politique"
    policy_dir.mkdir()
    (policy_dir / "airflow_local_settings.py").write_text(POLICY.format(routes=routes, shared=shared_queue))
    port = free_port()
    logs = tmp_path / "journaux"
    logs.mkdir()
    for folder in worker_homes.values():
        folder.mkdir()
    with new_database(admin_url) as warehouse, new_database(admin_url) as metadata:
        env = clean_environment()
        env.update(
            {
                "SPASER_WAREHOUSE_URL": warehouse,
                "SPASER_OUTPUTS": str(outputs),
                "SPASER_PSEUDONYMISATION_KEY": secrets.token_hex(32),
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                **_airflow_urls(metadata),
                "AIRFLOW__CELERY__BROKER_URL": BROKER_URL,
                # Above the longest step (spaser.core.plan.STEP_TIMEOUTS), as in docker-compose.yml.
                "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": shared_queue,
                # What the components and the workers must share, as docker-compose.yml's .env gives it.
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
                "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
                # Only the manual run: unpausing must not also start the scheduled night of the last interval.
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            }
        )
        ui_env = {**env, "SPASER_HOME": str(home), "PYTHONPATH": str(policy_dir)}
        output = logs / "spaser_ui.out"
        ui = start_ui(ui_env, port, output, cwd=tmp_path)
        workers: list[Component] = []
        try:
            wait_until_ready(ui, output)
            workers = [
                _start_worker(name, [shared_queue, queues[name]], env, worker_homes[name], logs) for name in ("a", "b")
            ]
            api, run_id, instances = successful_night(port, home, inbox, diagnostics=lambda: _tails(workers))
            task_ids = [instance["task_id"] for instance in instances]

            # Every task on a Celery worker: sent to the queue the policy names, executed once, by
            # the worker serving that queue, in a process that is no component's.
            assert {instance["task_id"]: instance["queue"] for instance in instances} == {
                task: routes.get(task, shared_queue) for task in task_ids
            }
            executed = {worker.name: _executed(worker, run_id) for worker in workers}
            ran_on = {task: name for name, tasks in executed.items() for task in tasks}
            assert sorted(task for tasks in executed.values() for task in tasks) == sorted(task_ids), executed
            assert {task for task, name in ran_on.items() if name == "worker-a"} >= DBT_TASKS
            assert ran_on["build_site"] == "worker-b"
            [hostname] = {instance["hostname"] for instance in instances}  # both workers are on this machine
            assert hostname in (socket.gethostname(), socket.getfqdn())
            components = psutil.Process(ui.pid).children()
            assert not {instance["pid"] for instance in instances} & {ui.pid, *(c.pid for c in components)}

            # The night's products are in the shared folder, the same as a single machine's.
            summary = json.loads((outputs / "derniere_nuit.json").read_text(encoding="utf-8"))
            assert summary["run_id"] == run_id and summary["succes"] is True
            exported = read_values(outputs / "exports" / "indicateurs.csv")
            problems = differences(read_values(SMALL_INBOX / "attendus.csv"), exported)
            assert not problems, "\n".join(problems)
            with psycopg.connect(warehouse) as conn:
                published = conn.execute("select count(*) from marts.fct_indicateurs").fetchone()[0]
            assert published == len(exported) > 0
            assert (outputs / "site" / "dbt" / "index.html").stat().st_size > 10_000
            assert (outputs / "site" / "qualite" / "index.html").exists()
            # The machines keep only their own scratch: no output, and none of dbt's files where
            # the site was built.
            for machine in worker_homes.values():
                assert not {"site", "exports", "runs", "derniere_nuit.json"} & {p.name for p in machine.iterdir()}
            assert (worker_homes["a"] / "dbt" / "target" / "manifest.json").exists()
            assert not (worker_homes["b"] / "dbt").exists()

            # Stopped during a second night, with a task running on a worker: nothing remains.
            running = running_task_process(api, api.trigger(inbox))
            assert any(running in psutil.Process(w.process.pid).children(recursive=True) for w in workers)
            sessions = {component.pid for component in components} | {w.process.pid for w in workers}
            tree = [
                process
                for leader in [ui.pid, *(w.process.pid for w in workers)]
                for process in psutil.Process(leader).children(recursive=True)
            ]
            ui.send_signal(signal.SIGTERM)
            stop(workers)
            assert ui.wait(STOP_TIMEOUT) == 0
            assert all(worker.process.returncode is not None for worker in workers)
            survivors = [process for process in tree if not gone(process)]
            assert survivors == [], [process.cmdline() for process in survivors]
            assert in_sessions(sessions) == []
        finally:
            stop(workers)
            stop_after_failure(ui)
            _forget_queues({shared_queue, *queues.values()})


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _tails(workers: list[Component]) -> dict[str, str]:
    """The end of each worker's log, for a failure's message."""
    return {w.name: w.log_path.read_text(encoding="utf-8", errors="replace")[-3000:] for w in workers}

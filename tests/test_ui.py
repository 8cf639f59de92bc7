"""`spaser ui`'s configuration and `spaser arret`, without starting Airflow (that is test_scheduler_path)."""

from __future__ import annotations

import os

import psycopg
import pytest

from spaser.cli.main import main
from spaser.cli.ui import configure_components, parallelism

COMPONENT_VARIABLES = (
    "AIRFLOW_HOME",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__LOAD_EXAMPLES",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT",
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CORE__PARALLELISM",
    "AIRFLOW__API__PORT",
    "AIRFLOW__API__HOST",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "PATH",
)


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """configure_components writes os.environ: every variable it may set is restored afterwards."""
    for name in COMPONENT_VARIABLES:
        if name == "PATH":
            monkeypatch.setenv("PATH", os.environ["PATH"])
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPASER_HOME", str(tmp_path / "spaser_home"))
    monkeypatch.delenv("SPASER_WAREHOUSE_URL", raising=False)
    return monkeypatch


def test_local_executor_runs_one_task_per_core_unless_the_environment_says(clean_environment):
    assert parallelism() == os.cpu_count()
    clean_environment.setenv("AIRFLOW__CORE__PARALLELISM", "5")
    assert parallelism() == 5


def test_task_processes_report_to_the_api_server_of_the_chosen_port(clean_environment):
    configure_components(18123)
    assert os.environ["AIRFLOW__API__PORT"] == "18123"
    assert os.environ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18123/execution/"
    assert os.environ["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert os.environ["AIRFLOW__CORE__PARALLELISM"] == str(os.cpu_count())


def test_settings_already_in_the_environment_win(clean_environment):
    clean_environment.setenv("AIRFLOW__CORE__PARALLELISM", "3")
    clean_environment.setenv("AIRFLOW__API__HOST", "0.0.0.0")
    configure_components(18123)
    assert os.environ["AIRFLOW__CORE__PARALLELISM"] == "3"
    assert os.environ["AIRFLOW__API__HOST"] == "0.0.0.0"


def test_arret_with_no_embedded_server_running(clean_environment, capsys):
    assert main(["arret"]) == 0
    assert "Aucun PostgreSQL embarqué en marche" in capsys.readouterr().out


def test_arret_never_signals_a_process_named_by_a_stale_pid_file(clean_environment, tmp_path, capsys):
    # A postmaster.pid left by a crash may name a pid reused since by another program: here, this one.
    pgdata = tmp_path / "spaser_home" / "pgdata"
    pgdata.mkdir(parents=True)
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n")
    assert main(["arret"]) == 0
    assert "Aucun PostgreSQL embarqué en marche" in capsys.readouterr().out


def test_arret_leaves_an_external_warehouse_alone(clean_environment, capsys):
    clean_environment.setenv("SPASER_WAREHOUSE_URL", "postgresql://spaser@warehouse.invalid:5432/spaser")
    assert main(["arret"]) == 0
    assert "aucun PostgreSQL embarqué à arrêter" in capsys.readouterr().out


def test_arret_stops_the_embedded_server_a_command_left_running(clean_environment, capsys):
    from spaser.db import warehouse

    clean_environment.setattr(warehouse, "_embedded_server_used", False)
    with psycopg.connect(warehouse.warehouse_url()) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    postmaster = warehouse.embedded_server_process()
    assert postmaster is not None and warehouse.embedded_server_left_running()
    assert main(["arret"]) == 0
    assert "PostgreSQL embarqué arrêté" in capsys.readouterr().out
    assert not postmaster.is_running() and warehouse.embedded_server_process() is None
    assert not warehouse.embedded_server_left_running()

"""The DAG file imports cleanly, wires the night's steps in order, and stays cheap to parse."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from spaser.cli.airflow_setup import configure_airflow_environment
from spaser.core.settings import DAGS_DIR


@pytest.fixture(scope="module")
def nightly_dag(tmp_path_factory):
    import os

    os.environ.setdefault("SPASER_HOME", str(tmp_path_factory.mktemp("airflow_home")))
    configure_airflow_environment()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags["spaser_nightly"]


def test_every_source_is_extracted_before_the_raw_checks(nightly_dag):
    from spaser.ingest.sources import SOURCES

    extract_ids = {"extract_" + name.replace("/", "_") for name in SOURCES}
    assert extract_ids <= set(nightly_dag.task_ids)
    raw_checks = nightly_dag.get_task("validate_raw")
    assert extract_ids == raw_checks.upstream_task_ids


def test_marts_are_published_only_after_the_gate(nightly_dag):
    chain = [
        "validate_raw",
        "dbt_seed",
        "dbt_staging",
        "dbt_intermediate",
        "dbt_marts",
        "validate_marts",
        "publish",
        "export_indicateurs",
    ]
    for upstream, downstream in zip(chain, chain[1:], strict=False):
        assert nightly_dag.get_task(downstream).upstream_task_ids == {upstream}, downstream


def test_summary_runs_whatever_happened(nightly_dag):
    summary = nightly_dag.get_task("summary")
    assert summary.trigger_rule == "all_done"
    assert set(nightly_dag.task_ids) - {"summary"} == summary.upstream_task_ids


def test_every_task_has_a_time_limit(nightly_dag):
    from datetime import timedelta

    limits = {task.task_id: task.execution_timeout for task in nightly_dag.tasks}
    assert all(limit is not None and timedelta(0) < limit <= timedelta(hours=2) for limit in limits.values()), limits
    assert limits["publish"] == timedelta(minutes=15)


def test_nightly_schedule_in_paris_time(nightly_dag):
    assert nightly_dag.timezone.name == "Europe/Paris"
    assert nightly_dag.catchup is False


def test_access_is_granted_after_publication_and_the_site_built_after_the_export(nightly_dag):
    assert nightly_dag.get_task("grant_access").upstream_task_ids == {"publish"}
    assert nightly_dag.get_task("build_site").upstream_task_ids == {"export_indicateurs"}


def test_parsing_the_dag_file_imports_only_the_night_plan(tmp_path):
    """Airflow parses the DAG file again and again (and the allocator settings of the extractors
    must not land in the dag-processor): the file imports the standard-library plan of the night
    alone; the extractors, psycopg, Arrow, pandas, dbt and GX are imported when a task runs."""
    probe = (
        "import importlib.util, os, sys\n"
        f"os.environ.setdefault('SPASER_HOME', {str(tmp_path)!r})\n"
        "from spaser.cli.airflow_setup import configure_airflow_environment\n"
        "configure_airflow_environment()\n"
        "import airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"spec = importlib.util.spec_from_file_location('spaser_nightly', {str(DAGS_DIR / 'spaser_nightly.py')!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=DAGS_DIR.parent
    )
    imported = set(ast.literal_eval(completed.stdout.strip().splitlines()[-1]))
    project_modules = {name for name in imported if name.split(".")[0] == "spaser"}
    assert "spaser.core.plan" in project_modules  # the probe does see what the file imports
    assert project_modules <= {"spaser", "spaser.core", "spaser.core.plan"}, project_modules
    heavy = {
        "pandas",
        "numpy",
        "pyarrow",
        "psycopg",
        "jsonschema",
        "openpyxl",
        "dbt",
        "great_expectations",
        "sqlalchemy",
    }
    assert not {name.split(".")[0] for name in imported} & heavy


def test_each_step_pushes_one_xcom(nightly_dag):
    """Its result, read whole; not one XCom per key besides (an Execution API call and a write each)."""
    assert [task.task_id for task in nightly_dag.tasks if task.multiple_outputs] == []

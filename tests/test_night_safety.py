"""Nights that survive overlaps, kills, hangs and reruns (issue 15), on small prepared warehouses:
the night's own step functions (``spaser.pipeline.night``) on a real PostgreSQL, no whole night."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from spaser.cli.main import main
from spaser.ingest.loader import load_file
from spaser.ingest.sources import SOURCES
from spaser.pipeline import night as steps
from spaser.pipeline.pilotage import night_step
from tests.conftest import validated

FINANCE = Path(__file__).parent / "fixtures" / "inbox_finance"


def _in_thread(function, *args):
    outcome = {}

    def run():
        try:
            outcome["result"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker, outcome


# ---------------------------------------------------------------------------- one night at a time


def test_a_second_night_is_refused_at_once_naming_the_running_one(warehouse_url, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    running, release = threading.Event(), threading.Event()

    def first_night_step():
        running.set()
        release.wait(60)
        return {}

    worker, outcome = _in_thread(steps.run_step, "nuit-en-cours", "extract_finance_mandats", first_night_step)
    assert running.wait(30)
    started = time.monotonic()
    with pytest.raises(steps.NightStepFailed) as refusal:
        steps.run_step("seconde-nuit", "prepare_warehouse", steps.prepare_warehouse, str(inbox))
    assert time.monotonic() - started < 10
    assert "Une autre nuit est en cours sur cet entrepôt : nuit-en-cours" in str(refusal.value)
    release.set()
    worker.join(30)
    assert outcome == {"result": {}}
    # Between two steps of the first night (the scheduler starting the next task), still refused.
    with pytest.raises(steps.NightStepFailed, match="nuit-en-cours"):
        steps.run_step("seconde-nuit", "prepare_warehouse", steps.prepare_warehouse, str(inbox))
    # The refused night's summary frees nothing; the first night's summary frees the warehouse.
    assert steps.summarize("seconde-nuit", {"prepare_warehouse": None})["etapes_en_echec"][
        "prepare_warehouse"
    ].startswith("Une autre nuit est en cours")
    steps.summarize("nuit-en-cours", {"extract_finance_mandats": {}})
    assert steps.run_step("seconde-nuit", "prepare_warehouse", steps.prepare_warehouse, str(inbox))["inbox"] == str(
        inbox
    )


HOLDER = textwrap.dedent("""
    import sys, time
    from spaser.pipeline.pilotage import night_step
    with night_step("nuit-tuee", "dbt_marts"):
        print("tient", flush=True)
        time.sleep(600)
""")


def test_a_killed_night_releases_the_warehouse(warehouse_url, tmp_path, monkeypatch):
    # No grace between steps: liveness is the running step's session lock alone.
    monkeypatch.setenv("SPASER_NIGHT_GRACE_SECONDS", "0")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout.readline().strip() == "tient"
        with pytest.raises(steps.NightStepFailed, match="nuit-tuee"):
            steps.run_step("nuit-suivante", "prepare_warehouse", steps.prepare_warehouse, str(tmp_path))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    # Killed mid-step: its session, hence its lock, is gone; the night has had no activity since.
    deadline = time.monotonic() + 30
    while True:
        try:
            steps.run_step("nuit-suivante", "prepare_warehouse", steps.prepare_warehouse, str(tmp_path))
            break
        except steps.NightStepFailed:
            # The server notices the closed connection within moments.
            assert time.monotonic() < deadline, "la nuit tuée tient encore l'entrepôt"
            time.sleep(0.5)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select run_id from pilotage.nuit_en_cours").fetchall() == [("nuit-suivante",)]


def test_a_killed_night_is_waited_for_the_grace_then_taken_over(warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SPASER_NIGHT_GRACE_SECONDS", "600")
    with night_step("nuit-interrompue", "dbt_seed"):
        pass
    # Its process died between two steps: within the grace, it may be starting its next task.
    with pytest.raises(steps.NightStepFailed, match="nuit-interrompue"):
        steps.run_step("nuit-suivante", "prepare_warehouse", steps.prepare_warehouse, str(tmp_path))
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("update pilotage.nuit_en_cours set derniere_activite = now() - interval '11 minutes'")
    steps.run_step("nuit-suivante", "prepare_warehouse", steps.prepare_warehouse, str(tmp_path))


# ---------------------------------------------------------------------------- rerun of a fixed night


def test_a_rerun_of_a_fixed_night_is_green(warehouse_url, tmp_path):
    inbox = tmp_path / "depot"
    with pytest.raises(steps.NightStepFailed, match="Dossier de dépôt introuvable"):
        steps.run_step("nuit-corrigee", "prepare_warehouse", steps.prepare_warehouse, str(inbox))
    failed = steps.summarize("nuit-corrigee", {"prepare_warehouse": None})
    assert failed["succes"] is False and list(failed["etapes_en_echec"]) == ["prepare_warehouse"]

    inbox.mkdir()  # the input is fixed; the same night (same run id) runs again
    result = steps.run_step("nuit-corrigee", "prepare_warehouse", steps.prepare_warehouse, str(inbox))
    summary = steps.summarize("nuit-corrigee", {"prepare_warehouse": result})
    assert summary["succes"] is True and summary["etapes_en_echec"] == {}
    assert not (steps.run_dir("nuit-corrigee") / "echecs").exists()


# ---------------------------------------------------------------------------- timeouts


def test_every_sql_session_of_a_step_runs_under_the_pipeline_timeouts(warehouse_url, tmp_path):
    from spaser.db.warehouse import connect

    def read_settings():
        with connect() as conn:
            return conn.execute(
                "select current_setting('statement_timeout'), current_setting('lock_timeout'),"
                " current_setting('idle_in_transaction_session_timeout')"
            ).fetchone()

    assert steps.run_step("nuit", "prepare_warehouse", read_settings) == ("1h", "5min", "30min")
    assert read_settings() == ("0", "0", "0")  # outside a step, a session is the server's default


def _candidate(conn, run_id: str, value: int) -> None:
    conn.execute(f"create schema marts_candidat; create table marts_candidat.t as select {value} as n")
    validated(conn, run_id)


def test_a_step_stopped_at_its_time_limit_is_a_failure_of_the_night(warehouse_url):
    from airflow.sdk.exceptions import AirflowTaskTimeout

    def endless_step():
        raise AirflowTaskTimeout("Timeout, PID: 1234")  # what execution_timeout raises in the task

    with pytest.raises(AirflowTaskTimeout):
        steps.run_step("nuit-longue", "dbt_marts", endless_step)
    summary = steps.summarize("nuit-longue", {"dbt_marts": None})
    assert summary["etapes_en_echec"] == {
        "dbt_marts": "durée maximale de l'étape dépassée, arrêtée par Airflow (Timeout, PID: 1234)"
    }


def test_an_idle_reader_in_transaction_does_not_hold_the_publication(admin_url, warehouse_url, monkeypatch):
    from spaser.publish import access
    from spaser.publish import swap as publish

    monkeypatch.setenv("SPASER_READER_IDLE_TIMEOUT", "3s")
    monkeypatch.setattr(publish, "PUBLISH_LOCK_TIMEOUT", "1s")  # each attempt waits 1 s for the locks
    monkeypatch.setattr(publish, "RETRY_PAUSE_SECONDS", 0.2)
    # Roles are cluster-wide: a readers' role of this test's own, whose members no other test's
    # grant_access sets another limit on.
    suffix = uuid.uuid4().hex[:8]
    lecteur, reader = f"spaser_test_lecteur_{suffix}", f"bi_test_{suffix}"
    monkeypatch.setattr(access, "ROLES", (lecteur,))
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        for run, value in (("nuit-1", 1), ("nuit-2", 2)):
            _candidate(conn, run, value)
            steps.publish(run)
        conn.execute(f"create role {lecteur} nologin; create role {reader} login; grant {lecteur} to {reader}")
    try:
        steps.grant_access()  # the night's step: the reader's login role gets its idle limit
        reader_url = warehouse_url.replace("postgres@", f"{reader}@", 1)
        with psycopg.connect(reader_url) as bi:
            # A BI tool reads a published table and leaves its transaction open, holding its lock.
            assert bi.execute("select n from marts.t").fetchone() == (2,)
            with psycopg.connect(warehouse_url, autocommit=True) as conn:
                # Tonight's publication keeps that table as the previous one; tomorrow's drops it.
                for run, value in (("nuit-3", 3), ("nuit-4", 4)):
                    _candidate(conn, run, value)
                    worker, outcome = _in_thread(steps.publish, run)
                    worker.join(60)
                    assert not worker.is_alive(), "la publication attend encore la session inactive"
                    assert "publie_le" in outcome.get("result", {}), outcome
            with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
                bi.execute("select 1")  # the server ended the idle session
        with psycopg.connect(warehouse_url) as conn:
            assert conn.execute("select n from marts.t").fetchone() == (4,)
    finally:
        with psycopg.connect(warehouse_url, autocommit=True) as cleanup:
            cleanup.execute(f"drop owned by {lecteur}")  # its grants in this database
            cleanup.execute(f"drop role if exists {reader}")
            cleanup.execute(f"drop role if exists {lecteur}")


# ---------------------------------------------------------------------------- publication


def _marts(conn) -> list[tuple]:
    return conn.execute("select * from marts.t order by 1").fetchall()


def test_publication_swaps_only_what_the_gate_validated(warehouse_url):
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("create schema marts_candidat; create table marts_candidat.t as select 1 as n")
        validated(conn, "nuit-1")
        steps.publish("nuit-1")
        # Tonight's candidate passed the gate, then was changed (a second night, a hand-run dbt).
        conn.execute("create schema marts_candidat; create table marts_candidat.t as select 2 as n")
        validated(conn, "nuit-2")
        conn.execute("insert into marts_candidat.t values (3)")
        with pytest.raises(steps.NightStepFailed, match="n'est pas celui que la porte qualité de cette nuit a validé"):
            steps.publish("nuit-2")
        # A night whose gate recorded nothing (it failed) publishes nothing either.
        with pytest.raises(steps.NightStepFailed, match="aucune validation enregistrée"):
            steps.publish("nuit-3")
        assert _marts(conn) == [(1,)]


def test_the_previous_publication_is_kept_and_restored_at_once(warehouse_url, capsys):
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        for run, value in (("nuit-1", 1), ("nuit-2", 2)):
            conn.execute(f"create schema marts_candidat; create table marts_candidat.t as select {value} as n")
            validated(conn, run)
            steps.publish(run)
        steps.grant_access()
        assert _marts(conn) == [(2,)]
        assert conn.execute("select * from marts_precedent.t").fetchall() == [(1,)]

        with night_step("nuit-3", "dbt_marts"):
            assert main(["publication", "restaurer"]) == 1
        assert "La nuit nuit-3 est en cours" in capsys.readouterr().err
        assert _marts(conn) == [(2,)]
        steps.summarize("nuit-3", {})  # the night ends

        assert main(["publication", "restaurer"]) == 0
        out = capsys.readouterr().out
        assert "marts tient à nouveau la publication de la nuit nuit-1" in out
        assert "celle de la nuit nuit-2 est gardée dans marts_precedent" in out
        assert _marts(conn) == [(1,)]
        conn.execute("set role spaser_lecteur")
        assert _marts(conn) == [(1,)]  # readable at once
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from marts_precedent.t")
        conn.execute("reset role")
        assert main(["publication", "restaurer"]) == 0  # undoes the restore
        assert _marts(conn) == [(2,)]


def test_a_bi_view_in_its_own_schema_survives_the_publication(warehouse_url):
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("create schema marts_candidat; create table marts_candidat.t as select 1 as n")
        validated(conn, "nuit-1")
        steps.publish("nuit-1")
        conn.execute(
            "create schema bi_equipe; create view bi_equipe.doubles as select n * 2 as d from marts.t;"
            " create view bi_equipe.sur_vue as select d + 1 as e from bi_equipe.doubles"
        )
        for run, value in (("nuit-2", 5), ("nuit-3", 7)):
            conn.execute(f"create schema marts_candidat; create table marts_candidat.t as select {value} as n")
            validated(conn, run)
            steps.publish(run)
            # Still there, reading tonight's publication.
            assert conn.execute("select d from bi_equipe.doubles").fetchall() == [(value * 2,)]
            assert conn.execute("select e from bi_equipe.sur_vue").fetchall() == [(value * 2 + 1,)]


# ---------------------------------------------------------------------------- watermark


def test_a_source_loads_commit_in_load_id_order(warehouse_url, tmp_path, monkeypatch):
    """Two loads of the mandat lines at once (two processes): the second one cannot commit a
    higher load id while the first, with a lower one, is still loading. Otherwise an incremental
    build in between (int_finance__mandats_lignes: ``_load_id > max(_load_id)`` already merged)
    would take the second's rows, and the first's would never be merged."""
    from spaser.db.migrations import migrate
    from spaser.ingest import loader

    source = SOURCES["finance/mandats"]
    inbox = tmp_path / "inbox"
    (inbox / "finance" / "mandats").mkdir(parents=True)
    first = inbox / "finance" / "mandats" / "mandats_agglo_2023.csv"
    second = inbox / "finance" / "mandats" / "mandats_valence_2023.csv"
    for path in (first, second):
        path.write_bytes((FINANCE / "finance" / "mandats" / path.name).read_bytes())
    with psycopg.connect(warehouse_url) as conn:
        migrate(conn)
        source.prepare(conn)
        conn.commit()

    loading, finish = threading.Event(), threading.Event()
    load_content = loader._load_content

    def slow_first_load(conn, source_, path, *args):
        if path == first:
            loading.set()
            finish.wait(60)
        return load_content(conn, source_, path, *args)

    monkeypatch.setattr(loader, "_load_content", slow_first_load)

    def load(path):
        with psycopg.connect(warehouse_url) as conn:
            return load_file(conn, source, path, inbox, "nuit")

    first_worker, first_outcome = _in_thread(load, first)
    assert loading.wait(30)
    second_worker, second_outcome = _in_thread(load, second)
    second_worker.join(3)  # the second load either commits now or waits for the first
    with psycopg.connect(warehouse_url) as conn:
        # What an incremental build starting now would take as its watermark.
        watermark = conn.execute("select coalesce(max(_load_id), 0) from raw.finance_mandats").fetchone()[0]
    finish.set()
    first_worker.join(60)
    second_worker.join(60)
    reports = [first_outcome["result"], second_outcome["result"]]
    assert [report.statut for report in reports] == ["charge", "charge"]
    # The first load committed after the watermark was read: its rows must lie above it.
    assert reports[0].load_id > watermark
    with psycopg.connect(warehouse_url) as conn:
        assert (
            conn.execute("select count(*) from raw.finance_mandats where _load_id > %s", (watermark,)).fetchone()[0]
            == reports[0].nb_charges + reports[1].nb_charges
            > 0
        )

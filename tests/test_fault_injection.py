"""A night killed hard at any point, then rerun, leaves what an uninterrupted night leaves.

For each fault point of ``spaser.core.faults`` (``SPASER_FAULT``), ``spaser run`` on the small hand-made
inbox runs in its own process on a fresh warehouse and kills itself with SIGKILL there (no
rollback sent, no lock released, no temporary file removed). A rerun of the night — ``spaser
run`` again, ``SPASER_NIGHT_GRACE_SECONDS=0`` so that the dead night's lock is taken over at once
rather than after the 10-minute grace — must succeed and leave the warehouse, the exports and the
site equal to those of one uninterrupted night (``reference_night``):

- every table of the published schema ``marts`` and of the loaded data (``raw``,
  ``raw_stockage``): its row count and the md5 of its rows' text, sorted, without the columns
  listed in ``VARYING_COLUMNS`` (values that legitimately differ from one night to another);
- every export file (``$SPASER_HOME/exports``), byte for byte;
- every page of the dashboard, with run ids and dates of publication normalised (``_normalised``),
  and the same list of site files; no temporary file of the killed writers left behind.

Then PostgreSQL restarted in the middle of a COPY (a warehouse on the embedded server of the
test's own ``SPASER_HOME``, never the shared test server): the night fails cleanly — exit 1, the
step and the French reason named — and its rerun succeeds, equal to the reference.

Each night costs about a minute (the module: 15 min on two pytest-xdist workers, each with its own
reference night): excluded from the default run, CI runs it with ``pytest -m fault_injection``
(see .ci/run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from spaser.core.faults import FAULT_POINTS
from spaser.core.settings import PROJECT_ROOT
from tests.conftest import new_database

pytestmark = pytest.mark.fault_injection

SMALL_INBOX = Path(__file__).parent / "fixtures" / "inbox_small"
SOURCE_FOLDERS = ("marches", "referentiels")
COMPARED_SCHEMAS = ("marts", "raw", "raw_stockage")
# Columns whose values legitimately differ between a killed-and-rerun night and an uninterrupted
# one; every other column of every compared table must be equal.
VARYING_COLUMNS = {
    # Load numbers come from a sequence: a load rolled back by the kill consumed one.
    "load_id": "numéro de chargement (raw.fichiers, raw.quarantaine, raw.signalements)",
    "_load_id": "numéro de chargement de chaque ligne chargée",
    "chargement_id": "numéro de chargement repris dans un mart",
    "etat_load_id": "numéro de chargement repris dans un mart",
    # A file committed before the kill belongs to the killed night, the others to the rerun.
    "run_id": "la nuit qui a chargé le fichier",
    "charge_le": "l'heure du chargement",
    "releve_le": "le jour du relevé de fiabilisation (la date de la nuit)",
}
NIGHT_TIMEOUT = 900
KILLED = -9


@dataclass(frozen=True)
class Outcome:
    """What a night leaves that users and the next nights read."""

    tables: dict[str, tuple[int, str]]  # schema.table -> (rows, md5 of the sorted rows' text)
    exports: dict[str, bytes]
    site: dict[str, str | None]  # relative path -> normalised text of a page, None for other files
    leftovers: list[str]  # temporary files or folders of interrupted writers


def _inbox(folder: Path) -> Path:
    inbox = folder / "inbox"
    for source in SOURCE_FOLDERS:
        shutil.copytree(SMALL_INBOX / source, inbox / source)
    return inbox


def _spaser_run(inbox: Path, home: Path, url: str | None, **settings: str) -> subprocess.CompletedProcess:
    """``spaser run`` as a user runs it: its own process, its own Airflow metadata in SPASER_HOME."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AIRFLOW") and name not in ("SPASER_FAULT", "SPASER_FAULT_PAUSE", "SPASER_WAREHOUSE_URL")
    }
    env.update(SPASER_HOME=str(home), SPASER_INBOX_QUIET_SECONDS="0", SPASER_NIGHT_GRACE_SECONDS="0", **settings)
    if url is not None:
        env["SPASER_WAREHOUSE_URL"] = url
    return subprocess.Popen(
        [sys.executable, "-m", "spaser.cli.main", "run", "--inbox", str(inbox)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finished(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=NIGHT_TIMEOUT)
    return process.returncode, output


def _run_night(inbox: Path, home: Path, url: str | None, **settings: str) -> tuple[int, str]:
    return _finished(_spaser_run(inbox, home, url, **settings))


def _outcome(url: str, home: Path) -> Outcome:
    with psycopg.connect(url) as conn:
        tables = _table_checksums(conn)
    exports = {path.name: path.read_bytes() for path in sorted((home / "exports").iterdir()) if path.is_file()}
    site = {}
    for path in sorted((home / "site").rglob("*")):
        relative = path.relative_to(home / "site").as_posix()
        if path.is_file() and not relative.startswith("qualite/"):  # the GX reports: ids of their own
            site[relative] = (
                _normalised(path.read_text(encoding="utf-8"))
                if path.suffix == ".html" and "/" not in relative
                else None
            )
    leftovers = sorted(path.relative_to(home).as_posix() for path in home.rglob(".*~*.tmp"))
    return Outcome(tables, exports, site, leftovers)


def _table_checksums(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    conn.execute("set timezone = 'UTC'")  # the reference and the embedded server may differ
    columns = conn.execute(
        "select c.table_schema || '.' || c.table_name, array_agg(c.column_name::text order by c.ordinal_position)"
        " from information_schema.columns as c join information_schema.tables as t"
        " on t.table_schema = c.table_schema and t.table_name = c.table_name"
        " where t.table_type = 'BASE TABLE' and c.table_schema = any(%s)"
        " group by 1 order by 1",
        (list(COMPARED_SCHEMAS),),
    ).fetchall()
    checksums = {}
    for table, names in columns:
        kept = [name for name in names if name not in VARYING_COLUMNS]
        schema, relation = table.split(".", 1)
        selected = sql.SQL(", ").join(map(sql.Identifier, kept)) if kept else sql.SQL("1")
        rows, digest = conn.execute(
            sql.SQL(
                "select count(*), md5(coalesce(string_agg(r::text, E'\\n' order by r::text collate \"C\"), ''))"
                " from (select {} from {}.{}) as r"
            ).format(selected, sql.Identifier(schema), sql.Identifier(relation))
        ).fetchone()
        checksums[table] = (rows, digest)
    return checksums


def _normalised(page: str) -> str:
    """A dashboard page without what names the night that built it: its run id, its date."""
    page = re.sub(r"(manual|scheduled)__\d{4}-\d\d-\d\dT[0-9:.+\-]+", "<nuit>", page)
    return re.sub(r"\d\d/\d\d/\d{4} \d\d:\d\d", "<date>", page)


def _assert_equal(outcome: Outcome, reference: Outcome) -> None:
    assert outcome.leftovers == []
    differing = {
        table: (figures, reference.tables.get(table))
        for table, figures in outcome.tables.items()
        if reference.tables.get(table) != figures
    }
    missing = sorted(set(reference.tables) - set(outcome.tables))
    assert not differing and not missing, f"tables différentes : {differing} ; absentes : {missing}"
    assert outcome.exports.keys() == reference.exports.keys()
    for name, content in reference.exports.items():
        assert outcome.exports[name] == content, name
    assert outcome.site.keys() == reference.site.keys()
    for page, text in reference.site.items():
        assert outcome.site[page] == text, page


@pytest.fixture(scope="module")
def reference_night(admin_url, tmp_path_factory) -> Outcome:
    """One uninterrupted night on the small inbox, in its own warehouse."""
    folder = tmp_path_factory.mktemp("reference")
    with new_database(admin_url) as url:
        status, output = _run_night(_inbox(folder), folder / "spaser_home", url)
        assert status == 0, output
        outcome = _outcome(url, folder / "spaser_home")
    # The comparison compares something: the marts are published, the pages and exports written.
    assert outcome.tables["marts.fct_indicateurs"][0] > 0 and outcome.tables["raw.fichiers"][0] > 0
    assert {"indicateurs.csv", "indicateurs.json"} <= outcome.exports.keys()
    assert "index.html" in outcome.site and "qualite-des-donnees.html" in outcome.site
    return outcome


def _published(conn: psycopg.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute("select nspname::text from pg_namespace where nspname in ('marts', 'marts_candidat')")
    }


@pytest.mark.parametrize("point", list(FAULT_POINTS))
def test_a_night_killed_at_a_fault_point_then_rerun_equals_an_uninterrupted_night(
    point, reference_night, admin_url, tmp_path
):
    inbox, home = _inbox(tmp_path), tmp_path / "spaser_home"
    with new_database(admin_url) as url:
        status, output = _run_night(inbox, home, url, SPASER_FAULT=point)
        assert status == KILLED, f"la nuit n'a pas été tuée {FAULT_POINTS[point]} :\n{output}"
        assert "Résumé de la nuit" not in output

        # Where the kill struck: nothing published before the swap committed; after it, the site
        # was being written aside (its pages not in place, the staging folder left behind).
        with psycopg.connect(url) as conn:
            schemas = _published(conn)
            validated = conn.execute("select count(*) from pilotage.candidats_valides").fetchone()[0]
        if point == "site_build":
            assert "marts" in schemas
            assert not (home / "site" / "index.html").exists()
            assert list(home.glob(".site~*.tmp"))
        else:
            assert "marts" not in schemas
        if point == "publish_before_commit":
            assert schemas == {"marts_candidat"} and validated == 1

        status, output = _run_night(inbox, home, url)
        assert status == 0, output
        _assert_equal(_outcome(url, home), reference_night)


def test_postgresql_restarted_mid_night_fails_the_night_cleanly_and_the_rerun_succeeds(
    reference_night, tmp_path, monkeypatch
):
    """The warehouse is the embedded server of this test's own SPASER_HOME: the only one restarted."""
    from spaser.db import warehouse

    inbox, home = _inbox(tmp_path), tmp_path / "spaser_home"
    pause = tmp_path / "pause"
    monkeypatch.setenv("SPASER_HOME", str(home))
    monkeypatch.delenv("SPASER_WAREHOUSE_URL", raising=False)
    try:
        night = _spaser_run(inbox, home, None, SPASER_FAULT="copy_mid", SPASER_FAULT_PAUSE=str(pause))
        deadline = time.monotonic() + NIGHT_TIMEOUT
        while not pause.exists():
            assert night.poll() is None, _finished(night)[1]
            assert time.monotonic() < deadline, "la nuit n'a jamais atteint son premier COPY"
            time.sleep(0.2)
        # In the middle of a COPY: PostgreSQL stops (fast: every session is cut) and starts again.
        assert warehouse.stop_embedded_server()
        url = warehouse.warehouse_url()
        pause.unlink()

        status, output = _finished(night)
        assert status == 1, output
        assert "Échec à l'étape" in output
        assert "connexion à l'entrepôt perdue pendant l'étape" in output, output
        assert "Traceback" not in output

        status, output = _run_night(inbox, home, None)
        assert status == 0, output
        _assert_equal(_outcome(url, home), reference_night)
    finally:
        warehouse.stop_embedded_server()

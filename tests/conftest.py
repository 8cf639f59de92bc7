"""Shared fixtures: a real PostgreSQL for every integration test.

``SPASER_TEST_ADMIN_URL`` (set by .ci/run to the CI server) names a server on which each test
gets a fresh database; without it an embedded pgserver is started under pytest's temp folder.

Third-party reference files (national schemas, ma-cantine's own import fixtures, real DECP files,
INSEE extracts) are never committed: the tests that compare the project with them find them under
``SPASER_REFERENCE_DIR`` (default ``../shared/reference`` beside the checkout) and are skipped, with
the reason in the test summary, on a clone that has none.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaser.db.warehouse import ConnectionParams

# Tests deliver their files a moment before the night reads them: no quiet period (the loader's
# stability rule, spaser.ingest.loader.inbox_refusal); the tests of that rule set their own.
os.environ["SPASER_INBOX_QUIET_SECONDS"] = "0"

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
REFERENCE_DIR = Path(
    os.environ.get("SPASER_REFERENCE_DIR") or Path(__file__).resolve().parents[2] / "shared" / "reference"
).resolve()
# The specification the team writes lies beside the reference files (../shared/spec).
SPEC_DIR = REFERENCE_DIR.parent / "spec"
# ma-cantine's own import fixtures (a reference copy): the kitchen's night loads its purchases_good* files.
MA_CANTINE_DIR = REFERENCE_DIR / "ma-cantine"


def _absence_reason(path: Path) -> str | None:
    if path.exists():
        return None
    return f"fichier de référence absent : {path} (réglage SPASER_REFERENCE_DIR)"


def needs_reference(*paths: Path) -> pytest.MarkDecorator:
    """Skip the test, with the missing file named, when a reference or spec file is absent."""
    reasons = [reason for reason in map(_absence_reason, paths) if reason]
    return pytest.mark.skipif(bool(reasons), reason="; ".join(reasons))


def reference_path(path: Path) -> Path:
    """The path itself, or a skip of the calling test when the file is absent (for use in fixtures)."""
    reason = _absence_reason(path)
    if reason:
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory) -> str:
    url = os.environ.get("SPASER_TEST_ADMIN_URL")
    if url:
        return url
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    return server.get_uri()


def _database_url(admin: str, dbname: str) -> str:
    params = ConnectionParams.from_url(admin)
    if params.host.startswith("/"):
        return f"postgresql://{params.user}:@/{dbname}?host={params.host}&port={params.port}"
    auth = params.user + (f":{params.password}" if params.password else "")
    return f"postgresql://{auth}@{params.host}:{params.port}/{dbname}"


@contextmanager
def warehouse_environment(url: str, home: Path):
    """SPASER_WAREHOUSE_URL and SPASER_HOME point at this warehouse and home while in use."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPASER_WAREHOUSE_URL", url)
        patch.setenv("SPASER_HOME", str(home))
        yield url


@contextmanager
def new_database(admin: str):
    """A new empty database on the test server, dropped on exit."""
    dbname = f"spaser_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{dbname}"')
        # A test database need not survive a crash of the server: commits do not wait for the
        # WAL to reach the disk (dbt's and the loader's many small transactions otherwise do).
        conn.execute(f'alter database "{dbname}" set synchronous_commit = off')
    try:
        yield _database_url(admin, dbname)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{dbname}" with (force)')


@contextmanager
def fresh_warehouse(admin: str, home: Path):
    """A new empty database; SPASER_WAREHOUSE_URL and SPASER_HOME point at it while in use."""
    with new_database(admin) as url, warehouse_environment(url, home):
        yield url


@dataclass(frozen=True)
class NightWorkspace:
    """A whole night already run: its warehouse, its home and the inbox it read."""

    url: str
    home: Path
    inbox: Path
    run_status: int

    def environment(self):
        return warehouse_environment(self.url, self.home)


@contextmanager
def night_on(admin: str, inbox: Path, home: Path):
    """A whole night (``spaser run --inbox``, the DAG's own steps) on a new database, kept while in use."""
    from spaser.cli.main import main

    with new_database(admin) as url:
        with warehouse_environment(url, home):
            status = main(["run", "--inbox", str(inbox)])
        yield NightWorkspace(url, home, inbox, status)


# ------------------------------------------------------------------- whole nights shared by modules
# A night costs far more than the checks that read it: where two modules' inboxes can be delivered
# together without changing either's hand-computed values, one night serves both. The suite runs
# over pytest-xdist workers with ``--dist loadfile`` (scripts/test.sh), a module's tests on one
# worker; the modules of a shared night go to one worker together (pytest_xdist_make_scheduler),
# so that the night is run once per test run.


@pytest.fixture(scope="session")
def engagements_night(admin_url, tmp_path_factory) -> NightWorkspace:
    """The small hand-made inbox (tests/fixtures/inbox_small: marchés and SIRENE) extended with the
    GED, insertion, register, GHG inventory and menu deliveries (tests/fixtures/inbox_engagements),
    without a pseudonymisation key in the environment (the night creates its key file). Read by
    test_night_small_inbox (the marchés slice's values, what users open) and by
    test_engagements_small_inbox (the other engagements' values, pseudonymisation, AGEC): the
    marchés indicators read none of the added sources, and both inboxes' buyers are VRA and Valence."""
    workspace = tmp_path_factory.mktemp("engagements_night")
    inbox = workspace / "inbox"
    for folder in ("marches", "referentiels"):
        shutil.copytree(FIXTURES_DIR / "inbox_small" / folder, inbox / folder)
    for folder in ("insertion", "registre", "ged", "referentiels", "cuisine"):
        shutil.copytree(FIXTURES_DIR / "inbox_engagements" / folder, inbox / folder, dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SPASER_PSEUDONYMISATION_KEY", raising=False)
        with night_on(admin_url, inbox, workspace / "spaser_home") as night:
            yield night


@pytest.fixture(scope="session")
def fiabilisation_kitchen_night(admin_url, tmp_path_factory) -> NightWorkspace:
    """The reliability report's inbox (tests/fixtures/inbox_fiabilisation: DECP, lots, bids, fiches,
    insertion hours, mandats, SIRENE) and the central kitchen's (tests/fixtures/inbox_cuisine, plus
    ma-cantine's purchases_good* files when the reference copy is there). Read by
    test_night_fiabilisation and test_cuisine: no reliability rule reads the kitchen's deliveries,
    no kitchen indicator reads the others, and the report's inbox quarantines nothing."""
    workspace = tmp_path_factory.mktemp("fiabilisation_kitchen_night")
    inbox = workspace / "inbox"
    shutil.copytree(FIXTURES_DIR / "inbox_fiabilisation", inbox)
    shutil.copytree(FIXTURES_DIR / "inbox_cuisine" / "cuisine", inbox / "cuisine")
    for path in MA_CANTINE_DIR.glob("purchases_good*"):
        shutil.copy(path, inbox / "cuisine" / "achats" / path.name)
    with night_on(admin_url, inbox, workspace / "spaser_home") as night:
        yield night


# shared night -> the modules that read it (checked at collection: pytest_collection_modifyitems).
SHARED_NIGHTS = {
    "engagements_night": ("tests/test_engagements_small_inbox.py", "tests/test_night_small_inbox.py"),
    "fiabilisation_kitchen_night": ("tests/test_cuisine.py", "tests/test_night_fiabilisation.py"),
}
WORK_UNIT = {module: night for night, modules in SHARED_NIGHTS.items() for module in modules}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, the modules of a shared night being one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedNightScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return WORK_UNIT.get(module, module)

    return SharedNightScheduling(config, log)


@pytest.fixture
def warehouse_url(admin_url, tmp_path) -> str:
    with fresh_warehouse(admin_url, tmp_path / "spaser_home") as url:
        yield url


@pytest.fixture
def conn(warehouse_url):
    with psycopg.connect(warehouse_url) as connection:
        yield connection


def pytest_collection_modifyitems(config, items):
    """Whole nights first, and a shared night read only by the modules declared for it. With
    ``--dist loadfile`` a unit of work (a module, or the modules of a shared night) stays on one
    worker, and a unit that runs a night (a fixture named ``*night``/``*nights``) must not start
    as the others finish."""
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        for night in SHARED_NIGHTS:
            assert night not in item.fixturenames or WORK_UNIT.get(module) == night, (
                f"{item.nodeid} lit {night} : déclarer son module dans SHARED_NIGHTS (tests/conftest.py)"
            )

    def unit(item: pytest.Item) -> str:
        module = item.nodeid.split("::", 1)[0]
        return WORK_UNIT.get(module, module)

    heavy = {unit(item) for item in items if any(name.endswith(("night", "nights")) for name in item.fixturenames)}
    items.sort(key=lambda item: unit(item) not in heavy)


def validated(conn: psycopg.Connection, run_id: str) -> str:
    """Record the candidate marts as the gate does when it passes (``spaser.pipeline.night.validate_marts``
    without its Great Expectations suites): publication then swaps exactly this candidate. The
    warehouse is migrated first, as a night's first step leaves it."""
    from spaser.db.migrations import migrate
    from spaser.pipeline.pilotage import record_validated
    from spaser.publish.swap import candidate_fingerprint

    migrate(conn)
    fingerprint = candidate_fingerprint(conn)
    record_validated(conn, run_id, fingerprint)
    return fingerprint

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
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaser.warehouse import ConnectionParams

# Tests deliver their files a moment before the night reads them: no quiet period (the loader's
# stability rule, extract.loader.inbox_refusal); the tests of that rule set their own.
os.environ["SPASER_INBOX_QUIET_SECONDS"] = "0"

REFERENCE_DIR = Path(
    os.environ.get("SPASER_REFERENCE_DIR") or Path(__file__).resolve().parents[2] / "shared" / "reference"
).resolve()
# The specification the team writes lies beside the reference files (../shared/spec).
SPEC_DIR = REFERENCE_DIR.parent / "spec"


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


@pytest.fixture
def warehouse_url(admin_url, tmp_path) -> str:
    with fresh_warehouse(admin_url, tmp_path / "spaser_home") as url:
        yield url


@pytest.fixture
def conn(warehouse_url):
    with psycopg.connect(warehouse_url) as connection:
        yield connection


def pytest_collection_modifyitems(config, items):
    """Whole nights first: the suite runs over pytest-xdist workers with ``--dist loadfile`` (a
    module's tests stay on one worker, since most share a module-scoped night), and a module that
    runs a night (a fixture named ``*night``/``*nights``) must not start as the others finish."""
    heavy = {item.module.__name__ for item in items
             if any(name.endswith(("night", "nights")) for name in item.fixturenames)}
    items.sort(key=lambda item: item.module.__name__ not in heavy)


def validated(conn: psycopg.Connection, run_id: str) -> str:
    """Record the candidate marts as the gate does when it passes (``spaser.night.validate_marts``
    without its Great Expectations suites): publication then swaps exactly this candidate. The
    warehouse is migrated first, as a night's first step leaves it."""
    from expectations.publish import candidate_fingerprint
    from spaser.migrations import migrate
    from spaser.pilotage import record_validated

    migrate(conn)
    fingerprint = candidate_fingerprint(conn)
    record_validated(conn, run_id, fingerprint)
    return fingerprint

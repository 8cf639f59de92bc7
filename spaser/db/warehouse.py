"""Connection to the PostgreSQL warehouse.

``SPASER_WAREHOUSE_URL`` names a real server; without it an embedded PostgreSQL (the ``pgserver``
package) is started on demand with its data in ``$SPASER_HOME/pgdata``. The embedded server keeps
running after the process that started it exits, so the CLI, the Airflow tasks and dbt all reuse it;
``spaser arret`` stops it, and the CLI says so whenever a command leaves it running.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlparse

import psutil
import psycopg

from spaser.core.settings import configured_warehouse_url, spaser_home


def warehouse_url() -> str:
    url = configured_warehouse_url()
    if url:
        return url
    return _embedded_server_url()


_embedded_server_used = False


def _embedded_server_url() -> str:
    global _embedded_server_used
    import pgserver  # imported lazily: it is only needed for the embedded default

    # Its INFO records narrate pid bookkeeping, down to this process's exit, after the CLI's last line.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # cleanup_mode=None: the server outlives this process and is found again through its pid file.
    server = pgserver.get_server(embedded_pgdata(), cleanup_mode=None)
    _embedded_server_used = True
    return server.get_uri()


def embedded_pgdata() -> Path:
    return spaser_home() / "pgdata"


def warehouse_description() -> str:
    """Where the warehouse is, in French, starting the embedded server if it is the one."""
    if configured_warehouse_url():
        return "serveur PostgreSQL de SPASER_WAREHOUSE_URL"
    warehouse_url()
    return f"PostgreSQL embarqué ({embedded_pgdata()})"


def embedded_server_left_running() -> bool:
    """Whether this process used the embedded server, which is still running."""
    return _embedded_server_used and embedded_server_process() is not None


def embedded_server_process() -> psutil.Process | None:
    """The postmaster of ``$SPASER_HOME/pgdata`` if it runs (never starts it)."""
    pgdata = embedded_pgdata()
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
        # A stale pid file may name a pid since reused by another program.
        is_ours = process.name() == "postgres" and str(pgdata) in process.cmdline()
    except (FileNotFoundError, IndexError, ValueError, psutil.Error):
        return None
    return process if is_ours else None


def stop_embedded_server(timeout: float = 60) -> bool:
    """Stop the embedded server ("fast" shutdown: open sessions are rolled back); False if none ran."""
    process = embedded_server_process()
    if process is None:
        return False
    # SIGINT is PostgreSQL's fast shutdown, what `pg_ctl stop -m fast` sends.
    process.send_signal(signal.SIGINT)
    process.wait(timeout)
    return True


@dataclass(frozen=True)
class ConnectionParams:
    """The URL split into the fields dbt's profile and GX need.

    ``parameters``: every other libpq parameter of the URL's query (``sslmode``, ``sslrootcert``,
    ``connect_timeout``, ``options``…), in the URL's order: each client must receive them all, or
    it would connect with libpq's defaults (no TLS verification, no timeout).
    """

    host: str
    port: int
    user: str
    password: str
    dbname: str
    parameters: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_url(cls, url: str) -> ConnectionParams:
        parsed = urlparse(url)
        query = parse_qsl(parsed.query, keep_blank_values=True)
        located = dict(query)
        # pgserver URLs carry the socket directory as ?host=...
        return cls(
            host=located.get("host", parsed.hostname or "localhost"),
            port=parsed.port or int(located.get("port", "5432")),
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
            parameters=tuple((name, value) for name, value in query if name not in ("host", "port")),
        )

    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy's psycopg dialect, which hands every query parameter to libpq."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.host.startswith("/"):
            location, query = f"@/{self.dbname}", [("host", self.host), ("port", str(self.port))]
        else:
            location, query = f"@{self.host}:{self.port}/{self.dbname}", []
        query += self.parameters
        return f"postgresql+psycopg://{auth}{location}" + (f"?{urlencode(query)}" if query else "")


def connection_params() -> ConnectionParams:
    return ConnectionParams.from_url(warehouse_url())


def connect(autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(warehouse_url(), autocommit=autocommit)


@contextmanager
def transaction() -> Iterator[psycopg.Connection]:
    """A connection whose work is committed on success and rolled back on error."""
    with connect() as conn:
        yield conn

"""Connection to the PostgreSQL warehouse.

``SPASER_WAREHOUSE_URL`` names a real server; without it an embedded PostgreSQL (the ``pgserver``
package) is started on demand with its data in ``$SPASER_HOME/pgdata``. The embedded server keeps
running after the process that started it exits, so the CLI, the Airflow tasks and dbt all reuse it.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlparse

import psycopg

from spaser.config import configured_warehouse_url, spaser_home


def warehouse_url() -> str:
    url = configured_warehouse_url()
    if url:
        return url
    return _embedded_server_url()


def _embedded_server_url() -> str:
    import pgserver  # imported lazily: it is only needed for the embedded default

    pgdata = spaser_home() / "pgdata"
    # cleanup_mode=None: the server outlives this process and is found again through its pid file.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


@dataclass(frozen=True)
class ConnectionParams:
    """The URL split into the fields dbt's profile and GX need."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> "ConnectionParams":
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        # pgserver URLs carry the socket directory as ?host=...
        host = query.get("host", [parsed.hostname or "localhost"])[0]
        return cls(
            host=host,
            port=parsed.port or int(query.get("port", ["5432"])[0]),
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
        )

    def sqlalchemy_url(self) -> str:
        from urllib.parse import quote

        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.host.startswith("/"):
            return f"postgresql+psycopg://{auth}@/{self.dbname}?host={self.host}&port={self.port}"
        return f"postgresql+psycopg://{auth}@{self.host}:{self.port}/{self.dbname}"


def connection_params() -> ConnectionParams:
    return ConnectionParams.from_url(warehouse_url())


def connect(autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(warehouse_url(), autocommit=autocommit)


@contextmanager
def transaction() -> Iterator[psycopg.Connection]:
    """A connection whose work is committed on success and rolled back on error."""
    with connect() as conn:
        yield conn

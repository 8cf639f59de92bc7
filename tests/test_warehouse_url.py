"""Every parameter of SPASER_WAREHOUSE_URL (sslmode, sslrootcert, connect_timeout, options…)
reaches every client of the warehouse: psycopg (the loader, publish, the site), dbt (its profile
and libpq's variables) and Great Expectations (SQLAlchemy's URL). A client that dropped them
would connect with libpq's defaults: no TLS required, no certificate checked."""

from __future__ import annotations

import os

import psycopg
import pytest
import sqlalchemy
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context

from spaser.core.settings import DBT_PROJECT_DIR
from spaser.db.warehouse import connect, connection_params
from spaser.pipeline.dbt import DbtFailed, _environment, dbt_environment, run_dbt
from spaser.quality import gate

PRODUCTION_URL = (
    "postgresql://spaser:p%40ss@entrepot.example:6543/spaser?sslmode=verify-full&sslrootcert=/etc/spaser/ca.crt"
    "&sslcert=/etc/spaser/client.crt&sslkey=/etc/spaser/client.key&connect_timeout=7"
    "&options=-c%20statement_timeout%3D5000&application_name=spaser-nuit&target_session_attrs=read-write"
)


def _dbt_credentials():
    """dbt's own reading of dbt_project/profiles.yml under the night's variables."""
    with _environment(dbt_environment()):
        set_invocation_context(dict(os.environ))
        raw_profile = read_profile(str(DBT_PROJECT_DIR))["spaser"]
        target, data = Profile.render_profile(raw_profile, "spaser", None, ProfileRenderer({}))
        return Profile._credentials_from_profile(data, "spaser", target)


def test_dbt_receives_every_parameter_of_the_url(monkeypatch, tmp_path):
    monkeypatch.setenv("SPASER_WAREHOUSE_URL", PRODUCTION_URL)
    monkeypatch.setenv("SPASER_HOME", str(tmp_path))
    credentials = _dbt_credentials()
    assert (credentials.host, credentials.port, credentials.user, credentials.password, credentials.database) == (
        "entrepot.example",
        6543,
        "spaser",
        "p@ss",
        "spaser",
    )
    assert credentials.sslmode == "verify-full"
    assert credentials.connect_timeout == 7
    assert credentials.application_name == "spaser-nuit"
    # What the profile cannot hold reaches dbt's libpq through libpq's own variables.
    environment = dbt_environment()
    assert environment["PGSSLROOTCERT"] == "/etc/spaser/ca.crt"
    assert environment["PGSSLCERT"] == "/etc/spaser/client.crt"
    assert environment["PGSSLKEY"] == "/etc/spaser/client.key"
    assert environment["PGOPTIONS"] == "-c statement_timeout=5000"
    assert environment["PGTARGETSESSIONATTRS"] == "read-write"


def test_dbt_defaults_without_parameters(monkeypatch, tmp_path):
    monkeypatch.setenv("SPASER_WAREHOUSE_URL", "postgresql://spaser:secret@entrepot.example/spaser")
    monkeypatch.setenv("SPASER_HOME", str(tmp_path))
    credentials = _dbt_credentials()
    assert (credentials.port, credentials.connect_timeout, credentials.application_name) == (5432, 10, "dbt")
    assert not credentials.sslmode  # unset: dbt does not pass it, libpq's default (or PGSSLMODE) applies
    assert not any(name.startswith("PG") for name in dbt_environment())


def test_a_parameter_dbt_cannot_receive_stops_the_step_with_its_name(monkeypatch, tmp_path):
    monkeypatch.setenv("SPASER_WAREHOUSE_URL", "postgresql://spaser@entrepot.example/spaser?keepalives_interval=5")
    monkeypatch.setenv("SPASER_HOME", str(tmp_path))
    with pytest.raises(DbtFailed, match="« keepalives_interval »"):
        dbt_environment()


def test_great_expectations_receives_every_parameter_of_the_url(monkeypatch):
    monkeypatch.setenv("SPASER_WAREHOUSE_URL", PRODUCTION_URL)
    url = sqlalchemy.make_url(connection_params().sqlalchemy_url())
    engine = sqlalchemy.create_engine(url)
    _, connect_kwargs = engine.dialect.create_connect_args(url)  # what SQLAlchemy hands to psycopg
    assert (url.host, url.port, url.username, url.password, url.database) == (
        "entrepot.example",
        6543,
        "spaser",
        "p@ss",
        "spaser",
    )
    assert {
        name: connect_kwargs[name]
        for name in (
            "sslmode",
            "sslrootcert",
            "sslcert",
            "sslkey",
            "connect_timeout",
            "options",
            "application_name",
            "target_session_attrs",
        )
    } == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/spaser/ca.crt",
        "sslcert": "/etc/spaser/client.crt",
        "sslkey": "/etc/spaser/client.key",
        "connect_timeout": "7",
        "options": "-c statement_timeout=5000",
        "application_name": "spaser-nuit",
        "target_session_attrs": "read-write",
    }


def _with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


def test_every_client_connects_to_the_local_server_with_its_parameters(warehouse_url, monkeypatch):
    """sslmode=disable connects to the test server (no TLS), with the URL's options applied."""
    monkeypatch.setenv(
        "SPASER_WAREHOUSE_URL",
        _with_query(warehouse_url, "sslmode=disable&application_name=spaser-test&options=-c%20work_mem%3D7MB"),
    )
    with connect() as conn:
        assert conn.execute("show work_mem").fetchone()[0] == "7MB"
        assert conn.execute("show application_name").fetchone()[0] == "spaser-test"
    shown = run_dbt(["show", "--inline", "select current_setting('work_mem') as work_mem"])
    assert shown.success and "7MB" in shown.output
    assert _great_expectations_connects() is None


def test_every_client_refuses_the_server_without_tls_when_the_url_requires_it(warehouse_url, monkeypatch):
    """sslmode=require against a server without TLS: each client fails, so each received it."""
    with psycopg.connect(warehouse_url) as conn:
        tls = conn.execute("show ssl").fetchone()[0]
    if tls == "on":
        pytest.skip("le serveur de test accepte TLS : sslmode=require ne peut pas échouer")
    monkeypatch.setenv("SPASER_WAREHOUSE_URL", _with_query(warehouse_url, "sslmode=require"))
    with pytest.raises(psycopg.OperationalError, match="SSL"):
        connect()
    invocation = run_dbt(["show", "--inline", "select 1 as un"])
    assert not invocation.success and "SSL" in invocation.output
    assert "SSL" in _great_expectations_connects()


def _great_expectations_connects() -> str | None:
    """GX's own datasource, as the gate builds it, tests its connection: None or the error."""
    with gate._connection_string_in_environment():
        try:  # adding the datasource tests its connection
            gate._datasource(gate._context()).test_connection()
        except Exception as failure:  # GX wraps the driver's error in its own exception
            return f"{failure} {failure.__cause__}"
    return None

"""docker-compose.yml, the Dockerfile and .dockerignore (no Docker engine here) stay consistent
with what the code reads and safe by default: no secret has a default, PostgreSQL is not
published, nothing local goes into the image, which installs the verified dependency set and
runs as a user other than root."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def _compose() -> dict:
    return yaml.safe_load(_compose_text())


# Compose's interpolation forms (https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/):
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}; $$ is a literal $.
INTERPOLATION = re.compile(
    r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?+])(?P<argument>[^}]*))?\}"
)


def _interpolations() -> list[re.Match]:
    return list(INTERPOLATION.finditer(_compose_text()))


def _interpolate(text: str, environment: dict[str, str]) -> str:
    """Compose's substitution of the forms this file uses, refusing as compose does."""

    def substitute(match: re.Match) -> str:
        name, operator, argument = match["name"], match["operator"], match["argument"]
        value = environment.get(name)
        if operator == ":?" and not value:
            raise LookupError(f"{name}: {argument}")
        if operator == ":-" and not value:
            return argument
        if operator is None and value is None:
            raise LookupError(f"{name}: no value")
        return value or ""

    return INTERPOLATION.sub(substitute, text)


def _env_example() -> dict[str, str]:
    entries = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            entries[name.strip()] = value.strip()
    return entries


SECRETS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "SPASER_DB_PASSWORD",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_FERNET_KEY",
    "SPASER_PSEUDONYMISATION_KEY",
}
# Settings, not secrets: a default applies when .env leaves them empty.
SETTINGS = {"AIRFLOW_EXECUTOR": "LocalExecutor"}


def test_services_of_the_production_shape():
    services = _compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    commands = {name: service.get("command") for name, service in services.items()}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-triggerer"] == "triggerer"
    assert "airflow db migrate" in " ".join(commands["airflow-init"])


def test_airflow_image_is_the_pinned_version():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    image_version = re.search(r"apache/airflow:([\d.]+)", dockerfile).group(1)
    assert f'"apache-airflow=={image_version}"' in pyproject


def test_environment_variables_are_those_the_code_reads():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "spaser").rglob("*.py"))
    read_by_code = set(re.findall(r"environ(?:\.get)?\(\s*\"(SPASER_[A-Z_]+)\"", code))
    read_by_code |= set(re.findall(r"environ\[\"(SPASER_[A-Z_]+)\"\]", code))
    read_by_code |= set(re.findall(r"_VARIABLE = \"(SPASER_[A-Z_]+)\"", code))
    services = _compose()["services"]
    for name, service in services.items():
        if not name.startswith("airflow"):
            continue
        env = service["environment"]
        spaser_vars = {k for k in env if k.startswith("SPASER_")}
        assert spaser_vars <= read_by_code, f"{name}: {spaser_vars - read_by_code} not read by the code"
        assert {"SPASER_WAREHOUSE_URL", "SPASER_HOME", "SPASER_INBOX"} <= spaser_vars
        assert env["SPASER_WAREHOUSE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["SPASER_WAREHOUSE_URL"]
        assert "@postgres:5432/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/spaser/dags"


def test_compose_refuses_to_start_without_each_secret():
    """Every secret is ${NAME:?message}: no default, refused when unset or empty, the message
    pointing at .env.example; with all of them given, each reaches the services that need it."""
    forms = {}
    for match in _interpolations():
        forms.setdefault(match["name"], set()).add((match["operator"], match["argument"]))
    assert set(forms) == SECRETS | set(SETTINGS)
    assert all({operator for operator, _ in forms[name]} == {":?"} for name in SECRETS), forms
    assert all(".env.example" in argument for name in SECRETS for _, argument in forms[name])
    assert all(forms[name] == {(":-", default)} for name, default in SETTINGS.items()), forms
    given = {name: f"valeur-de-{name.lower()}" for name in SECRETS}
    for missing in sorted(SECRETS):
        for absent in ({k: v for k, v in given.items() if k != missing}, {**given, missing: ""}):
            with pytest.raises(LookupError, match=missing):
                _interpolate(_compose_text(), absent)
    services = yaml.safe_load(_interpolate(_compose_text(), given))["services"]
    airflow = services["airflow-scheduler"]["environment"]
    assert airflow["AIRFLOW__API_AUTH__JWT_SECRET"] == "valeur-de-airflow_jwt_secret"
    assert airflow["AIRFLOW__API__SECRET_KEY"] == "valeur-de-airflow_api_secret_key"
    assert airflow["AIRFLOW__CORE__FERNET_KEY"] == "valeur-de-airflow_fernet_key"
    assert airflow["SPASER_PSEUDONYMISATION_KEY"] == "valeur-de-spaser_pseudonymisation_key"
    assert airflow["SPASER_WAREHOUSE_URL"] == "postgresql://spaser:valeur-de-spaser_db_password@postgres:5432/spaser"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "valeur-de-postgres_password"


def test_no_password_or_key_is_written_in_the_files():
    text = _compose_text()
    for weak in ("change-me", "postgres:postgres", ":-postgres", ":-airflow", ":-spaser", "FERNET_KEY:-"):
        assert weak not in text
    init = (ROOT / "docker" / "postgres-init.sh").read_text(encoding="utf-8")
    # The init script passes the passwords to psql as variables (quoted by psql), never inside the SQL text.
    assert "password :'airflow_password'" in init and "password :'spaser_password'" in init
    assert "${AIRFLOW_DB_PASSWORD}'" not in init and "${SPASER_DB_PASSWORD}'" not in init


def test_env_example_documents_every_secret_and_holds_none():
    example = _env_example()
    assert set(example) == SECRETS | set(SETTINGS)
    assert set(example.values()) == {""}
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for position, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[position - 1].startswith("#"), f"{line} sans explication"
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_postgres_is_reachable_from_the_services_only():
    services = _compose()["services"]
    assert "ports" not in services["postgres"]
    assert "network_mode" not in services["postgres"]
    for name, service in services.items():
        for published in service.get("ports", []):
            assert str(published).startswith("127.0.0.1:"), f"{name} publie {published} hors de la boucle locale"


CELERY_SERVICES = {"redis", "airflow-worker"}


def _services_with(environment: dict[str, str]) -> dict:
    given = {name: f"valeur-de-{name.lower()}" for name in SECRETS}
    return yaml.safe_load(_interpolate(_compose_text(), {**given, **environment}))["services"]


def test_the_celery_profile_runs_the_tasks_on_workers_through_redis():
    """`docker compose --profile celery up --scale airflow-worker=N`: Redis and the workers start
    with the profile only; the executor follows AIRFLOW_EXECUTOR, the same for every component."""
    services = _compose()["services"]
    assert {name for name, service in services.items() if service.get("profiles")} == CELERY_SERVICES
    assert all(services[name]["profiles"] == ["celery"] for name in CELERY_SERVICES)
    for executor, environment in (
        ("LocalExecutor", {}),
        ("LocalExecutor", {"AIRFLOW_EXECUTOR": ""}),
        ("CeleryExecutor", {"AIRFLOW_EXECUTOR": "CeleryExecutor"}),
    ):
        airflow = {name: service for name, service in _services_with(environment).items() if name.startswith("airflow")}
        assert {service["environment"]["AIRFLOW__CORE__EXECUTOR"] for service in airflow.values()} == {executor}
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]  # queued tasks survive a restart
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    assert "redis-cli" in redis["healthcheck"]["test"]
    worker = services["airflow-worker"]
    assert worker["command"][-1].endswith("exec airflow celery worker")
    # Scaled: a fixed container name or a published port would make the second replica fail.
    assert "container_name" not in worker and "ports" not in worker
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        if name.startswith("airflow"):
            assert service["environment"]["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/")


def test_a_celery_worker_refuses_to_start_under_another_executor(tmp_path):
    """The profile started without AIRFLOW_EXECUTOR=CeleryExecutor: the workers would wait for
    tasks the scheduler runs itself; they stop at once and say what to set."""
    script = _compose()["services"]["airflow-worker"]["command"][-1].replace("$$", "$")
    fake_airflow = tmp_path / "airflow"
    fake_airflow.write_text('#!/bin/sh\necho "airflow $*"\n')
    fake_airflow.chmod(0o755)
    for executor, code, said in (
        ("LocalExecutor", 1, "AIRFLOW_EXECUTOR=CeleryExecutor"),
        ("CeleryExecutor", 0, "airflow celery worker"),
    ):
        started = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": f"{tmp_path}:/usr/bin:/bin", "AIRFLOW__CORE__EXECUTOR": executor},
        )
        assert started.returncode == code and said in started.stdout + started.stderr, started


def test_celery_workers_share_the_warehouse_inbox_and_outputs_and_nothing_local():
    services = _services_with({"AIRFLOW_EXECUTOR": "CeleryExecutor"})
    worker, scheduler = services["airflow-worker"], services["airflow-scheduler"]
    shared = {volume.split(":")[1] for volume in worker["volumes"] if not volume.startswith(".")}
    assert shared == {"/opt/spaser-data"}
    env = worker["environment"]
    assert env["SPASER_WAREHOUSE_URL"] == scheduler["environment"]["SPASER_WAREHOUSE_URL"]
    assert "@postgres:5432/" in env["SPASER_WAREHOUSE_URL"]
    for name in ("SPASER_INBOX", "SPASER_OUTPUTS"):
        assert env[name] == scheduler["environment"][name] and env[name].startswith("/opt/spaser-data")
    # The worker's own folder (dbt's artifacts) is in the container, not on the shared volume.
    assert not env["SPASER_HOME"].startswith("/opt/spaser-data")
    # The pseudonymisation key comes from the environment: a key file created by one worker
    # would differ from another's (README, « Clé de pseudonymisation »).
    assert env["SPASER_PSEUDONYMISATION_KEY"] == "valeur-de-spaser_pseudonymisation_key"


def test_the_broker_waits_for_an_acknowledgement_longer_than_the_longest_step():
    """Redis hands an unacknowledged task to another worker after the visibility timeout: below
    the longest step, a long dbt layer would run twice."""
    from spaser.core.plan import STEP_TIMEOUTS

    for name, service in _compose()["services"].items():
        if name.startswith("airflow"):
            timeout = int(service["environment"]["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT"])
            assert timeout > max(STEP_TIMEOUTS.values()).total_seconds(), name


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins, ``!`` re-includes; a folder pattern covers
    everything under it (patterns of this file are root-relative, ``**`` any depth)."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        if re.fullmatch(f"{regex}(/.*)?", path):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    patterns = _dockerignore()
    for local in (
        ".spaser/pgdata/PG_VERSION",
        ".spaser/secrets/pseudonymisation.key",
        ".env",
        ".env.production",
        ".venv/bin/python",
        ".git/HEAD",
        "runs/2026-01-01/resume.json",
        "exports/indicateurs.csv",
        "site/index.html",
        "secrets/pseudonymisation.key",
        "cles/client.key",
        "ca.pem",
        "dbt_project/target/manifest.json",
        "dbt_project/logs/dbt.log",
        ".pytest_cache/v/cache",
        "spaser/__pycache__/cli.cpython-311.pyc",
        "spaser_warehouse.egg-info/PKG-INFO",
        "tests/conftest.py",
    ):
        assert _ignored(local, patterns), f"{local} entrerait dans l'image"
    for needed in (
        "pyproject.toml",
        "constraints.txt",
        "spaser/cli/main.py",
        "spaser/publish/site.py",
        "spaser/publish/site_assets/spaser.js",
        "spaser/ingest/loader.py",
        "spaser/quality/gate.py",
        "dags/spaser_nightly.py",
        "dbt_project/dbt_project.yml",
        "dbt_project/profiles.yml",
        "docker/postgres-init.sh",
        ".env.example",
    ):
        assert (ROOT / needed).exists(), needed
        assert not _ignored(needed, patterns), f"{needed} manquerait à l'image"


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_image_installs_the_verified_set_and_runs_as_a_non_root_user():
    instructions = _dockerfile_instructions()
    installs = [argument for keyword, argument in instructions if keyword == "RUN" and "pip install" in argument]
    assert len(installs) == 1
    assert re.search(r"(--constraint|-c) /opt/spaser/constraints\.txt", installs[0])
    # Editable: spaser/core/settings.py finds dbt_project/ beside the package, not in site-packages; with
    # the Celery provider that the celery profile's workers run.
    assert re.search(r"(--editable|-e) \"?/opt/spaser\[celery\]\"?( |$)", installs[0])
    users = [argument.strip() for keyword, argument in instructions if keyword == "USER"]
    assert users[-1] not in ("root", "0", "0:0")
    position_of_install = next(i for i, (k, a) in enumerate(instructions) if a == installs[0])
    user_at_install = [a for k, a in instructions[:position_of_install] if k == "USER"][-1]
    assert user_at_install.strip() == "airflow"
    assert any(keyword == "RUN" and "chown -R root:root /opt/spaser" in argument for keyword, argument in instructions)

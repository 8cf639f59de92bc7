"""docker-compose.yml (no Docker engine here) stays consistent with what the code reads."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


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
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "spaser").glob("*.py"))
    read_by_code = set(re.findall(r"environ(?:\.get)?\(\s*\"(SPASER_[A-Z_]+)\"", code))
    read_by_code |= set(re.findall(r"environ\[\"(SPASER_[A-Z_]+)\"\]", code))
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

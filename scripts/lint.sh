#!/usr/bin/env bash
# The style and architecture checks CI runs (and the pre-commit hooks run on each commit):
# ruff (lint and format), sqlfluff on the dbt project, import-linter's contracts (pyproject.toml).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . || status=1
.venv/bin/lint-imports || status=1
.venv/bin/sqlfluff lint dbt_project --processes 2 || status=1
exit $status

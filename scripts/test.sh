#!/usr/bin/env bash
# Installs the project if needed, then runs the whole test suite.
# The tests are spread over one pytest-xdist worker per core (SPASER_TEST_WORKERS to change it);
# a unit of work (a module, or the modules that read one shared night: tests/conftest.py) stays on one worker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
set +e
.venv/bin/python -m pytest -n "${SPASER_TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder "$@"
status=$?
set -e
# pytest's 5 means "no test collected": a suite that runs nothing must not pass silently.
exit $status

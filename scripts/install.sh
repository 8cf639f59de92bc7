#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs the project with the pinned, verified dependency set.
# The project is installed in editable mode, so only a change of pyproject.toml or
# constraints.txt calls for pip again: their hash is kept in .venv and a matching one skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 requis"'
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.spaser-installed
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test,celery]"
  echo "$wanted" > "$stamp"
fi

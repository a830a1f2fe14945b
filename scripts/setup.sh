#!/usr/bin/env bash
# Set up (idempotent): virtualenv in .venv, pinned dependencies, dbt manifest.
# Needs only Python 3.11 and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
# The dbt manifest is built explicitly (Dagster loads it; it is never built at import time), with the
# --vars of the configured warehouse (dagster_project/resources.py), as the nightly passes them.
.venv/bin/python -m dagster_project.resources >/dev/null

#!/usr/bin/env bash
# Set up (idempotent): virtualenv in .venv, pinned dependencies, dbt manifest.
# Needs only Python 3.11 and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip runs only when the declared dependencies changed since the last install (the project itself is
# installed editable, so code changes need no reinstall)
WANT="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat .venv/.installed 2>/dev/null)" != "$WANT" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
  echo "$WANT" > .venv/.installed
fi
# The dbt manifest is built explicitly (Dagster loads it; it is never built at import time), with the
# --vars of the configured warehouse (dagster_project/transform/project.py), as the nightly passes them;
# skipped when the project files and vars are those of the manifest already there.
.venv/bin/python -m dagster_project.transform.project >/dev/null

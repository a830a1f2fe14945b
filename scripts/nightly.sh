#!/usr/bin/env bash
# Set up, then run the nightly job once into the default warehouse
# (warehouse/indicators.duckdb unless URBAN_WAREHOUSE_PATH says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/dagster_home}"
exec .venv/bin/python -m dagster_project.run

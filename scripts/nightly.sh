#!/usr/bin/env bash
# Set up, then run the nightly job once into the default warehouse
# (warehouse/indicators.duckdb unless URBAN_WAREHOUSE_PATH says otherwise): `urban run` shows a
# progress line per stage and a summary, and logs every event to warehouse/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/dagster_home}"
exec .venv/bin/urban run "$@"

#!/usr/bin/env bash
# Set up, then start the Dagster UI (`dagster dev`, http://127.0.0.1:3000) with DAGSTER_HOME=dagster_home/.
# Extra arguments go to `dagster dev`. Ctrl-C (or SIGTERM) stops it and every process it started.
#
# SIGINT is restored before Dagster starts: a command started in the background of a non-interactive
# shell (`bash scripts/dev.sh &` in a script, a CI step) begins with SIGINT ignored, and Dagster maps
# SIGTERM onto SIGINT's handler, so without this it would ignore both and hang on shutdown.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/dagster_home}"
exec .venv/bin/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); os.execv(sys.argv[1], sys.argv[1:])' \
  .venv/bin/dagster dev "$@"

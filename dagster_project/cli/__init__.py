"""`urban`: the command line of the warehouse (installed by pyproject.toml).

    urban run        the nightly job: progress per stage, then a summary (log file in <warehouse dir>/logs/)
    urban status     the published warehouse's freshness and the last run's results
    urban query SQL  SQL against the published warehouse, read-only (table, CSV or JSON)
    urban export DIR the marts as Parquet, CSV and XLSX with the data dictionary
    urban docs       build dbt docs, offline Data Docs and the index page; print where they are
    urban serve      a read-only web view of dashboard and docs on 127.0.0.1
    urban datacall   the yearly data call: write a plan's XLSX template; `import` a filled return

Every command takes --help.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from dagster_project.common import config, process
from dagster_project.cli.datacall import datacall
from dagster_project.cli.inspect import export, query, status
from dagster_project.cli.run import run
from dagster_project.cli.web import docs, serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), envvar=config.WAREHOUSE_ENV,
              help=f"The published DuckDB file (default: ${config.WAREHOUSE_ENV} or warehouse/indicators.duckdb).")
def main(warehouse: Path | None) -> None:
    """Urbanization indicator warehouse: run the nightly job, inspect and query the published
    warehouse, export it, build and serve its docs."""
    if warehouse is not None:
        os.environ[config.WAREHOUSE_ENV] = str(warehouse)


for command in (run, status, query, export, docs, serve, datacall):
    main.add_command(command)


def entry() -> None:
    """The ``urban`` console script: :func:`main`, then the process ends with its exit code without
    tearing its heap down (:func:`dagster_project.common.process.exit_now`)."""
    try:
        main()  # (click's standalone mode: always ends in SystemExit)
    except SystemExit as done:
        process.exit_now(done.code)

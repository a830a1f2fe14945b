"""The warehouse resource every asset and check gets injected (key ``warehouse``).

``WarehouseResource`` owns the warehouse's files (:class:`dagster_project.common.config.WarehouseLayout`):
the run's build file, read-only connections, and telling dbt which file to write. Its path is
``EnvVar("URBAN_WAREHOUSE_PATH")``, resolved when a run starts (not when the definitions load), so one
process can run against several warehouses. It lives here, at the bottom of the layers, because every
stage uses it; publishing is added by :class:`dagster_project.publish.resource.PublishingWarehouseResource`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from dagster_project.common import config, warehouse

DBT_FILE_VAR = "warehouse_file"  # the var dbt/profiles.yml reads as the DuckDB path
WRITER_TAGS = {"warehouse/writer": "duckdb"}  # dagster.yaml limits runs with this tag to one at a time (single DuckDB writer)


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse: a run writes into its build file, and consumers read the published file
    read-only (see :mod:`dagster_project.common.warehouse`). Publishing it is
    :class:`dagster_project.publish.resource.PublishingWarehouseResource`, the subclass the definitions
    register: the stages below publish use this class."""

    path: str = Field(description="The published DuckDB file (URBAN_WAREHOUSE_PATH); every other path is derived from it.")
    cache_parsed_files: bool = Field(
        default=True,
        description="Reuse the parse of a source file whose bytes, parser code and reference data are unchanged "
        "(<warehouse dir>/cache/parsed); False parses every file again.",
    )

    incremental: bool = Field(
        default=True,
        description="Skip work whose inputs are unchanged since the published warehouse was built: landing a raw "
        "table from the same files, parser and reference data; dbt models downstream of no changed raw table or "
        "dbt project file (see dagster_project/transform/build_state.py); a GX suite whose tables are unchanged (its recorded "
        "outcome is reported); a mart's export files when its rows are unchanged (they are hard-linked). False "
        "lands, builds, validates and exports everything.",
    )

    @property
    def layout(self) -> config.WarehouseLayout:
        return config.layout(self.path)

    @property
    def parse_cache_dir(self) -> Path | None:
        return self.layout.parse_cache if self.cache_parsed_files else None

    def prepare_build(self, run_id: str) -> Path:
        return warehouse.prepare_build(self.layout, run_id)

    @contextmanager
    def build_connection(self, run_id: str):
        with warehouse.build_connection(self.layout, run_id) as con:
            yield con

    def connect_readonly(self) -> duckdb.DuckDBPyConnection:
        return warehouse.connect_readonly(self.layout.published)

    def dbt_args(self) -> list[str]:
        """``--vars`` naming the file dbt builds into: this run's build file."""
        return dbt_vars(self.layout.build)


def dbt_vars(file: Path) -> list[str]:
    return ["--vars", json.dumps({DBT_FILE_VAR: str(file)})]

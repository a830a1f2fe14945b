"""The two resources every asset gets injected: the DuckDB warehouse and dbt.

``WarehouseResource`` owns the warehouse's files (:class:`dagster_project.config.WarehouseLayout`):
the run's build file, publishing it, read-only connections, and telling dbt which file to write.
Its path is ``EnvVar("URBAN_WAREHOUSE_PATH")``, resolved when a run starts (not when the definitions
load), so one process can run against several warehouses.

This module loads no dbt manifest, so ``python -m dagster_project.resources`` can build it (the
set-up scripts do): ``dbt parse`` with the same ``--vars`` the nightly passes, which keeps dbt's
partial parsing valid for the nightly.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from packaging import version
from dagster_dbt import DbtCliResource, DbtProject
from pydantic import Field

from dagster_project import config, warehouse

# The dbt next to this Python (the project's virtualenv), whatever PATH says: `dagster dev` started as
# `.venv/bin/dagster dev` runs its code server with this Python but keeps the caller's PATH.
_venv_dbt = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_venv_dbt) if _venv_dbt.exists() else (shutil.which("dbt") or "dbt")
dbt_project = DbtProject(project_dir=config.DBT_PROJECT_DIR, profiles_dir=config.DBT_PROJECT_DIR)
DBT_FILE_VAR = "warehouse_file"  # the var dbt/profiles.yml reads as the DuckDB path


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse: a run writes into its build file, publishes it by atomic rename, and
    consumers read the published file read-only (see :mod:`dagster_project.warehouse`)."""

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
        "dbt project file (see dagster_project/build_state.py); a GX suite whose tables are unchanged (its recorded "
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

    def publish(self, run_id: str) -> dict:
        return warehouse.publish(self.layout, run_id, reuse_exports=self.incremental)

    def connect_readonly(self) -> duckdb.DuckDBPyConnection:
        return warehouse.connect_readonly(self.layout.published)

    def dbt_args(self) -> list[str]:
        """``--vars`` naming the file dbt builds into: this run's build file."""
        return dbt_vars(self.layout.build)


def dbt_vars(file: Path) -> list[str]:
    return ["--vars", json.dumps({DBT_FILE_VAR: str(file)})]


class DbtResource(DbtCliResource):
    """dagster-dbt's ``DbtCliResource`` without two start-up costs that buy nothing here, ~5 s before
    each dbt process starts: asking the dbt executable for its version (a subprocess, when the executable
    is this virtualenv's dbt-core, whose version is importable), and building an in-process dbt adapter,
    which dagster-dbt uses only for ``fetch_row_counts`` / ``fetch_column_metadata`` (not requested:
    the marts' row counts are in exports/manifest.json and the data dictionary)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == _venv_dbt:
            from dbt.version import __version__

            return version.parse(__version__)
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    return DbtResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


DBT_PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")  # what dbt parses


def dbt_project_digest(*extra: str) -> str:
    """sha256 of the dbt project's files, dbt's version and ``extra``: what a manifest (or a docs page)
    built from this project depends on."""
    from dbt.version import __version__ as dbt_version

    h = hashlib.sha256("\0".join((f"dbt {dbt_version}", *extra)).encode())
    roots = [config.DBT_PROJECT_DIR / name for name in DBT_PROJECT_INPUTS]
    for f in sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*")) if p.is_file()):
        h.update(f"\0{f.relative_to(config.DBT_PROJECT_DIR).as_posix()}\0".encode() + f.read_bytes())
    return h.hexdigest()


def parse_manifest() -> Path:
    """``dbt parse`` into the project's target/ with the vars of the configured warehouse's build file;
    skipped when the manifest there was parsed from the same project files and vars."""
    args = ["parse", "--quiet", *dbt_vars(config.layout().build)]
    stamp = dbt_project.manifest_path.with_name("manifest.fingerprint")
    digest = dbt_project_digest(*args)
    if not (dbt_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == digest):
        stamp.unlink(missing_ok=True)
        dbt_resource().cli(args, target_path=dbt_project.target_path).wait()
        stamp.write_text(digest)
    return dbt_project.manifest_path


if __name__ == "__main__":
    print(parse_manifest())

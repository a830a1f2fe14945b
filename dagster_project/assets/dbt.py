"""dbt models as Dagster assets (dagster-dbt); dbt tests surface as asset checks."""

import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import config
from dagster_project.warehouse import prepare_build

# The dbt next to this Python (the project's virtualenv), whatever PATH says: `dagster dev` started as
# `.venv/bin/dagster dev` runs its code server with this Python but keeps the caller's PATH.
_venv_dbt = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_venv_dbt) if _venv_dbt.exists() else (shutil.which("dbt") or "dbt")

dbt_project = DbtProject(project_dir=config.DBT_PROJECT_DIR, profiles_dir=config.DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is rebuilt on load (dbt_project.prepare_if_dev() would do the same
# with the `dbt` found on PATH); elsewhere it must exist already (`dbt parse`, run by the set-up scripts).
if dbt_project.preparer.using_dagster_dev():
    DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path
    ).wait()

LAYERS = ("staging", "intermediate", "marts")


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt sources are the raw.* tables the ingest assets write: key ["raw", <table>], group raw. Models are
    grouped by layer (the folder under models/: staging, intermediate, marts) and described by
    their dbt description."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        if dbt_resource_props["resource_type"] == "model" and len(fqn) > 2 and fqn[1] in LAYERS:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_resource_props.get("description") or super().get_description(dbt_resource_props)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=WarehouseTranslator())
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """Build (run + test) the selected dbt models into this run's build file."""
    prepare_build(context.run_id)
    config.export_env()
    yield from dbt.cli(["build"], context=context).stream()

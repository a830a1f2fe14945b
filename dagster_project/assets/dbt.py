"""dbt models as Dagster assets (dagster-dbt); dbt tests surface as asset checks."""


from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import config
from dagster_project.warehouse import prepare_build

dbt_project = DbtProject(project_dir=config.DBT_PROJECT_DIR, profiles_dir=config.DBT_PROJECT_DIR)
# Under `dagster dev` the manifest is (re)built on load; elsewhere it must exist already
# (`dbt parse`, run by the set-up scripts and CI).
dbt_project.prepare_if_dev()




class WarehouseTranslator(DagsterDbtTranslator):
    """dbt sources are the raw.* tables the ingest assets write: key ["raw", <table>]."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=WarehouseTranslator())
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """Build (run + test) the selected dbt models into this run's build file."""
    prepare_build(context.run_id)
    config.export_env()
    yield from dbt.cli(["build"], context=context).stream()

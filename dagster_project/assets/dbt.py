"""dbt models as Dagster assets (dagster-dbt); dbt tests surface as asset checks."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project import quality
from dagster_project.resources import WarehouseResource, dbt_project, parse_manifest

# Under `dagster dev` the manifest is rebuilt on load (dbt_project.prepare_if_dev() would do the same
# with the `dbt` found on PATH and without our --vars); elsewhere it must exist already (the set-up
# scripts run `python -m dagster_project.resources`).
if dbt_project.preparer.using_dagster_dev():
    parse_manifest()

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
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build (run + test) the selected dbt models into this run's build file."""
    warehouse.prepare_build(context.run_id)
    quality.import_gx_in_background()  # the GX gates come next; meanwhile this process only waits on dbt
    # one target directory per warehouse (not one per invocation: they would pile up night after night),
    # whose partial_parse.msgpack was written with this warehouse's --vars, so dbt's partial parsing holds
    yield from dbt.cli(["build", *warehouse.dbt_args()], context=context, target_path=warehouse.layout.dbt_target).stream()

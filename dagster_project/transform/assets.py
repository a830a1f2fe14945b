"""dbt models as Dagster assets (dagster-dbt); dbt tests surface as asset checks."""

import functools
import graphlib
import json
from collections.abc import Mapping
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.common.process import import_gx_in_background
from dagster_project.common.resource import WarehouseResource
from dagster_project.transform import build_state
from dagster_project.transform.project import dbt_project, dbt_project_digest, parse_manifest

# Under `dagster dev` the manifest is rebuilt on load (dbt_project.prepare_if_dev() would do the same
# with the `dbt` found on PATH and without our --vars); elsewhere it must exist already (the set-up
# scripts run `python -m dagster_project.transform.project`).
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


TRANSLATOR = WarehouseTranslator()


@functools.cache
def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=TRANSLATOR)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build (run + test) the selected dbt models into this run's build file; in an incremental run
    of the full selection, only the models a changed source or project file reaches (build_state)."""
    build = warehouse.prepare_build(context.run.run_id)
    manifest = _manifest()
    models = {uid: TRANSLATOR.get_asset_key(node) for uid, node in manifest["nodes"].items() if uid.startswith("model.")}
    # every model selected (a nightly), not a subset such as the yearbook sensor's job (whose context.assets_def
    # is the subset itself)
    full = set(models.values()) <= set(context.selected_asset_keys)
    with duckdb.connect(str(build)) as con:
        now = build_state.current(con, manifest, dbt_project_digest(*build_state.engine_versions()))
        before = build_state.recorded(con)
    keep: frozenset[str] = frozenset()
    if warehouse.incremental and full:
        plan = build_state.plan(manifest, now, before)
        context.log.info(plan.describe(manifest))
        keep = plan.keep
    # (Dagster wants a multi-asset's outputs in dependency order; a kept model never depends on a rebuilt one)
    for uid in graphlib.TopologicalSorter({m: manifest["parent_map"].get(m, []) for m in keep}).static_order():
        if uid in keep:
            yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(models[uid]),
                         metadata={"rebuilt": False, "why": "no upstream source or dbt project file changed since the published build"})
    if keep != set(models):
        import_gx_in_background()  # the GX gates come next; meanwhile this process only waits on dbt
        # every test runs (--indirect-selection empty: excluding a model does not exclude its tests)
        exclude = ["--exclude", " ".join(sorted(manifest["nodes"][uid]["name"] for uid in keep)), "--indirect-selection", "empty"] if keep else []
        # one target directory per warehouse (not one per invocation: they would pile up night after night),
        # whose partial_parse.msgpack was written with this warehouse's --vars, so dbt's partial parsing holds
        yield from dbt.cli(["build", *warehouse.dbt_args(), *exclude], context=context,
                           target_path=warehouse.layout.dbt_target).stream()
    if full:
        with duckdb.connect(str(build)) as con:
            build_state.record(con, now, context.run.run_id)

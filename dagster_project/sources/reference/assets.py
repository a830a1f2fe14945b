"""The curated reference data (raw/reference/*.csv) landed as ``raw.ref_*``, the very rows dbt reads."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from dagster_project.common.reference import read_reference, reference_files
from dagster_project.sources.common.landing import LANDING_CODE, RAW, WAREHOUSE, _key, _kept, _unchanged, _with_keys
from dagster_project.sources.common.parse_cache import inputs_digest
from dagster_project.sources.common.raw_tables import record_inputs, replace_table

REFERENCE_LEDGER = "ref_*"  # meta.raw_inputs row of the reference tables, landed together


@multi_asset(
    specs=[
        AssetSpec(AssetKey(RAW + [f"ref_{name}"]), group_name="raw", description=f"raw/reference/{name}.csv (curated reference data)")
        for name in reference_files()
    ],
    name="raw_reference",
    required_resource_keys=WAREHOUSE,
)
def raw_reference(context: AssetExecutionContext):
    """Curated reference CSVs (raw/reference) → raw.ref_* tables, read by dbt staging. Not landed again
    when neither the reference data nor the ingest code changed (``_unchanged``)."""
    tables = [f"ref_{name}" for name in reference_files()]
    inputs = inputs_digest("reference", None, [(t, "") for t in tables], code=LANDING_CODE + (__file__,))
    if (kept := _unchanged(context, REFERENCE_LEDGER, inputs, tables)) is not None:
        for t in tables:
            yield _kept(kept[0], kept[1][t], AssetKey(RAW + [t]))
        return
    with context.resources.warehouse.build_connection(context.run.run_id) as con:
        for name in reference_files():
            df = read_reference(name)
            if name == "indicator_label_map":
                df = _with_keys(df, "label_printed", "unit").with_columns(_key("assumed_unit").alias("assumed_unit_key"))
            if name == "units":
                df = df.with_columns(_key("unit_printed").alias("unit_key"))
            n = replace_table(con, f"ref_{name}", df, context.run.run_id)
            yield MaterializeResult(asset_key=AssetKey(RAW + [f"ref_{name}"]), metadata={"rows": n, "landed": True})
        record_inputs(con, REFERENCE_LEDGER, inputs, context.run.run_id)

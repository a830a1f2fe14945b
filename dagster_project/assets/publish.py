"""The last step of every run: publish the audited build file, then export for BI."""


import shutil

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dagster_project import config
from dagster_project.assets.dbt import dbt_models
from dagster_project.warehouse import connect_readonly, publish

EXPORT_SCHEMA = "marts"


@asset(
    key=AssetKey(["published_warehouse"]),
    deps=[dbt_models],
    group_name="publish",
    description=(
        "Atomically renames the run's audited build file onto the published warehouse "
        "(URBAN_WAREHOUSE_PATH) and exports every mart to Parquet for BI tools. Runs only when "
        "every upstream blocking check (GX suites, dbt tests) has passed."
    ),
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    path = publish(context.run_id)
    exports = config.exports_dir()
    tmp = exports.with_name(exports.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with connect_readonly(path) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [EXPORT_SCHEMA]
        ).fetchall()]
        counts = {}
        for t in tables:
            con.execute(f"copy (select * from {EXPORT_SCHEMA}.{t}) to '{tmp / (t + '.parquet')}' (format parquet)")
            counts[t] = con.execute(f"select count(*) from {EXPORT_SCHEMA}.{t}").fetchone()[0]
    shutil.rmtree(exports, ignore_errors=True)
    tmp.rename(exports)
    return MaterializeResult(
        metadata={
            "path": str(path),
            "mart_rows": MetadataValue.json(counts),
            "exports": str(exports),
        }
    )

"""The last step of every run: publish the audited build file together with its Parquet exports."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dagster_project.assets.dbt import dbt_models
from dagster_project.resources import WarehouseResource


@asset(
    key=AssetKey(["published_warehouse"]),
    deps=[dbt_models],
    group_name="publish",
    description=(
        "Exports every mart of the run's audited build file to Parquet, then atomically renames the "
        "build file onto the published warehouse (URBAN_WAREHOUSE_PATH) and swaps the exports in "
        "(exports/manifest.json names the run). Refuses, before renaming, when another process holds "
        "the published file read-write. A mart whose rows are unchanged since the published exports "
        "keeps its Parquet and CSV files. Runs only when every upstream blocking check has passed."
    ),
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    done = warehouse.publish(context.run.run_id)
    return MaterializeResult(
        metadata={
            "path": str(done["path"]),
            "published_at": str(done["published_at"]),
            "mart_rows": MetadataValue.json(done["rows"]),
            "exports": str(done["exports"]),
            "exports_kept": MetadataValue.json(sorted(done["exports_kept"])),
        }
    )

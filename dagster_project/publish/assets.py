"""The last steps of every run: publish the audited build file together with its exports; then, after
the dashboard, the documentation site (dbt docs, offline GX Data Docs, one index page)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dagster_project.common.resource import WarehouseResource
from dagster_project.publish.docs_site import build_docs
from dagster_project.publish.resource import PublishingWarehouseResource
from dagster_project.transform.assets import dbt_models


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
def published_warehouse(context: AssetExecutionContext, warehouse: PublishingWarehouseResource) -> MaterializeResult:
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


@asset(
    key=AssetKey(["docs"]),
    deps=[AssetKey(["published_warehouse"]), AssetKey(["dashboard"])],
    group_name="serving",
    description=(
        "docs/ next to the published warehouse: dbt docs of the published file (dbt docs generate --static, "
        "read-only), the GX Data Docs made offline (vendored CSS/JS), and docs/index.html linking them with "
        "the dashboard, the data dictionary and the exports. No network needed to read any of it."
    ),
)
def docs(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    where = build_docs(warehouse.layout)
    context.log.info(f"docs: {where['index']}")
    return MaterializeResult(metadata={name: str(path) for name, path in where.items()})

"""After publishing: the documentation site (dbt docs, offline GX Data Docs, one index page)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.docs_site import build_docs
from dagster_project.resources import WarehouseResource


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

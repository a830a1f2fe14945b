"""After publishing: the static monitoring dashboard and the printable per-city reports."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dagster_project.common.resource import WarehouseResource
from dagster_project.serving import build_site


@asset(
    key=AssetKey(["dashboard"]),
    deps=[AssetKey(["published_warehouse"])],
    group_name="serving",
    description=(
        "Static monitoring site built from the published warehouse (opened read-only) into site/ next to "
        "it: index.html (per plan city: one panel per printed indicator with baseline, actuals, target lines "
        "and the projection at the actual pace, the working, rank in the province, CSV download; summaries "
        "per plan group and status in both vocabularies; the side-by-side comparison; freshness and "
        "quarantine count) and report_<city code>.html (the printable A4 monitoring report in Chinese). "
        "No network: plotly.js is inlined. Built into a fresh directory and swapped in atomically."
    ),
)
def dashboard(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    done = build_site(warehouse.layout.published, warehouse.layout.site)
    context.log.info(f"site {done['path']}: {done['pages']} in {done['seconds']} s")
    return MaterializeResult(
        metadata={
            "path": str(done["path"]),
            "published_run_id": done["run_id"],
            "page_bytes": MetadataValue.json(done["pages"]),
            "panels_per_city": MetadataValue.json(done["panels"]),
            "build_seconds": done["seconds"],
        }
    )

"""The load ledger: ``raw.quarantine`` (every rejected row, cell or file of every loader, with file, place
and reason) and ``raw.load_log`` (rows loaded and quarantined per loader and file), reported after
every loader of the run."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from dagster_project.sources.common.landing import RAW, WAREHOUSE
from dagster_project.sources.common.raw_tables import LOAD_LOG_DDL, QUARANTINE_DDL

LOADERS = [
    AssetKey(RAW + ["plan_indicator_cells"]),
    AssetKey(RAW + ["plan_prose_targets"]),
    AssetKey(RAW + ["plan_stated_values"]),
    AssetKey(RAW + ["yearbook_observations"]),
    AssetKey(RAW + ["census_observations"]),
    AssetKey(RAW + ["bulletin_observations"]),
    AssetKey(RAW + ["bulletin_facts"]),
    AssetKey(RAW + ["datacall_requests"]),
    AssetKey(RAW + ["department_report_observations"]),
]


@multi_asset(
    specs=[
        AssetSpec(AssetKey(RAW + ["quarantine"]), deps=LOADERS, group_name="raw", description="Every rejected row/cell/file of every loader, with file, location and reason."),
        AssetSpec(AssetKey(RAW + ["load_log"]), deps=LOADERS, group_name="raw", description="Rows loaded and quarantined per loader and file, per load id."),
    ],
    name="raw_load_ledger",
    required_resource_keys=WAREHOUSE,
)


def raw_load_ledger(context: AssetExecutionContext):
    """Make sure the ledger tables exist (even when no loader ran in this run) and report them."""
    with context.resources.warehouse.build_connection(context.run.run_id) as con:
        con.execute(QUARANTINE_DDL)
        con.execute(LOAD_LOG_DDL)
        per_file = con.execute(
            "select asset, source_file, rows_loaded, rows_quarantined from raw.load_log order by asset, source_file"
        ).fetchall()
        nq = con.execute("select count(*) from raw.quarantine").fetchone()[0]
    table = "\n".join(f"| {a} | {f} | {n} | {q} |" for a, f, n, q in per_file)
    yield MaterializeResult(asset_key=AssetKey(RAW + ["quarantine"]), metadata={"rows": nq})
    yield MaterializeResult(
        asset_key=AssetKey(RAW + ["load_log"]),
        metadata={"files": MetadataValue.md("| asset | file | rows | quarantined |\n|---|---|---|---|\n" + table)},
    )

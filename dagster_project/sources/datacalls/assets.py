"""Dagster assets of the data call: issued templates → raw.datacall_requests, filled returns →
raw.department_report_observations (quarantine and load log through the common loader machinery)."""


from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.common import config
from dagster_project.sources.common.landing import RAW, WAREHOUSE, land_files
from dagster_project.sources.datacalls.schema import REQUEST_SCHEMA, REQUESTS_TABLE, RETURN_SCHEMA, RETURNS_TABLE

RETURNS_SUBDIR = "datacalls"  # <source dir>/datacalls/*.xlsx: filled returns


def issued_dir(published: Path) -> Path:
    """Where `urban datacall` writes the templates it issues: <warehouse dir>/datacalls/issued/."""
    return Path(published).parent / "datacalls" / "issued"


def issued_templates(published: Path) -> list[Path]:
    d = issued_dir(published)
    return sorted(p for p in d.glob("*.xlsx") if p.is_file() and not p.name.startswith(("~$", "."))) if d.is_dir() else []


def return_files() -> list[Path]:
    return config.find_source_files(RETURNS_SUBDIR, ("*.xlsx",))


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + [REQUESTS_TABLE]),
    group_name="raw",
    description="Data-call templates issued by `urban datacall` (<warehouse dir>/datacalls/issued/*.xlsx) → one row per requested target × year.",
)
def raw_datacall_requests(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.datacalls.requests import parse_issued_template

    files = issued_templates(context.resources.warehouse.layout.published)
    return land_files(context, REQUESTS_TABLE, files, parse_issued_template, lambda r, _p: r.rows, REQUEST_SCHEMA)


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + [RETURNS_TABLE]),
    group_name="raw",
    description=(
        "Filled data-call returns (<source dir>/datacalls/*.xlsx) → observations of source kind department_report "
        "with file, cell, reporting unit, reporter and date; every mistake is a quarantine row naming the cell."
    ),
)
def raw_department_report_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.datacalls.landing import land_returns

    return land_returns(context, return_files(), RETURN_SCHEMA)

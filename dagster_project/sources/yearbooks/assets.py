"""The yearbook asset: every edition under <source dir>/yearbooks/ → ``raw.yearbook_observations``."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.common import config
from dagster_project.sources.common.landing import RAW, WAREHOUSE, _observation_files_result


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["yearbook_observations"]),
    group_name="raw",
    description=(
        "China City Statistical Yearbook editions (any *.xlsx under <source dir>/yearbooks/): every city × column cell "
        "with its header's label, unit and scope as printed (matched to an indicator in dbt through "
        "raw/reference/indicator_label_map.csv, never by position; unmapped headers are listed in "
        "intermediate.int_indicator_labels_mapped)."
    ),
)
def raw_yearbook_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.yearbooks.parser import YEARBOOK_OBSERVATION_SCHEMA, parse_yearbook

    files = config.find_source_files("yearbooks", ("*.xlsx", "*.xls"))
    return _observation_files_result(context, "yearbook_observations", files, parse_yearbook, YEARBOOK_OBSERVATION_SCHEMA, (__file__,))

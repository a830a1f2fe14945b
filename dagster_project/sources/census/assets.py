"""The census asset: city CSVs and the county workbook under <source dir>/census/ → ``raw.census_observations``."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.common import config
from dagster_project.sources.common.landing import RAW, WAREHOUSE, _observation_files_result
from dagster_project.sources.common.provenance import OBSERVATION_SCHEMA


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["census_observations"]),
    group_name="raw",
    description="2010/2020 census population by prefecture city (CSV) and 2020 by county (xlsx) under <source dir>/census/.",
)
def raw_census_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.census.parser import CENSUS_EXTRA_SCHEMA, parse_census_city, parse_census_county

    files = config.find_source_files("census", ("*.csv", "*.xlsx"))

    def parse(path):
        return parse_census_city(path) if path.suffix.lower() == ".csv" else parse_census_county(path)

    return _observation_files_result(context, "census_observations", files, parse, {**OBSERVATION_SCHEMA, **CENSUS_EXTRA_SCHEMA}, (__file__,))

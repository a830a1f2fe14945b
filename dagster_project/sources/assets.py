"""Every source asset, one folder per source kind: what the definitions collect from ``sources``."""

from dagster_project.sources.bulletins.assets import raw_bulletin_facts, raw_bulletin_observations
from dagster_project.sources.census.assets import raw_census_observations
from dagster_project.sources.common.ledger import raw_load_ledger
from dagster_project.sources.datacalls.assets import raw_datacall_requests, raw_department_report_observations
from dagster_project.sources.plans.assets import raw_plan_indicator_cells, raw_plan_prose_targets, raw_plan_stated_values
from dagster_project.sources.reference.assets import raw_reference
from dagster_project.sources.yearbooks.assets import raw_yearbook_observations

SOURCE_ASSETS = [
    raw_reference,
    raw_plan_indicator_cells,
    raw_plan_prose_targets,
    raw_plan_stated_values,
    raw_yearbook_observations,
    raw_census_observations,
    raw_bulletin_observations,
    raw_bulletin_facts,
    raw_datacall_requests,
    raw_department_report_observations,
    raw_load_ledger,
]

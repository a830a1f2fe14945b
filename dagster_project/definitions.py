"""The one Dagster ``Definitions`` of the project."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    EnvVar,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from dagster_project import config
from dagster_project.assets.dbt import dbt_models
from dagster_project.assets.docs import docs
from dagster_project.assets.ingest import (
    raw_bulletin_facts,
    raw_bulletin_observations,
    raw_census_observations,
    raw_load_ledger,
    raw_plan_indicator_cells,
    raw_plan_prose_targets,
    raw_plan_stated_values,
    raw_reference,
    raw_yearbook_observations,
)
from dagster_project.assets.publish import published_warehouse
from dagster_project.assets.serving import dashboard
from dagster_project.checks import gx_checks
from dagster_project.sources.datacalls.assets import raw_datacall_requests, raw_department_report_observations
from dagster_project.resources import WarehouseResource, dbt_resource
from dagster_project.sensors import WRITER_TAGS, yearbook_files_sensor, yearbook_refresh_job

config.export_env()  # the EnvVar resolves at run start; unset means the default path (config.py)

# WRITER_TAGS: dagster.yaml limits runs with this tag to one at a time (single DuckDB writer)

all_assets = [
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
    dbt_models,
    published_warehouse,
    dashboard,
    docs,
]

nightly_job = define_asset_job(
    "nightly",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,  # one process, one DuckDB writer
    tags=WRITER_TAGS,
    description="Ingest every source, build and test the dbt models, run the GX gates, publish; then the dashboard and the docs.",
)

nightly_schedule = ScheduleDefinition(
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.RUNNING,
    name="nightly_0200_asia_shanghai",
)

defs = Definitions(
    assets=all_assets,
    asset_checks=gx_checks,
    jobs=[nightly_job, yearbook_refresh_job],
    sensors=[yearbook_files_sensor],
    schedules=[nightly_schedule],
    resources={
        "dbt": dbt_resource(),
        "warehouse": WarehouseResource(path=EnvVar(config.WAREHOUSE_ENV)),
    },
    executor=in_process_executor,
)

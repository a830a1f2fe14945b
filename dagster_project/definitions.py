"""The one Dagster ``Definitions`` of the project: the assets of every stage (sources, transform,
quality checks, publish, serving), the jobs, the schedule and the yearbook sensor."""

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

from dagster_project.common import config
from dagster_project.common.resource import WRITER_TAGS
from dagster_project.publish.assets import docs, published_warehouse
from dagster_project.publish.resource import PublishingWarehouseResource
from dagster_project.quality.checks import gx_checks
from dagster_project.serving.assets import dashboard
from dagster_project.sources.assets import SOURCE_ASSETS
from dagster_project.sources.yearbooks.sensor import yearbook_files_sensor, yearbook_refresh_job
from dagster_project.transform.assets import dbt_models
from dagster_project.transform.project import dbt_resource

config.export_env()  # the EnvVar resolves at run start; unset means the default path (common/config.py)

all_assets = [  # one folder per stage: sources/<kind>, transform (dbt), publish, serving
    *SOURCE_ASSETS,
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
        "warehouse": PublishingWarehouseResource(path=EnvVar(config.WAREHOUSE_ENV)),
    },
    executor=in_process_executor,
)

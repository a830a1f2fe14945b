"""A sensor that notices new or changed yearbook files and refreshes only what depends on them."""

import json

from dagster import AssetKey, AssetSelection, RunRequest, SensorEvaluationContext, SkipReason, define_asset_job, in_process_executor, sensor

from dagster_project.common import config
from dagster_project.common.files import file_sha256
from dagster_project.common.resource import WRITER_TAGS

YEARBOOK_ASSET = AssetKey(["raw", "yearbook_observations"])

yearbook_refresh_job = define_asset_job(
    "yearbook_refresh",
    # the yearbook loader and everything downstream of it (dbt models, checks, publish) - not the plans
    selection=AssetSelection.assets(YEARBOOK_ASSET).downstream(),
    executor_def=in_process_executor,
    tags=WRITER_TAGS,
    description="Re-load the yearbooks and rebuild what depends on them (started by the yearbook sensor).",
)


def yearbook_fingerprint() -> dict[str, str]:
    """file path -> sha256 for every yearbook file in every configured source directory."""
    return {str(p): file_sha256(p) for p in config.find_source_files("yearbooks", ("*.xlsx", "*.xls"))}


@sensor(job=yearbook_refresh_job, minimum_interval_seconds=300, description="New or changed files in <source dir>/yearbooks/")
def yearbook_files_sensor(context: SensorEvaluationContext):
    current = yearbook_fingerprint()
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(p for p, h in current.items() if previous.get(p) != h)
    removed = sorted(set(previous) - set(current))
    if not changed and not removed:
        return SkipReason(f"{len(current)} yearbook files unchanged")
    context.update_cursor(json.dumps(current, sort_keys=True))
    key = "|".join(f"{p}:{current[p][:12]}" for p in changed) + ("|removed:" + ",".join(removed) if removed else "")
    return RunRequest(
        run_key=key,
        tags={"yearbook/changed": ", ".join(p.rsplit("/", 1)[-1] for p in changed)[:200]},
    )

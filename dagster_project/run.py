"""Run the nightly job once, in this process, against the Dagster instance in DAGSTER_HOME
(so the run shows up in `dagster dev`'s history). Exit code 0 only if the run succeeded
*and* published.

    python -m dagster_project.run
"""

from __future__ import annotations

import sys

from dagster import DagsterInstance

from dagster_project import config


def execute_nightly(instance: DagsterInstance | None = None):
    """Run the nightly job in-process; return (result, published?)."""
    from dagster_project.definitions import defs

    config.export_env()
    result = defs.resolve_job_def("nightly").execute_in_process(
        instance=instance or DagsterInstance.ephemeral(), raise_on_error=False
    )
    published = any(
        ev.asset_key is not None and ev.asset_key.to_user_string() == "published_warehouse"
        for ev in result.get_asset_materialization_events()
    )
    return result, published


def main() -> int:
    result, published = execute_nightly(DagsterInstance.get())
    if result.success and published:
        print(f"nightly run {result.run_id} published {config.warehouse_path()}")
        return 0
    print(f"nightly run {result.run_id} did NOT publish; {config.warehouse_path()} left as it was", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

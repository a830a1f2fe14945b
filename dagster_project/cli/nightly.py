"""Run the nightly job once, in this process, against the Dagster instance in DAGSTER_HOME
(so the run shows up in `dagster dev`'s history). Exit code 0 only if the run succeeded
*and* published.

    python -m dagster_project.cli.nightly [--full]    # every Dagster event on the console (`urban run` is the quiet one)
"""

from __future__ import annotations

import argparse
import re
import sys

from dagster import DagsterInstance

from dagster_project.common import config, process
from dagster_project.common.warehouse import published_run_id

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Dagster's console logger silenced: `urban run` shows progress and a summary, and logs to a file
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def run_config(quiet: bool = False, full: bool = False) -> dict:
    """``quiet``: no console logger; ``full``: the warehouse resource not incremental (land, build and
    validate everything, as on a new warehouse)."""
    return {**(QUIET if quiet else {}), **({"resources": {"warehouse": {"config": {"path": {"env": config.WAREHOUSE_ENV}, "incremental": False}}}} if full else {})}


def execute_nightly(instance: DagsterInstance | None = None, run_id: str | None = None, quiet: bool = False, full: bool = False):
    """Run the nightly job in-process; return (result, published?)."""
    from dagster_project.definitions import defs

    config.export_env()
    result = defs.resolve_job_def("nightly").execute_in_process(
        instance=instance or DagsterInstance.ephemeral(), raise_on_error=False, run_id=run_id,
        run_config=run_config(quiet, full) or None,
    )
    published = any(
        ev.asset_key is not None and ev.asset_key.to_user_string() == "published_warehouse"
        for ev in result.get_asset_materialization_events()
    )
    return result, published


def published_state(path) -> tuple[str | None, tuple | None]:
    """(meta.published run id, (inode, mtime)) of the published file, to tell the truth afterwards."""
    try:
        run_id = published_run_id(path)
    except Exception as e:  # noqa: BLE001 - an unreadable file is reported, not fatal
        run_id = f"<unreadable: {str(e).splitlines()[0]}>"
    st = path.stat() if path.exists() else None
    return run_id, (st.st_ino, st.st_mtime_ns) if st else None


def root_cause(error) -> str:
    """The innermost error's message on one line (Dagster wraps the step's exception), without the
    colour codes dbt puts into the lines it quotes."""
    while error.cause is not None:
        error = error.cause
    return ANSI.sub("", " ".join(line.strip() for line in error.message.splitlines() if line.strip()))


def verdict(result, published: bool, before: tuple, after: tuple, path) -> tuple[int, str]:
    """(exit code, what happened in words): 0 only when this run published and nothing failed."""
    failures = "; ".join(f"{ev.step_key}: {root_cause(ev.event_specific_data.error)}" for ev in result.get_step_failure_events())
    if after[0] == result.run_id:
        if result.success and published:
            return 0, f"nightly run {result.run_id} published {path}"
        return 1, f"nightly run {result.run_id} published {path}, but then failed: {failures}"
    why = failures or "published_warehouse did not run"
    if after == before:
        state = f"{path} left as it was (run {before[0]})" if before[1] else f"{path} still does not exist"
    else:
        state = f"{path} changed by someone else during the run (run {before[0]} -> {after[0]})"
    return 1, f"nightly run {result.run_id} did NOT publish: {why}\n{state}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.cli.nightly", description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help=config.FULL_RUN_HELP)
    args = parser.parse_args(argv)
    path = config.warehouse_path()
    before = published_state(path)
    result, published = execute_nightly(DagsterInstance.get(), full=args.full)
    code, message = verdict(result, published, before, published_state(path), path)
    print(message, file=sys.stdout if code == 0 else sys.stderr)
    return code


if __name__ == "__main__":
    process.exit_now(main())

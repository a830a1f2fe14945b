"""`urban run`: the nightly job with a progress bar per stage and a summary; every event goes to
a log file in <warehouse dir>/logs/, the console shows what a person needs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import uuid
from collections import Counter
from contextlib import nullcontext, redirect_stderr, redirect_stdout
from pathlib import Path

import click
import duckdb
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dagster_project.common import config
from dagster_project.cli.common import LAST_RUN, console, logs_dir

STAGES = {
    "ingest": "ingest sources",
    "dbt": "dbt build + tests",
    "checks": "quality gates (GX)",
    "publish": "publish",
    "dashboard": "dashboard",
    "docs": "docs",
}
SPECIAL_STEPS = {"dbt_models": "dbt", "published_warehouse": "publish", "dashboard": "dashboard", "docs": "docs"}
CONSOLE_LINES = 12  # of a warning or error message; the log file has all of it
CONSOLE_MESSAGES = 3  # warnings per step on the console
# dbt's warnings stay in the log (dagster-dbt notes every source test it runs as an observation); dbt
# tests that warn or fail are counted in the summary from their check results
CONSOLE_MESSAGES_BY_STAGE = {"dbt": 0}


def stage_of(step_key: str) -> str:
    return SPECIAL_STEPS.get(step_key) or ("checks" if "_gx_" in step_key else "ingest")


class Tracker:
    """Receives every event of the run (instance event listener): writes it to the log file,
    advances the stage bars, collects check results, shows warnings and failures."""

    def __init__(self, job, dbt_models: int, progress: Progress, out, log):
        self.progress, self.out, self.log, self.live = progress, out, log, out.is_terminal
        totals = Counter(stage_of(step) for step in job.graph.node_dict)
        totals["dbt"] = dbt_models
        self.tasks = {s: progress.add_task(label, total=totals[s], start=False) for s, label in STAGES.items()}
        self.started: dict[str, float] = {}
        self.finished: set[str] = set()
        self.failed: set[str] = set()
        self.checks: list[dict] = []
        self.warnings: Counter = Counter()
        self.steps: set[str] = set()  # steps that started
        self.work: Counter = Counter()  # what this run did and what it kept (incremental: transform/build_state.py)

    def __call__(self, entry) -> None:
        ev = entry.dagster_event
        stamp = dt.datetime.fromtimestamp(entry.timestamp).isoformat(timespec="milliseconds")
        self.log.write(f"{stamp} {logging.getLevelName(entry.level)} {ev.event_type_value if ev else 'LOG'} "
                       f"{entry.step_key or '-'} - {entry.message}\n")
        if ev is None:  # a log message: shown when it comes from a step that ran (not the engine's 'not executing')
            if entry.level >= logging.WARNING and entry.step_key in self.steps:
                self.warnings[entry.step_key] += 1
                if self.warnings[entry.step_key] <= self.shown(entry.step_key):
                    self.show(entry.user_message, "yellow" if entry.level == logging.WARNING else "red")
            return
        stage = stage_of(ev.step_key) if ev.step_key else None
        kind = ev.event_type_value
        self.count_work(kind, stage, ev, entry.run_id)
        if kind == "STEP_START":
            self.steps.add(ev.step_key)
        if kind == "STEP_START" and stage not in self.started:
            self.started[stage] = time.monotonic()
            self.progress.start_task(self.tasks[stage])
        elif kind == "STEP_SUCCESS" and stage != "dbt" or kind == "ASSET_MATERIALIZATION" and stage == "dbt":
            self.progress.advance(self.tasks[stage])
        elif kind == "STEP_SUCCESS":  # dbt: every model is done
            self.progress.update(self.tasks[stage], completed=self.progress.tasks[self.tasks[stage]].total)
        elif kind == "STEP_FAILURE":
            from dagster_project.cli.nightly import root_cause

            self.failed.add(stage)
            self.progress.update(self.tasks[stage], description=f"{STAGES[stage]} (failed)")
            self.show(f"{ev.step_key} failed: {root_cause(ev.event_specific_data.error)}", "red")
        elif kind == "ASSET_CHECK_EVALUATION":
            e = ev.event_specific_data
            self.checks.append({"check": e.check_name, "asset": e.asset_key.to_user_string(), "passed": e.passed,
                                "severity": e.severity.value, "kind": "GX suite" if e.check_name.startswith("gx_") else "dbt test"})
        more = self.warnings[ev.step_key] - self.shown(ev.step_key)
        if kind in ("STEP_SUCCESS", "STEP_FAILURE") and more > 0:
            self.show(f"… {ev.step_key}: {more} {'more ' if self.shown(ev.step_key) else ''}warnings in the log file", "yellow")
        if stage and kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            self.stage_line(stage)

    def count_work(self, kind: str, stage: str | None, ev, run_id: str) -> None:
        if kind == "ASSET_MATERIALIZATION":
            meta = ev.event_specific_data.materialization.metadata
            if "landed" in meta:
                self.work["raw landed" if meta["landed"].value else "raw kept"] += 1
            elif stage == "dbt":
                self.work["models kept" if "rebuilt" in meta else "models built"] += 1
            elif "exports_kept" in meta:
                kept, rows = len(meta["exports_kept"].value), len(meta["mart_rows"].value)
                self.work["exports kept"], self.work["exports written"] = kept, rows - kept
        elif kind == "ASSET_CHECK_EVALUATION" and "validated_by_run" in ev.event_specific_data.metadata:
            self.work["gx validated" if ev.event_specific_data.metadata["validated_by_run"].value == run_id else "gx reused"] += 1

    def work_line(self) -> str:
        w = self.work
        return (f"this run: {w['raw landed']} raw table(s) landed, {w['raw kept']} kept (inputs unchanged); "
                f"{w['models built']} dbt model(s) built, {w['models kept']} kept (no upstream change); "
                f"{w['gx validated']} GX suite(s) validated, {w['gx reused']} outcome(s) reused (tables unchanged); "
                f"{w['exports written']} mart export(s) written, {w['exports kept']} kept (rows unchanged)"
                + ("; `urban run --full` does it all" if w["raw kept"] + w["models kept"] + w["gx reused"] + w["exports kept"] else ""))

    @staticmethod
    def shown(step_key: str | None) -> int:
        return CONSOLE_MESSAGES_BY_STAGE.get(stage_of(step_key), CONSOLE_MESSAGES) if step_key else CONSOLE_MESSAGES

    def show(self, text: str, style: str) -> None:
        lines = text.splitlines() or [""]
        more = f"\n  … {len(lines) - CONSOLE_LINES} more lines in the log file" if len(lines) > CONSOLE_LINES else ""
        self.progress.console.print("\n".join(lines[:CONSOLE_LINES]) + more, style=style, markup=False)

    def stage_line(self, stage: str, final: bool = False) -> None:
        """Without a terminal (no live bars): one line per stage when it is done."""
        task = self.progress.tasks[self.tasks[stage]]
        if self.live or stage in self.finished or not (final or task.completed >= task.total or stage in self.failed):
            return
        self.finished.add(stage)
        state = "failed" if stage in self.failed else "done" if task.completed >= task.total else "not run" if stage not in self.started else "stopped"
        seconds = f"{time.monotonic() - self.started[stage]:6.1f} s" if stage in self.started else ""
        self.out.print(f"{STAGES[stage]:<22} {int(task.completed):>3}/{int(task.total):<3} {state:<8} {seconds}")


def _source_rows(path: Path) -> list[tuple]:
    """(source, files, rows loaded, rows quarantined at load, values quarantined as implausible)
    from marts.mart_load_summary of ``path``, or from raw.load_log when the marts were not built."""
    from dagster_project.common.warehouse import _open_current

    with _open_current(path) as con:
        try:
            return con.execute(
                "select replace(asset, 'raw/', ''), count(*), sum(rows_loaded), sum(rows_quarantined), "
                "sum(rows_implausible) from marts.mart_load_summary group by 1 order by 1"
            ).fetchall()
        except duckdb.Error:
            return con.execute(
                "select replace(asset, 'raw/', ''), count(*), sum(rows_loaded), sum(rows_quarantined), 0 "
                "from raw.load_log group by 1 order by 1"
            ).fetchall()


def summary(tracker: Tracker, code: int, message: str, published: bool) -> list[tuple]:
    """Print the rows-per-source and checks tables and the verdict; return the rows per source."""
    out = tracker.out
    path = config.layout().published if published else config.layout().build
    sources = Table(title="rows per source", title_justify="left")
    for name in ("source", "files", "rows loaded", "rows quarantined", "implausible"):
        sources.add_column(name, justify="left" if name == "source" else "right")
    try:
        rows = _source_rows(path)
    except Exception as e:  # noqa: BLE001 - a run that failed before loading has no ledger
        rows = []
        out.print(f"rows per source unavailable ({path.name}: {str(e).splitlines()[0]})")
    for row in rows:
        sources.add_row(row[0], *(f"{n:,}" for n in row[1:]))
    if rows:
        sources.add_row("total", *(f"{sum(r[i] for r in rows):,}" for i in range(1, 5)), style="bold")
    checks = Table(title="checks", title_justify="left")
    for name in ("kind", "passed", "warned", "failed"):
        checks.add_column(name, justify="left" if name == "kind" else "right")
    for kind in ("dbt test", "GX suite"):
        mine = [c for c in tracker.checks if c["kind"] == kind]
        checks.add_row(kind, str(sum(c["passed"] for c in mine)),
                       str(sum(not c["passed"] and c["severity"] == "WARN" for c in mine)),
                       str(sum(not c["passed"] and c["severity"] != "WARN" for c in mine)))
    out.print(sources)
    out.print(checks)
    out.print(tracker.work_line(), markup=False)
    for c in (c for c in tracker.checks if not c["passed"]):
        word = "warned" if c["severity"] == "WARN" else "FAILED"
        out.print(f"  {word}: {c['kind']} {c['check']} on {c['asset']}", style="yellow" if word == "warned" else "red")
    out.print(("published: yes — " if code == 0 else "published: NO — " if not published else "published: yes, then failed — ")
              + message, style="green" if code == 0 else "red", markup=False)
    return rows


@click.command()
@click.option("--verbose", is_flag=True, help="Also print every Dagster event (as `python -m dagster_project.cli.nightly` does).")
@click.option("--full", is_flag=True, help=config.FULL_RUN_HELP)
def run(verbose: bool, full: bool) -> None:
    """Run the nightly job once: ingest every source, dbt build + tests, the GX quality gates,
    publish (atomic rename + exports), dashboard, docs. Shows a progress bar per stage and a
    summary: rows loaded and quarantined per source, checks passed / warned / failed, published or
    not and why. Every event goes to <warehouse dir>/logs/run-<time>-<run id>.log.
    Exit code 0 only when the run published and nothing failed."""
    os.environ.setdefault("DAGSTER_HOME", str(config.PROJECT_ROOT / "dagster_home"))
    out, run_id, t0 = console(), str(uuid.uuid4()), time.monotonic()
    logs_dir().mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    log_path = logs_dir() / f"run-{started:%Y%m%dT%H%M%SZ}-{run_id[:8]}.log"
    path = config.warehouse_path()
    out.print(f"nightly run {run_id} → {path}\nlog: {log_path}")
    # what libraries print (dbt's lines, Dagster's banners, warnings) goes to the log file only, unless --verbose
    with open(log_path, "a", encoding="utf-8", buffering=1) as log, \
            (nullcontext() if verbose else redirect_stdout(log)), (nullcontext() if verbose else redirect_stderr(log)):
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s - %(message)s"))
        logging.getLogger().addHandler(handler)
        logging.captureWarnings(True)
        from dagster import DagsterInstance  # (imports print warnings of their own: into the log too)

        from dagster_project.transform.assets import dbt_models
        from dagster_project.definitions import defs
        from dagster_project.cli.nightly import execute_nightly, published_state, verdict

        progress = Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=out, disable=not out.is_terminal)
        instance = DagsterInstance.get()
        tracker = Tracker(defs.resolve_job_def("nightly"), len(dbt_models.keys), progress, out, log)
        instance.add_event_listener(run_id, tracker)
        before = published_state(path)
        try:
            with progress:
                result, published = execute_nightly(instance, run_id=run_id, quiet=not verbose, full=full)
        finally:
            logging.getLogger().removeHandler(handler)
        for stage in STAGES:
            tracker.stage_line(stage, final=True)
        code, message = verdict(result, published, before, published_state(path), path)
        log.write(message + "\n")
    rows = summary(tracker, code, message, published)
    seconds = round(time.monotonic() - t0, 1)
    out.print(f"{seconds} s; log: {log_path}")
    (logs_dir() / LAST_RUN).write_text(json.dumps({
        "run_id": run_id, "started_at": started.isoformat(timespec="seconds"), "seconds": seconds, "exit_code": code,
        "published": published, "message": message, "log": str(log_path),
        "sources": [dict(zip(("source", "files", "rows_loaded", "rows_quarantined"), r)) for r in rows],
        "checks": tracker.checks, "work": tracker.work_line(),
    }, indent=1, default=str), encoding="utf-8")
    raise SystemExit(code)

"""Incremental runs: what the parse cache, the incremental nightly (transform/build_state.py) and the yearbook sensor save,
on this machine (a script, not a test).

Usage: .venv/bin/python benchmarks/bench_incremental.py [--workdir DIR]

Everything is written under DIR (default: a new temp dir): the warehouse ``DIR/warehouse/indicators.duckdb``
(its parse cache ``DIR/warehouse/cache/parsed/``), ``DAGSTER_HOME=DIR/dagster_home`` and the extra source dirs.
Sources: config.source_dirs() (URBAN_SOURCE_DIRS, default <repo>/../shared), plus, from (c) on, the extra dirs.

(a) cold: the nightly job (``execute_nightly``) in a child process with an empty parse cache;
(b) warm: the same nightly again, nothing changed (incremental: nothing landed, built or validated again);
(c) a new yearbook edition: ``DIR/extra_yearbook`` gets one synthetic edition (the oldest real edition with
    its data year moved one year back, written by benchmarks/gen_national_yearbooks.py); the sensor
    ``yearbook_files_sensor`` is evaluated with the cursor it left over the real sources (it must request
    a run), then the ``yearbook_refresh`` job runs in this process;
(d) a new bulletin: ``DIR/extra_bulletin`` gets a copy of a real bulletin HTML with one byte appended; the
    full nightly runs in a child process (the extra yearbook of (c) still there).
Step seconds come from the runs' STEP_START / STEP_SUCCESS|STEP_FAILURE events; parsed / cached counts from
each loader's log line "<table>: parse cache: H file(s) from cache, P parsed" (a raw table kept as landed reads
no file); raw tables landed / kept, dbt models built / kept and GX suites validated / reused from the run's
materialization and check metadata. Prints a table per scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_nightly import dagster_home  # noqa: E402
from benchmarks.report import machine, write_section  # noqa: E402
from dagster_project.common import config  # noqa: E402

CACHE_LINE = re.compile(r"^(\w+): parse cache: (\d+) file\(s\) from cache, (\d+) parsed")

CHILD = """
import json, sys, time
started = time.time()
sys.path.insert(0, sys.argv[2])
from dagster import DagsterInstance
from dagster_project.common import process
from dagster_project.cli.nightly import execute_nightly
from benchmarks.bench_incremental import summarize
instance = DagsterInstance.get()  # persistent, in $DAGSTER_HOME, as `urban run` and `python -m dagster_project.cli.nightly` use it
result, published = execute_nightly(instance, quiet=True)
with open(sys.argv[1], "w") as out:
    json.dump({"started": started, "published": published, **summarize(instance, result)}, out)
process.exit_now(0)  # as `urban run` and `python -m dagster_project.cli.nightly` end
"""


def summarize(instance, result) -> dict:
    """Step seconds, run start/end and the parse-cache counts per table, from the run's event log."""
    from dagster import DagsterEventType as T

    steps, start, cache, run = {}, {}, {}, {}
    for e in instance.all_logs(result.run_id):
        ev = e.dagster_event
        if ev is None:
            if m := CACHE_LINE.match(e.user_message or ""):
                cache[m.group(1)] = {"cached": int(m.group(2)), "parsed": int(m.group(3))}
            continue
        if ev.event_type == T.RUN_START:
            run["start"] = e.timestamp
        elif ev.event_type in (T.RUN_SUCCESS, T.RUN_FAILURE):
            run["end"] = e.timestamp
        elif ev.event_type == T.STEP_START:
            start[ev.step_key] = e.timestamp
        elif ev.event_type in (T.STEP_SUCCESS, T.STEP_FAILURE):
            steps[ev.step_key] = {"seconds": e.timestamp - start[ev.step_key], "ok": ev.event_type == T.STEP_SUCCESS}
    from dagster_project.cli.nightly import root_cause

    failures = [f"{ev.step_key}: {root_cause(ev.event_specific_data.error)[:400]}" for ev in result.get_step_failure_events()]
    work = {"landed": 0, "kept": 0, "built": 0, "dbt_kept": 0, "validated": 0, "reused": 0}
    for ev in result.get_asset_materialization_events():
        meta = ev.event_specific_data.materialization.metadata
        if "landed" in meta:
            work["landed" if meta["landed"].value else "kept"] += 1
        elif ev.step_key == "dbt_models":
            work["dbt_kept" if "rebuilt" in meta else "built"] += 1
    for ev in result.all_events:
        if ev.event_type_value == "ASSET_CHECK_EVALUATION" and "validated_by_run" in ev.event_specific_data.metadata:
            work["validated" if ev.event_specific_data.metadata["validated_by_run"].value == result.run_id else "reused"] += 1
    return {"success": result.success, "steps": steps, "cache": cache, "run_start": run.get("start"),
            "run_end": run.get("end"), "failures": failures, "work": work}


def nightly_child(work: Path, env: dict, name: str) -> dict:
    """The nightly in a child process (as benchmarks/bench_nightly.py runs it); wall time of the whole child."""
    out = work / f"{name}.json"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(out), str(REPO)], env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"{name}: nightly child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    r = json.loads(out.read_text())
    return {**r, "wall": wall, "startup": r["run_start"] - r["started"]}


def new_yearbook_edition(out_dir: Path) -> Path:
    """One synthetic edition: the oldest real edition, data year moved one back (so no slice is doubled)."""
    from benchmarks.gen_national_yearbooks import data_year, generate, read

    source = min(config.find_source_files("yearbooks", ("*.xlsx",)), key=lambda p: p.name)
    (edition,) = generate(source, out_dir, copies=1, first_year=data_year(read(source)) - 1)
    return edition


def new_bulletin(out_dir: Path) -> Path:
    """A real bulletin copied under a new name with one byte appended (so its sha256 is new)."""
    source = sorted(config.find_source_files("bulletins", ("*.html",)), key=lambda p: p.name)[0]
    target = out_dir / "bulletins" / f"{source.stem}_resent.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes() + b"\n")
    return target


def table(name: str, r: dict, focus: str | None = None) -> str:
    top = sorted(r["steps"].items(), key=lambda kv: -kv[1]["seconds"])[:5]
    steps = "<br>".join(f"{k}{'' if s['ok'] else ' (FAILED)'} {s['seconds']:.2f}" for k, s in top)
    parsed = sum(c["parsed"] for c in r["cache"].values())
    cached = sum(c["cached"] for c in r["cache"].values())
    per = "<br>".join(f"{t}: {c['parsed']} / {c['cached']}" for t, c in sorted(r["cache"].items()))
    w = r["work"]
    lines = [
        f"### {name}",
        "",
        "| scenario | wall s | run s (RUN_START→end) | steps (top 5, s) | files parsed / cached | per table parsed / cached "
        "| raw tables landed / kept | dbt models built / kept | GX suites validated / reused |",
        "|---|---:|---:|---|---|---|---|---|---|",
        f"| {name} | {r['wall']:.1f} | {r['run_end'] - r['run_start']:.1f} | {steps} | {parsed} / {cached} | {per or '(no file read)'} "
        f"| {w['landed']} / {w['kept']} | {w['built']} / {w['dbt_kept']} | {w['validated']} / {w['reused']} |",
        "",
        f"success={r['success']}, published={r.get('published')}, steps run: {len(r['steps'])}"
        + (f", before RUN_START (interpreter, imports, definitions): {r['startup']:.1f} s" if "startup" in r else ""),
    ]
    if focus and focus in r["cache"]:
        lines.append(f"{focus}: {r['cache'][focus]['parsed']} parsed, {r['cache'][focus]['cached']} from cache")
    lines += [f"FAILED {f}" for f in r["failures"]]
    return "\n".join(lines) + "\n"


@contextmanager
def stdout_to(path: Path):
    """File descriptor 1 into ``path`` (what this process and its children print), restored afterwards."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "w") as f:
        os.dup2(f.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--no-write", action="store_true", help="print only; do not write BENCHMARKS.md")
    args = ap.parse_args()
    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    work = (args.workdir or Path(tempfile.mkdtemp(prefix="bench_incremental_"))).resolve()
    warehouse = work / "warehouse" / "indicators.duckdb"
    if warehouse.parent.exists():
        shutil.rmtree(warehouse.parent)  # a cold start: no published file, empty parse cache
    warehouse.parent.mkdir(parents=True)
    sources = [str(d) for d in config.source_dirs() if d != config.RAW_DIR]
    os.environ.update({"URBAN_WAREHOUSE_PATH": str(warehouse), "DAGSTER_HOME": str(dagster_home(work)),
                       "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "URBAN_SOURCE_DIRS": os.pathsep.join(sources)})
    out(f"workdir {work}; sources {sources}; start: {load()}\n")
    results = {}

    results["a"] = nightly_child(work, dict(os.environ), "a_cold")
    out(table("(a) nightly, cold parse cache", results["a"]))
    results["b"] = nightly_child(work, dict(os.environ), "b_warm")
    out(table("(b) nightly, warm cache, nothing changed", results["b"]))

    # (c) a new yearbook edition: sensor, then the yearbook_refresh job in this process
    from dagster import DagsterInstance, RunRequest, build_sensor_context

    from dagster_project.cli.nightly import QUIET

    started = time.perf_counter()
    from dagster_project.definitions import defs
    from dagster_project.sources.yearbooks.sensor import yearbook_files_sensor
    import_s = time.perf_counter() - started

    first = build_sensor_context(cursor=None)
    yearbook_files_sensor(first)  # the cursor over the real sources, as the sensor leaves it
    cursor = first.cursor
    quiet = yearbook_files_sensor(build_sensor_context(cursor=cursor))
    edition = new_yearbook_edition(work / "extra_yearbook")
    os.environ["URBAN_SOURCE_DIRS"] = os.pathsep.join(sources + [str(work / "extra_yearbook")])
    ctx = build_sensor_context(cursor=cursor)
    started = time.perf_counter()
    request = yearbook_files_sensor(ctx)
    sensor_s = time.perf_counter() - started
    out(f"### (c) sensor\n\nnothing new: {type(quiet).__name__} ({getattr(quiet, 'skip_message', '')}); "
          f"after adding {edition.name} ({edition.stat().st_size / 2**20:.1f} MiB): {type(request).__name__} "
          f"tags={getattr(request, 'tags', None)} ({sensor_s:.2f} s, hashing every yearbook file); "
          f"cursor now has {len(json.loads(ctx.cursor))} files\n")
    if not isinstance(request, RunRequest):
        raise SystemExit("the sensor did not request a run for a new yearbook edition")
    instance = DagsterInstance.get()
    with stdout_to(work / "c_refresh.out"):  # dbt's lines (the nightly child's are captured too)
        started = time.perf_counter()
        result = defs.resolve_job_def("yearbook_refresh").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET, tags=request.tags)
        wall = time.perf_counter() - started
    published = any(ev.asset_key is not None and ev.asset_key.to_user_string() == "published_warehouse"
                    for ev in result.get_asset_materialization_events())
    results["c"] = {**summarize(instance, result), "wall": wall, "published": published}
    out(table("(c) new yearbook edition → yearbook_refresh (in-process)", results["c"], "yearbook_observations"))
    out(f"(loading the Dagster definitions in this process before (c): {import_s:.1f} s, not in the wall time)\n")

    bulletin = new_bulletin(work / "extra_bulletin")
    os.environ["URBAN_SOURCE_DIRS"] = os.pathsep.join(sources + [str(work / "extra_yearbook"), str(work / "extra_bulletin")])
    results["d"] = nightly_child(work, dict(os.environ), "d_bulletin")
    out(table(f"(d) new bulletin {bulletin.name} → nightly", results["d"], "bulletin_observations"))

    out("### Comparison\n\n| scenario | wall s | run s | steps | files parsed / cached | raw landed / kept | dbt built / kept "
        "| GX validated / reused | published |\n|---|---:|---:|---:|---|---|---|---|---|")
    names = {"a": "(a) nightly cold", "b": "(b) nightly warm", "c": "(c) yearbook_refresh", "d": "(d) nightly + new bulletin"}
    for k, r in results.items():
        parsed = sum(c["parsed"] for c in r["cache"].values())
        cached = sum(c["cached"] for c in r["cache"].values())
        w = r["work"]
        out(f"| {names[k]} | {r['wall']:.1f} | {r['run_end'] - r['run_start']:.1f} | {len(r['steps'])} | {parsed} / {cached} "
            f"| {w['landed']} / {w['kept']} | {w['built']} / {w['dbt_kept']} | {w['validated']} / {w['reused']} | {r['published']} |")
    out(f"\nend: {load()}")
    if not args.no_write:  # (everything was printed as it was measured)
        write_section(REPO / "BENCHMARKS.md", "Incremental runs",
                      f"{machine()}\n\nCommand: `python benchmarks/bench_incremental.py`\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

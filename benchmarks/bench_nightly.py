"""Nightly job vs a bare `dbt build` vs the SQL floor, on this machine (a script, not a test).

Usage: .venv/bin/python benchmarks/bench_nightly.py [--workdir DIR] [--no-write]

(a) the nightly job in a child process (``execute_nightly`` into ``DIR/nightly/indicators.duckdb``,
    sources from config.source_dirs(), its events in a persistent Dagster instance in ``DIR/dagster_home``
    as ``urban run``'s are; the process ends as ``urban run`` ends), once cold and --warm-runs times warm with ``full=True`` (default 3), then
    --warm-runs times as scheduled (incremental; nothing changed since the last run): wall time, peak RSS of
    the process tree (sum of VmRSS over the child and its descendants, sampled every 0.1 s from
    /proc), and each step's duration from the run's STEP_START / STEP_SUCCESS|STEP_FAILURE events;
(b) a bare ``dbt build`` over the same raw tables, once cold and --warm-runs times warm: the published
    file is copied to ``DIR/bare/indicators.duckdb.build`` and ``.venv/bin/dbt build --profiles-dir .
    --vars ...`` runs in dbt/ with its own target and log paths (kept between runs, as a user's are);
(c) the floor: the models and tests that run compiled, as plain SQL in one DuckDB connection in
    dependency order (``create table|view ... as <compiled_code>``; each test's failures counted),
    over a third copy of the published file.
Prints a table; writes BENCHMARKS.md (section "Nightly vs bare dbt") unless --no-write.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
DBT = REPO / ".venv" / "bin" / "dbt"
sys.path.insert(0, str(REPO))

from benchmarks.report import record  # noqa: E402
from dagster_project.common import config  # noqa: E402
from dagster_project.common.resource import dbt_vars  # noqa: E402

# the figures, measured on this machine before the work on issue 11
BEFORE = {"nightly_s": 65.8, "peak_rss_mib": 1.1 * 1024, "bare_dbt_s": 17.7, "floor_s": 2.6}

CHILD = """
import time
started = time.time()
import json, sys
from dagster import DagsterEventType, DagsterInstance
from dagster_project.common import process
from dagster_project.cli.nightly import execute_nightly
instance = DagsterInstance.get()  # persistent, in $DAGSTER_HOME, as `urban run` and `python -m dagster_project.cli.nightly` use it
result, published = execute_nightly(instance, quiet=True, full=sys.argv[2] == "full")
steps, start = {}, {}
for e in instance.all_logs(result.run_id):
    ev = e.dagster_event
    if ev is not None and ev.event_type == DagsterEventType.RUN_START:
        run_start = e.timestamp
    if ev is not None and ev.event_type in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
        run_end = e.timestamp
    if ev is None or ev.step_key is None:
        continue
    if ev.event_type == DagsterEventType.STEP_START:
        start[ev.step_key] = e.timestamp
    elif ev.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
        steps[ev.step_key] = {"seconds": e.timestamp - start[ev.step_key], "ok": ev.event_type == DagsterEventType.STEP_SUCCESS}
with open(sys.argv[1], "w") as out:
    json.dump({"success": result.success, "published": published, "steps": steps,
               "startup_s": run_start - started, "run_s": run_end - run_start}, out)
process.exit_now(0)  # as `urban run` and `python -m dagster_project.cli.nightly` end
"""


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS (KiB) of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(d.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, int, subprocess.CompletedProcess]:
    """(wall seconds, peak process-tree RSS in KiB, completed process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, out = 0, {}
    reader = threading.Thread(target=lambda: out.update(zip(("stdout", "stderr"), proc.communicate())))
    reader.start()
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.1)
    reader.join()
    seconds = time.perf_counter() - started
    return seconds, peak, subprocess.CompletedProcess(cmd, proc.returncode, out.get("stdout", ""), out.get("stderr", ""))


def dagster_home(work: Path) -> Path:
    """``work/dagster_home``: a persistent Dagster instance with the project's instance settings."""
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home)
    return home


def run_nightly(work: Path, env: dict, full: bool = False) -> dict:
    """The nightly in a child process, its events in the persistent Dagster instance ``work/dagster_home``
    (with the project's instance settings), as ``urban run`` keeps them."""
    result_file = work / "nightly.json"
    env = {**env, "DAGSTER_HOME": str(dagster_home(work))}
    seconds, peak, done = timed([sys.executable, "-c", CHILD, str(result_file), "full" if full else "incremental"], env, REPO)
    if done.returncode != 0 or not result_file.exists():
        raise SystemExit(f"nightly failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return {"seconds": seconds, "peak_mib": peak / 1024, **json.loads(result_file.read_text())}


def run_bare_dbt(published: Path, work: Path, env: dict) -> dict:
    warehouse = work / "bare" / "indicators.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    build = config.layout(warehouse).build
    shutil.copyfile(published, build)
    target = work / "bare" / "target"
    cmd = [str(DBT), "build", "--profiles-dir", ".", "--target-path", str(target), "--log-path", str(work / "bare" / "logs"),
           *dbt_vars(build)]
    seconds, peak, done = timed(cmd, env, DBT_DIR)
    if done.returncode != 0:
        raise SystemExit(f"bare dbt build failed:\n{done.stdout[-3000:]}")
    return {"seconds": seconds, "peak_mib": peak / 1024, "target": target}


def floor_statements(target: Path) -> list[tuple[str, str, str]]:
    """(kind, name, sql) for every model and test that ran in the bare build, in dependency order."""
    manifest = json.loads((target / "manifest.json").read_text())
    ran = {r["unique_id"] for r in json.loads((target / "run_results.json").read_text())["results"] if r["status"] in ("success", "pass", "warn", "fail")}
    nodes = {uid: n for uid, n in manifest["nodes"].items() if uid in ran and n["resource_type"] in ("model", "test")}
    order, seen = [], set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for dep in nodes[uid]["depends_on"]["nodes"]:
            visit(dep)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    out = []
    for uid in order:
        n = nodes[uid]
        if n["resource_type"] == "model":
            kind = "view" if n["config"]["materialized"] == "view" else "table"
            relation = f'"{n["schema"]}"."{n["alias"]}"'
            out.append(("model", n["name"], f"create or replace {kind} {relation} as {n['compiled_code']}"))
        else:
            out.append(("test", n["name"], f"select count(*) from ({n['compiled_code']}) t"))
    return out


def run_floor(published: Path, target: Path, work: Path, memory_limit: str | None = None) -> dict:
    """The floor on a copy of ``published``; ``memory_limit``: DuckDB's cap (default: DuckDB's own, 80 % of RAM)."""
    import duckdb

    copy = work / "floor" / "indicators.duckdb"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(published, copy)
    statements = floor_statements(target)
    con = duckdb.connect(str(copy))
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    schemas = {s for _, _, sql in statements for s in [sql.split('"')[1]] if sql.startswith("create")}
    for s in schemas:
        con.execute(f'create schema if not exists "{s}"')
    failing, took = [], []
    for kind, name, sql in statements:
        started = time.perf_counter()
        row = con.execute(sql).fetchone()
        took.append((time.perf_counter() - started, name))
        if kind == "test" and row and row[0]:
            failing.append(name)
    con.close()
    return {"seconds": sum(t for t, _ in took), "models": sum(k == "model" for k, _, _ in statements),
            "tests": sum(k == "test" for k, _, _ in statements), "failing_tests": failing,
            "slowest": sorted(took, reverse=True)[:5]}


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def report(n: dict, i: dict, b: dict, f: dict, command: str, warm_runs: int) -> str:
    """``n``: median warm --full nightly (with the cold run's wall), ``i``: median warm incremental nightly with
    nothing changed, ``b``: bare dbt, ``f``: floor."""
    ratio = n["seconds"] / b["seconds"]
    lines = [
        f"Command: `{command}` (2 cores; the first nightly and the first bare build start cold, then the median "
        f"of {warm_runs} warm run(s) of each kind on the same warehouse, nothing changed in between: "
        "the nightly as scheduled (incremental), the nightly with `--full`, the bare build)",
        "",
        "| measure | before (issue 11) | now | goal |",
        "|---|---:|---:|---|",
        f"| nightly wall, warm, nothing changed: incremental, the default (s) | | {i['seconds']:.1f} | ≤ 20 s |",
        f"| nightly wall, warm, `--full`: every table landed, every model built, every suite validated (s) | "
        f"{BEFORE['nightly_s']:.1f} | {n['seconds']:.1f} | ≤ 20 s |",
        f"| nightly wall, cold: new warehouse, empty parse cache (s) | | {n['cold_seconds']:.1f} | |",
        f"| nightly peak RSS, process tree, `--full` (MiB) | {BEFORE['peak_rss_mib']:.0f} | {n['peak_mib']:.0f} | |",
        f"| bare `dbt build` wall, warm (s) | {BEFORE['bare_dbt_s']:.1f} | {b['seconds']:.1f} | |",
        f"| bare `dbt build` wall, cold: full parse (s) | | {b['cold_seconds']:.1f} | |",
        f"| floor: compiled SQL in one DuckDB connection (s) | {BEFORE['floor_s']:.1f} | {f['seconds']:.2f} | |",
        f"| ratio nightly `--full` / bare dbt (warm) | {BEFORE['nightly_s'] / BEFORE['bare_dbt_s']:.2f} | {ratio:.2f} | ≤ 1.5 |",
        f"| ratio nightly incremental, nothing changed / bare dbt (warm) | | {i['seconds'] / b['seconds']:.2f} | ≤ 1.5 |",
        "",
        f"Floor: {f['models']} models + {f['tests']} tests; tests with failing rows: {', '.join(f['failing_tests']) or 'none'}; "
        f"slowest statements: {', '.join(f'{name} {t:.2f} s' for t, name in f['slowest'])}.",
        f"Nightly: success={n['success'] and i['success']}, published={n['published'] and i['published']}.",
        "",
        "Steps of the median warm nightlies (from the run's STEP_START/STEP_SUCCESS events):",
        "",
        "| step | `--full` (s) | incremental, nothing changed (s) |",
        "|---|---:|---:|",
    ]
    for step, s in sorted(n["steps"].items(), key=lambda kv: -kv[1]["seconds"]):
        inc = i["steps"].get(step)
        lines.append(f"| {step}{'' if s['ok'] else ' (FAILED)'} | {s['seconds']:.2f} | {inc['seconds'] if inc else float('nan'):.2f} |")
    lines += [f"| (interpreter start, imports, loading the Dagster definitions, before RUN_START) | {n['startup_s']:.2f} | {i['startup_s']:.2f} |",
              f"| (RUN_START to RUN_SUCCESS, all steps and the executor's overhead) | {n['run_s']:.2f} | {i['run_s']:.2f} |"]
    lines += ["", "Before (issue 11): dbt step 29 s, GX on fct_indicator_observation 11 s, yearbook ingest 7 s, "
              "prose 3 s, loading the Dagster definitions 5 s."]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--warm-runs", type=int, default=3, help="warm runs after the cold one (median reported)")
    ap.add_argument("--section", default="Nightly vs bare dbt", help="the BENCHMARKS.md section to write")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_nightly_"))
    work.mkdir(parents=True, exist_ok=True)
    published = work / "nightly" / "indicators.duckdb"
    published.parent.mkdir(parents=True, exist_ok=True)
    sources = os.pathsep.join(str(d) for d in config.source_dirs() if d != config.RAW_DIR)
    env = {**os.environ, "URBAN_WAREHOUSE_PATH": str(published), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "URBAN_SOURCE_DIRS": sources}
    # the first nightly starts cold (new warehouse: empty parse cache, dbt parses from scratch); the
    # next ones are the steady state of a nightly on one warehouse. Likewise the first bare build has
    # no partial-parse state in its target directory and the next ones do. Medians of the warm runs.
    nightlies = [run_nightly(work, env, full=True) for _ in range(1 + args.warm_runs)]
    incremental = [run_nightly(work, env) for _ in range(args.warm_runs)]
    bares = [run_bare_dbt(published, work, env) for _ in range(1 + args.warm_runs)]
    n, i, b = median_run(nightlies[1:]), median_run(incremental), median_run(bares[1:])
    n["cold_seconds"], b["cold_seconds"] = nightlies[0]["seconds"], bares[0]["seconds"]
    f = run_floor(published, b["target"], work)
    command = f"URBAN_SOURCE_DIRS={env['URBAN_SOURCE_DIRS']} python benchmarks/bench_nightly.py" + (
        f" --warm-runs {args.warm_runs} --section '{args.section}'" if args.section != "Nightly vs bare dbt" else "")
    text = report(n, i, b, f, command, args.warm_runs)
    record(args.section, text, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

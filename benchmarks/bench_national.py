"""The nightly job on a national-scale synthetic data set vs the SQL floor (issue 11, goal 3; a
script, not a test).

Usage: .venv/bin/python benchmarks/bench_national.py [--scale 100] [--workdir DIR] [--warm-runs N] [--no-write]

1. ``gen_national_yearbooks.generate``: the real editions plus synthetic copies of the 2020 edition,
   about ``--scale`` x today's ``marts.fct_indicator_observation`` in all (x100: 447 copies, ~28.6 M
   observations; the script's docstring says why the copies are new data years) into ``DIR/gen``
   (written again each time, the same bytes, in ~0.04 s a copy);
2. the nightly job in a child process exactly as ``bench_nightly.py`` runs it (its ``run_nightly``:
   ``execute_nightly`` with ``URBAN_SOURCE_DIRS=<the configured sources>:DIR/gen`` and
   ``URBAN_WAREHOUSE_PATH=DIR/nightly/indicators.duckdb``): once cold (new warehouse, empty parse
   cache), then ``--warm-runs`` times with ``--full`` (default 0): wall time, peak RSS of the process
   tree (sampled every 0.1 s), the time of every step;
3. the floor (``bench_nightly.run_floor``: the models and tests the nightly's dbt build ran, as
   compiled SQL in one DuckDB connection, over a copy of the published file) in a child process,
   so that its peak RSS is measured the same way: once with DuckDB's own memory limit (80 % of RAM),
   once capped like the nightly's dbt (``memory_limit`` of ``dbt/profiles.yml``), the floor within
   the same memory budget;
4. the rows of the published warehouse, the disk it takes, the load average before and after.

Writes the section "Scale: national x<scale> (synthetic)" of BENCHMARKS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_nightly import run_nightly, timed  # noqa: E402
from benchmarks.gen_national_yearbooks import generate  # noqa: E402
from benchmarks.report import record  # noqa: E402
from dagster_project.common import config  # noqa: E402

SOURCE = "yearbooks/ccsy/china_city_statistical_yearbook_2020_prefecture.xlsx"
GOALS = {"ratio": 3.0, "peak_gib": 8.0}
MIN_FREE_GIB = 3.0  # the disk is shared: a run that would leave less free is stopped (DuckDB spills to disk)
FLOOR_CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from benchmarks.bench_nightly import run_floor
json.dump(run_floor(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[6] or None), open(sys.argv[5], "w"))
"""
COUNTS = ("raw.yearbook_observations", "marts.fct_indicator_observation", "marts.fct_indicator_actual",
          "marts.mart_city_ranking", "marts.fct_quarantine")


def dbt_settings() -> dict:
    import yaml

    profile = yaml.safe_load((config.DBT_PROJECT_DIR / "profiles.yml").read_text())
    return profile["urban_warehouse"]["outputs"]["build"].get("settings") or {}


def run_floor_child(published: Path, work: Path, env: dict, memory_limit: str | None = None) -> dict:
    """``bench_nightly.run_floor`` on a copy of ``published`` with the nightly's dbt target, in a child process."""
    target = config.layout(published).dbt_target
    shutil.rmtree(work / "floor", ignore_errors=True)
    out = work / "floor.json"
    seconds, peak, done = timed([sys.executable, "-c", FLOOR_CHILD, str(REPO), str(published), str(target), str(work), str(out), memory_limit or ""], env, REPO)
    if done.returncode != 0:
        raise SystemExit(f"floor failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    shutil.rmtree(work / "floor", ignore_errors=True)  # its copy of the warehouse
    return {**json.loads(out.read_text()), "wall_s": seconds, "peak_mib": peak / 1024}


class DiskWatch(threading.Thread):
    """Samples the free space of ``path``'s disk every 0.5 s (``min_free``: the lowest seen); when it
    falls below MIN_FREE_GIB, stops every process this one started (``stopped`` says so)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.stopped, self.done = path, False, threading.Event()
        self.start_free = self.min_free = shutil.disk_usage(path).free

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.min_free = min(self.min_free, shutil.disk_usage(self.path).free)
            if self.min_free < MIN_FREE_GIB * 2**30 and not self.stopped:
                self.stopped = True
                for pid in descendants(os.getpid()):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        try:
            children.setdefault(int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(int(d.name))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], list(children.get(root, []))
    while todo:
        out.append(todo.pop())
        todo += children.get(out[-1], [])
    return out


def row_counts(published: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in COUNTS}


def disk_gib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**30


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def report(args, sources: str, gen: dict, cold: dict, warm: list[dict], floor: dict, capped: dict, rows: dict, disk: dict,
           loads: tuple) -> str:
    settings = ", ".join(f"{k} {v}" for k, v in dbt_settings().items())
    gib = lambda mib: mib / 1024  # noqa: E731
    best = min([cold, *warm], key=lambda r: r["seconds"])
    ratio = cold["seconds"] / floor["seconds"]
    lines = [
        f"Command: `python benchmarks/bench_national.py --scale {args.scale:g}"
        + (f" --warm-runs {args.warm_runs}" if args.warm_runs else "") + f"` (sources `URBAN_SOURCE_DIRS={sources}`; "
        f"load average 1 / 5 / 15 min at the start {loads[0]}, at the end {loads[1]}: 2 cores, shared with other work)",
        "",
        f"Data: the 6 real editions plus {gen['copies']} synthetic copies of the 2020 edition (data years "
        f"{gen['first_year']}..{gen['last_year']}, see `benchmarks/gen_national_yearbooks.py`; generated in {gen['seconds']:.0f} s, "
        f"{gen['gib']:.2f} GiB). Published warehouse {disk['warehouse']:.2f} GiB; exports {disk['exports']:.2f} GiB (largest: "
        f"{disk['largest_export']}); the warehouse's directory in all {disk['dir']:.2f} GiB. dbt's DuckDB settings (`dbt/profiles.yml`): "
        f"{settings or 'none'}. The runs took up to {disk['peak_use']:.1f} GiB more of the disk than before they started "
        "(build file, DuckDB's spill files, exports, the floor's copy; sampled every 0.5 s).",
        "",
        "| rows | |",
        "|---|---:|",
        *(f"| `{t}` | {n:,} |" for t, n in rows.items()),
        "",
        "| measure | now | goal |",
        "|---|---:|---|",
        f"| nightly wall, cold: new warehouse, empty parse cache (s) | {cold['seconds']:.0f} | |",
        *([f"| nightly wall, warm `--full`, best of {len(warm)} (s) | {min(w['seconds'] for w in warm):.0f} | |"] if warm else []),
        f"| nightly peak RSS, process tree (GiB) | {gib(max(r['peak_mib'] for r in [cold, *warm])):.2f} | < {GOALS['peak_gib']:g} GiB |",
        f"| floor: compiled SQL in one DuckDB connection (s) | {floor['seconds']:.0f} | |",
        f"| floor peak RSS, its process (GiB) | {gib(floor['peak_mib']):.2f} | |",
        *([f"| floor capped like dbt (memory_limit {capped['memory_limit']}) (s) | {capped['seconds']:.0f} | |",
           f"| capped floor peak RSS, its process (GiB) | {gib(capped['peak_mib']):.2f} | |"] if "seconds" in capped else
          [f"| floor capped like dbt (memory_limit {capped['memory_limit']}) (s) | not completed: {capped['failed']} | |"]),
        f"| ratio nightly (cold) / floor | {ratio:.2f} | ≤ {GOALS['ratio']:g} |",
        *([f"| ratio nightly (cold) / capped floor | {cold['seconds'] / capped['seconds']:.2f} | ≤ {GOALS['ratio']:g} |"]
          if "seconds" in capped else []),
        *([f"| ratio nightly (warm `--full`) / floor | {min(w['seconds'] for w in warm) / floor['seconds']:.2f} | ≤ {GOALS['ratio']:g} |"] if warm else []),
        f"| ratio dbt step of the nightly / floor | {best['steps'].get('dbt_models', {}).get('seconds', float('nan')) / floor['seconds']:.2f} | |",
        *([f"| ratio dbt step of the nightly / capped floor | {best['steps'].get('dbt_models', {}).get('seconds', float('nan')) / capped['seconds']:.2f} | |"]
          if "seconds" in capped else []),
        "",
        f"Floor: {floor['models']} models + {floor['tests']} tests; tests with failing rows: {', '.join(floor['failing_tests']) or 'none'}; "
        f"slowest statements: {', '.join(f'{name} {t:.1f} s' for t, name in floor['slowest'])}"
        + (f"; capped: {', '.join(f'{name} {t:.1f} s' for t, name in capped['slowest'])}." if "slowest" in capped else "."),
        f"Nightly: success={all(r['success'] for r in [cold, *warm])}, published={all(r['published'] for r in [cold, *warm])}.",
        "",
        "Steps of the cold nightly" + (" and the best warm one" if warm else "") + " (from the run's STEP_START/STEP_SUCCESS events):",
        "",
        "| step | cold (s) |" + (" warm `--full` (s) |" if warm else ""),
        "|---|---:|" + ("---:|" if warm else ""),
    ]
    for step, s in sorted(cold["steps"].items(), key=lambda kv: -kv[1]["seconds"]):
        w = [f" {warm_best['steps'][step]['seconds']:.1f} |" if step in warm_best["steps"] else " |"
             for warm_best in ([min(warm, key=lambda r: r["seconds"])] if warm else [])]
        lines.append(f"| {step}{'' if s['ok'] else ' (FAILED)'} | {s['seconds']:.1f} |" + "".join(w))
    lines.append(f"| (interpreter start, imports, loading the Dagster definitions, before RUN_START) | {cold['startup_s']:.1f} |"
                 + (f" {min(warm, key=lambda r: r['seconds'])['startup_s']:.1f} |" if warm else ""))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=100, help="x today's observations (default 100)")
    ap.add_argument("--workdir", type=Path, help="default /tmp/bench_national_x<scale>")
    ap.add_argument("--warm-runs", type=int, default=0, help="nightly runs with --full after the cold one")
    ap.add_argument("--baseline", type=Path, help="warehouse built from today's sources, which --scale multiplies "
                    "(default: the published one, URBAN_WAREHOUSE_PATH)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    work = (args.workdir or Path(f"/tmp/bench_national_x{args.scale:g}")).resolve()
    loads = [load()]
    shared = [d for d in config.source_dirs() if d != config.RAW_DIR]
    source = next(d / SOURCE for d in shared if (d / SOURCE).exists())

    started = time.perf_counter()
    paths = generate(source, work / "gen", scale=args.scale, baseline_warehouse=args.baseline)
    stale = [p for p in (work / "gen" / "yearbooks" / "ccsy").glob("*.xlsx") if p not in paths]
    for p in stale:  # copies of an earlier, larger scale
        p.unlink()
    years = sorted(int(p.name.split("_")[-2]) - 1 for p in paths)
    gen = {"copies": len(paths), "first_year": years[0], "last_year": years[-1], "seconds": time.perf_counter() - started,
           "gib": disk_gib(work / "gen")}

    published = work / "nightly" / "indicators.duckdb"
    shutil.rmtree(published.parent, ignore_errors=True)  # cold: a new warehouse, an empty parse cache
    published.parent.mkdir(parents=True)
    sources = os.pathsep.join(str(d) for d in [*shared, work / "gen"])
    env = {**os.environ, "URBAN_WAREHOUSE_PATH": str(published), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "URBAN_SOURCE_DIRS": sources}
    watch = DiskWatch(work)
    watch.start()
    try:
        cold = run_nightly(work, env, full=True)
        print(f"cold nightly: {cold['seconds']:.0f} s, peak {cold['peak_mib']:.0f} MiB, success={cold['success']}", flush=True)
        if not cold["published"]:
            raise SystemExit(f"the cold nightly did not publish: {json.dumps(cold['steps'])}")
        warm = [run_nightly(work, env, full=True) for _ in range(args.warm_runs)]
        rows = row_counts(published)
        floor = run_floor_child(published, work, env)
        print(f"floor: {floor['seconds']:.0f} s, peak {floor['peak_mib']:.0f} MiB", flush=True)
        limit = dbt_settings().get("memory_limit")
        capped = {**run_floor_child(published, work, env, limit), "memory_limit": limit}
        print(f"capped floor: {capped['seconds']:.0f} s, peak {capped['peak_mib']:.0f} MiB", flush=True)
    finally:
        watch.done.set()
        if watch.stopped:
            print(f"stopped: less than {MIN_FREE_GIB:g} GiB left on the disk of {work}", file=sys.stderr)
    largest = max((published.parent / "exports").iterdir(), key=lambda f: f.stat().st_size)
    disk = {"peak_use": (watch.start_free - watch.min_free) / 2**30, "warehouse": published.stat().st_size / 2**30,
            "exports": disk_gib(published.parent / "exports"), "dir": disk_gib(published.parent),
            "largest_export": f"{largest.name} {largest.stat().st_size / 2**30:.2f} GiB"}
    loads.append(load())
    record(f"Scale: national x{args.scale:g} (synthetic)", report(args, sources, gen, cold, warm, floor, capped, rows, disk, tuple(loads)),
           write=not args.no_write)
    return 0 if cold["success"] else 1


if __name__ == "__main__":
    sys.exit(main())

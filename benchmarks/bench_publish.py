"""Where the publish step's time goes, on a built warehouse (a script, not a test).

Usage: .venv/bin/python benchmarks/bench_publish.py WAREHOUSE.duckdb [--repeat N] [--workdir DIR]

The file is copied to ``DIR/indicators.duckdb.build`` (what publish exports from: a checkpointed
build file), then, ``--repeat`` times (median printed):

* the parts of ``atomic._export_marts``, each timed on its own in the order publish runs them:
  a Parquet file per mart (plus its row count), a CSV per mart (the largest one apart), the freshness
  stamp and data dictionary, ``marts.xlsx``, ``manifest.json``, fsync of every exported file and
  of the directory, and fsync of the build file before the rename;
* the whole: ``atomic._export_marts`` into a fresh directory, then fsync of the build file (what
  ``publish`` does between its checkpoint and the rename).

Prints a table; writes nothing else.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dagster_project.common import warehouse  # noqa: E402
from dagster_project.publish import atomic, exports  # noqa: E402

SCHEMA = atomic.EXPORT_SCHEMA


def parts(build: Path, target: Path) -> dict[str, float]:
    times: dict[str, float] = defaultdict(float)

    def timed(name, fn, *args):
        started = time.perf_counter()
        out = fn(*args)
        times[name] += time.perf_counter() - started
        return out

    target.mkdir()
    with warehouse._open_current(build) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'warehouse' and table_schema = ? "
            "order by 1", [SCHEMA]).fetchall()]
        counts = {}
        for t in tables:
            timed("Parquet per mart + row count", exports.write_tables, con, target, SCHEMA, [t], "parquet")
            counts[t] = timed("Parquet per mart + row count",
                              lambda: con.execute(f'select count(*) from {SCHEMA}."{t}"').fetchone()[0])
        largest = max(counts, key=counts.get)
        for t in tables:
            timed(f"CSV {t}" if t == largest else "CSV other marts", exports.write_tables, con, target, SCHEMA, [t], "csv")
        stamp, dictionary = timed("stamp + data dictionary", exports.write_dictionary, con, target, SCHEMA, counts,
                                  ("csv", "xlsx"))
        timed("marts.xlsx", exports.write_workbook, con, target / "marts.xlsx", SCHEMA, counts, stamp, dictionary)
    timed("manifest.json", (target / exports.MANIFEST).write_text, json.dumps({"rows": counts}), "utf-8")
    timed("fsync exports (files + dir)", lambda: [warehouse._fsync(f) for f in [*target.iterdir(), target]])
    timed("fsync build file", warehouse._fsync, build)
    return times


def whole(build: Path, target: Path) -> float:
    started = time.perf_counter()
    atomic._export_marts(build, target, {"run_id": "bench", "published_at": "bench"})
    warehouse._fsync(build)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", type=Path, help="a built (published) warehouse file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_publish_"))
    work.mkdir(parents=True, exist_ok=True)
    build = work / "indicators.duckdb.build"
    shutil.copyfile(args.warehouse, build)
    runs: dict[str, list[float]] = defaultdict(list)
    for i in range(args.repeat):
        times = parts(build, work / f"parts-{i}")
        for name, seconds in [*times.items(), ("sum of the parts", sum(times.values()))]:
            runs[name].append(seconds)
        runs["whole: _export_marts + fsync build"].append(whole(build, work / f"whole-{i}"))
        for d in (work / f"parts-{i}", work / f"whole-{i}"):
            shutil.rmtree(d)
    print(f"warehouse {args.warehouse} ({build.stat().st_size / 2**20:.0f} MiB), median of {args.repeat} runs")
    print(f"{'part':<45} {'seconds':>8}")
    for name, values in runs.items():
        print(f"{name:<45} {statistics.median(values):>8.2f}")
    if args.workdir is None:
        shutil.rmtree(work)
    else:
        build.unlink()


if __name__ == "__main__":
    main()

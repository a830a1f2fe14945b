"""Query latency: p50/p95 over N runs of every ```sql block in README.md and of every query the
dashboard makes (dagster_project/serving: queries.py and ranking.py, called as dashboard.load calls
them), against the published warehouse opened read-only (a script, not a test).

Usage: .venv/bin/python benchmarks/bench_queries.py [WAREHOUSE] [--runs 100] [--no-write]
WAREHOUSE defaults to URBAN_WAREHOUSE_PATH (the published file).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.report import record  # noqa: E402
from dagster_project.common import config  # noqa: E402
from dagster_project.serving import queries  # noqa: E402
from dagster_project.serving.ranking import province_ranks  # noqa: E402

GOAL_P95_MS = 50.0
FROM = re.compile(r"from\s+(\S+)")


def readme_queries() -> list[tuple[str, str]]:
    """(label, sql) of each ```sql block in README.md, labelled by its first FROM table."""
    blocks = re.findall(r"```sql\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)
    if not blocks:
        raise SystemExit("README.md has no ```sql blocks")
    return [(f"README #{i}: {FROM.search(sql).group(1)}", sql.strip().rstrip(";")) for i, sql in enumerate(blocks, 1)]


def dashboard_calls(con: duckdb.DuckDBPyConnection) -> list[tuple[str, callable]]:
    regions = sorted({t["region_code"] for t in queries.target_progress(con)[0]})
    return [
        ("dashboard: published", lambda: queries.published(con)),
        ("dashboard: approx_tolerance", lambda: queries.approx_tolerance(con)),
        ("dashboard: target_progress", lambda: queries.target_progress(con)),
        (f"dashboard: actual_series ({len(regions)} regions)", lambda: queries.actual_series(con, regions)),
        (f"dashboard: province_ranks ({len(regions)} regions)", lambda: province_ranks(con, regions)),
        ("dashboard: city_comparison", lambda: queries.city_comparison(con)),
        ("dashboard: quarantine_counts", lambda: queries.quarantine_counts(con)),
        ("dashboard: load_summary", lambda: queries.load_summary(con)),
    ]


def latency(fn, runs: int) -> tuple[float, float, float]:
    """(p50, p95, max) in ms over ``runs`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    q = statistics.quantiles(times, n=100, method="inclusive")
    return q[49], q[94], max(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", nargs="?", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--section", default="Query latency", help="the BENCHMARKS.md section to write")
    args = ap.parse_args()
    path = args.warehouse or config.warehouse_path()
    if not path.exists():
        raise SystemExit(f"{path}: no published warehouse (run the nightly, or pass its path)")
    con = duckdb.connect(str(path), read_only=True)
    calls = [(label, lambda sql=sql: con.execute(sql).fetchall()) for label, sql in readme_queries()] + dashboard_calls(con)
    lines = [f"Warehouse: `{path}` opened read-only, one connection; {args.runs} runs per query after one warm-up; "
             f"goal p95 ≤ {GOAL_P95_MS:.0f} ms. Dashboard rows include building the Python rows (as the dashboard does).",
             "", "| query | p50 ms | p95 ms | max ms | p95 ≤ goal |", "|---|---:|---:|---:|---|"]
    for label, fn in calls:
        p50, p95, worst = latency(fn, args.runs)
        lines.append(f"| {label} | {p50:.2f} | {p95:.2f} | {worst:.2f} | {'yes' if p95 <= GOAL_P95_MS else 'NO'} |")
    con.close()
    text = f"Command: `python benchmarks/bench_queries.py` (2-core machine shared with other work: noisy)\n\n" + "\n".join(lines)
    record(args.section, text, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())

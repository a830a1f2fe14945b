"""Seconds per Great Expectations suite, as the nightly's checks run them (a script, not a test).

Usage: .venv/bin/python benchmarks/bench_quality.py WAREHOUSE.duckdb [--repeat N] [--code DIR]

In one process, like the nightly: import Great Expectations (once), then ``--repeat`` rounds of
``quality.validate(suite, WAREHOUSE, docs_dir=<temp>/data_docs)`` for every suite in
expectations/ (the persistent GX context and its Data Docs in a temporary directory). Prints the
import, the first round (what the nightly pays: GX's first-use work included) and the median of the
later rounds per suite. ``--code DIR``: import ``dagster_project`` from another checkout (e.g. the
previous commit, for a before/after); the suites are always this checkout's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--code", type=Path, default=REPO)
    args = ap.parse_args()
    sys.path.insert(0, str(args.code))
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    imported = time.perf_counter() - started
    from dagster_project.quality import suites as quality

    suites = [quality.load_suite(p) for p in sorted((REPO / "expectations").glob("*.json"))]
    runs: dict[str, list[float]] = {s["name"]: [] for s in suites}
    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench_quality_") as tmp:
        for _ in range(args.repeat):
            for suite in suites:
                started = time.perf_counter()
                outcome = quality.validate(suite, args.warehouse, docs_dir=Path(tmp) / "data_docs")
                runs[suite["name"]].append(time.perf_counter() - started)
                rows[suite["name"]] = outcome.row_count
    print(f"code {quality.__file__}; warehouse {args.warehouse}")
    print(f"import great_expectations: {imported:.2f} s")
    print(f"{'suite':<28} {'rows':>8} {'first run s':>12} {'median later s':>15}")
    for name, times in runs.items():
        later = f"{statistics.median(times[1:]):.2f}" if len(times) > 1 else "-"
        print(f"{name:<28} {rows[name]:>8} {times[0]:>12.2f} {later:>15}")


if __name__ == "__main__":
    main()

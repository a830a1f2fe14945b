"""Parse time of every source file of each kind: no cache vs a cold and a warm parse cache (a script, not a test).

Usage: .venv/bin/python benchmarks/bench_parse_cache.py

Sources: raw/ and URBAN_SOURCE_DIRS (default <repo>/../shared), found as the loaders find them.
Per kind, in one process after a warm-up parse of its first file (imports, reference lookups):
``none`` parses every file as a run without cache does; ``cold`` is the first run with an empty
cache (look-up miss, parse, store); ``warm`` the next run (every file from the cache). Each warm
result is checked equal (DataFrames included) to the cold one. Only the parse stage is timed: the
``frame`` step of land_files (label/unit keys) and landing run in both cases.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dagster_project.common import config  # noqa: E402
from dagster_project.sources.common import parse_cache  # noqa: E402
from dagster_project.sources.bulletins.facts import parse_bulletin_facts  # noqa: E402
from dagster_project.sources.bulletins.html import parse_bulletin_html  # noqa: E402
from dagster_project.sources.census.parser import parse_census_city, parse_census_county  # noqa: E402
from dagster_project.common.files import file_sha256  # noqa: E402
from dagster_project.sources.plans.tables import parse_plan_tables  # noqa: E402
from dagster_project.sources.plans.prose_targets import extract_prose_targets, extract_stated_values  # noqa: E402
from dagster_project.sources.yearbooks.parser import parse_yearbook  # noqa: E402


def parse_census(path: Path):
    return parse_census_city(path) if path.suffix.lower() == ".csv" else parse_census_county(path)


KINDS = [  # table, source subdir, patterns, parser (as in dagster_project/sources/assets.py)
    ("yearbook_observations", "yearbooks", ("*.xlsx", "*.xls"), parse_yearbook),
    ("census_observations", "census", ("*.csv", "*.xlsx"), parse_census),
    ("bulletin_observations", "bulletins", ("*.html", "*.htm"), parse_bulletin_html),
    ("bulletin_facts", "bulletins", ("*.csv",), parse_bulletin_facts),
    ("plan_indicator_cells", "plans", ("*.md",), parse_plan_tables),
    ("plan_prose_targets", "plans", ("*.md",), extract_prose_targets),
    ("plan_stated_values", "plans", ("*.md",), extract_stated_values),
]


def run(cache_dir: Path | None, table: str, files: list[Path], parse) -> tuple[float, list]:
    """One run's parse stage as land_files does it; returns (seconds, results)."""
    started = time.perf_counter()
    cache = parse_cache.ParseCache(cache_dir, table, parse) if cache_dir else None
    results = []
    for path in files:
        sha = file_sha256(path)
        result = cache.get(path, sha) if cache else None
        if result is None:
            result = parse(path)
            if cache:
                cache.put(path, sha, result)
        results.append(result)
    if cache:
        cache.finish()
    return time.perf_counter() - started, results


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    parse_cache.fingerprint(parse_yearbook)
    print(f"fingerprint (ingest code, reference CSVs, versions; once per process): {time.perf_counter() - started:.3f} s")
    tmp = Path(tempfile.mkdtemp(prefix="bench_parse_cache_"))
    print(f"{'table':<24}{'files':>6}{'MiB':>7}{'none s':>9}{'cold s':>9}{'warm s':>9}{'speed-up':>10}{'cache MiB':>11}")
    totals = [0.0, 0.0, 0.0]
    try:
        for table, subdir, patterns, parse in KINDS:
            files = config.find_source_files(subdir, patterns)
            if not files:
                print(f"{table:<24}{0:>6}  (no files)")
                continue
            parse(files[0])  # warm-up
            none, _ = run(None, table, files, parse)
            cold, cold_results = run(tmp, table, files, parse)
            warm, warm_results = run(tmp, table, files, parse)
            bad = [p.name for p, a, b in zip(files, cold_results, warm_results) if not parse_cache.same_result(a, b)]
            if bad:
                raise SystemExit(f"{table}: cached result differs from the parse for {bad}")
            mib = sum(p.stat().st_size for p in files) / 2**20
            cached = sum(p.stat().st_size for p in (tmp / table).rglob("*") if p.is_file()) / 2**20
            for i, s in enumerate((none, cold, warm)):
                totals[i] += s
            print(f"{table:<24}{len(files):>6}{mib:>7.1f}{none:>9.3f}{cold:>9.3f}{warm:>9.3f}{none / warm:>9.1f}x{cached:>11.2f}")
        print(f"{'total':<24}{'':>6}{'':>7}{totals[0]:>9.3f}{totals[1]:>9.3f}{totals[2]:>9.3f}{totals[0] / totals[2]:>9.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

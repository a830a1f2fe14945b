"""Parse time and peak memory of the yearbook parser, per edition (a script, not a test).

Usage: python benchmarks/bench_yearbooks.py [DIR ...]
DIR defaults to the yearbooks folder under each entry of URBAN_SOURCE_DIRS
(os.pathsep-separated; default <repo>/../shared).
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dagster_project.common import config  # noqa: E402
from dagster_project.sources.yearbooks.parser import parse_yearbook  # noqa: E402


def yearbook_files(dirs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        files += sorted(d.glob("china_city_statistical_yearbook_*_prefecture.xlsx"))
    return files


def main(argv: list[str]) -> int:
    if argv:
        dirs = [Path(a) for a in argv]
    else:
        dirs = [d / "yearbooks" / "ccsy" for d in config.source_dirs()]
    files = yearbook_files(dirs)
    if not files:
        print(f"no yearbook files in {[str(d) for d in dirs]}", file=sys.stderr)
        return 1
    parse_yearbook(files[0])  # warm-up: imports, reference files, region lookup
    print(f"{'file':<56}{'year':>6}{'rows':>6}{'quar':>6}{'columns':>9}{'obs':>8}{'seconds':>9}{'peak MiB':>10}")
    total = 0.0
    for path in files:
        started = time.perf_counter()
        result = parse_yearbook(path)  # timed without tracing (tracemalloc slows Python down ~4x)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        parse_yearbook(path)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        total += seconds
        s = result.summary
        print(f"{path.name:<56}{s['data_year']:>6}{s['city_rows_landed']:>6}{s['quarantined']:>6}"
              f"{s['columns']:>9}{s['observations']:>8}{seconds:>9.3f}{peak / 2**20:>10.1f}")
    print(f"total parse time {total:.3f} s for {len(files)} files; peak MiB = Python allocations during one parse "
          f"(tracemalloc, separate run); process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Synthetic yearbook editions for scale tests (issue 11, goal 3): copies of a real edition with
the data year in the title moved back, so each copy is a new (city x indicator x year) slice.

Usage: .venv/bin/python benchmarks/gen_national_yearbooks.py SOURCE.xlsx OUT_DIR COPIES --first-year Y
       .venv/bin/python benchmarks/gen_national_yearbooks.py SOURCE.xlsx OUT_DIR --scale 100

Copy i has the title year ``first_year - i`` (choose Y below the real editions' data years, so no
slice is doubled; by default it is the year before the oldest yearbook data year of the baseline
warehouse, today 2018 - 1 = 2017)
and is written as ``OUT_DIR/yearbooks/ccsy/china_city_statistical_yearbook_<year + 1>_prefecture.xlsx``,
so OUT_DIR works as an entry of URBAN_SOURCE_DIRS. Values are copied unchanged (no year-on-year
jumps for the plausibility checks to flag).

``--scale S``: as many copies as make the observations about S times the rows of
``marts.fct_indicator_observation`` in the baseline warehouse (``--baseline``, default the published
warehouse, URBAN_WAREHOUSE_PATH: the nightly over today's sources; today 286,013 rows from the six
real editions, the census, the bulletins and the plans): ``(S - 1) x <baseline rows> / <observations
one copy yields>``, e.g. x10 = 41 copies, x100 = 447 copies of the 2020 edition (63,330 observations each).

Why more years and not more cities or indicators. The parser reads one sheet per workbook, the
prefecture-city sheet titled 中国YYYY年地级以上城市数据 (the largest, if several), and lands each
prefecture once per sheet (a county name matches no prefecture and is quarantined, a second row of
the same city too); which indicator a column is comes from its printed label, unit and scope, so a
repeated column is the same (region, indicator, year) key again. The only way to add distinct
observations is therefore a new data year per workbook: ~300 cities x ~210 columns x many years.
x100 needs ~450 data years (1571..2017): not a real history, but nothing in the pipeline bounds a
year (the title regex takes any four digits; no dbt test, plausibility rule or GX expectation has a
year range; the jump rule compares a value with its nearest years, which are copies of the same
value), so each copy is one new year of every series and the rankings, actuals and plausibility
windows grow with it. Many years per series is what exposed the jump rule's year pairs (``jump_outliers``):
joined on the series alone they grew with years² (an earlier x50 run ran out of disk spilling that model); they are now
joined on the year (BENCHMARKS.md, "Analysis"). Doubling a data year instead (several files for one year)
would make each (region, indicator, year) key a conflict of k sources, compared pairwise by the jump
rule: a workload no real source set has.

Fast: the source is read with calamine and written once, cell by cell with xlsxwriter (values
only: no merged ranges or styles, which the parser does not rely on), as a template; every copy is
that template's zip members with only the title string (in ``xl/sharedStrings.xml``) changed,
recompressed (~0.05 s a copy instead of ~1.5 s).
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

TITLE = re.compile(r"中国(\d{4})年地级以上城市数据")
PLACEHOLDER = "中国0000年地级以上城市数据"
BASELINE_SQL = "select count(*), min(year) filter (where source_kind = 'yearbook') from marts.fct_indicator_observation"


def read(source: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(source))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def data_year(sheets: dict[str, list[list]]) -> int:
    for rows in sheets.values():
        for row in rows[:10]:
            for cell in row:
                if isinstance(cell, str) and (m := TITLE.search(cell)):
                    return int(m.group(1))
    raise SystemExit("no title cell 中国YYYY年地级以上城市数据 in the first 10 rows of any sheet")


def template(sheets: dict[str, list[list]]) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The workbook written once, its title year ``0000``: (member, uncompressed bytes) in order."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell == "":
                    continue
                if isinstance(cell, str):
                    ws.write_string(r, c, TITLE.sub(PLACEHOLDER, cell))
                else:
                    ws.write(r, c, cell)
    wb.close()
    with zipfile.ZipFile(buffer) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    found = sum(data.count(PLACEHOLDER.encode()) for _, data in members)
    if found != 1:
        raise SystemExit(f"the title occurs {found} times in the written workbook, expected once")
    return members


def write_copy(members: list[tuple[zipfile.ZipInfo, bytes]], year: int, path: Path) -> None:
    title = PLACEHOLDER.replace("0000", f"{year:04d}").encode()
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:  # a fixed date: the same bytes every time
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(member, data.replace(PLACEHOLDER.encode(), title), zipfile.ZIP_DEFLATED, compresslevel=1)


def baseline(warehouse: Path | None = None) -> tuple[int, int]:
    """(rows of marts.fct_indicator_observation, oldest yearbook data year) of the warehouse built
    from today's sources (default: the published one), which --scale multiplies and below whose
    years the copies go."""
    import duckdb

    from dagster_project.common import config

    path = Path(warehouse) if warehouse else config.warehouse_path()
    if not path.exists():
        raise SystemExit(f"no warehouse at {path}: run the nightly over today's sources first "
                         "(--scale and the copies' years are relative to it), or give --baseline")
    with duckdb.connect(str(path), read_only=True) as con:
        rows, oldest = con.execute(BASELINE_SQL).fetchone()
    if oldest is None:
        raise SystemExit(f"{path} has no yearbook observation: the copies' years cannot be placed below the real ones")
    return rows, oldest


def copies_for_scale(scale: float, per_copy: int, today_rows: int) -> int:
    return max(0, round((scale - 1) * today_rows / per_copy))


def generate(source: Path, out_dir: Path, copies: int | None = None, first_year: int | None = None,
             scale: float | None = None, baseline_warehouse: Path | None = None) -> list[Path]:
    """Write the copies (``copies``, or as many as ``scale`` needs); return their paths."""
    sheets = read(source)
    year = data_year(sheets)
    today_rows, oldest = baseline(baseline_warehouse) if copies is None or first_year is None else (None, None)
    if copies is None:
        from dagster_project.sources.yearbooks.parser import parse_yearbook

        copies = copies_for_scale(scale, parse_yearbook(source).observations.height, today_rows)
    first = oldest - 1 if first_year is None else first_year
    print(f"source {source.name}: data year {year}; {copies} copies, data years {first - copies + 1}..{first}")
    members = template(sheets)
    target = out_dir / "yearbooks" / "ccsy"
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(copies):
        paths.append(target / f"china_city_statistical_yearbook_{first - i + 1}_prefecture.xlsx")
        write_copy(members, first - i, paths[-1])
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("copies", type=int, nargs="?")
    ap.add_argument("--first-year", type=int, help="data year of the first copy (default: the baseline's oldest yearbook year - 1)")
    ap.add_argument("--scale", type=float, help="copies for about SCALE x the baseline's observations")
    ap.add_argument("--baseline", type=Path, help="warehouse built from today's sources (default: the published one)")
    args = ap.parse_args()
    if (args.copies is None) == (args.scale is None):
        ap.error("give COPIES or --scale")
    paths = generate(args.source, args.out_dir, args.copies, args.first_year, args.scale, args.baseline)
    print(f"{len(paths)} editions in {args.out_dir / 'yearbooks' / 'ccsy'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Synthetic yearbook editions for scale tests (issue 11, goal 3): copies of a real edition with
the data year in the title moved back, so each copy is a new (city x indicator x year) slice.

Usage: .venv/bin/python benchmarks/gen_national_yearbooks.py SOURCE.xlsx OUT_DIR COPIES --first-year Y

Every sheet is read with calamine and written back with xlsxwriter, cell by cell (values only: no
merged ranges or styles, which the parser does not rely on). Copy i has the title year
``first_year - i`` (choose Y below the real editions' data years, so no slice is doubled) and is written as
``OUT_DIR/yearbooks/ccsy/china_city_statistical_yearbook_<year + 1>_prefecture.xlsx``, so OUT_DIR
works as an entry of URBAN_SOURCE_DIRS. Values are copied unchanged (no year-on-year jumps for the
plausibility checks to flag).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import xlsxwriter
from python_calamine import CalamineWorkbook

TITLE = re.compile(r"中国(\d{4})年地级以上城市数据")


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


def write(sheets: dict[str, list[list]], year: int, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if cell == "":
                    continue
                if isinstance(cell, str):
                    ws.write_string(r, c, TITLE.sub(f"中国{year}年地级以上城市数据", cell))
                else:
                    ws.write(r, c, cell)
    wb.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("copies", type=int)
    ap.add_argument("--first-year", type=int, required=True)
    args = ap.parse_args()
    sheets = read(args.source)
    first = args.first_year
    print(f"source {args.source.name}: data year {data_year(sheets)}")
    target = args.out_dir / "yearbooks" / "ccsy"
    target.mkdir(parents=True, exist_ok=True)
    for i in range(args.copies):
        year = first - i
        write(sheets, year, target / f"china_city_statistical_yearbook_{year + 1}_prefecture.xlsx")
    print(f"{args.copies} editions (data years {first - args.copies + 1}..{first}) in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

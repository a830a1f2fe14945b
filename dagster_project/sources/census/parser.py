"""Population census (2010 / 2020): resident, urban and rural population per region.

Two files, both read by their column *names* (never positions):

* ``census_city_2010-2020_v1.csv`` -- one row per prefecture-level city with
  ``city_code`` and ``popu_2020`` / ``popu_urban_2020`` / ``popu_rural_2020`` and the
  same for 2010;
* ``census_county_2020_v1.xlsx`` -- one row per region (province, prefecture and
  county rows mixed) with ``区划代码`` and ``人口数_合计`` / ``城镇人口`` / ``乡村人口``.

Which columns hold figures, and of which census year, are the rows of
``raw/reference/indicator_label_map.csv`` with source_scope ``census_city`` / ``census_county``
(a column of the file's layout missing from the file is an error). Every figure becomes one
long observation labelled with its column name (scope 'n.a.'; the files print no unit: the
mapping row's assumed unit, 人, is applied with the indicator code in dbt). The region code is
the file's own code, validated against ``raw/reference/regions.csv``; an unknown code
(Hong Kong / Macao, development zones printed with 区划代码 'NA', the national total)
goes to quarantine with the reason. The urbanization rate is *not* computed here: dbt
derives it from the urban and total figures.

Empty cells and the printed 'NA' produce no observation (counted as ``empty_cells``).
Some 2010 city figures carry decimals (the source apportioned 2010 counts to 2020
boundaries); they are kept as printed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dagster_project.sources.common.provenance import (
    ObservationRows,
    QuarantineRow,
    SourceError,
)
from dagster_project.sources.common.cells import (
    cell_text,
    column_letter,
    parse_number,
)
from dagster_project.common.files import file_sha256
from dagster_project.sources.common.source_files import csv_records, decode_text, read_source_bytes, read_workbook
from dagster_project.common.reference import label_rows, read_reference

SOURCE_KIND = "census"
CITY_SCOPE, COUNTY_SCOPE = "census_city", "census_county"  # source_scope in indicator_label_map.csv
COUNTY_CODE_COLUMN = "区划代码"
COUNTY_NAME_COLUMNS = ("省", "市", "区县")

CENSUS_EXTRA_SCHEMA = {"region_level": pl.Utf8}

_MISSING = {"", "NA", "N/A", "-", "—"}


@dataclass
class CensusResult:
    observations: pl.DataFrame
    quarantine: list[QuarantineRow]
    summary: dict


class _Collector:
    """Accumulates observations, quarantine rows and counts for one file."""

    def __init__(self, source_file: str, sha: str, label_scope: str):
        self.source_file, self.sha = source_file, sha
        self.obs = ObservationRows(SOURCE_KIND, source_file, sha, label_scope, CENSUS_EXTRA_SCHEMA)
        self.quarantine: list[QuarantineRow] = []
        self.counts = dict(rows_seen=0, rows_landed=0, rows_quarantined=0, cells_quarantined=0, empty_cells=0)
        self.regions = {r["region_code"]: r for r in read_reference("regions").iter_rows(named=True)}

    def reject(self, location: str, reason: str, verbatim: str, *, row: bool) -> None:
        self.counts["rows_quarantined" if row else "cells_quarantined"] += 1
        self.quarantine.append(QuarantineRow(SOURCE_KIND, self.source_file, self.sha, location, reason, verbatim))

    def check_region(self, code: str, location: str, verbatim: str, province_code: str | None = None) -> dict | None:
        region = self.regions.get(code)
        if region is None:
            self.reject(location, f"region code {code!r} is not in regions.csv (GB/T 2260)", verbatim, row=True)
            return None
        if province_code and region["province_code"] != province_code:
            self.reject(location, f"region code {code} belongs to province {region['province_code']}, "
                        f"the row says {province_code}", verbatim, row=True)
            return None
        return region

    def add(self, *, location: str, text: str, region: dict, name_raw: str, label: str, year: int) -> None:
        value = parse_number(text)
        if value is None:
            if text.strip() in _MISSING:
                self.counts["empty_cells"] += 1
            else:
                self.reject(location, f"not a number: {text!r} (column {label})", text, row=False)
            return
        self.obs.add(source_location=location, verbatim=text, region_name_raw=name_raw, region_code=region["region_code"],
                     year=year, indicator_label_raw=label, value_raw=text, value=value, region_level=region["level"])

    def result(self, extra_summary: dict) -> CensusResult:
        df = self.obs.frame()
        summary = {"file": self.source_file, **self.counts, "quarantined": len(self.quarantine),
                   "observations": df.height, **extra_summary}
        return CensusResult(df, self.quarantine, summary)


def census_columns(scope: str) -> dict[str, int]:
    """Figure column (as printed in the header) -> census year, from the label map rows of ``scope``."""
    rows = label_rows(scope)
    if not rows:
        raise SourceError("indicator_label_map.csv", None, f"no rows of source_scope {scope!r}: no census column to read")
    undated = [r["label_printed"] for r in rows if not (r["year"] or "").strip().isdigit()]
    if undated:
        raise SourceError("indicator_label_map.csv", None, f"census column(s) {undated} ({scope}) without a census year")
    return {r["label_printed"].strip(): int(r["year"]) for r in rows}


def _require_columns(header: list[str], wanted, file_name: str, where: str) -> dict[str, int]:
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [c for c in wanted if c not in index]
    if missing:
        raise SourceError(file_name, where, f"missing column(s) {missing}; header has {list(index)[:12]}…")
    return {c: index[c] for c in wanted}


def parse_census_city(path: str | Path) -> CensusResult:
    """Prefecture-level census CSV: 2010 and 2020 resident / urban / rural population."""
    path = Path(path)
    text = decode_text(read_source_bytes(path, SOURCE_KIND), path.name)
    reader = csv.reader(io.StringIO(text, newline=""))
    records = csv_records(reader, path.name)
    header = next(records, None)
    if not header:
        raise SourceError(path.name, 1, "empty file")
    figures = census_columns(CITY_SCOPE)
    cols = _require_columns(header, ["city", "city_code", "province_code", *figures], path.name, "line 1")
    out = _Collector(path.name, file_sha256(path), CITY_SCOPE)
    for row in records:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        out.counts["rows_seen"] += 1
        cell = lambda name: row[cols[name]].strip() if cols[name] < len(row) else ""  # noqa: E731
        name, code = cell("city"), cell("city_code")
        verbatim = f"{name},{code}," + ",".join(cell(c) for c in figures)
        region = out.check_region(code, f"line {line}", verbatim, province_code=cell("province_code") or None)
        if region is None:
            continue
        out.counts["rows_landed"] += 1
        for column, year in figures.items():
            out.add(location=f"line {line} column {column}", text=cell(column), region=region,
                    name_raw=name, label=column, year=year)
    return out.result({"level": "prefecture"})


def parse_census_county(path: str | Path, sheet: str | None = None) -> CensusResult:
    """County-level 2020 census workbook (区划代码 + 人口数_合计 / 城镇人口 / 乡村人口).

    Rows of every level in the file (province, prefecture, county) land under their own
    code; ``region_level`` says which. The sheet is the first one holding the 区划代码
    header unless ``sheet`` is given.
    """
    path = Path(path)
    sheets = read_workbook(path, SOURCE_KIND)
    name = sheet or next(
        (n for n, g in sheets.items() if g and COUNTY_CODE_COLUMN in [cell_text(v).strip() for v in g[0]]), None
    )
    if name is None or name not in sheets:
        raise SourceError(path.name, None, f"no sheet with a '{COUNTY_CODE_COLUMN}' header (sheets: {list(sheets)})")
    grid = sheets[name]
    header = [cell_text(v).strip() for v in grid[0]]
    figures = census_columns(COUNTY_SCOPE)
    cols = _require_columns(header, [COUNTY_CODE_COLUMN, *COUNTY_NAME_COLUMNS, *figures], path.name, f"sheet {name} row 1")
    out = _Collector(path.name, file_sha256(path), COUNTY_SCOPE)
    for r, row in enumerate(grid[1:], start=2):
        cell = lambda c: cell_text(row[cols[c]]).strip() if cols[c] < len(row) else ""  # noqa: E731
        if not any(cell_text(v).strip() for v in row):
            continue
        out.counts["rows_seen"] += 1
        code = cell(COUNTY_CODE_COLUMN)
        names = [cell(c) for c in COUNTY_NAME_COLUMNS]
        verbatim = ",".join([code, *names, *(cell(c) for c in figures)])
        region = out.check_region(code, f"sheet {name} row {r}", verbatim)
        if region is None:
            continue
        out.counts["rows_landed"] += 1
        for column, year in figures.items():
            letter = column_letter(cols[column] + 1)
            out.add(location=f"sheet {name} cell {letter}{r} (row {r}, column {column})", text=cell(column),
                    region=region, name_raw=names[-1], label=column, year=year)
    return out.result({"sheet_name": name})


def parse_census(city_csv: str | Path, county_xlsx: str | Path) -> CensusResult:
    """Both census files stacked (summary: one entry per file)."""
    parts = [parse_census_city(city_csv), parse_census_county(county_xlsx)]
    return CensusResult(
        observations=pl.concat([p.observations for p in parts]),
        quarantine=[q for p in parts for q in p.quarantine],
        summary={"files": [p.summary for p in parts]},
    )

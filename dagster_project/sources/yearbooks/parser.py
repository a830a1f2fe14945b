"""China City Statistical Yearbook (中国城市统计年鉴), prefecture-level city sheets.

One workbook per edition; edition YYYY holds data for year YYYY-1. The parser is pure
(path in, data out) and works in four steps:

1. pick the data sheet *by content*: the sheet whose top rows carry the title
   "中国YYYY年地级以上城市数据" (other sheets are advertisements); the data year comes
   from that title, never from the file name;
2. resolve the multi-row bilingual header of every column into a :class:`HeaderColumn`
   (section, Chinese label, parent label, unit, scope 全市/市辖区, English label);
3. emit every cell with its header's label, unit and scope as printed (``headers`` lists
   every column). Which indicator a column is, is decided in one place, in dbt
   (int_indicator_labels_mapped): the rows of ``raw/reference/indicator_label_map.csv`` with
   source_scope 'yearbook' match the normalized label, unit and scope -- never the column
   position; a header no row matches lands unmapped;
4. walk the city rows: province heading rows (a province name and no values) only set
   the province context used to disambiguate city names; every other row is a city row
   that either lands (one observation per non-empty cell) or goes to quarantine.

Decisions (documented here because they are choices):

* Province heading rows carry no values and are not observations. A province-level row
  *with* values (a province total) is quarantined, because the yearbook sheet covers
  prefecture-level cities only. The four municipalities (北京, 天津, 上海, 重庆) are
  prefecture-level cities and land under their prefecture code.
* A city row whose name cannot be mapped to a prefecture code, a city row without any
  value, and a second row for a city already seen in the sheet are quarantined whole.
* Empty cells and the printed dash ("-", "—") produce no observation; they are counted
  in the summary. Any other non-numeric cell text is quarantined cell by cell, and so is
  text that only looks like a number after guessing (OCR "1 1.44", "4846,48").
* When a header prints no unit, the unit is taken from the unit-only cell below it, then
  from the parent header, then from the section title. If there is still none, the unit
  stays null here and a mapping row may supply ``assumed_unit`` in dbt (``unit_source``
  = 'mapping').
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import polars as pl

from dagster_project.sources.common.provenance import (
    OBSERVATION_SCHEMA,
    ObservationRows,
    QuarantineRow,
    SourceError,
)
from dagster_project.sources.common.cells import cell_text
from dagster_project.common.files import file_sha256
from dagster_project.common.text import normalize_text
from dagster_project.sources.common.source_files import read_workbook
from dagster_project.sources.yearbooks.layout import HeaderColumn, find_layout, grid_cell, pick_data_sheet, resolve_headers
from dagster_project.common.reference import RegionLookup, region_lookup

SOURCE_KIND = "yearbook"
LABEL_SCOPE = "yearbook"  # source_scope of its rows in raw/reference/indicator_label_map.csv


# Extra columns appended after OBSERVATION_COLUMNS for yearbook observations.
YEARBOOK_EXTRA_SCHEMA = {
    "edition": pl.Int64,
    "sheet_name": pl.Utf8,
    "row_number": pl.Int64,       # 1-based sheet row, as in Excel
    "column_number": pl.Int64,    # 1-based sheet column, as in Excel
    "header_section": pl.Utf8,    # the table the column belongs to ("2-1 人口数")
    "header_label_en": pl.Utf8,
    "population_basis": pl.Utf8,  # 'registered' (户籍) | 'resident' (常住) | null, read from the header text
    "unit_source": pl.Utf8,       # header | unit_cell | parent | section | null (none printed)
}
YEARBOOK_OBSERVATION_SCHEMA = {**OBSERVATION_SCHEMA, **YEARBOOK_EXTRA_SCHEMA}

# every resolved data column of a sheet, with or without values: what the header rows say
HEADER_SCHEMA = {
    "file": pl.Utf8,
    "column_number": pl.Int64,
    "column_letter": pl.Utf8,
    "label_scope": pl.Utf8,
    "label": pl.Utf8,
    "unit": pl.Utf8,
    "unit_source": pl.Utf8,
    "scope": pl.Utf8,
    "population_basis": pl.Utf8,
    "header_section": pl.Utf8,
    "header_label_en": pl.Utf8,
}

_MISSING_MARKS = {"-", "—", "–", "－", "--", "——", "…"}

_PLAIN_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_GROUPED_NUMBER_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@dataclass
class YearbookResult:
    observations: pl.DataFrame
    quarantine: list[QuarantineRow]
    headers: pl.DataFrame  # HEADER_SCHEMA: every data column, mapped or not
    summary: dict
    columns: list[HeaderColumn] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def parse_yearbook_value(value) -> tuple[float | None, str | None]:
    """(number, None) | (None, None) for an empty/dash cell | (None, reason) for bad text."""
    if value is None or isinstance(value, bool):
        return None, None if value is None else f"not a number: {value!r}"
    if isinstance(value, (int, float)):
        return float(value), None
    raw = str(value).strip()
    if not raw:
        return None, None
    t = unicodedata.normalize("NFKC", raw)
    if t in _MISSING_MARKS:
        return None, None
    if _PLAIN_NUMBER_RE.fullmatch(t):
        return float(t), None
    if _GROUPED_NUMBER_RE.fullmatch(t):
        return float(t.replace(",", "")), None
    return None, f"cell text is not a number: {raw!r}"


# ---------------------------------------------------------------------------
# Sheet selection and layout
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Header resolution
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------


def _municipalities(lookup: RegionLookup) -> set[str]:
    """Province codes that are also a prefecture-level city of the same name (北京市 …)."""
    df = lookup.regions
    provinces = {r["region_code"]: normalize_text(r["region_name"]) for r in df.iter_rows(named=True) if r["level"] == "province"}
    return {
        r["province_code"] for r in df.iter_rows(named=True)
        if r["level"] == "prefecture" and provinces.get(r["province_code"]) == normalize_text(r["region_name"])
    }


def _classify_region(name: str, lookup: RegionLookup, province: str | None, municipalities: set[str]) -> tuple[str, str | None]:
    """('province', code) | ('city', code) | ('city', None) for a row name.

    A name is a province only when it is the province's own name (or an alias of it, or
    not a '…市' name): '吉林省' is the province, '吉林市' the city. The municipalities
    are cities (their prefecture code); other cities are looked up within the current
    province heading first, then anywhere (a unique match only).
    """
    n = normalize_text(name)
    prov = lookup.code_for(name, levels=("province",))
    if prov is not None and (n == normalize_text(lookup.get(prov)["region_name"]) or not n.endswith("市")):
        if prov not in municipalities:
            return "province", prov
        return "city", lookup.code_for(name, levels=("prefecture",), province_code=prov)
    code = lookup.code_for(name, levels=("prefecture",), province_code=province)
    if code is None and province is not None:
        code = lookup.code_for(name, levels=("prefecture",))
    return "city", code


def parse_yearbook_grid(
    grid: Sequence[Sequence],
    *,
    source_file: str,
    source_sha256: str,
    sheet_name: str,
    lookup: RegionLookup | None = None,
) -> YearbookResult:
    """Parse one data sheet given as a cell grid (row 0 = Excel row 1)."""
    started = time.perf_counter()
    lookup = lookup or region_lookup()
    layout = find_layout(grid, source_file, sheet_name)
    columns = resolve_headers(grid, layout)
    if not columns:
        raise SourceError(source_file, f"sheet {sheet_name}", "no data column headers found")

    obs = ObservationRows(SOURCE_KIND, source_file, source_sha256, LABEL_SCOPE, YEARBOOK_EXTRA_SCHEMA)
    quarantine: list[QuarantineRow] = []
    counts = dict(city_rows_seen=0, city_rows_landed=0, province_rows=0, rows_quarantined=0,
                  cells_quarantined=0, empty_cells=0, blank_rows=0)
    province: str | None = None
    seen_codes: dict[str, int] = {}
    municipalities = _municipalities(lookup)

    def quarantine_row(row_no: int, col: HeaderColumn | None, reason: str, verbatim: str) -> None:
        where = f"sheet {sheet_name} row {row_no}"
        if col is not None:
            where = f"sheet {sheet_name} cell {col.column_letter}{row_no} (row {row_no}, column {col.column_number})"
        quarantine.append(QuarantineRow(SOURCE_KIND, source_file, source_sha256, where, reason, verbatim))

    for r in range(layout.first_data_row, len(grid)):
        row = grid[r]
        row_no = r + 1
        name_raw = grid_cell(grid, r, layout.name_col)
        cells = [(col, row[col.column_number - 1] if col.column_number - 1 < len(row) else None) for col in columns]
        non_empty = [(col, v) for col, v in cells if cell_text(v).strip()]
        if not name_raw.strip():
            if non_empty:
                counts["rows_quarantined"] += 1
                quarantine_row(row_no, None, "row has values but no city name", _row_verbatim(non_empty))
            else:
                counts["blank_rows"] += 1
            continue
        kind, code = _classify_region(name_raw, lookup, province, municipalities)
        if kind == "province":
            if not non_empty:
                counts["province_rows"] += 1
                province = code
                continue
            counts["rows_quarantined"] += 1
            quarantine_row(row_no, None, f"province-level row {name_raw.strip()!r} with values: the sheet "
                           "covers prefecture-level cities only; province totals are not landed",
                           _row_verbatim(non_empty, name_raw))
            continue
        counts["city_rows_seen"] += 1
        reason = None
        if code is None:
            reason = (f"city name {name_raw.strip()!r} matches no prefecture in regions.csv "
                      "(and no alias in region_aliases.csv)")
        elif not non_empty:
            reason = f"city row {name_raw.strip()!r} has no values"
        elif code in seen_codes:
            reason = f"second row for region {code} (first at row {seen_codes[code]})"
        if reason:
            counts["rows_quarantined"] += 1
            quarantine_row(row_no, None, reason, _row_verbatim(non_empty, name_raw))
            continue
        seen_codes[code] = row_no
        counts["city_rows_landed"] += 1
        for col, value in cells:
            number, error = parse_yearbook_value(value)
            text = cell_text(value).strip()
            if error:
                counts["cells_quarantined"] += 1
                quarantine_row(row_no, col, f"{error} (column {col.label!r} {col.scope}, city {name_raw.strip()!r})", text)
                continue
            if number is None:
                counts["empty_cells"] += 1
                continue
            obs.add(
                source_location=f"sheet {sheet_name} cell {col.column_letter}{row_no} (row {row_no}, column {col.column_number})",
                verbatim=text, region_name_raw=name_raw, region_code=code, year=layout.data_year, scope=col.scope,
                indicator_label_raw=col.label, unit_raw=col.unit, value_raw=text, value=number,
                edition=layout.data_year + 1, sheet_name=sheet_name, row_number=row_no, column_number=col.column_number,
                header_section=col.section, header_label_en=col.label_en, population_basis=col.population_basis,
                unit_source=col.unit_source,
            )

    observations = obs.frame()
    headers = pl.DataFrame(
        [
            {"file": source_file, "column_number": c.column_number, "column_letter": c.column_letter,
             "label_scope": LABEL_SCOPE, "label": c.label, "unit": c.unit, "unit_source": c.unit_source,
             "scope": c.scope, "population_basis": c.population_basis, "header_section": c.section,
             "header_label_en": c.label_en}
            for c in columns
        ],
        schema=HEADER_SCHEMA,
    )
    summary = {
        "file": source_file,
        "sheet_name": sheet_name,
        "data_year": layout.data_year,
        "edition": layout.data_year + 1,
        **counts,
        "quarantined": len(quarantine),
        "observations": observations.height,
        "columns": len(columns),
        "parse_seconds": round(time.perf_counter() - started, 3),
    }
    return YearbookResult(observations, quarantine, headers, summary, columns)


def _row_verbatim(non_empty, name_raw: str | None = None) -> str:
    parts = [name_raw.strip()] if name_raw else []
    parts += [cell_text(v).strip() for _, v in non_empty[:8]]
    more = len(non_empty) - 8
    return " | ".join(parts) + (f" | … (+{more} cells)" if more > 0 else "")


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def parse_yearbook(path: str | Path, lookup: RegionLookup | None = None) -> YearbookResult:
    """Parse one yearbook workbook (.xlsx) into observations, headers, quarantine and a summary."""
    path = Path(path)
    sheets = read_workbook(path)
    sheet = pick_data_sheet(sheets, path.name)
    return parse_yearbook_grid(
        sheets[sheet], source_file=path.name, source_sha256=file_sha256(path), sheet_name=sheet, lookup=lookup,
    )

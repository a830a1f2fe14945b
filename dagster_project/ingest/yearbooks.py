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

from dagster_project.ingest.common import (
    OBSERVATION_SCHEMA,
    ObservationRows,
    QuarantineRow,
    SourceError,
    cell_text,
    column_letter,
    file_sha256,
    normalize_text,
    split_label_unit,
)
from dagster_project.ingest.source_files import read_workbook
from dagster_project.ingest.reference import RegionLookup, region_lookup

SOURCE_KIND = "yearbook"
LABEL_SCOPE = "yearbook"  # source_scope of its rows in raw/reference/indicator_label_map.csv

TITLE_RE = re.compile(r"中国\s*(\d{4})\s*年\s*地级以上城市数据")

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

# Scope words as printed in the header (incl. one OCR typo seen in edition 2019).
_SCOPE_WORDS = {"全市": "全市", "市辖区": "市辖区", "再辖区": "市辖区"}
_MISSING_MARKS = {"-", "—", "–", "－", "--", "——", "…"}

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_AFTER_ZH_RE = re.compile(r"(?:\s*[)）]|\s*[（(][^A-Za-z()（）]*[)）])*")
_UNIT_ONLY_RE = re.compile(r"[（(]([^A-Za-z()（）]+)[)）]")
_PLAIN_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_GROUPED_NUMBER_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@dataclass
class HeaderColumn:
    """What the header rows say about one data column."""

    column_number: int  # 1-based
    column_letter: str
    section: str
    label: str  # Chinese label without its unit, whitespace collapsed
    parent: str | None
    unit: str | None
    unit_source: str | None
    scope: str  # 全市 | 市辖区 | n.a.
    label_en: str
    population_basis: str | None = None


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


def _collapse(text: str) -> str:
    return " ".join(str(text).split())


def split_zh_en(text: str) -> tuple[str, str]:
    """Split a bilingual header cell into its Chinese and English parts.

    The Chinese part runs to the last CJK character plus the closing bracket(s) and any
    bracketed unit without Latin letters right after it ("自然增长率(‰) Natural Growth
    Rate(‰)" -> ("自然增长率(‰)", "Natural Growth Rate(‰)")).
    """
    t = (text or "").strip()
    last = None
    for m in _CJK_RE.finditer(t):
        last = m.end()
    if last is None:
        return "", t
    cut = _AFTER_ZH_RE.match(t, last).end()
    return t[:cut].strip(), t[cut:].strip()


def _scope_word(zh: str) -> str | None:
    n = normalize_text(zh)
    return _SCOPE_WORDS.get(n)


def _scope_in(text: str | None) -> str | None:
    """Scope named inside a section title or label: '(市辖区)', '（全市）'."""
    n = normalize_text(text or "")
    for word, scope in _SCOPE_WORDS.items():
        if f"({word})" in n:
            return scope
    return None


def _unit_of(text: str | None) -> str | None:
    """Trailing bracketed unit of a label or section title, scope words excluded."""
    if not text:
        return None
    _, unit = split_label_unit(_collapse(text))
    if unit is None or _scope_word(unit) is not None:
        return None
    return unit


def _population_basis(label: str) -> str | None:
    n = normalize_text(label)
    if "户籍" in n:
        return "registered"
    if "常住" in n:
        return "resident"
    return None


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


def find_title(grid: Sequence[Sequence], max_rows: int = 6, max_cols: int = 6) -> tuple[int, int, int] | None:
    """(row index, column index, data year) of the title cell, or None."""
    for r, row in enumerate(grid[:max_rows]):
        for c, value in enumerate(list(row)[:max_cols]):
            m = TITLE_RE.search(normalize_text(cell_text(value)))
            if m:
                return r, c, int(m.group(1))
    return None


def pick_data_sheet(sheets: dict[str, list[list]], file_name: str) -> str:
    """The data sheet: the one titled '中国YYYY年地级以上城市数据' (largest if several)."""
    titled = [name for name, grid in sheets.items() if find_title(grid)]
    if not titled:
        raise SourceError(
            file_name, None,
            f"no sheet carries the title '中国YYYY年地级以上城市数据' (sheets: {list(sheets)})",
        )
    return max(titled, key=lambda name: len(sheets[name]))


@dataclass
class _Layout:
    title_row: int
    data_year: int
    name_col: int
    header_rows: list[int]  # rows below the title row holding labels/units/scopes
    first_data_row: int
    data_cols: list[int]


def _find_layout(grid: Sequence[Sequence], file_name: str, sheet: str) -> _Layout:
    found = find_title(grid)
    if not found:
        raise SourceError(file_name, f"sheet {sheet}", "title '中国YYYY年地级以上城市数据' not found")
    title_row, _, year = found
    name_row = name_col = None
    for r in range(title_row, min(len(grid), title_row + 12)):
        for c, value in enumerate(grid[r]):
            if normalize_text(cell_text(value)) == "城市":
                name_row, name_col = r, c
                break
        if name_row is not None:
            break
    if name_row is None:
        raise SourceError(file_name, f"sheet {sheet}", "no '城 市' (city name) header cell in the first rows")
    first_data = next(
        (r for r in range(name_row + 1, len(grid)) if len(grid[r]) > name_col and cell_text(grid[r][name_col]).strip()),
        None,
    )
    if first_data is None:
        raise SourceError(file_name, f"sheet {sheet}", "no city rows below the header")
    width = max(len(row) for row in grid[title_row:first_data + 1])
    skip = {name_col}
    for r in range(title_row, first_data):
        for c in range(name_col + 1, min(width, name_col + 3)):
            if c < len(grid[r]) and normalize_text(cell_text(grid[r][c])).lower() == "city":
                skip.add(c)
    data_cols = [c for c in range(name_col + 1, width) if c not in skip]
    return _Layout(title_row, year, name_col, list(range(title_row + 1, first_data)), first_data, data_cols)


# ---------------------------------------------------------------------------
# Header resolution
# ---------------------------------------------------------------------------


def _cell(grid, r, c) -> str:
    return cell_text(grid[r][c]) if c < len(grid[r]) else ""


def resolve_headers(grid: Sequence[Sequence], layout: _Layout) -> list[HeaderColumn]:
    """Read the multi-row header of every data column.

    Labels are hierarchical: a label printed in header row r covers the columns to its
    right until the next label printed in row r or above, or the next section; a column's
    label is the deepest one covering it, its parent the next shallower one. Scope words
    (全市/市辖区), unit-only cells and English-only cells are recognised by their content,
    whichever header row they sit in.
    """
    columns: list[HeaderColumn] = []
    section = ""
    active: dict[int, tuple[str, str, int]] = {}  # header row -> (zh label, en label, origin column)
    english: dict[int, str] = {}
    unit_cells: dict[int, str] = {}
    for c in layout.data_cols:
        sec = _collapse(_cell(grid, layout.title_row, c))
        if sec:
            section, active = sec, {}
        scope = None
        for r in layout.header_rows:
            text = _cell(grid, r, c)
            if not text.strip():
                continue
            zh, en = split_zh_en(text)
            if zh and _scope_word(zh):
                scope = _scope_word(zh)
                continue
            unit_only = _UNIT_ONLY_RE.fullmatch(normalize_text(zh or en))
            if unit_only:
                unit_cells[c] = _collapse((zh or en).strip()[1:-1])
                continue
            if not zh:
                english[c] = english.get(c) or _collapse(en)
                continue
            active = {k: v for k, v in active.items() if k < r}
            active[r] = (_collapse(zh), _collapse(en), c)
        if not active:
            continue  # a column with neither label nor section-wide label: not data
        levels = sorted(active)
        zh_label, en_label, origin = active[levels[-1]]
        parent = active[levels[-2]][0] if len(levels) > 1 else None
        label, unit = split_label_unit(zh_label)
        label = _collapse(label)
        unit_source = "header" if unit else None
        for source, candidate in (
            ("unit_cell", unit_cells.get(origin)),
            ("parent", _unit_of(parent)),
            ("section", _unit_of(section)),
        ):
            if unit is None and candidate:
                unit, unit_source = candidate, source
        scope = scope or _scope_in(zh_label) or _scope_in(parent) or _scope_in(section) or "n.a."
        columns.append(
            HeaderColumn(
                column_number=c + 1,
                column_letter=column_letter(c + 1),
                section=section,
                label=label,
                parent=parent,
                unit=unit,
                unit_source=unit_source,
                scope=scope,
                label_en=en_label or english.get(origin) or english.get(c, ""),
                population_basis=_population_basis(label),
            )
        )
    return columns


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
    layout = _find_layout(grid, source_file, sheet_name)
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
        name_raw = _cell(grid, r, layout.name_col)
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

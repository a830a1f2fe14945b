"""An indicator table as a grid of strings → one row per printed cell (``plan_tables.CELL_COLUMNS``).

Every table reader of a plan feeds this one module: the markdown/tab reader (``ingest.plan_tables``),
the HTML ``<table>`` reader (:mod:`.html_plan`) and the DOCX table reader (:mod:`.docx_tables`).
A reader hands over a :class:`Grid`: the header (per column the labels printed above it, top to
bottom: a multi-row header keeps its parent label, "目标值" over "2025年"), the data rows with merged
cells already expanded (each with its provenance), the table's note, 专栏 reference and caption.

The header decides the column roles (:func:`header_roles`):

* a column whose labels print exactly one year ("2020年", "2025", "2020年（基期）", "目标值 2025年")
  is a year column; the first year column is the baseline, later ones are targets;
* ``指标`` / ``指标名称`` / ``二级指标`` → label (a trailing bracket is the unit), ``单位`` → unit,
  ``序号`` → sequence number (gaps mean a truncated table), ``类别``/``领域``/``分类``/``一级指标`` → group
  (an empty cell keeps the group above), ``属性``/``指标属性`` → binding attribute, anything else is
  kept in ``attributes``.

A row whose cells are all the same text (a label merged across the whole width) is a group heading
("一、经济发展") for the rows below it, or the table's note when it starts with 注：.

Cumulative values: a cell in any bracket style — ``[21]``, ``［21］``, ``〔21〕``, ``【21】`` — or
marked 累计 ("累计21", "21（累计）") is cumulative. Its period comes from the note, in whatever words
the plan uses (:func:`note_periods`): a length ("五年累计", "5年累计", "十年累计") ends at the column's
year; a printed range ("2021—2025年累计") or a five-year plan ("“十四五”期间累计") is that period for
the column of its last year; a note naming a column year ("2035年〔 〕内为十年累计数") applies to that
column only. A note without a period ("[ ]内为累计数据") leaves it null (``raw/reference/
cumulative_periods.csv`` holds such exceptions, with their reasoning).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dagster_project.sources.common.cells import (
    CellValue,
    parse_cell,
    split_label_unit,
)
from dagster_project.sources.common.provenance import QuarantineRow
from dagster_project.common.text import (
    normalize_label,
    normalize_text,
)
from dagster_project.sources.plans.chinese_numbers import chinese_to_number, five_year_plan_period

_YEAR_WORDS = r"(?:基期|基准|现状|目标|规划|预期|预测)值?(?:年)?"
YEAR_HEADER_RE = re.compile(
    rf"^(?:{_YEAR_WORDS})?[(\[]?((?:19|20)\d{{2}})\s*年?(?:底|末)?[)\]]?(?:[(\[]?{_YEAR_WORDS}[)\]]?)?$"
)
_GROUP_HEADERS = {"类别", "领域", "分类", "维度", "一级指标"}
_ATTRIBUTE_HEADERS = {"属性", "指标属性", "指标性质", "性质"}
NOTE_RE = re.compile(r"^\s*[*#\s]*注\s*[0-9０-９]?\s*[：:]")
_OPEN, _CLOSE = "[［〔【", "]］〕】"
_BRACKETS = str.maketrans({**{c: "[" for c in _OPEN}, **{c: "]" for c in _CLOSE}})
_CUMULATIVE_MARK_RE = re.compile(r"^(?:累计)(.+)$|^(.+?)[(\[]?累计[)\]]?$")
_LEN = r"(\d+|[一二三四五六七八九十]+)"
_RANGE_RE = re.compile(r"((?:19|20)\d{2})\s*[-—–~至到]\s*((?:19|20)\d{2})年?")
_PLAN_RE = re.compile(r"[\"“”']?(十[一二三四五六七八九])五[\"“”']?")


@dataclass
class GridRow:
    cells: list[str]
    line_number: int | None  # the source line of the row (markdown line, HTML <tr>), None when it has none
    location: str  # where the row is: "line 25", "table 1 row 5"
    row_text: str  # the row as printed (verbatim)
    verbatim: str | None = None  # what a quarantine row of the whole row shows (default: row_text)


@dataclass
class Grid:
    header: list[list[str]]  # per column: its labels, top to bottom (a one-row header: one label)
    rows: list[GridRow]
    table_ref: str
    caption: str | None
    note: str | None
    header_line: int | None
    location_prefix: str = ""  # cell locations: f"{row.location} col {k}"
    roles: list = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def _dedup(parts: list[str]) -> list[str]:
    out: list[str] = []
    for p in parts:
        p = (p or "").strip()
        if p and (not out or normalize_text(out[-1]) != normalize_text(p)):
            out.append(p)
    return out


def header_roles(columns: list[list[str]]) -> dict | None:
    """Column roles if these columns are an indicator-table header (one 指标 column and at least two
    ascending year columns), else None. Roles: (role, year or printed header)."""
    columns = [_dedup(c) for c in columns]
    while columns and not columns[-1]:
        columns.pop()
    roles: list[tuple[str, int | str | None]] = []
    for k, parts in enumerate(columns):
        years = {int(m.group(1)) for m in (YEAR_HEADER_RE.match(normalize_text(p)) for p in parts) if m}
        n = normalize_text(parts[-1]) if parts else ""
        printed = " ".join(parts)
        if len(years) == 1:
            roles.append(("year", years.pop()))
        elif n in ("序号", "编号"):
            roles.append(("seq", None))
        elif n in _GROUP_HEADERS:
            roles.append(("group", None))
        elif n in _ATTRIBUTE_HEADERS:
            roles.append(("attribute", printed))
        elif n in ("单位", "计量单位", "指标单位"):
            roles.append(("unit", None))
        elif "指标" in n and n not in ("指标值", "指标说明", "指标解释"):  # 指标, 指标名称, 二级指标, 具体指标
            roles.append(("label", None))
        elif n in ("名称", "内容") and any("指标" in normalize_text(p) for p in parts[:-1]):  # "指标" over 名称 | 单位
            roles.append(("label", None))
        else:
            roles.append(("extra", printed or f"column {k + 1}"))
    years = [y for r, y in roles if r == "year"]
    if len(years) < 2 or years != sorted(years) or len(set(years)) != len(years) \
            or [r for r, _ in roles].count("label") != 1:
        return None
    return {"roles": roles, "years": years}


def header_from_rows(rows: list[list[str]], max_rows: int = 4) -> tuple[list[list[str]], int] | None:
    """The header of an expanded grid: the fewest leading rows whose joined column labels make an
    indicator-table header (:func:`header_roles`), and how many rows it took; None if none do."""
    width = max((len(r) for r in rows), default=0)
    for h in range(1, min(max_rows, len(rows)) + 1):
        columns = [[r[k] if k < len(r) else "" for r in rows[:h]] for k in range(width)]
        if header_roles(columns):
            return columns, h
    return None


def _length(n: str) -> int | None:
    return int(n) if n.isdigit() else chinese_to_number(n)


def note_periods(note: str | None, years: list[int]) -> dict[int, tuple[int, int] | None]:
    """Per year column, the period its cumulative values cover according to the table's note
    (see module doc); a year with no stated period maps to None."""
    out: dict[int, tuple[int, int] | None] = {y: None for y in years}
    text = normalize_text(note or "").translate(_BRACKETS).replace("（", "(").replace("）", ")")
    if "累计" not in text:
        return out
    for segment in re.split(r"[;；。]|[,，](?!\d{3}(?:\D|$))|\d[.、](?=\D)", text):
        if "累计" not in segment:
            continue
        named = [int(y) for y in re.findall(r"((?:19|20)\d{2})年(?![-—–~至到])", segment) if int(y) in out]
        rng = _RANGE_RE.search(segment)
        plan = _PLAN_RE.search(segment)
        length = re.search(_LEN + r"年(?:累计|期间累计|合计|总)", segment)
        if rng:
            start, end = int(rng.group(1)), int(rng.group(2))
            if end in out:
                out[end] = (start, end)
            continue
        if plan:
            period = five_year_plan_period(plan.group(1) + "五")
            if period and period[1] in out:
                out[period[1]] = period
            continue
        if length:
            n = _length(length.group(1))
            if n:
                for y in named or years:
                    out[y] = (y - n + 1, y)
    return out


def cell_value(text: str) -> CellValue:
    """:func:`parse_cell` with every bracket style (〔 〕, 【 】, ［ ］) and a printed 累计 read as cumulative."""
    t = normalize_text(text).translate(_BRACKETS).replace("（", "(").replace("）", ")")
    m = _CUMULATIVE_MARK_RE.match(t)
    if m and "[" not in t:
        inner = (m.group(1) or m.group(2)).strip("()")
        cv = parse_cell(inner)
        if cv.value is not None:
            cv.verbatim, cv.is_cumulative = text, True
        return cv if cv.value is not None else parse_cell(text)
    if t != normalize_text(text):
        cv = parse_cell(t)
        cv.verbatim = text
        return cv
    return parse_cell(text)


def _binding(attribute: str) -> bool | None:
    """约束性 (binding) → True, 预期性 (expected) → False, anything else → None."""
    n = normalize_text(attribute)
    return True if "约束" in n else False if "预期" in n else None


def _strip_trailing_empty(cells: list[str]) -> list[str]:
    cells = list(cells)
    while cells and cells[-1] == "":
        cells.pop()
    return cells


def grid_cells(grid: Grid, plan, source_file: str, sha: str, source_kind: str) -> tuple[list[dict], list[QuarantineRow], dict]:
    """(cell rows, quarantine rows, table summary) of one indicator table (see module doc)."""
    info = header_roles(grid.header)
    if info is None:
        raise ValueError(f"{grid.table_ref}: not an indicator-table header: {grid.header}")
    roles, years = info["roles"], info["years"]
    kinds = [r for r, _ in roles]
    n_expected = len(roles)
    seq_pos = kinds.index("seq") if "seq" in kinds else None
    rows: list[dict] = []
    quarantine: list[QuarantineRow] = []
    note = grid.note
    body: list[GridRow] = []
    heading: dict[int, str] = {}  # index in body -> a full-width group heading above it
    for r in grid.rows:
        full = [c for c in r.cells if c]
        if full and len({normalize_text(c) for c in r.cells}) == 1 and len(r.cells) >= n_expected and n_expected > 2:
            if NOTE_RE.match(full[0]):
                note = note or full[0].strip()
            else:
                heading[len(body)] = full[0].strip()
            continue
        body.append(r)
    periods = note_periods(note, years)

    def q(location: str, reason: str, verbatim: str) -> None:
        quarantine.append(QuarantineRow(source_kind, source_file, sha, location, reason, verbatim))

    group = None
    last_seq = 0
    n_rows = 0
    for idx, r in enumerate(body):
        if idx in heading:
            group = normalize_text(heading[idx])
        c = _strip_trailing_empty(r.cells)  # an empty last cell is a missing cell, not a value
        verbatim = r.verbatim if r.verbatim is not None else r.row_text
        row_group = None
        if len(c) == n_expected + 1 and seq_pos is not None and parse_cell(c[0]).value is None:
            row_group, c = c[0], c[1:]
        if len(c) < n_expected and all(k in ("group", "attribute", "extra") for k in kinds[len(c):]):
            c = c + [""] * (n_expected - len(c))  # empty trailing attribute cells
        if len(c) != n_expected:
            q(r.location, f"{grid.table_ref}: expected {n_expected} cells ({', '.join(kinds)}), found {len(c)}: row truncated or garbled", verbatim)
            last_seq += 1  # the quarantined row still took its place in the 序号 sequence
            continue
        if "group" in kinds:
            row_group = c[kinds.index("group")] or None  # empty: merged with the cell above
        if row_group:
            group = normalize_text(row_group)
        n_rows += 1
        row_number = n_rows
        if seq_pos is not None:
            seq = parse_cell(c[seq_pos]).value
            if seq is None or seq != int(seq):
                q(r.location, f"{grid.table_ref}: sequence number {c[seq_pos]!r} is not an integer", verbatim)
                continue
            if int(seq) != last_seq + 1:
                q(r.location, f"{grid.table_ref}: sequence jumps from {last_seq} to {int(seq)} (rows missing: truncated or garbled table)", verbatim)
            last_seq = int(seq)
            row_number = int(seq)
        label, unit = split_label_unit(c[kinds.index("label")])
        if "unit" in kinds:
            unit = c[kinds.index("unit")]
        unit = (unit or "").strip() or None
        if not normalize_text(label):
            q(r.location, f"{grid.table_ref}: empty indicator label", verbatim)
            continue
        attributes = {name: c[k] for k, (role, name) in enumerate(roles) if role in ("attribute", "extra") and c[k]}
        binding = next((_binding(c[k]) for k, role in enumerate(kinds) if role == "attribute"), None)
        for k, (role, year) in enumerate(roles):
            if role != "year":
                continue
            cv = cell_value(c[k])
            if cv.error:
                q(f"{r.location} col {k + 1}" if not r.location.startswith("line") else r.location,
                  f"{grid.table_ref} row {row_number} ({label}) {year}: {cv.error}", c[k])
                continue
            period = periods.get(year) if cv.is_cumulative else None
            rows.append({
                "plan_id": plan.plan_id,
                "plan_region_code": plan.city_code,
                "source_file": source_file,
                "source_sha256": sha,
                "table_ref": grid.table_ref,
                "table_caption": grid.caption,
                "table_header_line": grid.header_line,
                "table_note": note,
                "row_number": row_number,
                "line_number": r.line_number,
                "group_label": group,
                "indicator_label": label,
                "label_key": normalize_label(label),
                "unit_printed": unit,
                "unit_key": "" if unit is None or parse_cell(unit).is_missing else normalize_text(unit),
                "year": year,
                "column_kind": "baseline" if year == years[0] else "target",
                "cell_text": c[k],
                "row_text": r.row_text,
                "value": cv.value,
                "comparator": cv.comparator,
                "is_cumulative": cv.is_cumulative,
                "period_start": period[0] if period else None,
                "period_end": period[1] if period else None,
                "is_relative": cv.is_relative,
                "relative_to": cv.relative_to,
                "is_missing": cv.is_missing,
                "is_binding": binding,
                "attributes": json.dumps(attributes, ensure_ascii=False) if attributes else None,
                "source_location": f"{r.location} col {k + 1}",
            })
    first_period = next((p for p in periods.values() if p), None)
    summary = {"table_ref": grid.table_ref, "caption": grid.caption, "header_line": grid.header_line, "rows": n_rows,
               "years": years, "note": note,
               "period_years": (first_period[1] - first_period[0] + 1) if first_period else None}
    return rows, quarantine, summary

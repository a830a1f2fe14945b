"""Indicator tables (专栏1 …) in text plan documents (markdown, tab-separated) → one row per printed cell.

This module finds the tables in the text; what a table's cells mean is decided by the one grid
logic every table reader shares, ``sources/plans/table_grid.py`` (web pages and Word files feed it
through ``sources/plans/document.py``), which the summary below describes.

The parser *finds* indicator tables in the document text; nothing about a particular
document is hard-coded. A table is recognised by its header line: a label column
(指标 / 指标名称) and at least two year columns ("2020 年", "2025年"), separated by
tabs (濮阳 layout) or pipes (菏泽 layout). The header decides the column roles:

* ``指标`` / ``指标名称``  → indicator label (a trailing bracket is the unit: 常住人口城镇化率（%）)
* ``单位``                → unit column (菏泽)
* ``序号``                → sequence number; gaps in it mean a truncated/garbled table
* ``NNNN 年``             → one column per year; the first year column is the baseline,
                            later ones are targets
* ``类别`` / ``领域`` / ``分类`` → group column; an empty cell (a merged cell) keeps the group above
* ``属性`` / ``指标属性``    → attribute column: 约束性 → ``is_binding`` true, 预期性 → false
* any other column        → kept as printed in ``attributes`` (JSON: header → cell, with 属性),
                            never a reason to reject the table
* a leading cell *before* the 序号 that the header does not name is a group label
  (菏泽: 智慧化/绿色化/均衡化/双向化); it carries forward to the following rows.

Markdown separator rows (``|---|---|``) are skipped; a row that lacks only its trailing
attribute/extra cells is padded with empty ones. A unit cell printed as a dash (— / -) means
"no unit": its ``unit_key`` is empty, like an empty unit (a ratio, normalized in dbt).

Cumulative cells (``[ ]``, ``〔 〕``, ``【 】``, 累计) get ``period_start``/``period_end`` from the
table's own note, in whatever words it uses (``table_grid.note_periods``): "[ ]内为五年累计数" → the
five years ending at the column's year, "2025年为“十四五”期间累计" → 2021–2025. A note without a period
("[ ]内为累计数据") leaves them null; ``raw/reference/cumulative_periods.csv`` holds the exceptions,
with their reasoning, keyed by plan id. Every cell's place is ``source_location`` ("line 143 col 5").

The plan's city and id come from :mod:`~dagster_project.sources.plans.identity` (the rule the prose reader shares).

The table ends at its note line (注：…), or at the first non-blank line that is not a
row of the table. Blank lines inside a table are skipped (the converted 濮阳 table has one).

Table reference (专栏N) and caption: the nearest ``专栏 N …`` line just above the header;
where the conversion separated the caption from its table (菏泽: the caption survives
only in the table of contents, glued to the first header cell), the 专栏 whose caption
mentions 指标 is used.

Errors: a header with no rows, a table that runs into the end of the file, a row with
the wrong number of cells, a gap in 序号 → :class:`SourceError` naming file and line
(whole table unusable) or a quarantine row (one row/cell unusable). A cell that is not
a number, comparator+number, [cumulative], relative phrase or dash is quarantined; it
never becomes a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.common.files import file_sha256
from dagster_project.sources.common.provenance import QuarantineRow, SourceError
from dagster_project.sources.common.source_files import read_source_lines
from dagster_project.sources.plans.identity import plan_identity
from dagster_project.sources.plans.table_grid import Grid, GridRow, grid_cells, header_roles

SOURCE_KIND = "plan_table"

_ZHUANLAN_RE = re.compile(r"专栏\s*(\d+)\s*[：:]?\s*(.*)")
NOTE_RE = re.compile(r"^\s*[*#\s]*注\s*[：:]")
_SEPARATOR_CELL_RE = re.compile(r"^:?-{3,}:?$")

CELL_COLUMNS = {
    "plan_id": pl.Utf8,
    "plan_region_code": pl.Utf8,
    "source_file": pl.Utf8,
    "source_sha256": pl.Utf8,
    "table_ref": pl.Utf8,
    "table_caption": pl.Utf8,
    "table_header_line": pl.Int64,
    "table_note": pl.Utf8,
    "row_number": pl.Int64,
    "line_number": pl.Int64,
    "group_label": pl.Utf8,
    "indicator_label": pl.Utf8,
    "label_key": pl.Utf8,
    "unit_printed": pl.Utf8,
    "unit_key": pl.Utf8,
    "year": pl.Int64,
    "column_kind": pl.Utf8,
    "cell_text": pl.Utf8,
    "row_text": pl.Utf8,
    "value": pl.Float64,
    "comparator": pl.Utf8,
    "is_cumulative": pl.Boolean,
    "period_start": pl.Int64,
    "period_end": pl.Int64,
    "is_relative": pl.Boolean,
    "relative_to": pl.Utf8,
    "is_missing": pl.Boolean,
    "is_binding": pl.Boolean,
    "attributes": pl.Utf8,
    "source_location": pl.Utf8,  # the cell: "line 143 col 5" (text), "table 1 row 5 col 3" (HTML, DOCX)
}


@dataclass
class PlanTablesResult:
    plan_id: str
    region_code: str
    source_file: str
    source_sha256: str
    cells: pl.DataFrame
    quarantine: list[QuarantineRow] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)  # one summary dict per table found


def split_row(line: str) -> list[str] | None:
    """Split a table line into cells (pipe or tab separated); None if it is not a row."""
    if "|" in line:
        cells = line.split("|")
    elif "\t" in line:
        cells = line.split("\t")
    else:
        return None
    cells = [c.strip() for c in cells]
    # a leading pipe ("| a | b |") yields an empty first cell
    if line.lstrip().startswith("|") and cells and cells[0] == "":
        cells = cells[1:]
    return cells


def _find_caption(lines: list[str], header_idx: int, used: set[str]) -> tuple[str | None, str | None]:
    # nearest 专栏 line within 3 non-blank lines above the header
    seen = 0
    for j in range(header_idx - 1, -1, -1):
        if not lines[j].strip():
            continue
        seen += 1
        m = _ZHUANLAN_RE.search(lines[j])
        if m:
            return f"专栏{int(m.group(1))}", m.group(2).strip().strip("\t ").strip() or None
        if seen >= 3:
            break
    # caption separated from the table (TOC only): the 专栏 whose caption mentions 指标
    for line in lines:
        m = _ZHUANLAN_RE.search(line)
        if m and "指标" in m.group(2) and f"专栏{int(m.group(1))}" not in used:
            caption = re.sub(r"序号$", "", m.group(2).strip()).strip()
            return f"专栏{int(m.group(1))}", caption
    return None, None


def parse_plan_tables(path: str | Path) -> PlanTablesResult:
    """Find and parse every indicator table of one plan document."""
    path = Path(path)
    lines = read_source_lines(path, "plan")
    sha = file_sha256(path)
    fname = path.name
    plan = plan_identity(lines, fname)

    rows: list[dict] = []
    quarantine: list[QuarantineRow] = []
    tables: list[dict] = []
    used_refs: set[str] = set()

    i = 0
    while i < len(lines):
        cells = split_row(lines[i])
        header = header_roles([[c] for c in cells]) if cells else None
        if not header:
            i += 1
            continue
        header_line = i + 1
        table_ref, caption = _find_caption(lines, i, used_refs)
        table_ref = table_ref or f"table@{header_line}"
        used_refs.add(table_ref)
        note = None
        j = i + 1
        ended = False
        table_rows: list[GridRow] = []
        while j < len(lines):
            line = lines[j]
            if not line.strip():
                j += 1
                continue
            if NOTE_RE.match(line):
                note = line.strip().strip("\t").strip()
                ended = True
                j += 1
                break
            c = split_row(line)
            if c is None or len([x for x in c if x]) < 2:
                ended = True
                break
            if not all(_SEPARATOR_CELL_RE.match(x) for x in c if x):  # markdown |---|---|
                table_rows.append(GridRow(c, j + 1, f"line {j + 1}", line.strip(), verbatim=line))
            j += 1
        if not ended:
            raise SourceError(fname, header_line, f"indicator table {table_ref} runs to the end of the file without a note or following text: document truncated?")
        if not table_rows:
            raise SourceError(fname, header_line, f"indicator table {table_ref} has a header but no rows")
        grid = Grid([[c] for c in cells], table_rows, table_ref, caption, note, header_line)
        got, q, summary = grid_cells(grid, plan, fname, sha, SOURCE_KIND)
        rows.extend(got)
        quarantine.extend(q)
        tables.append(summary)
        i = j

    if not tables:
        raise SourceError(fname, None, "no indicator table found (a header line with 指标 and at least two year columns)")
    return PlanTablesResult(
        plan_id=plan.plan_id,
        region_code=plan.city_code,
        source_file=fname,
        source_sha256=sha,
        cells=pl.DataFrame(rows, schema=CELL_COLUMNS),
        quarantine=quarantine,
        tables=tables,
    )

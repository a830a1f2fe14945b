"""Yearbook sheet layout: which sheet holds the data (by its title "中国YYYY年地级以上城市数据",
never the file name), where the city-name column and the header rows are, and what the
multi-row bilingual header says about every data column (label, parent, unit, scope 全市/市辖区,
English label, population basis)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.common.cells import cell_text, column_letter, split_label_unit
from dagster_project.common.text import normalize_text


TITLE_RE = re.compile(r"中国\s*(\d{4})\s*年\s*地级以上城市数据")

# Scope words as printed in the header (incl. one OCR typo seen in edition 2019).
_SCOPE_WORDS = {"全市": "全市", "市辖区": "市辖区", "再辖区": "市辖区"}

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_AFTER_ZH_RE = re.compile(r"(?:\s*[)）]|\s*[（(][^A-Za-z()（）]*[)）])*")

_UNIT_ONLY_RE = re.compile(r"[（(]([^A-Za-z()（）]+)[)）]")

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
class Layout:
    title_row: int
    data_year: int
    name_col: int
    header_rows: list[int]  # rows below the title row holding labels/units/scopes
    first_data_row: int
    data_cols: list[int]


def find_layout(grid: Sequence[Sequence], file_name: str, sheet: str) -> Layout:
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
    return Layout(title_row, year, name_col, list(range(title_row + 1, first_data)), first_data, data_cols)


def grid_cell(grid, r, c) -> str:
    return cell_text(grid[r][c]) if c < len(grid[r]) else ""


def resolve_headers(grid: Sequence[Sequence], layout: Layout) -> list[HeaderColumn]:
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
        sec = _collapse(grid_cell(grid, layout.title_row, c))
        if sec:
            section, active = sec, {}
        scope = None
        for r in layout.header_rows:
            text = grid_cell(grid, r, c)
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

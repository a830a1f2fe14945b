"""Numbers, cells and labels as the sources print them: a plain number, an indicator-table cell with
its comparator, cumulative brackets or relative target, a label with its unit in brackets, and a
workbook cell's text and column letter. Shared by the parsers of every source kind."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dagster_project.common.text import normalize_text


# ---------------------------------------------------------------------------
# Numbers as printed
# ---------------------------------------------------------------------------


_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def parse_number(text: str) -> float | None:
    """Parse a plain printed number ('49.97', '1,234', '２０２５', '1 2') or return None."""
    if text is None:
        return None
    t = normalize_text(text).replace(",", "")
    if not t or not _NUMBER_RE.match(t):
        return None
    return float(t)


@dataclass
class CellValue:
    """A table cell as printed, decomposed into its meaning."""

    verbatim: str
    value: float | None = None
    comparator: str | None = None
    is_cumulative: bool = False
    is_relative: bool = False
    relative_to: str | None = None  # e.g. 'province_average'
    is_missing: bool = False
    error: str | None = None
    extra: dict = field(default_factory=dict)


# Relative targets: phrase -> reference (kept small and explicit; extended via reference data)
RELATIVE_PHRASES = {
    "全省平均水平": "province_average",
    "全国平均水平": "national_average",
    "全省平均": "province_average",
    "全国平均": "national_average",
}

_MISSING_MARKS = {"-", "—", "–", "－", "--", "——"}  # an empty cell is NOT a printed dash


def parse_cell(text: str) -> CellValue:
    """Decompose one printed indicator-table cell.

    Handles: plain numbers; comparators before (>5, ≥70, 不低于 95) and after (60以上 → ≥,
    5.5以内 → ≤, 2.2左右 → ≈), combined by the one rule of :mod:`comparators` that prose
    targets follow too (a soft 达到 gives way, two hard ones must agree); cumulative values
    in square brackets ([21], >[5]); relative targets (全省平均水平, 不低于全省平均水平); the
    printed dash for "no value". Anything else is returned with ``error`` set and no value,
    so the caller can quarantine it instead of guessing a number.
    """
    from dagster_project.sources.common.comparators import PREFIX_WORDS, POSTFIX_WORDS, combine

    cv = CellValue(verbatim=text if text is not None else "")
    t = normalize_text(text)
    if t in _MISSING_MARKS:
        cv.is_missing = True
        return cv

    def unbracket(s: str) -> str:  # cumulative: [21] or ［21］ (NFKC folds full-width brackets)
        m = re.fullmatch(r"\[(.+)\]", s)
        cv.is_cumulative = cv.is_cumulative or m is not None
        return m.group(1) if m else s

    t = unbracket(t)
    prefix = next((p for p in PREFIX_WORDS if t.startswith(p.word)), None)
    t = t[len(prefix.word):] if prefix else t
    postfix = next(((w, c) for w, c in POSTFIX_WORDS if t.endswith(w)), None)
    t = t[: -len(postfix[0])] if postfix else t
    comparator, conflict = combine(prefix, postfix[1] if postfix else None)
    if conflict:
        cv.error = f"{conflict} in cell {text!r}"
        return cv
    t = unbracket(t)  # the bracket may also sit inside the comparator: >[5]
    relative = next((ref for phrase, ref in RELATIVE_PHRASES.items() if normalize_text(phrase) == t), None)
    if relative:
        cv.is_relative, cv.relative_to, cv.comparator = True, relative, comparator
        return cv
    num = parse_number(t)
    if num is None:
        cv.error = f"not a number: {text!r}"
        return cv
    cv.value = num
    cv.comparator = comparator
    return cv


# ---------------------------------------------------------------------------
# Labels with units in brackets
# ---------------------------------------------------------------------------

_UNIT_SUFFIX_RE = re.compile(r"^(?P<label>.*?)[（(](?P<unit>[^（）()]*)[）)]\s*$")


def split_label_unit(text: str) -> tuple[str, str | None]:
    """'常住人口城镇化率（%）' -> ('常住人口城镇化率', '%'); a label without unit -> (label, None).

    Only a *trailing* bracket is a unit, and only when it looks like one (short, no
    Chinese words that are clearly part of the name such as 'R&D' or '助理').
    """
    s = (text or "").strip()
    m = _UNIT_SUFFIX_RE.match(s)
    if not m:
        return s, None
    unit = m.group("unit").strip()
    if not unit or len(normalize_text(unit)) > 8 or normalize_text(unit) in {"R&D", "助理"}:
        return s, None
    return m.group("label").strip(), unit


# ---------------------------------------------------------------------------
# Workbooks (yearbooks, the census county table)
# ---------------------------------------------------------------------------


def column_letter(column_number: int) -> str:
    """1 -> 'A', 27 -> 'AA' (Excel column letters)."""
    letters = ""
    n = column_number
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_text(value) -> str:
    """A cell as text, the way it reads in the sheet (15.0 -> '15', 4.07 -> '4.07')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)

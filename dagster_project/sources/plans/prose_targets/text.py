"""The text units the extractor reads: prose paragraphs (re-joined over page breaks) and the
cells of action tables, each as characters with their line, and a normalised view of them.

    * Markdown headings, tab-separated lines (TOC, indicator tables), an indicator table's note
      (注：…) and pipe rows that are not action tables are skipped: tables are ``plan_tables``'.
    * Prose paragraphs are re-joined across page breaks: a line (>= 30 characters) that does not
      end in 。；：!? continues with the next non-blank text line. Joined lines are concatenated
      without separator (the PDF split words there), so a verbatim clause may span two source
      lines; ``line_number`` is the line of the *value*.
    * Action tables ("行动 | 主要内容 | 牵头 单位 | 成员单位 |"): every cell of the following pipe
      rows is a unit. ``table_ref`` is a "专栏N" line right above the table, else the N-th
      "专栏… 行动要点" entry of the table of contents for the N-th action table, provided the
      counts agree (otherwise null).
    * A paragraph that starts with a target year and ends with "…目标。" (a goal announcement)
      lends its year to the following paragraphs (at most 10) up to the next heading, table or
      "展望 …" paragraph.
    * Matching happens on a normalised copy (NFKC, traditional → simplified, whitespace and ``*``
      removed, values in Chinese characters as digits: ``sources/plans/chinese_numbers.py``) that keeps
      a map back to the original characters; everything reported as text
      (clause, sentence, subject) is the original, trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dagster_project.common.text import normalize_text
from dagster_project.sources.plans.tables import NOTE_RE
from dagster_project.sources.plans.prose_targets.vocabulary import SOURCE_KIND_ACTION, SOURCE_KIND_PROSE
from dagster_project.sources.plans.prose_targets.years import YEAR_RE

_ACTION_HEADER_RE = re.compile(r"^\|?行动(?:要点)?\|主要内容\|")
_ZHUANLAN_RE = re.compile(r"专栏(\d+)")
_TOC_ACTION_RE = re.compile(r"^-?专栏(\d+)(\S*行动\S*)$")


def _norm_char(ch: str) -> str:
    if ch == "*" or ch.isspace():
        return ""
    return normalize_text(ch)


@dataclass
class Unit:
    kind: str
    table_ref: str | None
    chars: list[tuple[str, int]]  # (original character, 1-based line)
    inherited_year: int | None = None

    def original(self, a: int, b: int) -> str:
        return "".join(c for c, _ in self.chars[a:b]).strip()


class NText:
    """Normalised text of a unit; ``idx[i]`` is the unit character behind ``text[i]``."""

    def __init__(self, unit: Unit):
        out: list[str] = []
        idx: list[int] = []
        for i, (ch, _line) in enumerate(unit.chars):
            n = _norm_char(ch)
            for c in n:
                out.append(c)
                idx.append(i)
        out, idx = _digits_for_chinese_numbers(out, idx)
        self.text = "".join(out)
        self.idx = idx
        self.unit = unit

    def orig(self, a: int, b: int) -> str:
        """Original text behind normalised span [a, b)."""
        if a >= b:
            return ""
        return self.unit.original(self.idx[a], self.idx[b - 1] + 1)

    def line(self, i: int) -> int:
        return self.unit.chars[self.idx[i]][1]


def _digits_for_chinese_numbers(out: list[str], idx: list[int]) -> tuple[list[str], list[int]]:
    """Values printed in Chinese characters ("百分之六十", "达到五万人") in digits: the digits map back to
    the characters they stand for, so every reported text stays the original."""
    from dagster_project.sources.common.comparators import PREFIX_WORDS
    from dagster_project.sources.plans.prose_targets.vocabulary import vocabulary
    from dagster_project.sources.plans.chinese_numbers import NUMERAL_CHARS, rewrite_chinese_numbers

    text = "".join(out)
    if not any(ch in NUMERAL_CHARS for ch in text):
        return out, idx
    spans = rewrite_chinese_numbers(text, tuple(p.word for p in PREFIX_WORDS), vocabulary().unit_list)
    if not spans:
        return out, idx
    new_out: list[str] = []
    new_idx: list[int] = []
    k = 0
    for a, b, digits in spans:
        new_out.extend(out[k:a])
        new_idx.extend(idx[k:a])
        new_out.extend(digits)
        new_idx.extend([idx[a]] * (len(digits) - 1) + [idx[b - 1]])
        k = b
    new_out.extend(out[k:])
    new_idx.extend(idx[k:])
    return new_out, new_idx


_TERMINAL = set("。！？!?；;：:")
_INHERIT_MAX_PARAGRAPHS = 10


def _is_heading(s: str) -> bool:
    return s.startswith("#")


def _is_table_line(raw: str) -> bool:
    return "|" in raw or "\t" in raw


def _ends_sentence(s: str) -> bool:
    t = s.rstrip().rstrip("*").rstrip()
    return bool(t) and t[-1] in _TERMINAL


def build_units(lines: list[str], start_year: int | None, doc_year: int | None, rejoin: bool = True) -> list[Unit]:
    """The text units of a document; ``rejoin=False`` when every line is already a whole paragraph
    (a web page's or a Word file's paragraphs: ``sources/plans/document.py``)."""
    n = len(lines)
    norm_lines = [normalize_text(x) for x in lines]
    # 专栏 numbers of action tables from the table of contents, in order
    toc_actions: list[str] = []
    for nl in norm_lines:
        m = _TOC_ACTION_RE.match(nl)
        if m and f"专栏{m.group(1)}" not in toc_actions:
            toc_actions.append(f"专栏{m.group(1)}")
    headers = [i for i, nl in enumerate(norm_lines) if _ACTION_HEADER_RE.match(nl)]
    refs: dict[int, str | None] = {}
    for k, i in enumerate(headers):
        ref = None
        for j in range(i - 1, max(-1, i - 4), -1):
            m = _ZHUANLAN_RE.match(norm_lines[j].lstrip("#-"))
            if m and "|" not in lines[j]:
                ref = f"专栏{m.group(1)}"
                break
        if ref is None and len(toc_actions) == len(headers):
            ref = toc_actions[k]
        refs[i] = ref

    units: list[Unit] = []
    inherited: int | None = None
    inherit_left = 0
    i = 0
    while i < n:
        raw = lines[i]
        s = raw.strip()
        if not s:
            i += 1
            continue
        if _is_heading(s):
            inherited = None
            i += 1
            continue
        if i in refs:
            ref = refs[i]
            i += 1
            while i < n and "|" in lines[i]:
                line_no = i + 1
                for cell in lines[i].split("|"):
                    if cell.strip():
                        units.append(Unit(SOURCE_KIND_ACTION, ref, [(c, line_no) for c in cell]))
                i += 1
            continue
        if _is_table_line(raw) or NOTE_RE.match(raw):  # a table, or its note (注：…): plan_tables' job
            inherited = None
            i += 1
            continue
        para = [i]
        while True:
            last = lines[para[-1]].strip()
            if not rejoin or _ends_sentence(last) or len(normalize_text(last)) < 30 or last.startswith("- "):
                break
            j = para[-1] + 1
            while j < n and not lines[j].strip():
                j += 1
            if j >= n:
                break
            nxt = lines[j].strip()
            if _is_heading(nxt) or _is_table_line(lines[j]) or nxt.startswith("- ") or j in refs:
                break
            para.append(j)
        chars: list[tuple[str, int]] = []
        for k in para:
            chars.extend((c, k + 1) for c in lines[k].strip())
        unit = Unit(SOURCE_KIND_PROSE, None, chars, inherited)
        units.append(unit)
        if inherited is not None:
            inherit_left -= 1
            if inherit_left <= 0:
                inherited = None
        # goal announcement: "2025年，…的发展目标。" lends its year to what follows
        nt = "".join(normalize_text(lines[k]) for k in para).replace("*", "")
        if nt.startswith("展望"):
            inherited = None
        m = YEAR_RE.match(nt)
        if m and nt.endswith("目标。"):
            y = int(m.group("year"))
            ok = (y >= (start_year or 0)) if m.group("pre") else (y > (doc_year or 0))
            if ok:
                inherited = y
                inherit_left = _INHERIT_MAX_PARAGRAPHS
        i = para[-1] + 1
    return units

"""Numeric targets written in the *prose* of a city plan (and in its action tables).

``extract_prose_targets(path)`` reads one converted plan document (``raw/plans/*.md``)
and returns every sentence-level target such as "到 2025 年，生产总值超 300 亿元" as one
row, with provenance (file, sha256, 1-based line, verbatim clause and sentence).  The
indicator tables of a plan (专栏1 …) are *not* read here: that is ``plan_tables``' job.

Precision comes before recall: a number is only reported when every rule below holds;
anything that looks like a target but cannot be read safely goes to quarantine with the
file, the line and the reason, never as a guessed number.

Rules
=====

Document
    * The plan's own city is the first prefecture-level name (from
      ``raw/reference/regions.csv``) found in a title line of the first lines of the
      document (a line containing 规划, else any of the first 20 lines).  Nothing is
      hard-coded per city.  ``doc_year`` is the first printed date "YYYY年M月" in the
      first 20 lines; ``start_year`` is the first year of a title range
      "(2021-2035年)", else ``doc_year``.

Text units
    * Markdown headings, tab-separated lines (TOC, indicator tables) and pipe rows that
      are not action tables are skipped.
    * Prose paragraphs are re-joined across page breaks: a line (>= 30 characters) that
      does not end in 。；：!? continues with the next non-blank text line.  Joined lines
      are concatenated without separator (the PDF split words there), so a verbatim
      clause may span two source lines; ``line_number`` is the line of the *value*.
    * Action tables ("行动 | 主要内容 | 牵头 单位 | 成员单位 |"): every cell of the
      following pipe rows is a unit.  ``table_ref`` is a "专栏N" line right above the
      table, else the N-th "专栏… 行动要点" entry of the table of contents for the N-th
      action table, provided the counts agree (otherwise null).
    * Matching happens on a normalised copy (NFKC, traditional → simplified, whitespace
      and ``*`` removed) that keeps a map back to the original characters; everything
      reported as text (clause, sentence, subject) is the original, trimmed.

Sentences, clauses and the target year
    * Sentences end at 。；;!?; clauses at commas.  A target year is carried forward
      from where it is written to the end of its sentence (never into the next one).
    * "到/至/力争/争取/预计/确保到/展望 YYYY 年(底|末)" is a target year when
      YYYY >= start_year; a bare "YYYY年" at the start of a clause ("2025 年，中心城区…")
      only when YYYY > doc_year.  Dates (YYYY年M月), "YYYY年前/以来/的", year ranges
      ("2021-2025年"), "YYYY年(底)前", "比/较/由 2020 年" are never target years; a past
      "到/至 YYYY 年" or a clause-initial past year ends the year context.
    * "“十四五”期间/末" means 2025 (十三五 2020, 十五五 2030); such values and values of
      clauses containing 累计 are flagged ``is_cumulative``.
    * A paragraph that starts with a target year and ends with "…目标。" (a goal
      announcement) lends its year to the following paragraphs (at most 10) up to the
      next heading, table or "展望 …" paragraph.

Values
    * Numbers are ASCII after NFKC (full-width and spaced digits work).  A number glued
      to a Latin letter ("5G", "IPv6", "G106"), preceded by 第/每/等 or a slash, followed
      by 年/月/日, or part of a year phrase is never a value.
    * A value needs a unit from ``raw/reference/units.csv`` (%, counts with measure words, money, areas,
      capacities, …) or a ratio "4.1:1" (denominator 1 only: "8:30" is a time, unit
      ``ratio``); a value without
      unit is accepted only after a comparator when the subject ends in 比 (unit
      ``ratio``), otherwise quarantined.  Deltas and durations/distances (个百分点,
      小时, 分钟, 米, 年, 天, 岁, 星级 …) are not targets.
    * A value is a target when (a) a comparator word or symbol stands right before it,
      (b) a comparator word stands right after its unit, (c) it is a range "2—3个"
      (with a comparator or a build verb in the clause), (d) it is a count with a
      measure word in a clause with a build verb (建设/新建/建成/创建/打造/筹集/新增 …),
      or (e) it is "N% 的<noun>" ("90% 的街道建有…").  (a)/(b) values must be followed
      by the end of the clause, 、 or "的标准/水平/规模/目标" — "10万元以上占比" is a subject,
      not a target.
    * Comparators: 以上/不低于/不少于/≥ → ≥; 超/超过/突破/高于/> → >; 以内/以下/
      不超过/控制在/≤ → ≤; 低于/少于/< → <; 左右/约 → ≈; 达到/达/提高到/降至/为 … → =.
      A word after the value overrides a "soft" word before it (达到 60% 以上 → ≥);
      two hard comparators that disagree go to quarantine.  降至/下降到/缩小到 … set
      ``direction_hint`` = 'lower'.
    * "A、B 分别达到 x、y 以上": values pair with the 、-separated subjects in order (a
      shared stem is expanded: "中心城区、县城公共供水普及率" → 中心城区公共供水普及率,
      县城公共供水普及率); a trailing 以上/以内/左右 applies to every value of the list.
      Different counts → quarantine; a value right after "97%、" without 分别 and
      without its own subject → quarantine.  Once a clause has a quarantined target,
      nothing further is read from that clause.
    * Per-unit quotas ("每个县（区）建设 1 个…", "各县区…") are not city targets and are
      skipped.

Region
    * The region is the plan's city, unless the value's clause (or its 分别 subject)
      names a county/district of that city (full name anywhere; short form such as 郓城
      at the start of the clause), or the sentence starts with such a name ("清丰县充分
      发挥…，到 2025 年，生产总值超 300 亿元") and the clause does not say 全市.  Two
      different counties in one clause → quarantine.  Short forms equal to the city's
      own short name (濮阳县 → 濮阳) are not used.

Indicator
    * ``indicator_code`` comes from ``raw/reference/prose_subject_map.csv`` (normalised
      subject, with a leading 全市 dropped, must equal a mapped phrase); null otherwise.

Stated values (``extract_stated_values``)
    * The same reading with the year rule reversed gives what a plan *states* about years
      before its period ("2020 年，…城乡居民收入比缩小到 2.26", "从 2015 年的 2.55 缩小至
      2020 年的 2.26"): observations of source kind ``plan_statement``, used to reconcile
      values derived from the plan's printed baselines and as actuals of last resort
      (``raw/reference/source_precedence.csv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from dagster_project.ingest.common import (
    OBSERVATION_COLUMNS,
    QuarantineRow,
    SourceError,
    file_sha256,
    normalize_label,
    normalize_text,
    read_text_lines,
)
from dagster_project.ingest.reference import REFERENCE_DIR, read_reference, region_lookup

SOURCE_KIND_PROSE = "prose"
SOURCE_KIND_ACTION = "action_table"
SOURCE_KIND_STATED = "plan_statement"

TARGET_SCHEMA: dict[str, pl.DataType] = {
    "source_kind": pl.String,
    "table_ref": pl.String,
    "source_file": pl.String,
    "source_sha256": pl.String,
    "line_number": pl.Int64,
    "clause": pl.String,
    "sentence": pl.String,
    "target_year": pl.Int64,
    "subject": pl.String,
    "comparator": pl.String,
    "value": pl.Float64,
    "value_high": pl.Float64,
    "unit": pl.String,
    "region_name": pl.String,
    "region_code": pl.String,
    "indicator_code": pl.String,
    "direction_hint": pl.String,
    "is_cumulative": pl.Boolean,
}
TARGET_COLUMNS = list(TARGET_SCHEMA)


@dataclass
class ProseTargetsResult:
    """``targets`` (TARGET_SCHEMA rows) or ``observations`` (stated values, observation shape)."""

    targets: pl.DataFrame | None = None
    observations: pl.DataFrame | None = None
    quarantine: list[QuarantineRow] = field(default_factory=list)
    city_name: str | None = None
    city_code: str | None = None
    summary: str = ""


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------


_SENTENCE_END = set("。;!?")
_CLAUSE_END = set(",")

# (word, comparator, soft, direction)
_PREFIX_WORDS: list[tuple[str, str, bool, str | None]] = [
    ("大于或等于", "≥", False, None), ("大于等于", "≥", False, None), ("小于或等于", "≤", False, None),
    ("小于等于", "≤", False, None),
    ("不低于", "≥", False, None), ("不少于", "≥", False, None), ("不小于", "≥", False, None),
    ("至少", "≥", False, None),
    ("超过", ">", False, None), ("突破", ">", False, None), ("高于", ">", False, None),
    ("多于", ">", False, None), ("大于", ">", False, None), ("超", ">", False, None),
    ("不超过", "≤", False, None), ("不高于", "≤", False, None), ("不多于", "≤", False, None),
    ("不大于", "≤", False, None),
    ("压减到", "≤", False, "lower"), ("压减至", "≤", False, "lower"),
    ("控制在", "≤", True, None),
    ("低于", "<", False, None), ("少于", "<", False, None), ("小于", "<", False, None),
    ("大约", "≈", True, None), ("约为", "≈", True, None), ("约", "≈", True, None),
    ("提高到", "=", True, None), ("提高至", "=", True, None), ("提升到", "=", True, None),
    ("提升至", "=", True, None), ("增加到", "=", True, None), ("增加至", "=", True, None),
    ("增长到", "=", True, None), ("增长至", "=", True, None), ("发展到", "=", True, None),
    ("发展至", "=", True, None), ("扩大到", "=", True, None), ("扩大至", "=", True, None),
    ("下降到", "=", True, "lower"), ("下降至", "=", True, "lower"), ("降低到", "=", True, "lower"),
    ("降低至", "=", True, "lower"), ("减少到", "=", True, "lower"), ("减少至", "=", True, "lower"),
    ("缩小到", "=", True, "lower"), ("缩小至", "=", True, "lower"), ("降至", "=", True, "lower"),
    ("降到", "=", True, "lower"),
    ("保持在", "=", True, None), ("稳定在", "=", True, None),
    ("达到", "=", True, None), ("达", "=", True, None), ("为", "=", True, None),
    (">=", "≥", False, None), ("<=", "≤", False, None), ("≥", "≥", False, None), ("⩾", "≥", False, None),
    ("≤", "≤", False, None), ("⩽", "≤", False, None), (">", ">", False, None), ("<", "<", False, None),
    ("≈", "≈", True, None), ("=", "=", True, None),
]
_PREFIX_WORDS.sort(key=lambda t: -len(t[0]))

_POSTFIX_WORDS: list[tuple[str, str]] = [
    ("及以上", "≥"), ("以上", "≥"), ("以下", "≤"), ("以内", "≤"), ("之内", "≤"), ("左右", "≈"),
]

# printed after a number, these make it a delta, duration, distance, date or level: no target
_NON_TARGET_UNITS = (
    "个百分点", "百分点", "个小时", "小时", "分钟", "米", "年", "月", "日", "天", "岁",
    "星级", "级", "倍", "次", "届", "批", "期", "号", "千伏", "兆伏安", "周",
)

_BUILD_VERBS = (
    "建设", "新建", "改扩建", "建成", "创建", "打造", "培育", "筹集", "新增", "累计完成", "完成",
    "建立", "设立", "引进", "培养", "改造", "新改建", "扩建", "组建", "布局", "落地", "认定",
)
_QUOTA_MARKERS = ("每个", "各县", "各乡", "各区", "各镇", "各村", "各街道", "各社区")

_SUBJECT_LEAD = ("以及", "其中", "同时", "力争", "确保", "争取", "并且", "、", "和", "及", "与", "并", "使")
_SUBJECT_QUALIFIERS = (
    "中心城区", "中心城市", "县城", "城区", "市区", "市辖区", "城市", "城镇", "农村", "乡村", "全市",
)

_YEAR_RE = re.compile(
    r"(?P<pre>力争到|力争在|力争|争取到|争取|预计到|预计|确保到|计划到|展望到|展望至|展望|到|至|在)?"
    r"(?P<year>20\d{2})年(?P<post>年底|年末|底|末)?"
)
_PERIOD_RE = re.compile(r"[“\"']?(?P<plan>十三五|十四五|十五五)[”\"']?(?P<kind>期间|末|时期末)")
_PERIOD_YEAR = {"十三五": 2020, "十四五": 2025, "十五五": 2030}
_NUM_RE = re.compile(r"\d+(?:\.\d+)?")
_NUM_FULL = re.compile(r"\d+(?:\.\d+)?")
_RANGE_RE = re.compile(r"(?P<pct>%)?(?:[—–\-~]|至)(?P<hi>\d+(?:\.\d+)?)")
_RATIO_RE = re.compile(r":(?P<den>\d+(?:\.\d+)?)")
_BROKEN_NUM_RE = re.compile(r"[0-9OoIl.]*[0-9][0-9OoIl.]*")
_ZH_NUM_RE = re.compile(r"[零〇一二三四五六七八九十百千两]+")

_ACTION_HEADER_RE = re.compile(r"^\|?行动(?:要点)?\|主要内容\|")
_ZHUANLAN_RE = re.compile(r"专栏(\d+)")
_TOC_ACTION_RE = re.compile(r"^-?专栏(\d+)(\S*行动\S*)$")
_TITLE_RANGE_RE = re.compile(r"[(（](20\d{2})[-—–~至](20\d{2})年?[)）]")
_DOC_DATE_RE = re.compile(r"(20\d{2}|19\d{2})年\d{1,2}月")


# ---------------------------------------------------------------------------
# Normalised text with a map back to the original characters
# ---------------------------------------------------------------------------


def _norm_char(ch: str) -> str:
    if ch == "*" or ch.isspace():
        return ""
    return normalize_text(ch)


@dataclass
class _Unit:
    kind: str
    table_ref: str | None
    chars: list[tuple[str, int]]  # (original character, 1-based line)
    inherited_year: int | None = None

    def original(self, a: int, b: int) -> str:
        return "".join(c for c, _ in self.chars[a:b]).strip()


class _NText:
    """Normalised text of a unit; ``idx[i]`` is the unit character behind ``text[i]``."""

    def __init__(self, unit: _Unit):
        out: list[str] = []
        idx: list[int] = []
        for i, (ch, _line) in enumerate(unit.chars):
            n = _norm_char(ch)
            for c in n:
                out.append(c)
                idx.append(i)
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


# ---------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _regions() -> pl.DataFrame:
    return read_reference("regions")


def _load_subject_map(directory: Path = REFERENCE_DIR) -> dict[str, str]:
    path = directory / "prose_subject_map.csv"
    if not path.exists():
        return {}
    df = pl.read_csv(path, infer_schema=False)
    return {normalize_label(r["subject_phrase"]): r["indicator_code"] for r in df.iter_rows(named=True)}


@dataclass(frozen=True)
class _Vocabulary:
    units: dict[str, bool]  # accepted unit (normalised spelling) -> is a count of things
    unit_list: list[str]  # the same, longest first (longest match wins)
    list_tail_re: re.Pattern  # "…97%、" : a listed value ends right before the 、
    from_to_re: re.Pattern  # stated mode: "<subject>从/由 2015 年的 2.55 缩小至 2020 年的 2.26"


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    """The units a value may carry are the generic rows of ``raw/reference/units.csv``: one
    table says which units exist and how they convert, so every accepted value normalises.
    Pure-ratio rows (canonical unit ``ratio``: '/', 'ratio') are not units printed after a
    number; a unit whose canonical unit is ``count`` or ``persons`` is a measure word."""
    units: dict[str, bool] = {}
    for r in read_reference("units").iter_rows(named=True):
        key = normalize_text(r["unit_printed"] or "")
        if r["indicator_code"] or not key or r["canonical_unit"] == "ratio":
            continue
        units[key] = r["canonical_unit"] in ("count", "persons")
    unit_list = sorted(units, key=len, reverse=True)
    alt = "|".join(re.escape(u) for u in unit_list)
    return _Vocabulary(
        units=units,
        unit_list=unit_list,
        list_tail_re=re.compile(r"\d(?:" + alt + r")?(?:及以上|以上|以下|以内|左右)?$"),
        from_to_re=re.compile(
            r"(?:从|由)(?P<y1>20\d{2})年(?:底|末)?的(?P<v1>\d+(?:\.\d+)?)(?P<u1>" + alt + r")?"
            r"(?P<verb>缩小|下降|降低|减少|降|提高|提升|增加|增长|扩大|上升|增)(?:到|至)"
            r"(?:(?P<y2>20\d{2})年(?:底|末)?的?)?(?P<v2>\d+(?:\.\d+)?)(?P<u2>" + alt + r")?"
            r"(?![\d.]|个百分点|百分点|倍)"
        ),
    )


@dataclass
class _City:
    name: str
    code: str
    province_code: str
    counties: list[tuple[str, str, bool]]  # (normalised name, code, is_short_form)


def _city_from_title(lines: list[str], path: Path) -> _City:
    regions = _regions()
    prefectures = [
        r for r in regions.filter(pl.col("level") == "prefecture").iter_rows(named=True)
        if normalize_text(r["region_name"]).endswith("市")
    ]
    head = [normalize_text(x) for x in lines[:40] if x.strip()][:20]
    ordered = [h for h in head if "规划" in h] + head
    hit = None
    for h in ordered:
        best = None
        for r in prefectures:
            n = normalize_text(r["region_name"])
            p = h.find(n)
            if p >= 0 and (best is None or p < best[0]):
                best = (p, r)
        if best:
            hit = best[1]
            break
    if hit is None:
        raise SourceError(path.name, 1, "no prefecture-level city named in the title lines")
    lookup = region_lookup()
    city_short = normalize_text(hit["region_name"])[:-1]
    counties: list[tuple[str, str, bool]] = []
    for r in regions.filter(pl.col("parent_code") == hit["region_code"]).iter_rows(named=True):
        full = normalize_text(r["region_name"])
        counties.append((full, r["region_code"], False))
        for suffix in ("县", "区"):
            if full.endswith(suffix) and len(full) > 2 and full[:-1] != city_short:
                short = full[:-1]
                # the short form must resolve to this very county through the shared lookup
                if lookup.code_for(short, levels=("county",), province_code=hit["province_code"]) == r["region_code"]:
                    counties.append((short, r["region_code"], True))
    counties.sort(key=lambda t: -len(t[0]))
    return _City(normalize_text(hit["region_name"]), hit["region_code"], hit["province_code"], counties)


def _doc_years(lines: list[str]) -> tuple[int | None, int | None]:
    head = [normalize_text(x) for x in lines[:40] if x.strip()][:20]
    doc_year = None
    start_year = None
    for h in head:
        if doc_year is None:
            m = _DOC_DATE_RE.search(h)
            if m:
                doc_year = int(m.group(1))
        if start_year is None:
            m = _TITLE_RANGE_RE.search(h)
            if m:
                start_year = int(m.group(1))
    if start_year is None:
        start_year = doc_year
    if doc_year is None:
        doc_year = start_year
    return doc_year, start_year


# ---------------------------------------------------------------------------
# Units: prose paragraphs (re-joined over page breaks) and action-table cells
# ---------------------------------------------------------------------------

_TERMINAL = set("。！？!?；;：:")
_INHERIT_MAX_PARAGRAPHS = 10


def _is_heading(s: str) -> bool:
    return s.startswith("#")


def _is_table_line(raw: str) -> bool:
    return "|" in raw or "\t" in raw


def _ends_sentence(s: str) -> bool:
    t = s.rstrip().rstrip("*").rstrip()
    return bool(t) and t[-1] in _TERMINAL


def _build_units(lines: list[str], start_year: int | None, doc_year: int | None) -> list[_Unit]:
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

    units: list[_Unit] = []
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
                        units.append(_Unit(SOURCE_KIND_ACTION, ref, [(c, line_no) for c in cell]))
                i += 1
            continue
        if _is_table_line(raw):
            inherited = None
            i += 1
            continue
        para = [i]
        while True:
            last = lines[para[-1]].strip()
            if _ends_sentence(last) or len(normalize_text(last)) < 30 or last.startswith("- "):
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
        unit = _Unit(SOURCE_KIND_PROSE, None, chars, inherited)
        units.append(unit)
        if inherited is not None:
            inherit_left -= 1
            if inherit_left <= 0:
                inherited = None
        # goal announcement: "2025年，…的发展目标。" lends its year to what follows
        nt = "".join(normalize_text(lines[k]) for k in para).replace("*", "")
        if nt.startswith("展望"):
            inherited = None
        m = _YEAR_RE.match(nt)
        if m and nt.endswith("目标。"):
            y = int(m.group("year"))
            ok = (y >= (start_year or 0)) if m.group("pre") else (y > (doc_year or 0))
            if ok:
                inherited = y
                inherit_left = _INHERIT_MAX_PARAGRAPHS
        i = para[-1] + 1
    return units


# ---------------------------------------------------------------------------
# Clause parsing
# ---------------------------------------------------------------------------


@dataclass
class _YearCtx:
    year: int
    cumulative: bool = False


@dataclass
class _Candidate:
    start: int  # normalised index of the number
    end: int  # after unit / postfix
    value: float
    value_high: float | None
    unit: str | None
    comparator: str
    direction: str | None
    subject_span: tuple[int, int] | None
    subject_after: bool
    listed_subject: str | None = None
    region: tuple[str, str] | None = None
    year: int = 0
    cumulative: bool = False


def _match_unit(text: str, pos: int) -> tuple[str | None, int, bool]:
    """(unit, end, non_target) at pos."""
    for u in _NON_TARGET_UNITS:
        if text.startswith(u, pos):
            # 平方米 / 公里/平方公里 etc. are real units and longer: check them first
            for acc in _vocabulary().unit_list:
                if text.startswith(acc, pos) and len(acc) >= len(u):
                    return acc, pos + len(acc), False
            return u, pos + len(u), True
    for u in _vocabulary().unit_list:
        if text.startswith(u, pos):
            return u, pos + len(u), False
    return None, pos, False


def _prefix_before(text: str, floor: int, pos: int) -> tuple[tuple[str, str, bool, str | None] | None, int]:
    left = text[floor:pos]
    for w in _PREFIX_WORDS:
        if left.endswith(w[0]):
            return w, pos - len(w[0])
    return None, pos


def _postfix_at(text: str, pos: int) -> tuple[str | None, int]:
    for w, comp in _POSTFIX_WORDS:
        if text.startswith(w, pos):
            return comp, pos + len(w)
    return None, pos


def _is_boundary(text: str, pos: int, clause_end: int) -> bool:
    if pos >= clause_end:
        return True
    return text[pos] in "、" or text.startswith(("的标准", "的水平", "的规模", "的目标"), pos)


def _strip_subject(text: str, a: int, b: int) -> tuple[int, int]:
    changed = True
    while changed and a < b:
        changed = False
        for w in _SUBJECT_LEAD:
            if text.startswith(w, a) and a + len(w) < b:
                a += len(w)
                changed = True
                break
        while a < b and text[a] in "、,:;“”\"'()（）":
            a += 1
            changed = True
    while b > a and text[b - 1] in "、,:;“\"'(":
        b -= 1
    return a, b


class _Extractor:
    def __init__(self, path: Path, lines: list[str], city: _City, doc_year: int | None,
                 start_year: int | None, subject_map: dict[str, str], stated: bool = False):
        self.path = path
        # stated=True reads what the plan states about the past (years before start_year)
        # instead of its targets: same clauses, values and subjects, the opposite year rule
        self.stated = stated
        self.lines = lines
        self.city = city
        self.doc_year = doc_year or 0
        self.start_year = start_year or 0
        self.subject_map = subject_map
        self.sha = file_sha256(path)
        self.rows: list[dict] = []
        self.quarantine: list[QuarantineRow] = []

    # -- helpers -----------------------------------------------------------
    def _q(self, unit_kind: str, line: int, reason: str, verbatim: str) -> None:
        self.quarantine.append(
            QuarantineRow(
                source_kind=SOURCE_KIND_STATED if self.stated else f"plan_{unit_kind}",
                source_file=self.path.name,
                source_sha256=self.sha,
                location=f"line {line}",
                reason=reason,
                verbatim=verbatim,
            )
        )

    def _county_in(self, text: str, short_at_start_only: bool = True) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        taken = [False] * len(text)
        for name, code, short in self.city.counties:
            start = 0
            while True:
                p = text.find(name, start)
                if p < 0:
                    break
                start = p + 1
                if short and short_at_start_only and p != 0:
                    continue
                if any(taken[p:p + len(name)]):
                    continue
                for k in range(p, p + len(name)):
                    taken[k] = True
                if (name, code) not in found:
                    found.append((name, code))
        return found

    def _county_at_start(self, text: str) -> tuple[str, str] | None:
        for name, code, _short in self.city.counties:
            if text.startswith(name):
                return name, code
        return None

    # -- year phrases --------------------------------------------------------
    def _year_events(self, t: str, cs: int, ce: int) -> list[tuple[int, int, _YearCtx | None]]:
        """(start, end, ctx or None=clear) for year phrases inside clause [cs, ce)."""
        events = []
        for m in _YEAR_RE.finditer(t, cs, ce):
            a, b = m.span()
            ys = m.start("year")
            y = int(m.group("year"))
            nxt = t[b:b + 2]
            before = t[ys - 1] if ys > cs else ""
            before2 = t[ys - 2] if ys - 1 > cs else ""
            if nxt[:1] in ("月",) or re.match(r"\d", nxt[:1] or ""):
                events.append((a, b, "skip"))
                continue
            if nxt.startswith(("前", "以前", "以来", "的", "起", "开始", "期间")):
                events.append((a, b, "skip"))
                continue
            if before in "-—–~至" and before and before2.isdigit():
                events.append((a, b, "skip"))  # year range 2026—2035年
                continue
            pre = m.group("pre")
            if pre and pre != "在":
                ok = y < self.start_year if self.stated else y >= self.start_year
                events.append((a, b, _YearCtx(y) if ok else None))
            else:
                at_start = a == cs
                ok = y < self.start_year if self.stated else y > self.doc_year
                if at_start:
                    events.append((a, b, _YearCtx(y) if ok else None))
                else:
                    events.append((a, b, "skip"))
        for m in _PERIOD_RE.finditer(t, cs, ce):
            y = _PERIOD_YEAR[m.group("plan")]
            cumulative = m.group("kind") == "期间"
            if self.stated:
                # a past period's end is a stated year; a past period's total is not an annual value
                ok = y < self.start_year and not cumulative
                events.append((m.start(), m.end(), _YearCtx(y) if ok else None))
            elif y >= self.start_year:
                events.append((m.start(), m.end(), _YearCtx(y, cumulative=cumulative)))
        events.sort()
        return events

    # -- main ----------------------------------------------------------------
    def run(self, units: list[_Unit]) -> None:
        for unit in units:
            if self.stated and unit.kind != SOURCE_KIND_PROSE:
                continue  # action tables list what is to be done, not what was
            nt = _NText(unit)
            t = nt.text
            s = 0
            for e in range(len(t) + 1):
                if e == len(t) or t[e] in _SENTENCE_END:
                    if e > s:
                        self._sentence(nt, unit, s, e + (1 if e < len(t) else 0))
                    s = e + 1

    def _sentence(self, nt: _NText, unit: _Unit, ss: int, se: int) -> None:
        t = nt.text
        ctx: _YearCtx | None = (
            _YearCtx(unit.inherited_year) if unit.inherited_year and not self.stated else None
        )
        body_end = se - 1 if se - 1 >= ss and t[se - 1] in _SENTENCE_END else se
        sentence_county = self._county_at_start(t[ss:body_end])
        clauses = []
        cs = ss
        for k in range(ss, body_end + 1):
            if k == body_end or t[k] in _CLAUSE_END:
                clauses.append((cs, k))
                cs = k + 1
        for cs, ce in clauses:
            if cs >= ce:
                continue
            ctx = self._clause(nt, unit, ss, se, cs, ce, ctx, sentence_county)

    def _clause(self, nt: _NText, unit: _Unit, ss: int, se: int, cs: int, ce: int,
                ctx: _YearCtx | None, sentence_county: tuple[str, str] | None) -> _YearCtx | None:
        t = nt.text
        events = self._year_events(t, cs, ce)
        blocked = [False] * (ce - cs)
        # context timeline: (position from which it holds, ctx, subject floor)
        timeline: list[tuple[int, _YearCtx | None, int]] = [(cs, ctx, cs)]
        for a, b, c in events:
            for k in range(a, b):
                blocked[k - cs] = True
            if c != "skip":
                timeline.append((b, c, b))

        def ctx_at(pos: int) -> tuple[_YearCtx | None, int]:
            cur, floor = timeline[0][1], timeline[0][2]
            for start, c, fl in timeline:
                if start <= pos:
                    cur, floor = c, fl
            return cur, floor

        clause_text = t[cs:ce]
        quota = any(q in clause_text for q in _QUOTA_MARKERS)
        has_verb = lambda upto: any(v in t[cs:upto] for v in _BUILD_VERBS)  # noqa: E731
        cumulative_clause = "累计" in clause_text
        self._malformed_scan(nt, unit, cs, ce, ctx_at)

        cands: list[_Candidate] = []
        consumed_until = cs
        prev_end = cs
        if self.stated:
            cands, consumed_until = self._from_to(nt, cs, ce, ctx_at)
            prev_end = consumed_until
        for m in _NUM_RE.finditer(t, cs, ce):
            a, b = m.span()
            if blocked[a - cs] or a < consumed_until:
                continue
            cur, floor = ctx_at(a)
            if cur is None:
                continue
            seg_floor = max(floor, prev_end)
            prev = t[a - 1] if a > cs else ""
            if prev and ((prev.isascii() and (prev.isalpha() or prev in "./")) or prev in "第每等"):
                continue
            nxt = t[b] if b < ce else ""
            if nxt and ((nxt.isascii() and nxt.isalpha()) or nxt == "." or nxt.isdigit()):
                continue
            got = self._read_value(nt, unit, ss, se, cs, ce, a, b, seg_floor, cur, quota, has_verb)
            if got is None:
                continue
            if got == "quarantined":
                # nothing else is read from a clause whose target could not be read safely
                break
            cands.extend(got)
            consumed_until = max(c.end for c in got)
            prev_end = consumed_until
        for c in cands:
            self._emit(nt, unit, ss, se, cs, ce, c, ctx_year=c.year,
                       cumulative=c.cumulative or cumulative_clause,
                       sentence_county=sentence_county)
        return timeline[-1][1]

    def _from_to(self, nt: _NText, cs: int, ce: int, ctx_at) -> tuple[list[_Candidate], int]:
        """Stated mode: "<subject>从/由 2015 年的 2.55 缩小至 2020 年的 2.26" → one value per
        year (the second one takes the clause's year when it prints none)."""
        t = nt.text
        m = _vocabulary().from_to_re.search(t, cs, ce)
        if not m:
            return [], cs
        y1 = int(m.group("y1"))
        if y1 >= self.start_year:
            return [], cs
        if m.group("y2"):
            y2: int | None = int(m.group("y2"))
        else:
            cur, _floor = ctx_at(m.start())
            y2 = cur.year if cur else None
        floor = ctx_at(m.start())[1]
        span = (floor, m.start())
        unit1, unit2 = m.group("u1"), m.group("u2") or m.group("u1")
        unit1 = unit1 or unit2
        out = []
        for year, key in ((y1, "v1"), (y2, "v2")):
            if year is None or year >= self.start_year:
                continue
            c = _Candidate(m.start(key), m.end(), float(m.group(key)), None,
                           unit1 if key == "v1" else unit2, "=", None, span, False)
            c.year = year
            out.append(c)
        return out, m.end()

    def _malformed_scan(self, nt: _NText, unit: _Unit, cs: int, ce: int, ctx_at) -> None:
        """Comparator + something number-like that is not a number → quarantine."""
        t = nt.text
        for k in range(cs, ce):
            for word, _comp, _soft, _d in _PREFIX_WORDS:
                if not t.startswith(word, k):
                    continue
                p = k + len(word)
                cur, _ = ctx_at(k)
                if cur is None:
                    break
                m = _BROKEN_NUM_RE.match(t, p, ce)
                if m and m.end() > p:
                    tok = m.group(0).rstrip(".")
                    end = p + len(tok)
                    u, _e, non_target = _match_unit(t, end)
                    if not _NUM_FULL.fullmatch(tok) and (u is not None and not non_target or t.startswith("%", end)):
                        self._q(unit.kind, nt.line(p), f"number {tok!r} after {word!r} cannot be parsed",
                                nt.orig(cs, ce))
                    break
                z = _ZH_NUM_RE.match(t, p, ce)
                if z:
                    u, _e, non_target = _match_unit(t, z.end())
                    if u is not None and not non_target:
                        self._q(unit.kind, nt.line(p),
                                f"number {z.group(0)!r} written in Chinese numerals is not read", nt.orig(cs, ce))
                break

    def _read_value(self, nt, unit, ss, se, cs, ce, a, b, seg_floor, ctx, quota, has_verb):
        t = nt.text
        value = float(t[a:b])
        hi = None
        unit_str = None
        p = b
        is_ratio = False
        rm = _RANGE_RE.match(t, p, ce)
        if rm:
            hi = float(rm.group("hi"))
            p = rm.end()
            if p < ce and (t[p].isdigit() or t[p] == "."):
                return None
        else:
            qm = _RATIO_RE.match(t, p, ce)
            if qm:
                den = float(qm.group("den"))
                p = qm.end()
                if p < ce and (t[p].isdigit() or t[p] == "." or t[p] == ":"):
                    return None
                if den != 1:
                    # 4.1:1 is a ratio; 8:30 or 3:2 is not read as one
                    return None
                value = value / den
                unit_str = "ratio"
                is_ratio = True
        if not is_ratio:
            u, p2, non_target = _match_unit(t, p)
            if non_target:
                return None
            if u is not None:
                unit_str = u
                p = p2
        post, p_after = _postfix_at(t, p)
        prefix, pstart = _prefix_before(t, seg_floor, a)
        if prefix is None and a > cs and t[a - 1] == "、" and _vocabulary().list_tail_re.search(t, cs, a - 1):
            # "…达到 97%、90%" without 分别: a value without its own subject
            self._q(unit.kind, nt.line(a), f"listed value {t[a:b]} without its own subject", nt.orig(cs, ce))
            return "quarantined"
        fenbie = prefix is not None and t[seg_floor:pstart].endswith("分别")
        # ------------------------------------------------------------ pattern choice
        line = nt.line(a)
        if hi is not None:
            if quota:
                return None
            if unit_str is None:
                return None
            if prefix is None and not has_verb(a):
                return None
            after_end = p_after if post else p
            subj_after = after_end < ce and t[after_end] not in "、"
            if subj_after:
                span = (after_end, self._segment_end(t, after_end, ce))
            else:
                span = (seg_floor, pstart if prefix else a)
            c = _Candidate(a, after_end, value, hi, unit_str, "between", None, span, subj_after)
            c.year, c.cumulative = ctx.year, ctx.cumulative
            return [c]
        if prefix is not None:
            word, comp, soft, direction = prefix
            if post is not None:
                if soft:
                    comp = post
                elif post != comp:
                    self._q(unit.kind, line, f"conflicting comparators {word!r} and a trailing {post}",
                            nt.orig(cs, ce))
                    return "quarantined"
            end = p_after if post else p
            if fenbie:
                return self._fenbie(nt, unit, cs, ce, a, seg_floor, pstart, prefix, value, unit_str, end, ctx)
            if unit_str is None:
                subj_a, subj_b = _strip_subject(t, seg_floor, pstart)
                if subj_b > subj_a and t[subj_b - 1] == "比":
                    unit_str = "ratio"
                else:
                    self._q(unit.kind, line, f"target value {t[a:b]} printed without unit", nt.orig(cs, ce))
                    return "quarantined"
            if not _is_boundary(t, end, ce):
                return None
            c = _Candidate(a, end, value, None, unit_str, comp, direction, (seg_floor, pstart), False)
            c.year, c.cumulative = ctx.year, ctx.cumulative
            return [c]
        if post is not None:
            if unit_str is None:
                return None
            if t.startswith("的", p_after) and unit_str == "%":
                span = (p_after + 1, self._segment_end(t, p_after + 1, ce))
                c = _Candidate(a, span[1], value, None, unit_str, post, None, span, True)
                c.year, c.cumulative = ctx.year, ctx.cumulative
                return [c]
            if not _is_boundary(t, p_after, ce):
                return None
            c = _Candidate(a, p_after, value, None, unit_str, post, None, (seg_floor, a), False)
            c.year, c.cumulative = ctx.year, ctx.cumulative
            return [c]
        if unit_str == "%" and t.startswith("的", p):
            span = (p + 1, self._segment_end(t, p + 1, ce))
            c = _Candidate(a, span[1], value, None, unit_str, "=", None, span, True)
            c.year, c.cumulative = ctx.year, ctx.cumulative
            return [c]
        if unit_str is not None and _vocabulary().units.get(unit_str) and has_verb(a) and not quota:
            subj_after = p < ce and t[p] not in "、"
            if subj_after:
                span = (p, self._segment_end(t, p, ce))
            else:
                span = (seg_floor, a)
            c = _Candidate(a, span[1] if subj_after else p, value, None, unit_str, "=", None, span, subj_after)
            c.year, c.cumulative = ctx.year, ctx.cumulative
            return [c]
        return None

    @staticmethod
    def _segment_end(t: str, a: int, ce: int) -> int:
        k = a
        while k < ce and t[k] != "、":
            k += 1
        return k

    def _fenbie(self, nt, unit, cs, ce, a, seg_floor, pstart, prefix, value, unit_str, end, ctx):
        """A、B 分别达到 x、y(以上)."""
        t = nt.text
        word, comp, soft, direction = prefix
        values = [(a, value, unit_str)]
        p = end
        post_all = None
        # first value may already carry a postfix (then it is not a list postfix)
        while p < ce and t[p] == "、":
            m = _NUM_RE.match(t, p + 1, ce)
            if not m:
                break
            v = float(m.group(0))
            u, p2, non_target = _match_unit(t, m.end())
            if non_target:
                return None
            if u is None and unit_str is not None:
                u, p2 = unit_str, m.end()  # "30、40%": unit printed once
            values.append((m.start(), v, u))
            p = p2
        post, p_after = _postfix_at(t, p)
        if post is not None:
            post_all = post
            p = p_after
        if len(values) > 1:
            # the first value's unit may have been printed once, at the end
            if values[0][2] is None:
                values[0] = (values[0][0], values[0][1], values[-1][2])
        if not _is_boundary(t, p, ce):
            return None
        subj_a, subj_b = _strip_subject(t, seg_floor, pstart - len("分别"))
        subject_text = t[subj_a:subj_b]
        parts = subject_text.split("、")
        line = nt.line(a)
        if len(parts) != len(values):
            self._q(unit.kind, line,
                    f"分别 list with {len(parts)} subjects and {len(values)} values", nt.orig(cs, ce))
            return "quarantined"
        # spans of the parts in normalised coordinates
        spans = []
        k = subj_a
        for part in parts:
            spans.append((k, k + len(part)))
            k += len(part) + 1
        # shared stem: 中心城区、县城公共供水普及率
        stem = None
        last = parts[-1]
        quals = list(_SUBJECT_QUALIFIERS) + [n for n, _c, _s in self.city.counties]
        if all(len(x) <= 4 for x in parts[:-1]):
            for q in sorted(quals, key=len, reverse=True):
                if last.startswith(q) and len(last) > len(q):
                    stem = (spans[-1][0] + len(q), spans[-1][1])
                    break
        out = []
        final_comp = comp
        if post_all is not None:
            if soft:
                final_comp = post_all
            elif post_all != comp:
                self._q(unit.kind, line, f"conflicting comparators {word!r} and a trailing {post_all}",
                        nt.orig(cs, ce))
                return "quarantined"
        for (va, v, u), part, span in zip(values, parts, spans):
            if u is None:
                self._q(unit.kind, nt.line(va), f"target value {v} printed without unit", nt.orig(cs, ce))
                return "quarantined"
            c = _Candidate(va, p, v, None, u, final_comp, direction, span, False)
            if stem is not None and span != spans[-1]:
                c.listed_subject = nt.orig(*span) + nt.orig(*stem)
            county = self._county_at_start(part)
            if county:
                c.region = county
            c.year, c.cumulative = ctx.year, ctx.cumulative
            out.append(c)
        return out

    def _emit(self, nt: _NText, unit: _Unit, ss, se, cs, ce, c: _Candidate, ctx_year, cumulative,
              sentence_county) -> None:
        t = nt.text
        line = nt.line(c.start)
        if c.listed_subject is not None:
            subject = c.listed_subject
            subj_norm = normalize_text(subject)
        else:
            sa, sb = c.subject_span
            sa, sb = _strip_subject(t, sa, sb)
            subject = nt.orig(sa, sb)
            subj_norm = t[sa:sb]
        if not subj_norm:
            self._q(unit.kind, line, "target value without a subject", nt.orig(cs, ce))
            return
        # region
        region = c.region
        if region is None:
            in_clause = self._county_in(t[cs:ce], short_at_start_only=True)
            seg = subj_norm
            seg_short = self._county_at_start(seg)
            if len(in_clause) > 1:
                self._q(unit.kind, line, f"several counties named in one clause: {[n for n, _ in in_clause]}",
                        nt.orig(cs, ce))
                return
            if in_clause:
                region = in_clause[0]
            elif seg_short:
                region = seg_short
            elif sentence_county and "全市" not in t[cs:ce]:
                region = sentence_county
        if region is None:
            region_name, region_code = self.city.name, self.city.code
        else:
            region_name, region_code = region
        key = normalize_label(subject)
        if key.startswith("全市"):
            key = key[2:]
        indicator = self.subject_map.get(key)
        self.rows.append(
            {
                "source_kind": unit.kind,
                "table_ref": unit.table_ref,
                "source_file": self.path.name,
                "source_sha256": self.sha,
                "line_number": line,
                "clause": nt.orig(cs, ce),
                "sentence": nt.orig(ss, se),
                "target_year": ctx_year,
                "subject": subject,
                "comparator": c.comparator,
                "value": c.value,
                "value_high": c.value_high,
                "unit": c.unit,
                "region_name": region_name,
                "region_code": region_code,
                "indicator_code": indicator,
                "direction_hint": c.direction,
                "is_cumulative": bool(cumulative),
            }
        )
        if self.stated:
            self.rows[-1]["value_text"] = _NUM_RE.match(t, c.start).group(0)


def extract_prose_targets(path: str | Path, subject_map_dir: Path = REFERENCE_DIR) -> ProseTargetsResult:
    """Extract the numeric targets written in a plan's prose and action tables (see module doc)."""
    ex = _run_extractor(Path(path), subject_map_dir, stated=False)
    df = pl.DataFrame(ex.rows, schema=TARGET_SCHEMA, orient="row") if ex.rows else pl.DataFrame(schema=TARGET_SCHEMA)
    return ProseTargetsResult(
        targets=df.select(TARGET_COLUMNS), quarantine=ex.quarantine, city_name=ex.city.name, city_code=ex.city.code
    )


def _run_extractor(path: Path, subject_map_dir: Path, stated: bool) -> _Extractor:
    lines = read_text_lines(path)
    city = _city_from_title(lines, path)
    doc_year, start_year = _doc_years(lines)
    units = _build_units(lines, start_year, doc_year)
    ex = _Extractor(path, lines, city, doc_year, start_year, _load_subject_map(subject_map_dir), stated=stated)
    ex.run(units)
    return ex


# ---------------------------------------------------------------------------
# What a plan states about the past: observations for reconciliation and monitoring
# ---------------------------------------------------------------------------


def extract_stated_values(path: str | Path, subject_map_dir: Path = REFERENCE_DIR) -> ProseTargetsResult:
    """Values a plan's prose *states* for years before the plan period, e.g. 濮阳's
    "2020 年，全市农村居民人均可支配收入达到 14881 元，…城乡居民收入比缩小到 2.26" or
    "城乡居民收入差距从 2015 年的 2.55 缩小至 2020 年的 2.26", as rows of the common
    observation shape (source_kind ``plan_statement``).

    The same clause, value, unit, subject, region and indicator rules as the targets apply
    (module doc), with the year rule reversed: a year phrase names a *stated* year when it
    is before ``start_year`` (clause-initial "2020 年，", "到/截至 2020 年底", "“十三五”末",
    and the from-to pattern above); later years end the context.  Only exact statements
    become observations: a value with a bound (超过 60%, 以上), a range or a cumulative
    clause (累计) is not a point value and is left out, as are action tables (what is to
    be done, not what was).  Prose paragraphs only: indicator tables are ``plan_tables``'.
    """
    from dagster_project.ingest.yearbooks import OBSERVATION_POLARS_SCHEMA

    ex = _run_extractor(Path(path), subject_map_dir, stated=True)
    out = []
    n_bounded = 0
    for r in ex.rows:
        if r["comparator"] not in ("=", "≈") or r["value_high"] is not None or r["is_cumulative"]:
            n_bounded += 1
            continue
        out.append(
            {
                "source_kind": SOURCE_KIND_STATED,
                "source_file": r["source_file"],
                "source_sha256": r["source_sha256"],
                "source_location": f"line {r['line_number']}",
                "verbatim": r["sentence"],
                "region_name_raw": r["region_name"],
                "region_code": r["region_code"],
                "year": r["target_year"],
                "scope": "n.a.",
                "indicator_label_raw": r["subject"],
                "indicator_code": r["indicator_code"],
                # "ratio" is the reader's name for a ratio printed without unit (…比缩小到 2.26): keep it unprinted
                "unit_raw": None if r["unit"] == "ratio" and ":" not in r["clause"] else r["unit"],
                "value_raw": r["value_text"],
                "value": r["value"],
            }
        )
    df = pl.DataFrame(out, schema=OBSERVATION_POLARS_SCHEMA, orient="row") if out else pl.DataFrame(schema=OBSERVATION_POLARS_SCHEMA)
    summary = f"{df.height} stated values, {n_bounded} bounded/cumulative statements left out"
    return ProseTargetsResult(
        observations=df.select(OBSERVATION_COLUMNS), quarantine=ex.quarantine,
        city_name=ex.city.name, city_code=ex.city.code, summary=summary,
    )

"""What the prose reader recognises: source kinds, sentence and clause ends, the units a value
may carry, words that make a number a delta or a duration, build verbs, quota markers, subject
leads and qualifiers. (Which indicator a subject is, is not decided here: see the package doc.)

    * A value needs a unit of :func:`vocabulary`: the generic rows of ``raw/reference/units.csv``
      (%, counts with measure words, money, areas, capacities, …), so every accepted value
      normalises; a unit whose canonical unit is ``count``/``persons`` is a measure word.
    * Deltas and durations/distances printed after a number (个百分点, 小时, 分钟, 米, 年, 天,
      岁, 星级 …) make it no target, unless a longer real unit starts there (平方米, 公里).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dagster_project.common.text import normalize_text
from dagster_project.common.reference import read_reference

SOURCE_KIND_PROSE = "prose"
SOURCE_KIND_ACTION = "action_table"
SOURCE_KIND_STATED = "plan_statement"
LABEL_SCOPE = "prose"  # source_scope of subjects (targets and stated values) in raw/reference/indicator_label_map.csv

SENTENCE_END = set("。;!?")
CLAUSE_END = set(",")
NUM_RE = re.compile(r"\d+(?:\.\d+)?")

# printed after a number, these make it a delta, duration, distance, date or level: no target
NON_TARGET_UNITS = (
    "个百分点", "百分点", "个小时", "小时", "分钟", "米", "年", "月", "日", "天", "岁",
    "星级", "级", "倍", "次", "届", "批", "期", "号", "千伏", "兆伏安", "周",
)

BUILD_VERBS = (
    "建设", "新建", "改扩建", "建成", "创建", "打造", "培育", "筹集", "新增", "累计完成", "完成",
    "建立", "设立", "引进", "培养", "改造", "新改建", "扩建", "组建", "布局", "落地", "认定",
)
QUOTA_MARKERS = ("每个", "各县", "各乡", "各区", "各镇", "各村", "各街道", "各社区")

# a value right after one of these (and any comparator word) is a growth or change rate, not a level
CHANGE_WORDS = (
    "增长", "增速", "增幅", "提高", "提升", "下降", "降低", "减少", "增加", "递增", "递减", "年均", "扩大",
    "缩小", "压减", "上升", "回落", "减排",
)
RATE_NOUNS = ("年均增速", "年均增长", "增速", "增幅", "增长率", "增长")  # "3.9%的年均增速": a rate
PAST_MARKERS = ("已", "目前")  # "目前…已建成": a statement of what is


def is_change(text: str, floor: int, end: int) -> bool:
    """Whether ``text[floor:end]`` (what precedes a value, its comparator word excluded) ends in a
    change word: the value is then a growth or change rate."""
    left = text[floor:end].rstrip("了")
    if left.endswith("分别"):
        left = left[:-2]
    return left.endswith(CHANGE_WORDS)


SUBJECT_LEAD = ("以及", "其中", "同时", "力争", "确保", "争取", "并且", "、", "和", "及", "与", "并", "使")
SUBJECT_QUALIFIERS = (
    "中心城区", "中心城市", "县城", "城区", "市区", "市辖区", "城市", "城镇", "农村", "乡村", "全市",
)


@dataclass(frozen=True)
class Vocabulary:
    units: dict[str, bool]  # accepted unit (normalised spelling) -> is a count of things
    unit_list: list[str]  # the same, longest first (longest match wins)
    list_tail_re: re.Pattern  # "…97%、" : a listed value ends right before the 、
    from_to_re: re.Pattern  # stated mode: "<subject>从/由 2015 年的 2.55 缩小至 2020 年的 2.26"


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
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
    return Vocabulary(
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


def match_unit(text: str, pos: int) -> tuple[str | None, int, bool]:
    """(unit, end, non_target) at pos."""
    for u in NON_TARGET_UNITS:
        if text.startswith(u, pos):
            # 平方米 / 公里/平方公里 etc. are real units and longer: check them first
            for acc in vocabulary().unit_list:
                if text.startswith(acc, pos) and len(acc) >= len(u):
                    return acc, pos + len(acc), False
            return u, pos + len(u), True
    for u in vocabulary().unit_list:
        if text.startswith(u, pos):
            return u, pos + len(u), False
    return None, pos, False


def is_boundary(text: str, pos: int, clause_end: int) -> bool:
    """A target value ends at its clause's end, at 、 or before 的标准/水平/规模/目标."""
    if pos >= clause_end:
        return True
    return text[pos] in "、" or text.startswith(("的标准", "的水平", "的规模", "的目标"), pos)


def strip_subject(text: str, a: int, b: int) -> tuple[int, int]:
    """The span [a, b) without leading connectives (以及, 其中, 力争 …) and stray punctuation."""
    changed = True
    while changed and a < b:
        changed = False
        for w in SUBJECT_LEAD:
            if text.startswith(w, a) and a + len(w) < b:
                a += len(w)
                changed = True
                break
        while a < b and text[a] in "、,:;“”\"'()（）":
            a += 1
            changed = True
    while b > a and text[b - 1] in "、,:;“\"'(":
        b -= 1
    for w in ("已经", "已", "将要", "将", "要", "均", "都"):  # "城镇化率已达到 45.4%", "…要达到", "…均控制在"
        if text.endswith(w, a, b) and b - len(w) > a and not (w == "均" and text[b - 2] in "人平年"):
            b -= len(w)
            break
    return a, b

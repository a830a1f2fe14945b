"""Prior-year values a bulletin states without printing them (issue 20 item 5).

"常住人口城镇化率为54.44%，比上年末提高0.77个百分点" states the previous year too: 53.67 %.
"年末常住人口366.10万人，比上年末减少1.2万人" likewise: 367.30 万人. Only two kinds of change
give a previous level exactly:

* a change in **percentage points** (个百分点) of a figure printed in %;
* an **absolute change in the figure's own printed unit** (万人 after 万人, 亿元 after 亿元), or
  printed bare after a ratio ("城乡居民人均可支配收入比值1.89:1,比上年缩小0.05" → 1.94).

A relative change (增长 5 %) never does: level / (1 + g) with a rounded g is not the printed
previous value. The change must follow the figure directly (its own clause: ", 比上年末提高 …" or
", 增加 …", after at most a bracketed note: "(剔除沙尘后),比上年减少6微克/立方米"); a change against another year ("比2020年增加") is not read. The derived value is
rounded to the precision printed (the more decimals of the figure and the change), and lands with
``derivation = 'derived_from_change'``: it never outranks a value stated for that year by any
source (int_observations_checked ranks derived values after stated ones).

A figure of an earlier year that the bulletin revises ("经最终核实，2024年全市地区生产总值为
2025.40亿元") is ``derivation = 'revised'``; every other figure is ``'stated'``.
"""

from __future__ import annotations

import re

STATED, DERIVED, REVISED = "stated", "derived_from_change", "revised"

_UP = ("提高", "增加", "上升", "增长", "扩大")
_DOWN = ("减少", "下降", "降低", "缩小", "回落")
_CHANGE_RE = re.compile(
    r"\)?(?:\([^()]{0,15}\))?,?(?:比上年末?|比去年末?|较上年末?|比上年同期|同比|比年初|较年初)?"
    rf"(?P<verb>{'|'.join(_UP + _DOWN)})(?P<number>\d+(?:\.\d+)?)(?P<unit>个百分点|[^\d,;。、()]{{1,8}}?)?(?=[,;。)]|$)")
_REVISION_RE = re.compile(r"核实|修订|核定|调整为|更正")


def decimals(number_text: str) -> int:
    t = number_text.replace(",", "")
    return len(t.split(".", 1)[1]) if "." in t else 0


def previous_value(after: str, value_raw: str, value: float, unit: str) -> tuple[float, str, str] | None:
    """(previous value, its printed form, the change as printed) from the text right after a figure
    (``after`` starts after its unit), or None when no exact previous value follows from it."""
    m = _CHANGE_RE.match(after)
    if not m or not unit:
        return None
    change_unit = m.group("unit")
    if unit == "ratio":  # "1.89:1,比上年缩小0.05": a ratio's change is printed bare
        if change_unit is not None:
            return None
    elif unit == "%":
        if change_unit != "个百分点":
            return None
    elif change_unit != unit:
        return None
    change = float(m.group("number"))
    sign = 1 if m.group("verb") in _UP else -1
    places = max(decimals(value_raw), decimals(m.group("number")))
    previous = round(value - sign * change, places)
    if previous < 0:
        return None
    printed = f"{previous:.{places}f}"
    return float(printed), printed, m.group(0).lstrip(",)")


def derivation_of(sentence: str, figure_year: int, bulletin_year: int) -> str:
    """'revised' for an earlier year's figure in a sentence that revises it, else 'stated'."""
    if figure_year < bulletin_year and _REVISION_RE.search(sentence):
        return REVISED
    return STATED

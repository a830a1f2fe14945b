"""Whose figure is it? A bulletin's figure belongs to the bulletin's own region unless the
sentence points elsewhere: names of the region's counties and of other prefectures and provinces,
as bulletins print them (full and short), and the county-breakdown markers ("分区县看")."""

from __future__ import annotations

import re
from functools import lru_cache

from dagster_project.common.text import normalize_text
from dagster_project.common.reference import RegionLookup


# "分区县看，伊州区实现地区生产总值664.08亿元…": every figure after such a marker is a county's
_BREAKDOWN_RE = re.compile(r"分(?:区县|县区|县市区|县市|区市县|县\(市、?区\)|县\(市\)|区县\(市\)|地区|片区|区域)看|分县域看")
_SUFFIXES = ("自治县", "自治旗", "县", "区", "市", "旗", "地区", "自治州", "盟", "省", "自治区")


class RegionNames:
    """Region names as bulletins print them: full names and, where unambiguous, short ones."""

    def __init__(self, lookup: RegionLookup):
        rows = lookup.regions.to_dicts()
        self.prefectures: dict[str, str] = {}
        self.counties: dict[str, dict[str, str]] = {}  # prefecture code -> {county name: county code}
        self.provinces: list[str] = []
        for r in rows:
            full = normalize_text(r["region_name"])
            if r["level"] == "prefecture":
                for name in (full, _short(full)):
                    if len(name) >= 2:
                        self.prefectures.setdefault(name, r["region_code"])
            elif r["level"] == "county":
                for name in (full, _short(full)):
                    self.counties.setdefault(r["parent_code"], {})[name] = r["region_code"]
            elif r["level"] == "province":
                self.provinces.append(full)
        self._prefecture_re = _alternation(self.prefectures)

    def prefecture_names_in(self, text: str) -> dict[str, str]:
        return {m.group(0): self.prefectures[m.group(0)] for m in self._prefecture_re.finditer(text)}

    @lru_cache(maxsize=512)
    def others_re(self, code: str) -> re.Pattern:
        """Names that, printed before a figure, make it somebody else's: this prefecture's
        counties and districts, every other prefecture and province, the nation."""
        own = {n for n, c in self.prefectures.items() if c == code}
        counties = [n for n in self.counties.get(code, []) if len(n) >= 2 and not any(n in o or o in n for o in own)]
        others = [n for n, c in self.prefectures.items() if c != code and len(n) >= 3 and not any(n in o for o in own)]
        names = _alternation(counties + others + self.provinces + ["全省", "全自治区"]).pattern
        return re.compile(f"{names}|全国(?!经济普查|人口普查|统一)")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _alternation(names) -> re.Pattern:
    return re.compile("|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True)) or r"(?!)")


@lru_cache(maxsize=4)
def region_names(lookup: RegionLookup) -> RegionNames:
    return RegionNames(lookup)


def figure_subject(text_before: str, code: str, lookup: RegionLookup) -> tuple[str | None, str | None]:
    """(region code, None) of the region a figure printed after ``text_before`` (its sentence
    up to the label) describes, or (None, why not) when that is not clear.

    The bulletin's own region unless its clause names another region: a clause naming
    exactly one of this prefecture's counties ("…；伊州区实现地区生产总值664.08亿元") is that
    county's; several counties ("滨城、邹平、博兴合计…"), another prefecture or province, or
    a breakdown marker earlier in the sentence ("分区县看，…") without a county in the clause
    make the figure nobody's (not published)."""
    names = region_names(lookup)
    clause = re.split(r"[,;:]", text_before)[-1]
    named = {m.group(0) for m in names.others_re(code).finditer(clause)}
    counties = {names.counties.get(code, {}).get(n) for n in named} - {None}
    if len(counties) == 1 and len(named) == 1:
        return counties.pop(), None
    if named:
        return None, f"the clause names {', '.join(sorted(named))} before the figure"
    if _BREAKDOWN_RE.search(text_before):
        return None, "the sentence breaks the figures down by county or district"
    return code, None

"""Who a plan document is: its city, title, period and plan id, read from the document alone.

One rule, shared by the indicator-table reader (``plan_tables``) and the prose reader
(``prose_targets``), so both always agree on the city, and a renamed file is the same plan:

* The **head** is the first 20 non-blank lines among the first 40 lines of the document,
  normalized (NFKC, traditional → simplified, whitespace removed, ``#`` and ``*`` dropped).
* The **title** is the first 《…规划…》 quoted in the head (a government notice publishing the
  plan), else the first head line that contains 规划, else the first head line. When the
  title prints no year range, the first head line that is only a range "(2021-2035年)" is
  appended, so the title always names the period when the document does.
* The **city** is the prefecture-level region (``raw/reference/regions.csv``; aliases of
  ``region_aliases.csv`` with at least three characters count too) named first in the title,
  else in the next head line naming one. No prefecture anywhere in the head → SourceError
  (the file is quarantined).
* ``plan_id`` = ``<city code>-<title>`` (e.g. ``410900-濮阳市新型城镇化规划(2021-2035年)``):
  a renamed or re-saved copy of the same plan keeps its id; the file name and sha256 stay
  provenance only.
* ``doc_year`` is the first printed date "YYYY年M月" in the head; ``start_year`` the first year
  of the first range "(2021-2035年)" in the head, else ``doc_year``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from dagster_project.sources.common.provenance import SourceError
from dagster_project.common.text import normalize_text
from dagster_project.common.reference import read_reference

NO_CITY_REASON = "cannot tell which city the plan belongs to: no prefecture name in its first 20 lines"

_TITLE_RANGE_RE = re.compile(r"[(（](20\d{2})[-—–~至](20\d{2})年?[)）]")
_QUOTED_TITLE_RE = re.compile(r"《([^《》]*规划[^《》]*)》")
_DOC_DATE_RE = re.compile(r"((?:19|20)\d{2})年\d{1,2}月")


@dataclass(frozen=True)
class PlanIdentity:
    plan_id: str
    title: str
    city_name: str
    city_code: str
    province_code: str
    doc_year: int | None
    start_year: int | None


@lru_cache(maxsize=1)
def _prefecture_names() -> list[tuple[str, dict]]:
    """(normalized name, region row) of every prefecture-level region and its long aliases."""
    regions = read_reference("regions")
    prefectures = {r["region_code"]: r for r in regions.filter(pl.col("level") == "prefecture").iter_rows(named=True)}
    names = [(normalize_text(r["region_name"]), r) for r in prefectures.values()]
    for a in read_reference("region_aliases").iter_rows(named=True):
        alias = normalize_text(a["alias"])
        if a["region_code"] in prefectures and len(alias) >= 3:
            names.append((alias, prefectures[a["region_code"]]))
    return sorted(names, key=lambda t: -len(t[0]))  # the longer name wins at the same position


def _city_in(line: str) -> dict | None:
    best = None
    for name, row in _prefecture_names():
        p = line.find(name)
        if p >= 0 and (best is None or p < best[0]):
            best = (p, row)
    return best[1] if best else None


def head_lines(lines: list[str]) -> list[str]:
    """The normalized head of a document (see module doc)."""
    return [h for h in (normalize_text(x).replace("*", "").lstrip("#") for x in lines[:40]) if h][:20]


def plan_identity(lines: list[str], file_name: str) -> PlanIdentity:
    """The identity of the plan whose text is ``lines`` (see module doc)."""
    head = head_lines(lines)
    quoted = next((m.group(1) for m in map(_QUOTED_TITLE_RE.search, head) if m), None)
    title = quoted or next((h for h in head if "规划" in h), head[0] if head else "")
    ranges = [m for m in map(_TITLE_RANGE_RE.search, head) if m]
    if not _TITLE_RANGE_RE.search(title):
        bare = next((m for m in ranges if m.group(0) == m.string), None)
        if bare:
            title += bare.group(0)
    city = next(filter(None, (_city_in(h) for h in [title] + head)), None)
    if city is None:
        raise SourceError(file_name, 1, NO_CITY_REASON)
    dates = [int(m.group(1)) for m in map(_DOC_DATE_RE.search, head) if m]
    doc_year = dates[0] if dates else None
    start_year = int(ranges[0].group(1)) if ranges else doc_year
    return PlanIdentity(
        plan_id=f"{city['region_code']}-{title}",
        title=title,
        city_name=normalize_text(city["region_name"]),
        city_code=city["region_code"],
        province_code=city["province_code"],
        doc_year=doc_year if doc_year is not None else start_year,
        start_year=start_year,
    )

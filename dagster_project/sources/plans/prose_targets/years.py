"""Which year a value is a target for (or, in stated mode, a statement about).

    * Sentences end at 。；;!?; clauses at commas. A year phrase holds from where it is written
      to the end of its sentence. A sentence that *starts* with a year phrase ("到2025年，…",
      "展望2035年，…", "“十四五”期间，…") sets the year of its paragraph: the following sentences
      carry it until another sentence starts with a year (a past one ends it). Years never cross
      paragraphs, except from a goal announcement (``text.build_units``).
    * "到/至/力争/争取/预计/确保到/展望 YYYY 年(底|末)" is a target year when YYYY >= start_year;
      a bare "YYYY年" at the start of a clause ("2025 年，中心城区…") only when YYYY > doc_year.
      Dates (YYYY年M月), "YYYY年前/以来/的", year ranges ("2021-2025年"), "YYYY年(底)前",
      "比/较/由 2020 年" are never target years; a past "到/至 YYYY 年" or a clause-initial past
      year ends the year context: what follows states the past, it is no target.
    * "“十四五”期间/末" means 2025 (any "十N五": the n-th five-year plan, 十三五 2020, 十五五 2030); the
      values of such a period (期间) are cumulative over its five years (十四五 → 2021–2025), like
      those of clauses with 累计. A past period ("“十三五”期间累计…") ends the year context: what
      follows states the past, it is no target.
    * "到2025年、2035年，…分别达到53%、65%": a list of years pairs with the values listed after 分别
      (one target per year); a clause opening with a year range ("2021—2025年，累计…") gives its values
      the range as cumulative period.
    * A value that reads as a target where no year is stated yet (``UNDATED``) is quarantined
      with its line: never dropped, never given a guessed year.
    * Stated mode (``extract_stated_values``) reverses the rule: years before start_year are
      stated years, later ones end the context, and nothing carries across sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dagster_project.sources.plans.chinese_numbers import five_year_plan_period

YEAR_RE = re.compile(
    r"(?P<pre>力争到|力争在|力争|争取到|争取|预计到|预计|确保到|计划到|展望到|展望至|展望|到|至|在)?"
    r"(?P<year>20\d{2})年(?P<post>年底|年末|底|末)?"
)
_PERIOD_RE = re.compile(r"[“\"']?(?P<plan>十[一二三四五六七八九]五)[”\"']?(?P<kind>期间|末|时期末)")
# "到2025年、2035年" / "2025年和2035年": several years for the values listed after 分别
YEAR_LIST_RE = re.compile(
    r"(?P<pre>力争到|力争在|力争|争取到|争取|预计到|确保到|计划到|到|至|在)?(?P<first>20\d{2})年(?:底|末)?"
    r"(?P<rest>(?:[、和及与]20\d{2}年(?:底|末)?)+)"
)
# "2021—2025年，累计…": the values of a clause that opens with a year range are totals over it
_RANGE_AT_RE = re.compile(r"(?:在)?(?P<y1>20\d{2})年?[-—–~至到](?P<y2>20\d{2})年(?:期间|间)?")


@dataclass
class YearCtx:
    year: int
    cumulative: bool = False
    period: tuple[int, int] | None = None  # the years a cumulative value covers, when the text says
    years: tuple[int, ...] | None = None  # "到2025年、2035年": one year per value listed after 分别


UNDATED = YearCtx(0)  # no year stated yet: a value that reads as a target is quarantined, not read


@dataclass(frozen=True)
class YearRule:
    """The year rule of one plan: its period start and date, targets or statements."""

    start_year: int
    doc_year: int
    stated: bool

    def events(self, t: str, cs: int, ce: int) -> list[tuple[int, int, YearCtx | None]]:
        """(start, end, ctx or None=clear) for year phrases inside clause [cs, ce)."""
        events = []
        listed: list[tuple[int, int]] = []
        for m in YEAR_LIST_RE.finditer(t, cs, ce):
            ys = [int(y) for y in re.findall(r"20\d{2}", m.group(0))]
            if ys != sorted(set(ys)):
                continue
            ok_one = (lambda y: y < self.start_year) if self.stated else \
                (lambda y: y >= self.start_year) if m.group("pre") and m.group("pre") != "在" else \
                (lambda y: y > self.doc_year) if m.start() == cs else None
            if ok_one is None:
                continue
            listed.append(m.span())
            ok = all(ok_one(y) for y in ys)
            events.append((m.start(), m.end(), YearCtx(ys[0], years=tuple(ys)) if ok and not self.stated else None))
        rm = _RANGE_AT_RE.match(t, cs, ce)
        if rm:
            y1, y2 = int(rm.group("y1")), int(rm.group("y2"))
            listed.append(rm.span())
            ok = y1 < y2 and y1 >= self.start_year - 1 and not self.stated
            events.append((rm.start(), rm.end(), YearCtx(y2, cumulative=True, period=(y1, y2)) if ok else None))
        for m in YEAR_RE.finditer(t, cs, ce):
            a, b = m.span()
            if any(la <= a < lb for la, lb in listed):
                continue
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
                events.append((a, b, YearCtx(y) if ok else None))
            else:
                at_start = a == cs
                ok = y < self.start_year if self.stated else y > self.doc_year
                if at_start:
                    events.append((a, b, YearCtx(y) if ok else None))
                else:
                    events.append((a, b, "skip"))
        for m in _PERIOD_RE.finditer(t, cs, ce):
            y = five_year_plan_period(m.group("plan"))[1]
            cumulative = m.group("kind") == "期间"
            if self.stated:
                # a past period's end is a stated year; a past period's total is not an annual value
                ok = y < self.start_year and not cumulative
                events.append((m.start(), m.end(), YearCtx(y) if ok else None))
            elif y >= self.start_year:
                period = five_year_plan_period(m.group("plan")) if cumulative else None
                events.append((m.start(), m.end(), YearCtx(y, cumulative=cumulative, period=period)))
            else:  # a past period ("十三五"期间累计…) states what was: no target, whatever year was carried
                events.append((m.start(), m.end(), None))
        events.sort()
        return events

    def starts_sentence(self, t: str, ss: int, se: int) -> bool:
        """Whether the sentence [ss, se) opens with a year phrase (after a leading dash)."""
        while ss < se and t[ss] in "—–-":
            ss += 1
        events = self.events(t, ss, se)
        return bool(events) and events[0][0] == ss and events[0][2] != "skip"

"""Reading a value at a number: its unit, range or ratio, comparator and subject (methods of
the extractor, in :class:`ValueReader`).

    * Numbers are ASCII after NFKC (full-width and spaced digits work). A number glued to a Latin
      letter ("5G", "IPv6", "G106"), preceded by 第/每/等, a slash or ~, followed by 年/月/日, or
      part of a year phrase is never a value.
    * A value needs a unit (:mod:`vocabulary`) or is a ratio "4.1:1" (denominator 1 only: "8:30"
      is a time; unit ``ratio``); a value without unit is accepted only after a comparator when
      the subject ends in 比 (unit ``ratio``), otherwise quarantined.
    * A value is a target when (a) a comparator word or symbol stands right before it, (b) a
      comparator word stands right after its unit, (c) it is a range "2—3个" (with a comparator
      or a build verb in the clause), (d) it is a count with a measure word in a clause with a
      build verb (建设/新建/建成/创建/打造/筹集/新增 …), or (e) it is "N% 的<noun>" ("90% 的街道
      建有…"). (a)/(b) values must be followed by the end of the clause, 、 or "的标准/水平/规模/
      目标": "10万元以上占比" is a subject, not a target.
    * Comparators follow the one rule of :mod:`dagster_project.sources.common.comparators` (table cells
      too): a word after the value overrides a soft word before it (达到 60% 以上 → ≥), two hard
      ones that disagree go to quarantine; 降至/下降到/缩小到 … set ``direction_hint`` 'lower'.
    * "A、B 分别达到 x、y 以上": values pair with the 、-separated subjects in order (a shared stem
      is expanded: "中心城区、县城公共供水普及率"); a trailing 以上/以内/左右 applies to every value.
      Different counts → quarantine; a value right after "97%、" without 分别 and without its own
      subject → quarantine. Once a clause has a quarantined target, nothing further is read from it.
    * Per-unit quotas ("每个县（区）建设 1 个…", "各县区…") are not city targets and are skipped.
    * A growth or change rate — the value follows 增长/增速/提高/下降/降低/减少… (after any comparator
      word): "地区生产总值年均增长 7% 左右", "增长 10% 以上" — is never read as the level of its subject:
      it is no target. In target mode a value after 已/目前 in its clause ("目前…已建成 5000 个") states
      what is, and is no target either.
    * "到2025年、2035年，X 分别达到 53%、65%": one subject, a list of years and as many values → one
      target per year, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dagster_project.sources.common.comparators import PREFIX_WORDS, combine, postfix_at, prefix_ending_at
from dagster_project.sources.plans.prose_targets.text import NText, Unit
from dagster_project.sources.plans.prose_targets.vocabulary import (
    NUM_RE,
    PAST_MARKERS,
    RATE_NOUNS,
    is_change,
    SUBJECT_QUALIFIERS,
    is_boundary,
    match_unit,
    strip_subject,
    vocabulary,
)
from dagster_project.sources.plans.prose_targets.years import YearCtx

_RANGE_RE = re.compile(r"(?P<pct>%)?(?:[—–\-~]|至)(?P<hi>\d+(?:\.\d+)?)")
_RATIO_RE = re.compile(r":(?P<den>\d+(?:\.\d+)?)")
_BROKEN_NUM_RE = re.compile(r"[0-9OoIl.]*[0-9][0-9OoIl.]*")
_ZH_NUM_RE = re.compile(r"[零〇一二三四五六七八九十百千两]+")


@dataclass
class Candidate:
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
    ctx: YearCtx | None = None


class ValueReader:
    """The value-reading methods of :class:`~.extractor.Extractor` (``self`` is the extractor)."""

    def _from_to(self, nt: NText, cs: int, ce: int, ctx_at) -> tuple[list[Candidate], int]:
        """Stated mode: "<subject>从/由 2015 年的 2.55 缩小至 2020 年的 2.26" → one value per
        year (the second one takes the clause's year when it prints none)."""
        t = nt.text
        m = vocabulary().from_to_re.search(t, cs, ce)
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
            out.append(Candidate(m.start(key), m.end(), float(m.group(key)), None,
                                 unit1 if key == "v1" else unit2, "=", None, span, False, ctx=YearCtx(year)))
        return out, m.end()

    def _malformed_scan(self, nt: NText, unit: Unit, cs: int, ce: int, ctx_at) -> None:
        """Comparator + something number-like that is not a number → quarantine."""
        t = nt.text
        for k in range(cs, ce):
            for word, _comp, _soft, _d in PREFIX_WORDS:
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
                    u, _e, non_target = match_unit(t, end)
                    if not NUM_RE.fullmatch(tok) and (u is not None and not non_target or t.startswith("%", end)):
                        self._q(unit.kind, nt.line(p), f"number {tok!r} after {word!r} cannot be parsed",
                                nt.orig(cs, ce))
                    break
                z = _ZH_NUM_RE.match(t, p, ce)
                if z:
                    u, _e, non_target = match_unit(t, z.end())
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
            u, p2, non_target = match_unit(t, p)
            if non_target:
                return None
            if u is not None:
                unit_str = u
                p = p2
        post, p_after = postfix_at(t, p)
        prefix, pstart = prefix_ending_at(t, seg_floor, a)
        if prefix is None and a > cs and t[a - 1] == "、" and vocabulary().list_tail_re.search(t, cs, a - 1):
            # "…达到 97%、90%" without 分别: a value without its own subject
            self._q(unit.kind, nt.line(a), f"listed value {t[a:b]} without its own subject", nt.orig(cs, ce))
            return "quarantined"
        fenbie = prefix is not None and t[seg_floor:pstart].endswith("分别")
        if is_change(t, seg_floor, pstart if prefix is not None else a):
            return None  # a growth or change rate (年均增长 7%, 下降 15%) is never the level of its subject
        if not self.stated and any(w in t[seg_floor:a] for w in PAST_MARKERS):
            return None  # "目前…已建成 5000 个": what is, not what is to be
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
            return [Candidate(a, after_end, value, hi, unit_str, "between", None, span, subj_after, ctx=ctx)]
        if prefix is not None:
            comp, conflict = combine(prefix, post)
            if conflict:
                self._q(unit.kind, line, conflict, nt.orig(cs, ce))
                return "quarantined"
            direction = prefix.direction
            end = p_after if post else p
            if fenbie:
                return self._fenbie(nt, unit, cs, ce, a, seg_floor, pstart, prefix, value, unit_str, end, ctx)
            if unit_str is None:
                subj_a, subj_b = strip_subject(t, seg_floor, pstart)
                if subj_b > subj_a and t[subj_b - 1] == "比":
                    unit_str = "ratio"
                else:
                    self._q(unit.kind, line, f"target value {t[a:b]} printed without unit", nt.orig(cs, ce))
                    return "quarantined"
            if not is_boundary(t, end, ce):
                return None
            return [Candidate(a, end, value, None, unit_str, comp, direction, (seg_floor, pstart), False, ctx=ctx)]
        if post is not None:
            if unit_str is None:
                return None
            if t.startswith("的", p_after) and unit_str == "%":
                span = (p_after + 1, self._segment_end(t, p_after + 1, ce))
                if t.startswith(RATE_NOUNS, span[0]):
                    return None  # "3.9%的年均增速": a growth rate, not a share of something
                return [Candidate(a, span[1], value, None, unit_str, post, None, span, True, ctx=ctx)]
            if not is_boundary(t, p_after, ce):
                return None
            return [Candidate(a, p_after, value, None, unit_str, post, None, (seg_floor, a), False, ctx=ctx)]
        if unit_str == "%" and t.startswith("的", p):
            span = (p + 1, self._segment_end(t, p + 1, ce))
            if t.startswith(RATE_NOUNS, span[0]):
                return None
            return [Candidate(a, span[1], value, None, unit_str, "=", None, span, True, ctx=ctx)]
        if unit_str is not None and vocabulary().units.get(unit_str) and has_verb(a) and not quota:
            subj_after = p < ce and t[p] not in "、"
            if subj_after:
                span = (p, self._segment_end(t, p, ce))
            else:
                span = (seg_floor, a)
            return [Candidate(a, span[1] if subj_after else p, value, None, unit_str, "=", None, span, subj_after, ctx=ctx)]
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
        direction = prefix.direction
        values = [(a, value, unit_str)]
        p = end
        post_all = None
        # first value may already carry a postfix (then it is not a list postfix)
        # values listed with 、 (or, for a list of years, also 和/及: "分别达到60%和65%")
        joiners = "、和及" if ctx is not None and ctx.years else "、"
        while p < ce and t[p] in joiners:
            m = NUM_RE.match(t, p + 1, ce)
            if not m:
                break
            v = float(m.group(0))
            u, p2, non_target = match_unit(t, m.end())
            if non_target:
                return None
            if u is None and unit_str is not None:
                u, p2 = unit_str, m.end()  # "30、40%": unit printed once
            values.append((m.start(), v, u))
            p = p2
        post, p_after = postfix_at(t, p)
        if post is not None:
            post_all = post
            p = p_after
        if len(values) > 1:
            # the first value's unit may have been printed once, at the end
            if values[0][2] is None:
                values[0] = (values[0][0], values[0][1], values[-1][2])
        if not is_boundary(t, p, ce):
            return None
        subj_a, subj_b = strip_subject(t, seg_floor, pstart - len("分别"))
        subject_text = t[subj_a:subj_b]
        parts = subject_text.split("、")
        line = nt.line(a)
        multi = ctx is not None and ctx.years is not None and len(parts) == 1 and len(values) == len(ctx.years) > 1
        if len(parts) != len(values) and not multi:
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
        quals = list(SUBJECT_QUALIFIERS) + [n for n, _c, _s in self.city.counties]
        if all(len(x) <= 4 for x in parts[:-1]):
            for q in sorted(quals, key=len, reverse=True):
                if last.startswith(q) and len(last) > len(q):
                    stem = (spans[-1][0] + len(q), spans[-1][1])
                    break
        out = []
        final_comp, conflict = combine(prefix, post_all)
        if conflict:
            self._q(unit.kind, line, conflict, nt.orig(cs, ce))
            return "quarantined"
        for i, (va, v, u) in enumerate(values):
            part, span = (parts[0], spans[0]) if multi else (parts[i], spans[i])
            if u is None:
                self._q(unit.kind, nt.line(va), f"target value {v} printed without unit", nt.orig(cs, ce))
                return "quarantined"
            c = Candidate(va, p, v, None, u, final_comp, direction, span, False)
            if stem is not None and span != spans[-1]:
                c.listed_subject = nt.orig(*span) + nt.orig(*stem)
            county = self._county_at_start(part)
            if county:
                c.region = county
            c.ctx = YearCtx(ctx.years[i], ctx.cumulative, ctx.period) if multi else ctx
            out.append(c)
        return out

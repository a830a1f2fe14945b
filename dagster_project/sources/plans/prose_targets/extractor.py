"""The extractor: walks sentences and clauses of every text unit, keeps the year context
(:mod:`years`), reads values (:mod:`values`) and emits one row per target with its region.

    * The region is the plan's city (:mod:`dagster_project.sources.plans.identity`), unless the
      value's clause (or its 分别 subject) names a county/district of that city (full name
      anywhere; short form such as 郓城 at the start of the clause), or the sentence starts with
      such a name ("清丰县充分发挥…，到 2025 年，生产总值超 300 亿元") and the clause does not say
      全市. Two different counties in one clause → quarantine. Short forms equal to the city's own
      short name (濮阳县 → 濮阳) are not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from dagster_project.sources.common.provenance import QuarantineRow
from dagster_project.common.files import file_sha256
from dagster_project.common.text import normalize_text
from dagster_project.sources.plans.identity import PlanIdentity
from dagster_project.sources.plans.prose_targets.text import NText, Unit
from dagster_project.sources.plans.prose_targets.values import Candidate, ValueReader
from dagster_project.sources.plans.prose_targets.vocabulary import (
    BUILD_VERBS,
    CLAUSE_END,
    LABEL_SCOPE,
    NUM_RE,
    QUOTA_MARKERS,
    SENTENCE_END,
    SOURCE_KIND_PROSE,
    SOURCE_KIND_STATED,
    strip_subject,
)
from dagster_project.sources.plans.prose_targets.years import UNDATED, YearCtx, YearRule
from dagster_project.common.reference import read_reference, region_lookup


@lru_cache(maxsize=1)
def _regions() -> pl.DataFrame:
    return read_reference("regions")


@dataclass
class City:
    name: str
    code: str
    province_code: str
    counties: list[tuple[str, str, bool]]  # (normalised name, code, is_short_form)


def _city(plan: PlanIdentity) -> City:
    """The plan's city (:mod:`~dagster_project.sources.plans.identity`) with its counties and their short forms."""
    regions = _regions()
    lookup = region_lookup()
    city_short = plan.city_name[:-1]
    counties: list[tuple[str, str, bool]] = []
    for r in regions.filter(pl.col("parent_code") == plan.city_code).iter_rows(named=True):
        full = normalize_text(r["region_name"])
        counties.append((full, r["region_code"], False))
        for suffix in ("县", "区"):
            if full.endswith(suffix) and len(full) > 2 and full[:-1] != city_short:
                short = full[:-1]
                # the short form must resolve to this very county through the shared lookup
                if lookup.code_for(short, levels=("county",), province_code=plan.province_code) == r["region_code"]:
                    counties.append((short, r["region_code"], True))
    counties.sort(key=lambda t: -len(t[0]))
    return City(plan.city_name, plan.city_code, plan.province_code, counties)


class Extractor(ValueReader):
    def __init__(self, path: Path, lines: list[str], plan: PlanIdentity, stated: bool = False):
        self.path = path
        # stated=True reads what the plan states about the past (years before start_year)
        # instead of its targets: same clauses, values and subjects, the opposite year rule
        self.stated = stated
        self.lines = lines
        self.plan = plan
        self.city = _city(plan)
        self.doc_year = plan.doc_year or 0
        self.start_year = plan.start_year or 0
        self.years = YearRule(self.start_year, self.doc_year, stated)
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

    # -- main ----------------------------------------------------------------
    def run(self, units: list[Unit]) -> None:
        for unit in units:
            if self.stated and unit.kind != SOURCE_KIND_PROSE:
                continue  # action tables list what is to be done, not what was
            nt = NText(unit)
            t = nt.text
            # the paragraph's year: inherited from a goal paragraph, then set by every sentence that
            # starts with a year phrase; a year inside a sentence holds to the end of that sentence
            carry = None if self.stated else YearCtx(unit.inherited_year) if unit.inherited_year else UNDATED
            s = 0
            for e in range(len(t) + 1):
                if e == len(t) or t[e] in SENTENCE_END:
                    if e > s:
                        end_ctx = self._sentence(nt, unit, s, e + (1 if e < len(t) else 0), carry)
                        if not self.stated and self.years.starts_sentence(t, s, e):
                            carry = end_ctx
                    s = e + 1

    def _sentence(self, nt: NText, unit: Unit, ss: int, se: int, ctx: YearCtx | None) -> YearCtx | None:
        t = nt.text
        body_end = se - 1 if se - 1 >= ss and t[se - 1] in SENTENCE_END else se
        sentence_county = self._county_at_start(t[ss:body_end])
        clauses = []
        cs = ss
        for k in range(ss, body_end + 1):
            if k == body_end or t[k] in CLAUSE_END:
                clauses.append((cs, k))
                cs = k + 1
        for cs, ce in clauses:
            if cs >= ce:
                continue
            ctx = self._clause(nt, unit, ss, se, cs, ce, ctx, sentence_county)
        return ctx

    def _clause(self, nt: NText, unit: Unit, ss: int, se: int, cs: int, ce: int,
                ctx: YearCtx | None, sentence_county: tuple[str, str] | None) -> YearCtx | None:
        t = nt.text
        events = self.years.events(t, cs, ce)
        blocked = [False] * (ce - cs)
        # context timeline: (position from which it holds, ctx, subject floor)
        timeline: list[tuple[int, YearCtx | None, int]] = [(cs, ctx, cs)]
        for a, b, c in events:
            for k in range(a, b):
                blocked[k - cs] = True
            if c != "skip":
                timeline.append((b, c, b))

        def ctx_at(pos: int) -> tuple[YearCtx | None, int]:
            cur, floor = timeline[0][1], timeline[0][2]
            for start, c, fl in timeline:
                if start <= pos:
                    cur, floor = c, fl
            return cur, floor

        clause_text = t[cs:ce]
        quota = any(q in clause_text for q in QUOTA_MARKERS)
        has_verb = lambda upto: any(v in t[cs:upto] for v in BUILD_VERBS)  # noqa: E731
        cumulative_clause = "累计" in clause_text
        self._malformed_scan(nt, unit, cs, ce, ctx_at)

        cands: list[Candidate] = []
        consumed_until = cs
        prev_end = cs
        if self.stated:
            cands, consumed_until = self._from_to(nt, cs, ce, ctx_at)
            prev_end = consumed_until
        for m in NUM_RE.finditer(t, cs, ce):
            a, b = m.span()
            if blocked[a - cs] or a < consumed_until:
                continue
            cur, floor = ctx_at(a)
            if cur is None:
                continue  # dated before the plan period (or a date): not a target
            seg_floor = max(floor, prev_end)
            prev = t[a - 1] if a > cs else ""
            if prev and ((prev.isascii() and (prev.isalpha() or prev in "./~")) or prev in "第每等"):
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
            if cur is UNDATED:
                self._q(unit.kind, nt.line(a), f"target-like value {nt.orig(a, got[-1].end)!r} without a target year "
                        "(none stated before it in its sentence or at the start of a sentence of its paragraph)",
                        nt.orig(cs, ce))
                break
            for c in got:  # "到2025年、2035年，…均控制在 5.5% 以内" without 分别: one target per year
                cands.extend([Candidate(**{**c.__dict__, "ctx": YearCtx(y, c.ctx.cumulative, c.ctx.period)})
                              for y in c.ctx.years] if c.ctx and c.ctx.years else [c])
            consumed_until = max(c.end for c in got)
            prev_end = consumed_until
        for c in cands:
            self._emit(nt, unit, ss, se, cs, ce, c, cumulative_clause, sentence_county)
        return timeline[-1][1]

    def _emit(self, nt: NText, unit: Unit, ss, se, cs, ce, c: Candidate, cumulative_clause: bool,
              sentence_county) -> None:
        t = nt.text
        line = nt.line(c.start)
        if c.listed_subject is not None:
            subject = c.listed_subject
            subj_norm = normalize_text(subject)
        else:
            sa, sb = c.subject_span
            sa, sb = strip_subject(t, sa, sb)
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
        self.rows.append(
            {
                "source_kind": unit.kind,
                "table_ref": unit.table_ref,
                "source_file": self.path.name,
                "source_sha256": self.sha,
                "line_number": line,
                "clause": nt.orig(cs, ce),
                "sentence": nt.orig(ss, se),
                "target_year": c.ctx.year,
                "subject": subject,
                "comparator": c.comparator,
                "value": c.value,
                "value_high": c.value_high,
                "unit": c.unit,
                "region_name": region_name,
                "region_code": region_code,
                "label_scope": LABEL_SCOPE,
                "direction_hint": c.direction,
                "is_cumulative": c.ctx.cumulative or cumulative_clause,
                "period_start": c.ctx.period[0] if c.ctx.period else None,
                "period_end": c.ctx.period[1] if c.ctx.period else None,
            }
        )
        if self.stated:
            self.rows[-1]["value_text"] = NUM_RE.match(t, c.start).group(0)

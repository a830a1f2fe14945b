"""Numeric targets written in the *prose* of a city plan (and in its action tables).

``extract_prose_targets(path)`` reads one converted plan document (``raw/plans/*.md``)
and returns every sentence-level target such as "到 2025 年，生产总值超 300 亿元" as one
row, with provenance (file, sha256, 1-based line, verbatim clause and sentence).  The
indicator tables of a plan (专栏1 …) are *not* read here: that is ``plan_tables``' job.

Precision comes before recall: a number is only reported when every rule holds; anything
that looks like a target but cannot be read safely (or dated) goes to quarantine with the
file, the line and the reason, never as a guessed number. The rules, module by module:

* the plan's city, id and period years: :mod:`dagster_project.sources.plans.identity` (shared
  with the table reader);
* :mod:`.vocabulary` units and words; :mod:`.text` text units (paragraphs,
  action-table cells); :mod:`.years` the target year; :mod:`.values` value, unit, comparator,
  subject; :mod:`.extractor` sentences, clauses, region, rows.

A target's ``subject`` is what the sentence names (label_scope 'prose'); which indicator it is,
is decided in one place, in dbt (int_indicator_labels_mapped), by the rows of
``raw/reference/indicator_label_map.csv`` with source_scope 'prose'.

Stated values (``extract_stated_values``): the same reading with the year rule reversed gives
what a plan *states* about years before its period ("2020 年，…城乡居民收入比缩小到 2.26",
"从 2015 年的 2.55 缩小至 2020 年的 2.26"): observations of source kind ``plan_statement``, used
to reconcile values derived from the plan's printed baselines and as actuals of last resort
(``raw/reference/source_precedence.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.sources.common.provenance import ObservationRows, QuarantineRow
from dagster_project.sources.common.source_files import read_source_lines
from dagster_project.sources.plans.identity import plan_identity
from dagster_project.sources.plans.prose_targets.extractor import Extractor
from dagster_project.sources.plans.prose_targets.text import build_units
from dagster_project.sources.plans.prose_targets.vocabulary import (
    LABEL_SCOPE,
    SOURCE_KIND_ACTION,
    SOURCE_KIND_PROSE,
    SOURCE_KIND_STATED,
)

__all__ = [
    "SOURCE_KIND_ACTION", "SOURCE_KIND_PROSE", "SOURCE_KIND_STATED", "TARGET_COLUMNS", "TARGET_SCHEMA",
    "ProseTargetsResult", "extract_prose_targets", "extract_stated_values",
]

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
    "label_scope": pl.String,
    "direction_hint": pl.String,
    "is_cumulative": pl.Boolean,
    "period_start": pl.Int64,
    "period_end": pl.Int64,
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
    plan_id: str | None = None
    summary: str = ""


def extract_prose_targets(path: str | Path, text=None) -> ProseTargetsResult:
    """Extract the numeric targets written in a plan's prose and action tables (see module doc).
    ``text``: the document as lines with their provenance (``sources/plans/document.PlanText``) for a
    plan that is not a text file; reported line numbers and locations are then the document's."""
    ex = _run_extractor(Path(path), stated=False, text=text)
    df = pl.DataFrame(ex.rows, schema=TARGET_SCHEMA, orient="row") if ex.rows else pl.DataFrame(schema=TARGET_SCHEMA)
    return ProseTargetsResult(
        targets=df.select(TARGET_COLUMNS), quarantine=ex.quarantine, city_name=ex.city.name, city_code=ex.city.code,
        plan_id=ex.plan.plan_id,
    )


def _run_extractor(path: Path, stated: bool, text=None) -> Extractor:
    lines = read_source_lines(path, "plan") if text is None else text.lines
    plan = plan_identity(lines, path.name)
    units = build_units(lines, plan.start_year, plan.doc_year, rejoin=text is None or not text.whole_paragraphs)
    ex = Extractor(path, lines, plan, stated=stated)
    ex.run(units)
    if text is not None:  # line k of the document text -> the document's own line and location
        for r in ex.rows:
            k = r["line_number"] - 1
            r["line_number"] = text.line_numbers[k]
            if stated:
                r["location"] = text.locations[k]
        for q in ex.quarantine:
            if q.location.startswith("line ") and q.location[5:].isdigit():
                q.location = text.locations[int(q.location[5:]) - 1]
    return ex


# ---------------------------------------------------------------------------
# What a plan states about the past: observations for reconciliation and monitoring
# ---------------------------------------------------------------------------


def extract_stated_values(path: str | Path, text=None) -> ProseTargetsResult:
    """Values a plan's prose *states* for years before the plan period, e.g. 濮阳's
    "2020 年，全市农村居民人均可支配收入达到 14881 元，…城乡居民收入比缩小到 2.26" or
    "城乡居民收入差距从 2015 年的 2.55 缩小至 2020 年的 2.26", as rows of the common
    observation shape (source_kind ``plan_statement``).

    The same clause, value, unit, subject and region rules as the targets apply
    (module doc), with the year rule reversed: a year phrase names a *stated* year when it
    is before ``start_year`` (clause-initial "2020 年，", "到/截至 2020 年底", "“十三五”末",
    and the from-to pattern above); later years end the context.  Only exact statements
    become observations: a value with a bound (超过 60%, 以上), a range or a cumulative
    clause (累计) is not a point value and is left out, as are action tables (what is to
    be done, not what was).  Prose paragraphs only: indicator tables are ``plan_tables``'.
    """
    ex = _run_extractor(Path(path), stated=True, text=text)
    obs = ObservationRows(SOURCE_KIND_STATED, ex.path.name, ex.sha, LABEL_SCOPE)
    n_bounded = 0
    for r in ex.rows:
        if r["comparator"] not in ("=", "≈") or r["value_high"] is not None or r["is_cumulative"]:
            n_bounded += 1
            continue
        obs.add(
            source_location=r.get("location") or f"line {r['line_number']}", verbatim=r["sentence"], region_name_raw=r["region_name"],
            region_code=r["region_code"], year=r["target_year"], indicator_label_raw=r["subject"],
            # "ratio" is the reader's name for a ratio printed without unit (…比缩小到 2.26): keep it unprinted
            unit_raw=None if r["unit"] == "ratio" and ":" not in r["clause"] else r["unit"],
            value_raw=r["value_text"], value=r["value"],
        )
    df = obs.frame()
    summary = f"{df.height} stated values, {n_bounded} bounded/cumulative statements left out"
    return ProseTargetsResult(
        observations=df, quarantine=ex.quarantine,
        city_name=ex.city.name, city_code=ex.city.code, plan_id=ex.plan.plan_id, summary=summary,
    )

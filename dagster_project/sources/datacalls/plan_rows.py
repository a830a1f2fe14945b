"""What a data-call template asks for, read from the published warehouse (read-only): a plan's
targets (marts.mart_target_progress with the plan's printed value and unit of marts.fct_plan_target)
× the years still lacking an actual: the target year; for a cumulative target each year of its period
up to the target year that has no annual actual (marts.fct_indicator_actual)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from dagster_project.sources.datacalls.layout import plan_digest, request_id

RESPONSIBLE_UNIT_KEYS = ("责任单位", "牵头单位", "责任部门", "牵头部门")  # a plan table column naming who answers for a target
DEFINITION_CHARS = 160


@dataclass
class Plan:
    plan_id: str
    region_code: str
    region_name: str
    digest: str
    period: tuple[int, int]
    rows: list[dict] = field(default_factory=list)
    responsible_units: bool = False  # the plan names a responsible unit for its targets


def resolve_plans(con: duckdb.DuckDBPyConnection, which: str) -> list[str]:
    """Plan ids meant by ``which``: a plan id, a region code (6 digits) or a city name (濮阳, 濮阳市)."""
    plans = [r[0] for r in con.execute("select distinct plan_id from marts.fct_plan_target where plan_id is not null order by 1").fetchall()]
    if which in plans:
        return [which]
    if which.isdigit():
        return [p for p in plans if p.split("-", 1)[0] == which]
    codes = [r[0] for r in con.execute(
        "select region_code from marts.dim_region where region_name = ? or region_name = ? || '市'", [which, which]).fetchall()]
    return [p for p in plans if p.split("-", 1)[0] in codes]


def _number(v):
    return None if v is None else (int(v) if float(v).is_integer() else round(float(v), 6))


def _printed(value, multiplier):
    """A canonical value in the plan's printed unit (÷ the unit's multiplier)."""
    return None if value is None or not multiplier else _number(value / multiplier)


def _responsible_unit(attributes: str | None) -> str | None:
    import json

    try:
        attrs = json.loads(attributes) if attributes else {}
    except ValueError:
        return None
    return next((str(attrs[k]).strip() for k in RESPONSIBLE_UNIT_KEYS if attrs.get(k)), None)


QUERY = """
select t.target_id, t.region_code, t.indicator_code, coalesce(t.indicator_label, p.indicator_label) as indicator_label,
       t.target_year, t.is_cumulative, t.period_start, t.period_end, t.baseline_year, t.baseline_value,
       t.latest_actual_value, t.latest_actual_year, t.latest_actual_source, t.comparator,
       p.value_original, p.unit_original, p.unit_multiplier, p.row_text, p.cell_text, p.attributes, p.table_ref, r.region_name
from marts.mart_target_progress as t
join marts.fct_plan_target as p using (target_id)
left join marts.dim_region as r on r.region_code = t.region_code
where t.plan_id = ?
order by t.region_code, t.target_year, p.source_kind desc, p.line_number, t.target_id
"""


def plan_requests(con: duckdb.DuckDBPyConnection, plan_id: str, year: int) -> Plan:
    """The plan's template rows for ``year`` (targets of that year lacking an actual for it, and the
    years of cumulative targets ending then that lack an annual actual)."""
    targets = con.execute(QUERY, [plan_id]).fetchall()
    cols = [d[0] for d in con.description]
    targets = [dict(zip(cols, r)) for r in targets]
    plan_region = plan_id.split("-", 1)[0]
    region_name = con.execute("select any_value(region_name) from marts.dim_region where region_code = ?", [plan_region]).fetchone()[0]
    digest = plan_digest([(t["target_id"], t["indicator_code"], t["target_year"], _number(t["value_original"])) for t in targets])
    starts = [t["period_start"] or (t["baseline_year"] + 1 if t["baseline_year"] else None) for t in targets]
    period = (min([s for s in starts if s] or [min(t["target_year"] for t in targets)]), max(t["target_year"] for t in targets))
    plan = Plan(plan_id, plan_region, region_name or plan_region, digest, period)
    actual_years = {(r[0], r[1]): None for r in con.execute(
        "select distinct indicator_code, year from marts.fct_indicator_actual where region_code = ?", [plan_region]).fetchall()}
    for t in (t for t in targets if t["target_year"] == year):
        if t["is_cumulative"] and t["period_start"]:
            years = [y for y in range(t["period_start"], year + 1) if (t["indicator_code"], y) not in actual_years]
        else:
            years = [] if t["latest_actual_year"] == year else [year]
        unit_resp = _responsible_unit(t["attributes"])
        plan.responsible_units |= unit_resp is not None
        for y in years:
            m = t["unit_multiplier"]
            source = f"{t['latest_actual_year']}年，{t['latest_actual_source']}" if t["latest_actual_year"] else "无（仓库中尚无实际值）"
            definition = f"规划原文{'（' + t['table_ref'] + '）' if t['table_ref'] else ''}：" + re.sub(
                r"\s*\t\s*", " | ", (t["row_text"] or t["cell_text"] or "").strip())
            plan.rows.append({
                "request_id": request_id(plan_id, t["target_id"], y), "plan_id": plan_id, "target_id": t["target_id"],
                "indicator_code": t["indicator_code"] or "", "region_code": t["region_code"], "year": y,
                "plan_digest": digest, "responsible_unit": unit_resp,
                "indicator": t["indicator_label"] + ("" if t["region_code"] == plan_region else f"（{t['region_name']}）")
                + (f"（{y}年当年值，目标为{t['period_start']}-{t['target_year']}年累计）" if t["is_cumulative"] else ""),
                "definition": definition if len(definition) <= DEFINITION_CHARS else definition[: DEFINITION_CHARS - 1] + "…",
                "unit": (t["unit_original"] or "").strip() or "无单位",
                "baseline_value": _printed(t["baseline_value"], m), "baseline_year": t["baseline_year"],
                "target_value": _number(t["value_original"]), "target_year": t["target_year"],
                "latest_value": _printed(t["latest_actual_value"], m), "latest_source": source,
                "year_label": y,
            })
    return plan

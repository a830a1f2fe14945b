"""The 十四五 final evaluation on the pages: the rows of ``marts.mart_target_final_evaluation``
(achieved 已实现 / not achieved 未实现 / not assessable 无法评估, with the gap) and the counts of
``marts.mart_final_evaluation_summary`` (per plan, per 类别, per binding flag) for one city, and
what to do about a target not assessable: where its data would come from (``data_source_hint``)
and, when a data call asks for it, the template row awaited. Classification and counts are
dbt's; this module only selects and words them."""

from __future__ import annotations

from dagster_project.common.reference import read_reference
from dagster_project.serving.panels import MISSING, fmt

GROUPING_ZH = {"plan": "全部目标", "binding": "按属性（约束性/预期性）", "group_label": "按规划类别"}


def gap_zh(row: dict) -> str:
    """The gap of an assessed target: value in the canonical unit and relative to the target."""
    if row.get("gap_to_target") is None:
        return MISSING
    gap = row["gap_to_target"]
    text = ("+" if gap > 0 else "") + fmt(gap)
    if row.get("gap_relative") is not None:
        text += f"（{'+' if row['gap_relative'] > 0 else ''}{row['gap_relative'] * 100:.1f} %）"
    return text


def todo_zh(row: dict) -> str:
    """What the planning office does about a target not assessable."""
    state = row["evaluation_state"]
    if state == "evaluated":
        return ""
    if state == "awaiting_datacall":
        return f"待回收数据填报：{row['datacall_template_file']} · {row['datacall_template_sheet']} 第 {row['datacall_template_row']} 行"
    return "尚未发出数据填报（urban datacall）"


def final_for_city(city_code: str, final: list[dict], summary: list[dict]) -> dict:
    """The city's final-evaluation rows (each with ``todo``), the evaluation year, the count of
    every class of raw/reference/final_evaluation_classes.csv (zero included) and the summary rows
    of the plans its targets are printed in."""
    rows = [{**r, "todo": todo_zh(r)} for r in final if r["city_code"] == city_code]
    classes = [{"code": c["evaluation_class"], "zh": c["name_zh"], "en": c["name_en"],
                "n": sum(r["evaluation_class"] == c["evaluation_class"] for r in rows)}
               for c in sorted(read_reference("final_evaluation_classes").to_dicts(), key=lambda c: int(c["zh_order"]))]
    plans = list(dict.fromkeys(r["plan_id"] for r in rows))
    tables = [
        {"plan_id": plan, "kind": kind, "kind_zh": GROUPING_ZH[kind],
         "rows": [s for s in summary if s["plan_id"] == plan and s["grouping_kind"] == kind]}
        for plan in plans for kind in ("plan", "binding", "group_label")
    ]
    years = {r["evaluation_year"] for r in rows}
    return {
        "rows": rows,
        "year": max(years) if years else None,
        "classes": classes,
        "tables": [t for t in tables if t["rows"]],
        "n_awaiting": sum(r["evaluation_state"] == "awaiting_datacall" for r in rows),
    }

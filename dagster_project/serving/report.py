"""The printable monitoring report of one city (Chinese, A4), shaped like a plan mid-term
evaluation: a summary line (binding targets first), the indicator table grouped as the plan
groups them, one sheet per lagging or binding indicator with its chart, the data sources with
their dates. Every sentence is assembled from the warehouse's values."""

from __future__ import annotations

from dagster_project.serving.charts import figure
from dagster_project.serving.panels import MISSING, Vocabulary

REPORT_CHART_WIDTH = 680  # px: the A4 text width (180 mm) at 96 dpi


def _counts(rows: list[dict], vocab: Vocabulary) -> str:
    return "、".join(f"{zh} {sum(t['word'].name_zh == zh for t in rows)} 项" for zh, _ in vocab.zh_words())


def summary_line(city_name: str, rows: list[dict], vocab: Vocabulary, binding_known: bool) -> str:
    """How many targets per evaluation word, binding (约束性) ones first."""
    parts = []
    for label, flag in (("约束性目标", True), ("预期性目标", False), ("未标注属性的目标", None)) if binding_known else ():
        subset = [t for t in rows if t["is_binding"] is flag]
        if subset:
            part = f"{label} {len(subset)} 项：{_counts(subset, vocab)}"
            if flag:
                part += f"，其中按实际增速推算未能实现（预警）{sum(bool(t['warning']) for t in subset)} 项"
            parts.append(part)
    total = f"合计 {len(rows)} 项：{_counts(rows, vocab)}"
    if len(parts) == 1 and parts[0].startswith("未标注属性的目标"):  # nothing marked: the same counts as the total
        parts = []
    if binding_known:
        return f"{city_name}规划目标中，" + "；".join(parts + [total]) + "。"
    return f"{city_name}规划目标{total}。本仓库未标注目标属性（fct_plan_target 无 is_binding 列），约束性目标无法单列。"


def grouped(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """Rows by plan group (类别/领域) in the plan's order; one group MISSING when there is none."""
    out: dict[str, list[dict]] = {}
    for t in rows:
        out.setdefault(t["plan_group"] or MISSING, []).append(t)
    return list(out.items())


def sources(rows: list[dict], panels: list[dict], loads: dict[str, dict]) -> list[dict]:
    """Every file the report's numbers come from (the plan, and each file behind an actual shown),
    with the years used and the load that brought it in."""
    files: dict[str, set] = {}
    for t in rows:
        files.setdefault(t["source_file"], set()).add(t["target_year"])
    for p in panels:
        for s in p["series"]:
            for f in s["source_file"].split(" / "):
                files.setdefault(f, set()).add(s["year"])
    return [
        {"file": f, "years": "、".join(str(y) for y in sorted(ys)), "load": loads.get(f)}
        for f, ys in sorted(files.items())
    ]


def report_context(ctx: dict, city: dict) -> dict:
    """Everything report.html.j2 needs for one city."""
    sheets = [p for p in city["panels"] if p["lagging"] or p["is_binding"]]
    return {
        **ctx,
        "city": city,
        "summary": summary_line(city["name"], city["targets"], ctx["vocab"], ctx["binding_known"]),
        "groups": grouped(city["targets"]),
        "sheets": sheets,
        "sources": sources(city["targets"], city["panels"], ctx["loads"]),
        "figures": {p["id"]: figure(p, width=REPORT_CHART_WIDTH, english=False) for p in sheets},
        "static": True,
    }

"""What a panel shows, twice: as a Plotly figure (JSON, drawn in the page by the inlined
plotly.js) and as the CSV offered for download. Both are built from the same list of points
(:func:`panel_points`) so the download is exactly what the chart draws."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from dagster_project.serving.panels import METHOD_ZH

COLOURS = {"baseline": "#555555", "actual": "#1f77b4", "target": "#d62728", "projection": "#ff7f0e"}
LABELS = {"actual": ("实际", "Actual"), "target": ("目标", "Target"), "annual": ("年均目标", "annual target"),
          "projection": ("推算", "Projected")}
CSV_HEADER = ["类型 kind", "年份 year", "数值 value", "单位 unit", "说明 note"]


def _target_note(t: dict) -> str:
    where = t["table_ref"] or t["source_kind"]
    note = f"{t['comparator']} {t['target_value']:g} ({where}, line {t['line_number']})"
    if t["is_cumulative"]:
        note += f"; 累计 cumulative {t['period_start']}–{t['period_end']}, 年均 annual average {t['annual_average_normalized']:g}"
    return note


def panel_points(p: dict) -> list[dict]:
    """Every point the panel draws: baseline, actuals, each target and each projection."""
    pts: list[dict] = []
    first = p["targets"][0]
    if first["baseline_value"] is not None:
        pts.append({"kind": "baseline", "year": first["baseline_year"], "value": first["baseline_value"],
                    "note": first["baseline_source"] or ""})
    for s in p["series"]:
        pts.append({"kind": "actual", "year": s["year"], "value": s["value"],
                    "note": f"{s['derivation']} ({s['source_kind']}: {s['source_file']})"})
    for t in p["targets"]:
        pts.append({"kind": "target", "year": t["target_year"], "value": t["target_value"], "note": _target_note(t)})
        if t["projected"] is not None:
            pace = f"CAGR {t['cagr_actual']:.4%}" if t["method"] == "cagr" else f"progress ratio {t['progress_ratio']:.3f}"
            pts.append({"kind": "projection", "year": t["target_year"], "value": t["projected"],
                        "note": f"按实际增速推算 at the actual pace since {t['baseline_year']} ({METHOD_ZH[t['method']]}, {pace})"})
    return pts


def _num(v: float) -> str:
    s = f"{v:.4f}"
    return s.rstrip("0").rstrip(".")


def panel_csv(p: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for pt in panel_points(p):
        w.writerow([pt["kind"], pt["year"], _num(pt["value"]), p["canonical_unit"], pt["note"]])
    return buf.getvalue()


def csv_href(p: dict) -> str:
    """data: URI of the panel's CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    return "data:text/csv;charset=utf-8," + quote("\ufeff" + panel_csv(p))


def figure(p: dict, width: int | None = None, english: bool = True) -> dict:
    """Plotly figure: actual line from the baseline, a horizontal line per target (the annual
    average for cumulative targets, whose total is a sum over the period), and a dotted line
    from the latest actual to each projection (not for cumulative targets). Legend in Chinese,
    followed by English unless ``english`` is false (the printed report)."""

    def label(key: str) -> str:
        zh, en = LABELS[key]
        return f"{zh} {en}" if english else zh

    pts = panel_points(p)
    years = [pt["year"] for pt in pts if pt["kind"] in ("baseline", "actual")]
    data = []
    path = sorted((pt for pt in pts if pt["kind"] in ("baseline", "actual")), key=lambda pt: (pt["year"], pt["kind"] != "baseline"))
    if path:
        data.append({"type": "scatter", "mode": "lines+markers", "name": label("actual"), "x": [pt["year"] for pt in path],
                     "y": [pt["value"] for pt in path], "line": {"color": COLOURS["actual"]},
                     "marker": {"color": [COLOURS[pt["kind"]] for pt in path], "size": 8,
                                "symbol": ["diamond" if pt["kind"] == "baseline" else "circle" for pt in path]}})
    for t in p["targets"]:
        level = t["annual_average_normalized"] if t["is_cumulative"] else t["target_value"]
        start = min(years + [t["target_year"] - 5])
        name = f"{t['target_year']} {label('annual' if t['is_cumulative'] else 'target')} {t['comparator']} {level:g}"
        data.append({"type": "scatter", "mode": "lines", "name": name, "x": [start, t["target_year"]], "y": [level, level],
                     "line": {"color": COLOURS["target"], "dash": "dash", "width": 1.5}})
        if t["projected"] is not None and not t["is_cumulative"] and t["latest_actual_year"] < t["target_year"]:
            data.append({"type": "scatter", "mode": "lines+markers", "name": f"{t['target_year']} {label('projection')}",
                         "x": [t["latest_actual_year"], t["target_year"]], "y": [t["latest_actual_value"], t["projected"]],
                         "line": {"color": COLOURS["projection"], "dash": "dot"}, "marker": {"size": 6}})
    layout = {
        "height": 290, "margin": {"l": 60, "r": 10, "t": 10, "b": 30},
        "xaxis": {"dtick": 5, "tickformat": "d"},
        "yaxis": {"title": {"text": p["canonical_unit"]}},
        "legend": {"orientation": "h", "y": -0.12, "font": {"size": 10}},
        "font": {"family": "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif", "size": 11},
    }
    if width:
        layout["width"] = width
    return {"data": data, "layout": layout}

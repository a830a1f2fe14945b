"""The static monitoring dashboard and the site build.

:func:`build_site` reads the published warehouse read-only, renders ``index.html`` (every
plan city: summaries, one panel per printed indicator, the side-by-side comparison, the two
status vocabularies) and ``report_<city code>.html`` per city, writes them into a fresh
directory next to the target and swaps it in atomically: the target is a symlink that one
``rename`` points at the new directory, so a reader sees the old site or the new one, never
a half-written one. Pages load nothing from the network: plotly.js (from the plotly package)
is inlined once per page and every chart is drawn from JSON embedded in the page.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import jinja2
import plotly
from markupsafe import Markup

from dagster_project.common import config
from dagster_project.serving import queries
from dagster_project.serving.charts import csv_href, figure
from dagster_project.serving.final_evaluation import final_for_city, gap_zh
from dagster_project.serving.panels import (
    MISSING,
    Vocabulary,
    binding_zh,
    where_zh,
    build_panels,
    fmt,
    group_summary,
    judge,
    pct,
    status_summary,
)
from dagster_project.serving.ranking import province_ranks
from dagster_project.serving.report import report_context
from dagster_project.common.warehouse import connect_readonly

TEMPLATES = Path(__file__).with_name("templates")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def load(warehouse: Path) -> dict:
    """Everything the pages show, read from the published warehouse in one read-only session."""
    con = connect_readonly(warehouse)
    try:
        published = queries.published(con)
        targets, optional = queries.target_progress(con)
        final = queries.final_evaluation(con)
        final_summary = queries.final_evaluation_summary(con)
        regions = sorted({t["region_code"] for t in targets})
        series = queries.actual_series(con, regions)
        ranks = province_ranks(con, regions)
        comparison = queries.city_comparison(con)
        quarantine = queries.quarantine_counts(con)
        loads = queries.load_summary(con)
    finally:
        con.close()
    vocab = Vocabulary.load()
    judged = [judge(t, vocab) for t in targets]
    panels = build_panels(judged, series, ranks)
    cities = []
    for code in dict.fromkeys(t["city_code"] for t in judged):
        rows = [t for t in judged if t["city_code"] == code]
        city_panels = [p for p in panels if p["city_code"] == code]
        cities.append({
            "code": code,
            "name": rows[0]["city_name"],
            "targets": rows,
            "panels": city_panels,
            "cutoff": max((p["cutoff"] for p in city_panels if p["cutoff"]), default=None),
            "by_status": status_summary(rows, vocab),
            "by_group": group_summary(rows, vocab),
            "final": final_for_city(code, final, final_summary),
        })
    return {
        "published": published,
        "cities": cities,
        "comparison": comparison,
        "quarantine": quarantine,
        "quarantine_total": sum(q["n"] for q in quarantine),
        "loads": loads,
        "vocab": vocab,
        "plan_group_known": "plan_group" in optional,
        "binding_known": "is_binding" in optional,
    }


def _script_json(obj) -> Markup:
    """JSON safe inside a <script> element."""
    return Markup(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/"))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=fmt, pct=pct, binding_zh=binding_zh, csv_href=csv_href, where_zh=where_zh, gap_zh=gap_zh)
    env.globals.update(MISSING=MISSING)
    return env


def _plotly_js() -> Markup:
    if not PLOTLY_JS.is_file():
        raise FileNotFoundError(f"{PLOTLY_JS}: the plotly package ships no plotly.min.js; the pages need it inlined")
    return Markup(PLOTLY_JS.read_text(encoding="utf-8").replace("</script", "<\\/script"))


def render_pages(ctx: dict) -> dict[str, str]:
    """file name -> HTML: index.html and one report per city."""
    env, js = environment(), _plotly_js()
    figures = {p["id"]: figure(p) for c in ctx["cities"] for p in c["panels"]}
    pages = {"index.html": env.get_template("dashboard.html.j2").render(
        **ctx, figures=_script_json(figures), plotly_js=js, static=False)}
    for city in ctx["cities"]:
        rc = report_context(ctx, city)
        rc["figures"] = _script_json(rc["figures"])
        pages[f"report_{city['code']}.html"] = env.get_template("report.html.j2").render(**rc, plotly_js=js)
    return pages


def _swap(fresh: Path, target: Path) -> None:
    """Point the symlink ``target`` at ``fresh`` with one rename; then remove what it pointed to
    before (and a plain directory found at ``target``, set aside first)."""
    link = target.with_name(f".{target.name}.link-{fresh.name}")
    link.symlink_to(fresh.name, target_is_directory=True)
    if target.exists() and not target.is_symlink():
        os.replace(target, target.with_name(f".{target.name}-replaced-{uuid.uuid4().hex[:8]}"))
    os.replace(link, target)
    for old in target.parent.glob(f".{target.name}-*"):
        if old != fresh:
            shutil.rmtree(old)


def build_site(warehouse: Path | str | None = None, target: Path | str | None = None) -> dict:
    """Build the dashboard and the reports from ``warehouse`` (default: the published one) into
    ``target`` (default: ``site/`` next to it); return the pages with their sizes, the panels per
    city and the build time."""
    started = time.perf_counter()
    warehouse = Path(warehouse or config.warehouse_path())
    target = Path(target or config.layout(warehouse).site)
    ctx = load(warehouse)
    pages = render_pages(ctx)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}-{uuid.uuid4().hex[:12]}")
    fresh.mkdir()
    for name, html in pages.items():
        (fresh / name).write_text(html, encoding="utf-8")
    _swap(fresh, target)
    return {
        "path": target,
        "run_id": ctx["published"]["run_id"],
        "pages": {name: (fresh / name).stat().st_size for name in pages},
        "panels": {c["code"]: len(c["panels"]) for c in ctx["cities"]},
        "seconds": round(time.perf_counter() - started, 2),
    }

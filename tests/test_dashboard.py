"""The static dashboard and the per-city reports, built from a real published warehouse (the
session's nightly run): values on the page, panel counts against the mart, the CSV download,
the two status vocabularies, the 预警 flag, optional columns, the atomic swap."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest
import yaml

from dagster_project.common.config import PROJECT_ROOT
from dagster_project.serving import build_site
from dagster_project.serving.dashboard import load
from dagster_project.serving.panels import Vocabulary, judge

PANEL_SQL = """
    select coalesce(r.prefecture_code, r.region_code) as city_code,
           count(distinct (p.region_code, p.plan_id, p.source_kind, p.table_ref, p.indicator_label)) as n
    from marts.mart_target_progress p join marts.dim_region r using (region_code)
    where p.target_value is not null group by all order by 1
"""
# the evaluation word of every target, by the first-match rule of status_vocabulary.csv, in SQL
WORD_SQL = """
    with v as (select *, row_number() over () as rn from read_csv(?, all_varchar = true))
    select p.target_id, coalesce(r.prefecture_code, r.region_code) as city_code, p.status, v.name_zh
    from marts.mart_target_progress p join marts.dim_region r using (region_code)
    join v on v.status_code = p.status
          and (v.progress_ratio_min is null or p.progress_ratio >= cast(v.progress_ratio_min as double))
    qualify row_number() over (partition by p.target_id order by v.rn) = 1
"""
VOCABULARY_CSV = PROJECT_ROOT / "raw" / "reference" / "status_vocabulary.csv"


@pytest.fixture(scope="module")
def published(nightly_warehouse) -> Path:
    return nightly_warehouse[0]


@pytest.fixture(scope="module")
def site(published, tmp_path_factory) -> dict:
    return build_site(published, tmp_path_factory.mktemp("site") / "site")


def page(site: dict, name: str) -> str:
    return (site["path"] / name).read_text(encoding="utf-8")


def panel_html(html: str, city: str, indicator: str, nth: int = 0) -> str:
    blocks = re.findall(rf'<article class="panel" id="panel-{city}-\d+-box" data-indicator="{indicator}">.*?</article>', html, re.S)
    return blocks[nth]


def sheet_count(warehouse: Path, city: str, binding: str) -> int:
    """Printed indicators of the city with a target value that lag (滞后) or are binding."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select count(distinct (p.region_code, p.plan_id, p.source_kind, p.table_ref, p.indicator_label)) "
            f"from ({WORD_SQL}) w join marts.mart_target_progress p using (target_id) "
            f"where (w.name_zh = '滞后' or {binding}) and p.target_value is not null and w.city_code = ?",
            [str(VOCABULARY_CSV), city]).fetchone()[0]


def variant(published: Path, tmp: Path, **columns: str) -> Path:
    """A copy of the warehouse whose fct_plan_target has exactly the optional columns given
    (name -> SQL expression), so both the present and the absent case are exercised. The binding
    flag is also what mart_target_projection's 预警 reads: its is_binding / is_warning follow (the
    mart's rule: binding and the projection misses; null when the plan does not say)."""
    copy = tmp / "variant.duckdb"
    shutil.copy(published, copy)
    with duckdb.connect(str(copy)) as con:
        for col, typ in (("group_label", "varchar"), ("is_binding", "boolean")):
            con.execute(f"alter table marts.fct_plan_target drop column if exists {col}")
            if col in columns:
                con.execute(f"alter table marts.fct_plan_target add column {col} {typ}")
                con.execute(f"update marts.fct_plan_target set {col} = {columns[col]}")
        binding = "f.is_binding" if "is_binding" in columns else "cast(null as boolean)"
        con.execute(f"""update marts.mart_target_projection j
                        set is_binding = {binding},
                            is_warning = case when {binding} is not null then coalesce({binding} and not j.projection_meets, false) end
                        from marts.fct_plan_target f where f.target_id = j.target_id""")
    return copy


def test_puyang_urbanization_panel_shows_the_marts_values(site, published):
    ctx = load(published)
    (p,) = [p for c in ctx["cities"] for p in c["panels"]
            if p["region_code"] == "410900" and p["indicator_code"] == "urbanization_rate" and p["table_ref"] == "专栏1"]
    t2025 = next(t for t in p["targets"] if t["target_year"] == 2025)
    assert (t2025["target_value"], round(t2025["latest_actual_value"], 2), t2025["latest_actual_year"]) == (60.0, 54.44, 2025)
    assert (t2025["status"], t2025["word"].name_zh, t2025["word"].name_en) == ("target_missed", "滞后", "Lagging")
    html = panel_html(page(site, "index.html"), "410900", "urbanization_rate")
    assert "常住人口城镇化率" in html and "= 60" in html and "= 72" in html
    assert "54.44（2025）" in html and "49.97（2020）" in html
    assert '<td class="s-滞后">滞后 <span class="en">Lagging · SDG <code>target_missed</code>' in html
    report = page(site, "report_410900.html")
    # the same target printed twice, in 专栏1 (line 142) and in a sentence (line 124): each row says where
    for where in ("专栏1 第 142 行", "正文 第 124 行"):
        assert re.search(rf"常住人口城镇化率 <small>2025年 · % · {where}</small></td>\s*<td>—</td>\s*<td class=\"num\">49.97（2020）</td>\s*"
                         r"<td class=\"num\">= 60</td>\s*<td class=\"num\">54.44（2025）</td>\s*<td class=\"status s-滞后\">滞后", report)
    assert '<div class="tags">专栏1 第 142 行 · 类别' in html


def test_one_panel_per_printed_indicator_with_a_target_value(site, published):
    with duckdb.connect(str(published), read_only=True) as con:
        expected = dict(con.execute(PANEL_SQL).fetchall())
    assert site["panels"] == expected and expected["410900"] > 0 and expected["371700"] > 0
    html = page(site, "index.html")
    figures = json.loads(re.search(r'<script type="application/json" id="figures"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert len(figures) == sum(expected.values())
    for city, n in expected.items():
        section = re.search(rf'<section class="city" id="city-{city}" data-panels="(\d+)">(.*?)</section>', html, re.S)
        assert int(section.group(1)) == n == section.group(2).count('<article class="panel"')


def test_csv_download_is_what_the_panel_shows(site, published):
    html = panel_html(page(site, "index.html"), "410900", "urbanization_rate")
    href = re.search(r'<a class="csv" download="panel-410900-\d+\.csv" href="data:text/csv;charset=utf-8,([^"]+)"', html).group(1)
    rows = list(csv.reader(io.StringIO(unquote(href).lstrip("\ufeff"))))
    assert rows[0] == ["类型 kind", "年份 year", "数值 value", "单位 unit", "说明 note"]
    got = {(r[0], int(r[1])): float(r[2]) for r in rows[1:]}
    with duckdb.connect(str(published), read_only=True) as con:
        latest, cagr = con.execute(
            "select latest_actual_value, cagr_actual from marts.mart_target_progress where region_code = '410900' "
            "and indicator_code = 'urbanization_rate' and table_ref = '专栏1' and target_year = 2035").fetchone()
    assert got[("baseline", 2020)] == 49.97 and got[("actual", 2025)] == round(latest, 4)
    assert got[("target", 2025)] == 60 and got[("target", 2035)] == 72
    assert got[("projection", 2035)] == round(latest * (1 + cagr) ** 10, 4)
    assert all(r[3] == "%" for r in rows[1:])


def test_status_vocabulary_covers_every_status_of_the_mart():
    spec = yaml.safe_load((PROJECT_ROOT / "dbt" / "models" / "marts" / "monitoring" / "_marts__monitoring.yml").read_text(encoding="utf-8"))
    (status_col,) = [c for m in spec["models"] if m["name"] == "mart_target_progress" for c in m["columns"] if c["name"] == "status"]
    statuses = status_col["data_tests"][0]["accepted_values"]["arguments"]["values"]
    vocab = Vocabulary.load()
    assert {vocab.word(s, None).status_code for s in statuses} == set(statuses)
    assert [zh for zh, _ in vocab.zh_words()] == ["提前实现", "快于预期", "基本符合预期", "滞后", "无法评估"]
    assert vocab.word("on_track", 1.2).name_zh == "快于预期"
    assert vocab.word("on_track", 0.96).name_zh == "基本符合预期"
    assert vocab.word("target_missed", 0.46).name_zh == "滞后"
    with pytest.raises(KeyError, match="status_vocabulary.csv"):
        vocab.word("unknown_status", None)


def test_judge_takes_projection_and_warning_from_the_projection_mart(published):
    """The projection and 预警 are dbt's (marts.mart_target_projection, unit-tested there): the
    pages show the mart's values as they are, per target."""
    with duckdb.connect(str(published), read_only=True) as con:
        mart = {r[0]: r[1:] for r in con.execute(
            "select target_id, projected_value, projection_meets, is_warning from marts.mart_target_projection").fetchall()}
    ctx = load(published)
    judged = [t for c in ctx["cities"] for t in c["targets"]]
    assert len(judged) == len(mart) > 0
    assert all((t["projected"], t["projection_meets"], t["warning"]) == mart[t["target_id"]] for t in judged)
    assert sum(t["projected"] is not None for t in judged) == sum(v[0] is not None for v in mart.values()) > 0
    row = dict(status="acceleration_needed", progress_ratio=0.8, projected_value=66.55, projection_meets=False, is_warning=True,
               status_reason_zh="合成", is_cumulative=False, cumulative_actual_sum=None, latest_actual_value=55.0)
    judged = judge(row, Vocabulary.load())
    assert (judged["word"].name_zh, judged["projected"], judged["warning"], judged["latest_shown"]) == ("滞后", 66.55, True, 55.0)


def test_binding_and_plan_group_columns_when_present(published, tmp_path):
    copy = variant(published, tmp_path, is_binding="indicator_code = 'urbanization_rate'",
                   group_label="coalesce(table_ref, '正文')")
    built = build_site(copy, tmp_path / "site")
    index, report = page(built, "index.html"), page(built, "report_410900.html")
    assert 'id="note-binding"' not in index and 'id="note-plan-group"' not in index
    assert '<span class="warn">预警 <small>early warning</small></span>' in panel_html(index, "410900", "urbanization_rate")
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.execute(
            "select target_value, latest_actual_value * power(1 + cagr_actual, target_year - latest_actual_year) "
            "from marts.mart_target_progress where region_code = '410900' and indicator_code = 'urbanization_rate'").fetchall()
    missed = sum(projected < target for target, projected in rows)
    assert missed == len(rows) > 0
    summary = re.search(r'<p id="summary">(.*?)</p>', report).group(1)
    assert summary.startswith(f"濮阳市规划目标中，约束性目标 {len(rows)} 项：")
    assert f"，其中按实际增速推算未能实现（预警）{missed} 项；预期性目标 " in summary
    table = re.search(r'<table id="indicator-table">.*?</table>', report, re.S).group(0)
    assert table.count('<span class="warn">预警</span>') == missed
    assert '<tr class="group"><th colspan="7">专栏1</th></tr>' in table
    assert report.count('<section class="sheet"') == sheet_count(copy, "410900", "p.indicator_code = 'urbanization_rate'")


def test_missing_optional_columns_are_said_and_shown_as_dash(published, tmp_path):
    built = build_site(variant(published, tmp_path), tmp_path / "site")
    index, report = page(built, "index.html"), page(built, "report_410900.html")
    assert 'id="note-binding"' in index and 'id="note-plan-group"' in index
    assert "属性 <span class=\"en\">attribute</span> —" in panel_html(index, "410900", "urbanization_rate")
    assert "约束性目标无法单列" in report and "<span class=\"warn\">" not in report


def test_report_summary_and_table_match_the_mart(site, published):
    with duckdb.connect(str(published), read_only=True) as con:
        words = con.execute(WORD_SQL, [str(VOCABULARY_CSV)]).fetchall()
    mine = [w for w in words if w[1] == "410900"]
    counts = {zh: sum(w[3] == zh for w in mine) for zh in ("提前实现", "快于预期", "基本符合预期", "滞后", "无法评估")}
    report = page(site, "report_410900.html")
    summary = re.search(r'<p id="summary">(.*?)</p>', report).group(1)
    assert f"合计 {len(mine)} 项：" + "、".join(f"{zh} {n} 项" for zh, n in counts.items()) in summary
    table = re.search(r'<table id="indicator-table">.*?</table>', report, re.S).group(0)
    assert table.count('<td class="status s-') == len(mine)
    if "约束性目标中" not in summary:  # without is_binding the sheets are the lagging indicators
        assert report.count('<section class="sheet"') == sheet_count(published, "410900", "false") > 0
    sources = re.search(r'<table id="sources">.*?</table>', report, re.S).group(0)
    assert "puyang_new_urbanization_plan_2021_2035_draft.md" in sources and "bulletin_facts.csv" in sources


def test_build_swaps_the_site_in_and_leaves_the_warehouse_alone(published, tmp_path):
    before = published.stat().st_mtime_ns
    target = tmp_path / "site"
    target.mkdir()
    (target / "stale.html").write_text("old", encoding="utf-8")  # a plain directory is replaced too
    first = build_site(published, target)
    first_dir = target.resolve()
    second = build_site(published, target)
    assert target.is_symlink() and target.resolve() != first_dir and not first_dir.exists()
    assert sorted(p.name for p in target.iterdir()) == sorted(second["pages"]) == sorted(first["pages"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.resolve().name, "site"]
    assert published.stat().st_mtime_ns == before
    assert second["pages"]["index.html"] > 1_000_000  # plotly.js is inlined, not linked
    for name in second["pages"]:  # every link outside the inlined scripts stays inside the site
        markup = re.sub(r"<script[^>]*>.*?</script>", "", page(second, name), flags=re.S)
        links = re.findall(r'(?:src|href)="([^"]*)"', markup)
        assert all(re.match(r"#|data:text/csv|report_\d{6}\.html$", u) for u in links), name
        assert links or name.startswith("report_")

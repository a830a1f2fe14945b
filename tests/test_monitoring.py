"""Closing the monitoring loop on the shipped plans, end to end (the session's nightly run,
conftest.nightly_warehouse): every target has an indicator (plan-defined ones for labels the
catalogue does not map), mart_target_progress says what to do about a target (evaluation_state,
data_source_hint), the 十四五 final evaluation (mart_target_final_evaluation and its summary) and
the projection mart the dashboard reads, and the pages showing them."""

from __future__ import annotations

import re

import pytest

from dagster_project.serving import build_site
from dagster_project.serving.queries import rows
from dagster_project.common.warehouse import connect_readonly
from tests.conftest import shared_dir

PUYANG_PLAN = "410900-濮阳市新型城镇化规划(2021-2035年)"
HEZE_PLAN = "371700-菏泽市新型城镇化与城乡融合发展规划(至2035年)"
DEPARTMENT = "部门报送（数据填报）"

needs_shared = pytest.mark.skipif(
    shared_dir() is None,
    reason="the actuals of the final evaluation need the shared source directory (../shared or URBAN_SOURCE_DIRS)",
)


@pytest.fixture
def warehouse(nightly_warehouse):
    return nightly_warehouse[0]


def test_no_target_says_its_label_maps_to_no_indicator(warehouse):
    with connect_readonly(warehouse) as con:
        assert rows(con, "select count(*) n from marts.fct_plan_target where indicator_code is null") == [{"n": 0}]
        assert rows(con, """select count(*) n from marts.mart_target_progress
                            where status_reason like 'label ''%' or status_reason_zh like '%未对应到指标目录%'""") == [{"n": 0}]
        # the labels the catalogue does not map: 28 in 濮阳's prose, 7 in 菏泽's, each its own plan-defined indicator
        got = rows(con, """select p.region_code, count(*) n, count(distinct p.indicator_code) n_codes
                           from marts.mart_target_progress p join marts.dim_indicator i using (indicator_code)
                           where i.is_plan_defined group by 1 order by 1""")
        assert got == [{"region_code": "371700", "n": 7, "n_codes": 7}, {"region_code": "410900", "n": 28, "n_codes": 28}]
        assert rows(con, "select distinct match_type from marts.mart_target_progress p join marts.dim_indicator i "
                         "using (indicator_code) where i.is_plan_defined") == [{"match_type": "plan_defined"}]


def test_puyang_piped_gas_target_has_a_plan_defined_indicator(warehouse):
    with connect_readonly(warehouse) as con:
        (i,) = rows(con, """select indicator_code, name_zh, canonical_unit, direction, is_plan_defined, defined_by_plan_id,
                                   defined_for_region_code, harmonized_code, n_plan_targets
                            from marts.dim_indicator where name_zh = '县城管道燃气普及率'""")
        assert i == {"indicator_code": "plan_410900_县城管道燃气普及率", "name_zh": "县城管道燃气普及率", "canonical_unit": "%",
                     "direction": "higher",  # 达到75%: 达到 says more is better
                     "is_plan_defined": True, "defined_by_plan_id": PUYANG_PLAN, "defined_for_region_code": "410900",
                     "harmonized_code": "plan_410900_县城管道燃气普及率",  # never equated with another plan's indicator
                     "n_plan_targets": 1}
        (t,) = rows(con, """select target_value, comparator, status, evaluation_state, data_source_hint, datacall_request_id
                            from marts.mart_target_progress where indicator_code = 'plan_410900_县城管道燃气普及率'""")
        assert t == {"target_value": 75.0, "comparator": "=", "status": "insufficient_data",
                     "evaluation_state": "no_source_not_requested", "data_source_hint": DEPARTMENT, "datacall_request_id": None}
        # units printed with the targets, normalized; the direction from the comparator or the verb, else neutral
        got = {r["name_zh"]: (r["canonical_unit"], r["direction"]) for r in rows(con, """
            select name_zh, canonical_unit, direction from marts.dim_indicator where is_plan_defined
              and name_zh in ('筹集保障性租赁住房', '培育高素质农业生产经营经营者', '中心城区新增生活垃圾分类收运能力',
                              '全市九年义务教育巩固率', '全市新能源发电装机规模')""")}
        assert got == {"筹集保障性租赁住房": ("count", "neutral"), "培育高素质农业生产经营经营者": ("persons", "higher"),
                       "中心城区新增生活垃圾分类收运能力": ("tonnes_per_day", "higher"), "全市九年义务教育巩固率": ("%", "higher"),
                       "全市新能源发电装机规模": ("kw", "higher")}
        (t,) = rows(con, "select target_value, is_cumulative, period_start, period_end from marts.mart_target_progress "
                         "where indicator_code = 'plan_410900_筹集保障性租赁住房'")
        assert t == {"target_value": 3800.0, "is_cumulative": True, "period_start": 2021, "period_end": 2025}


def test_evaluation_state_and_source_hint(warehouse):
    with connect_readonly(warehouse) as con:
        got = rows(con, """select region_code, evaluation_state, count(*) n from marts.mart_target_progress
                           where region_code in ('410900', '371700') group by all order by all""")
        # no data-call template issued in the nightly: nothing awaits a return
        assert got == [{"region_code": "371700", "evaluation_state": "evaluated", "n": 6},
                       {"region_code": "371700", "evaluation_state": "no_source_not_requested", "n": 56},
                       {"region_code": "410900", "evaluation_state": "evaluated", "n": 7},
                       {"region_code": "410900", "evaluation_state": "no_source_not_requested", "n": 58}]
        assert rows(con, "select count(*) n from marts.mart_target_progress where (evaluation_state = 'evaluated') "
                         "<> (status <> 'insufficient_data')") == [{"n": 0}]
        # 城市道路网密度: no statistical source reports it anywhere -> the department, through the data call
        (r,) = rows(con, "select data_source_hint from marts.mart_target_progress where region_code = '410900' "
                         "and indicator_code = 'road_network_density' and target_year = 2025")
        assert r["data_source_hint"] == DEPARTMENT


@needs_shared
def test_puyang_source_hints_name_the_statistical_sources(warehouse):
    with connect_readonly(warehouse) as con:
        (r,) = rows(con, "select data_source_hint from marts.mart_target_progress where region_code = '410900' "
                         "and indicator_code = 'urbanization_rate' and source_kind = 'table' and target_year = 2025")
        assert r["data_source_hint"] == "人口普查、统计公报、统计年鉴"


@needs_shared
def test_final_evaluation_of_the_2025_targets(warehouse):
    with connect_readonly(warehouse) as con:
        got = rows(con, """select plan_id, evaluation_year, evaluation_class, evaluation_class_zh, count(*) n
                           from marts.mart_target_final_evaluation group by all order by all""")
        assert got == [
            {"plan_id": HEZE_PLAN, "evaluation_year": 2025, "evaluation_class": "not_assessable", "evaluation_class_zh": "无法评估", "n": 38},
            {"plan_id": PUYANG_PLAN, "evaluation_year": 2025, "evaluation_class": "not_achieved", "evaluation_class_zh": "未实现", "n": 4},
            {"plan_id": PUYANG_PLAN, "evaluation_year": 2025, "evaluation_class": "not_assessable", "evaluation_class_zh": "无法评估", "n": 51},
        ]
        missed = rows(con, """select indicator_label, line_number, actual_value, actual_year, target_value, round(gap_to_target, 2) gap,
                                     round(gap_relative, 4) rel, evaluation_class_en
                              from marts.mart_target_final_evaluation where evaluation_class = 'not_achieved' order by line_number""")
        assert [(m["indicator_label"], m["line_number"], m["actual_value"], m["actual_year"], m["target_value"], m["gap"], m["rel"])
                for m in missed] == [
            ("常住人口城镇化率", 124, 54.44, 2025, 60.0, -5.56, -0.0927),
            ("常住人口城镇化率", 142, 54.44, 2025, 60.0, -5.56, -0.0927),
            ("农村人均可支配收入", 156, 21956.0, 2025, 22300.0, -344.0, -0.0154),
            ("城镇人均可支配收入", 157, 41549.0, 2025, 46300.0, -4751.0, -0.1026),
        ]
        assert {m["evaluation_class_en"] for m in missed} == {"Not achieved"}
        # every target not assessable says where its data would come from; only evaluated ones have a gap
        assert rows(con, """select count(*) n from marts.mart_target_final_evaluation
                            where (evaluation_class = 'not_assessable') <> (gap_to_target is null)
                               or data_source_hint is null or evaluation_reason is null""") == [{"n": 0}]
        hints = rows(con, """select data_source_hint, count(*) n from marts.mart_target_final_evaluation
                             where evaluation_class = 'not_assessable' and plan_id = ? group by 1 order by 1""", [PUYANG_PLAN])
        # 统计公报: other cities' bulletins print the indicator (e.g. 绿地率), 濮阳's does not
        assert hints == [{"data_source_hint": "统计公报", "n": 3}, {"data_source_hint": "统计公报、统计年鉴", "n": 6},
                         {"data_source_hint": DEPARTMENT, "n": 42}]
        (gas,) = rows(con, "select evaluation_class, evaluation_state, data_source_hint, evaluation_reason, evaluation_reason_zh "
                           "from marts.mart_target_final_evaluation where indicator_code = 'plan_410900_县城管道燃气普及率'")
        assert gas == {"evaluation_class": "not_assessable", "evaluation_state": "no_source_not_requested",
                       "data_source_hint": DEPARTMENT,
                       "evaluation_reason": "no actual of plan_410900_县城管道燃气普及率 in 410900 up to 2025",
                       "evaluation_reason_zh": "截至 2025 年没有实际值"}


@needs_shared
def test_final_evaluation_summary_per_plan_group_and_binding(warehouse):
    with connect_readonly(warehouse) as con:
        got = rows(con, """select plan_id, grouping_kind, group_value, n_targets, n_achieved, n_not_achieved, n_not_assessable,
                                  n_awaiting_datacall, achieved_share_of_assessed
                           from marts.mart_final_evaluation_summary order by plan_id, grouping_kind, group_value""")
        heze = {(r["grouping_kind"], r["group_value"]): (r["n_targets"], r["n_achieved"], r["n_not_achieved"], r["n_not_assessable"])
                for r in got if r["plan_id"] == HEZE_PLAN}
        assert heze == {("binding", "未标注"): (38, 0, 0, 38), ("plan", "全部"): (38, 0, 0, 38),
                        ("group_label", "双向化"): (4, 0, 0, 4), ("group_label", "均衡化"): (5, 0, 0, 5),
                        ("group_label", "智慧化"): (8, 0, 0, 8), ("group_label", "绿色化"): (5, 0, 0, 5),
                        ("group_label", "未分类"): (16, 0, 0, 16)}
        puyang = [r for r in got if r["plan_id"] == PUYANG_PLAN]
        assert [(r["grouping_kind"], r["group_value"], r["n_targets"], r["n_not_achieved"], r["n_not_assessable"],
                 r["achieved_share_of_assessed"]) for r in puyang] == [
            ("binding", "未标注", 55, 4, 51, 0.0), ("group_label", "未分类", 55, 4, 51, 0.0), ("plan", "全部", 55, 4, 51, 0.0)]
        assert {r["n_awaiting_datacall"] for r in got} == {0}


@needs_shared
def test_projection_mart_is_what_the_dashboard_shows(warehouse):
    """The projection moved from Python into dbt: compound growth at the actual CAGR for 濮阳's 2035
    urbanization target, and the page's projection is the mart's."""
    from dagster_project.serving.dashboard import load

    with connect_readonly(warehouse) as con:
        (m,) = rows(con, """select j.projected_value, j.projection_meets, j.is_warning, j.warning_level, p.latest_actual_value,
                                   p.cagr_actual, p.target_value
                            from marts.mart_target_projection j join marts.mart_target_progress p using (target_id)
                            where p.region_code = '410900' and p.indicator_code = 'urbanization_rate' and p.target_year = 2035""")
    assert m["projected_value"] == pytest.approx(m["latest_actual_value"] * (1 + m["cagr_actual"]) ** 10)
    assert round(m["projected_value"], 4) == 64.6153 and m["target_value"] == 72.0
    # the plans mark no target binding: a missed projection is watched (关注), never a 预警 without the flag
    assert (m["projection_meets"], m["is_warning"], m["warning_level"]) == (False, None, "watch")
    ctx = load(warehouse)
    (t,) = [t for c in ctx["cities"] for t in c["targets"]
            if t["region_code"] == "410900" and t["indicator_code"] == "urbanization_rate" and t["target_year"] == 2035]
    assert t["projected"] == m["projected_value"] and t["warning"] is None


@needs_shared
def test_report_and_dashboard_show_the_final_evaluation(warehouse, tmp_path):
    site = build_site(warehouse, tmp_path / "site")
    report = (site["path"] / "report_410900.html").read_text(encoding="utf-8")
    section = report[report.index('<h2 id="final">'):report.index("<h2>四、")]
    assert "三、“十四五”目标总结评估（2025 年）" in section
    assert "评估年 <span class=\"en\">evaluation year</span> 2025：目标年已过的目标 55 项，已实现 0 项、未实现 4 项、无法评估 51 项。" in section
    table = re.search(r'<table class="final-table" id="final-table-410900">.*?</table>', section, re.S).group(0)
    assert table.count('<tr data-class="not_achieved"') == 4 and table.count('<tr data-class="not_assessable"') == 51
    assert re.search(r"城镇人均可支配收入 <small>2025年 · yuan</small></td>.*?<small class=\"reason\">实际值 41549（2025 年）未满足 = 46300"
                     r"（差距 -4751）</small></td>\s*<td class=\"num\">-4,751（-10.3 %）</td>", table, re.S)
    gas = re.search(r"<tr[^>]*>\s*<td>县城管道燃气普及率 <small>2025年 · % · 规划自定义指标</small></td>.*?</tr>", table, re.S).group(0)
    assert "无法评估" in gas and DEPARTMENT in gas and "尚未发出数据填报（urban datacall）" in gas
    # the indicator table names the source of every target not evaluated
    indicator_table = re.search(r'<table id="indicator-table">.*?</table>', report, re.S).group(0)
    assert indicator_table.count('<small class="source-hint">数据来源：') == 58 + 5  # 濮阳 58, its counties 5
    index = (site["path"] / "index.html").read_text(encoding="utf-8")
    for code, n in (("410900", 55), ("371700", 38)):
        block = re.search(rf'<table class="final-table" id="final-table-{code}">.*?</table>', index, re.S).group(0)
        assert block.count("<tr data-class=") == n
    assert '<table class="final-counts" data-plan="371700-菏泽市新型城镇化与城乡融合发展规划(至2035年)" data-grouping="group_label">' in index


@pytest.fixture(scope="module")
def issued(nightly_warehouse, tmp_path_factory):
    """A copy of the session's warehouse after `urban datacall 濮阳 --year 2025` issued the plan's template
    and a nightly landed it (the requests): (published path, the template's requests)."""
    import shutil

    from click.testing import CliRunner
    from dagster import DagsterInstance

    from dagster_project.cli import main
    from dagster_project.cli.nightly import execute_nightly

    d = tmp_path_factory.mktemp("issued")
    path = d / "indicators.duckdb"
    shutil.copy(nightly_warehouse[0], path)
    mp = pytest.MonkeyPatch()
    mp.setenv("URBAN_WAREHOUSE_PATH", str(path))
    res = CliRunner().invoke(main, ["datacall", "濮阳", "--year", "2025"])
    assert res.exit_code == 0, res.output
    result, published = execute_nightly(DagsterInstance.ephemeral())
    assert result.success and published
    with connect_readonly(path) as con:
        requests = rows(con, "select * from raw.datacall_requests")
    yield path, requests
    mp.undo()


@needs_shared
def test_an_issued_template_makes_its_targets_await_the_return(issued):
    path, requests = issued
    # a row per target of the plan × year lacking an actual: the 2025 targets, and each year of a 2021–2025 [ ] period
    assert {r["plan_id"] for r in requests} == {PUYANG_PLAN} and {r["year"] for r in requests} == {2021, 2022, 2023, 2024, 2025}
    with connect_readonly(path) as con:
        (gas,) = rows(con, """select p.evaluation_state, p.datacall_request_id, p.datacall_template_file, p.datacall_template_row,
                                     f.evaluation_state final_state, f.datacall_template_row final_row
                              from marts.mart_target_progress p join marts.mart_target_final_evaluation f using (target_id)
                              where p.indicator_code = 'plan_410900_县城管道燃气普及率'""")
        (req,) = [r for r in requests if r["indicator_code"] == "plan_410900_县城管道燃气普及率"]
        assert gas == {"evaluation_state": "awaiting_datacall", "datacall_request_id": req["request_id"],
                       "datacall_template_file": req["template_file"], "datacall_template_row": req["row_number"],
                       "final_state": "awaiting_datacall", "final_row": req["row_number"]}
        # every target without a status that a template row asks for awaits it; the others say nothing was asked
        requested = {r["target_id"] for r in requests}
        states = rows(con, "select target_id, status, evaluation_state from marts.mart_target_progress where region_code like '4109%'")
        for s in states:
            if s["status"] != "insufficient_data":
                assert s["evaluation_state"] == "evaluated", s
            elif s["target_id"] in requested:
                assert s["evaluation_state"] == "awaiting_datacall", s
        got = rows(con, """select evaluation_state, count(*) n from marts.mart_target_progress where region_code like '4109%'
                           group by 1 order by 1""")
        # the 2025 targets without a status (濮阳 46, its 5 counties' GDP targets) await the return; the 2035 ones
        # were not asked for (--year 2025)
        assert got == [{"evaluation_state": "awaiting_datacall", "n": 51}, {"evaluation_state": "evaluated", "n": 7},
                       {"evaluation_state": "no_source_not_requested", "n": 12}]
        summary = rows(con, "select grouping_kind, n_not_assessable, n_awaiting_datacall from marts.mart_final_evaluation_summary "
                            "where plan_id = ? order by 1", [PUYANG_PLAN])
        assert [(r["grouping_kind"], r["n_not_assessable"], r["n_awaiting_datacall"]) for r in summary] == [
            ("binding", 51, 51), ("group_label", 51, 51), ("plan", 51, 51)]

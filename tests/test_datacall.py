"""The yearly data call end to end: `urban datacall` writes the 濮阳 and 菏泽 templates from a warehouse the
nightly built, departments fill them with openpyxl (correct values and one row of each mistake kind), the
returns go into a source directory's datacalls/, the nightly runs again, and the marts show exactly the
values filled correctly as actuals, every mistake as a quarantine row with its cell and reason, and the
targets that could not be evaluated fall by exactly the rows filled correctly."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

import datacall_fill as fill
from dagster_project.sources.datacalls.layout import COLUMNS, DATA_SHEET, HEADERS, INSTRUCTIONS_SHEET, META_SHEET

PUYANG_PLAN = "410900-濮阳市新型城镇化规划(2021-2035年)"
HEZE_PLAN = "371700-菏泽市新型城镇化与城乡融合发展规划(至2035年)"


def _insufficient(con, region: str) -> int:
    return con.execute("select count(*) from marts.mart_target_progress where region_code = ? and status = 'insufficient_data'",
                       [region]).fetchone()[0]


@pytest.fixture(scope="module")
def datacall(tmp_path_factory):
    """(templates, returns, published path, 无法评估 counts before) after two nightly runs: one to build the
    warehouse the templates are written from, one that reads the filled returns."""
    from dagster import DagsterInstance

    from dagster_project.cli import main
    from dagster_project.cli.nightly import execute_nightly
    from dagster_project.common.warehouse import connect_readonly

    from conftest import shared_dir

    shared = shared_dir()
    if shared is None:
        pytest.skip("shared source directory (../shared or URBAN_SOURCE_DIRS) not available")
    d = tmp_path_factory.mktemp("datacall")
    src = d / "sources"
    (src / "datacalls").mkdir(parents=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("URBAN_WAREHOUSE_PATH", str(d / "wh" / "indicators.duckdb"))
    mp.setenv("URBAN_SOURCE_DIRS", os.pathsep.join([str(shared), str(src)]))
    instance = DagsterInstance.ephemeral()
    result, published = execute_nightly(instance)
    assert result.success and published
    path = d / "wh" / "indicators.duckdb"
    with connect_readonly(path) as con:
        before = {r: _insufficient(con, r) for r in ("410900", "371700")}
    runner = CliRunner()
    templates = {}
    for which, code in (("濮阳", "410900"), ("371700", "371700")):
        out = d / f"template_{code}.xlsx"
        res = runner.invoke(main, ["datacall", which, "--year", "2025", "--by-unit", "--out", str(out)])
        assert res.exit_code == 0, res.output
        templates[code] = out
    returns = fill.puyang_returns(templates["410900"], src, HEZE_PLAN) + fill.heze_returns(templates["371700"], src)
    imported = runner.invoke(main, ["datacall", "import", str(returns[0]), "--to", str(src / "datacalls")])
    assert imported.exit_code == 0, imported.output
    result, published = execute_nightly(instance)
    assert result.success and published
    yield templates, returns, path, before, imported.output
    mp.undo()


def test_template_layout(datacall):
    templates, *_ = datacall
    path = templates["410900"]
    wb = load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, DATA_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    ws = wb[DATA_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    for i, column in enumerate(COLUMNS, start=1):
        letter = ws.cell(1, i).column_letter
        assert ws.column_dimensions[letter].hidden == column.hidden, column.header
    assert [c.header for c in COLUMNS if c.hidden] == ["request_id", "plan_id", "target_id", "indicator_code", "region_code", "year", "plan_digest"]
    assert ws.protection.sheet and wb[INSTRUCTIONS_SHEET].protection.sheet
    assert ws.freeze_panes == "C2"
    rows = fill.rows_by_label(ws)
    assert ws.max_row - 1 == 78  # 濮阳: 2025 targets lacking a 2025 actual + each year of cumulative targets lacking one
    r = rows["城市生活污水集中收集率"]
    assert [ws.cell(r, fill.col(k)).value for k in ("unit", "target_value", "target_year", "year_label", "plan_id", "indicator_code", "year")] == \
        ["%", 70, 2025, 2025, PUYANG_PLAN, "sewage_collection_rate", 2025]
    r = rows["城镇新增就业人数（2023年当年值，目标为2021-2025年累计）"]
    assert [ws.cell(r, fill.col(k)).value for k in ("unit", "baseline_value", "baseline_year", "target_value", "target_year", "latest_value")] == \
        ["万人", 28.74, 2020, 21, 2025, 4.67]
    # only the fill-in cells are unlocked; the ids and the printed target are locked
    assert not ws.cell(r, fill.col("value")).protection.locked and not ws.cell(r, fill.col("reporter")).protection.locked
    assert ws.cell(r, fill.col("target_value")).protection.locked and ws.cell(r, fill.col("request_id")).protection.locked
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "decimal" and dv.showErrorMessage and "只能填写数字" in dv.error
    assert str(dv.sqref) == f"L2:L{ws.max_row}"
    text = "\n".join(str(c.value) for c in wb[INSTRUCTIONS_SHEET]["A"] if c.value)
    for phrase in ("填报年份：2025年", "“单位”列", "只填数字", "隐藏列", "请于 2026年1月31日 前", "报送至"):
        assert phrase in text, phrase
    # python-calamine (the nightly's reader) sees the same cells, hidden ones included
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(DATA_SHEET).to_python()
    assert grid[0] == HEADERS and len(grid) == 79
    assert grid[r - 1][fill.col("target_value") - 1] == 21 and grid[r - 1][fill.col("plan_id") - 1] == PUYANG_PLAN


def test_import_reports_what_the_nightly_will_do(datacall):
    output = datacall[4]
    # the housing bureau's return: its 8 readable numbers less the one the water bureau reports differently
    # (dbt's plausibility and stale-target checks come in the nightly)
    assert "7 value(s) will be loaded" in output
    assert "unit typed into the value cell ('98%'); the unit is % (column 单位)" in output
    assert "conflicting reports of one request (可渗透地面面积比例, 2025): 43 in puyang_slj_2025.xlsx" in output


def _department_actuals(con, region: str) -> list[tuple]:
    return con.execute(
        "select indicator_code, year, value, source_file, source_location from marts.fct_indicator_actual "
        "where source_kind = 'department_report' and region_code = ? order by indicator_code", [region]).fetchall()


def test_values_filled_correctly_are_the_published_actuals(datacall):
    from dagster_project.common.warehouse import connect_readonly

    with connect_readonly(datacall[2]) as con:
        puyang = _department_actuals(con, "410900")
        heze = _department_actuals(con, "371700")
    assert [(code, year, value) for code, year, value, _f, _c in puyang] == [
        ("elderly_care_nursing_bed_share", 2025, 57.0),
        ("plan_410900_中心城区公共供水普及率", 2025, 98.2),
        ("sewage_collection_rate", 2025, 68.5),  # the later return of the bureau, not the superseded 50
        ("sponge_city_area_share", 2025, 60.2),
        ("wastewater_reuse_rate", 2025, 26.1),
    ]
    assert {f for _c, _y, _v, f, _l in puyang} == {"puyang_zjj_2025.xlsx"}
    assert all(loc.startswith("填报!L") for *_r, loc in puyang)
    assert [(code, value) for code, _y, value, _f, _c in heze] == [
        ("plan_371700_学前教育毛入园率", 91.5), ("plan_371700_普惠性幼儿园覆盖率", 88.0), ("plan_371700_智慧社区试点数量", 12.0)]


def test_every_mistake_is_a_quarantine_row_with_its_cell(datacall):
    from dagster_project.common.warehouse import connect_readonly

    with connect_readonly(datacall[2]) as con:
        rows = con.execute(
            "select stage, source_file, location, reason from marts.fct_quarantine where source_kind = 'department_report' "
            "order by source_file, location").fetchall()
        requests = con.execute("select count(*), count(distinct template_file) from staging.stg_datacalls__requests").fetchone()
        supersede = con.execute("select source_file, rows_loaded, rows_quarantined from marts.mart_load_summary "
                                "where source_file like 'puyang_zjj%' order by 1").fetchall()
    reasons = {(f, loc): (stage, reason) for stage, f, loc, reason in rows}
    main = "puyang_zjj_2025.xlsx"
    by_label = {}
    wb = load_workbook(datacall[1][0])
    for label, r in fill.rows_by_label(wb[DATA_SHEET]).items():
        by_label[label] = f"填报!L{r}"
    expect = {
        "义务教育专任教师中本科以上学历比例": ("load", "text in the value cell: '约76' is not a number; type digits only (e.g. 38.5), in the unit % (column 单位)"),
        "全市九年义务教育巩固率": ("load", "unit typed into the value cell ('98%'); the unit is % (column 单位): type the number only"),
        "街道建有综合性养老服务中心（机构）": ("load", "unit typed into the value cell ('91 %'); the unit is % (column 单位): type the number only"),
        "市级以上农业产业化龙头企业": ("load", "text in the value cell: '二百三' is not a number; type digits only (e.g. 38.5), in the unit 家 (column 单位)"),
        "公共资源利用率": ("load", "hidden id changed or deleted: the row's request_id does not match its hidden plan_id/target_id/year "
                               "(do not edit the hidden columns; fill in a fresh template)"),
        "农产品加工转化率": ("load", f"row of another plan's template: its hidden plan_id is {HEZE_PLAN!r}, this file is the template of "
                                f"{PUYANG_PLAN!r}; values go into their own plan's template"),
        "县城公共供水普及率": ("load", "year 2040 outside the plan's period 2021-2035"),
        "县城管道燃气普及率": ("plausibility", "range: 750 % is above the maximum 100 % (plausibility_rules.csv, unit %: a percentage share "
                                        "lies between 0 and 100; a share that doubles or halves between neighbouring years is a misprint "
                                        "(6239 printed for 62.39))"),
        "新增通信基站共享率": ("plausibility", "stale template: the target changed since the template was issued (目标值 90 in the template, "
                                       "100 in the plan now); fill in a fresh template"),
    }
    conflict = ("load", "conflicting reports of one request (可渗透地面面积比例, 2025): 43 in puyang_slj_2025.xlsx {c}; 41 in "
                "puyang_zjj_2025.xlsx {c}; none is published until one return is corrected or withdrawn")
    superseded = ("load", "superseded by puyang_zjj_2025.xlsx (a later return of 濮阳市住房和城乡建设局 for the same plan, dated 2026-12-20; "
                  "this one is dated 2026-12-10)")
    want = {(main, by_label[label]): v for label, v in expect.items()}
    c = by_label["可渗透地面面积比例"]
    want[(main, c)] = want[("puyang_slj_2025.xlsx", c)] = (conflict[0], conflict[1].format(c=c))
    for label in ("城市生活污水集中收集率", "污水资源化利用率"):
        want[("puyang_zjj_2025_first.xlsx", by_label[label])] = superseded
    want[("heze_2025.xlsx", "填报!L29")] = ("load", "text in the value cell: '约90' is not a number; type digits only (e.g. 38.5), "
                                                      "in the unit % (column 单位)")
    assert reasons == want
    assert requests == (78 + 38, 2)
    assert supersede == [("puyang_zjj_2025.xlsx", 8 - 1, 7 + 1), ("puyang_zjj_2025_first.xlsx", 0, 2)]


def test_no_data_falls_by_exactly_the_rows_filled(datacall):
    from dagster_project.common.warehouse import connect_readonly

    _t, _r, path, before, _o = datacall
    with connect_readonly(path) as con:
        after = {r: _insufficient(con, r) for r in ("410900", "371700")}
    assert before["410900"] - after["410900"] == len(fill.PUYANG_OK) == 5
    assert before["371700"] - after["371700"] == len(fill.HEZE_OK) == 3


@pytest.mark.parametrize("typed, value, reason", [
    (38, 38.0, None),
    (38.5, 38.5, None),
    ("38", 38.0, None),
    ("1,234", 1234.0, None),
    ("38%", None, "unit typed into the value cell ('38%'); the unit is 套 (column 单位): type the number only"),
    ("3800套", None, "unit typed into the value cell ('3800套'); the unit is 套 (column 单位): type the number only"),
    ("38 %", None, "unit typed into the value cell ('38 %'); the unit is 套 (column 单位): type the number only"),
    ("约38", None, "text in the value cell: '约38' is not a number; type digits only (e.g. 38.5), in the unit 套 (column 单位)"),
    ("三千八", None, "text in the value cell: '三千八' is not a number; type digits only (e.g. 38.5), in the unit 套 (column 单位)"),
    ("38左右", None, "text in the value cell: '38左右' is not a number; type digits only (e.g. 38.5), in the unit 套 (column 单位)"),
])
def test_what_a_value_cell_may_hold(typed, value, reason):
    from dagster_project.sources.datacalls.returns import read_value

    assert read_value(typed, "套") == (value, reason)


def test_a_workbook_that_is_not_a_template_is_refused_whole(tmp_path):
    from openpyxl import Workbook

    from dagster_project.sources.common.provenance import SourceError
    from dagster_project.sources.datacalls.returns import parse_return

    wb = Workbook()
    wb.active.append(HEADERS)
    wb.save(tmp_path / "copied.xlsx")
    with pytest.raises(SourceError, match="not a data-call template of this warehouse"):
        parse_return(tmp_path / "copied.xlsx")

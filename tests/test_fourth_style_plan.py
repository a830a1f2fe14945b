"""A plan in a fourth style: a saved government web page (tests/fixtures/fourth_style_plan.html,
周口市). Its 专栏1 is an HTML <table> with a two-row header (2020年 spanning both rows, "目标值"
spanning 2025年 and 2035年), 类别 groups merged over rows (rowspan), a value merged over two year
columns (colspan), a 属性 column, cumulative values in three bracket styles (〔 〕, 【 】, [ ]) whose
note gives each column its own period (2025: "十四五"期间; 2035: 2026—2035年). Its paragraphs state
targets in shapes the markdown plans do not use: several years in one sentence with 分别, values in
Chinese characters (四万五千元, 两万元, 百分之百, 三十五万人), full-width digits, growth rates (never a
level), and sentences about the past (2020年已达到…, "十三五"期间累计…, 目前…已建成) that are no
targets. Everything in it must land, with provenance; and the same table as a Word file (merged
cells made with python-docx) gives the same cells."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dagster_project.common.files import file_sha256
from dagster_project.sources.plans.reader import (
    extract_plan_file_stated_values,
    extract_plan_file_targets,
    parse_plan_file_tables,
)

PLAN = Path(__file__).resolve().parent / "fixtures" / "fourth_style_plan.html"
PLAN_ID = "411600-周口市新型城镇化规划(2021—2035年)"
FYP14, LATER = (2021, 2025), (2026, 2035)

# 序号: (类别, label, unit, binding, line of the <tr>, table row, cells 2020/2025/2035 as
# (value, comparator[, cumulative period]); (None, None) = a printed dash)
ROWS = {
    1: ("城镇化水平", "常住人口城镇化率", "%", False, 28, 3, [(45.4, "="), (53, "="), (65, "=")]),
    2: ("城镇化水平", "户籍人口城镇化率", "%", False, 29, 4, [(36.2, "="), (45, "≥"), (55, "=")]),
    3: ("城镇化水平", "城镇新增就业人数", "万人", False, 30, 5, [(7.1, "="), (35, "=", FYP14), (70, "=", LATER)]),
    4: ("基本公共服务", "农民工职业技能培训", "万人次", False, 31, 6, [(None, None), (20, "=", FYP14), (40, "=", LATER)]),
    5: ("基本公共服务", "每千人口拥有执业（助理）医师数", "人", False, 32, 7, [(2.3, "="), (3.0, "≥"), (3.5, "=")]),
    6: ("基本公共服务", "城镇常住人口基本养老保险覆盖率", "%", True, 33, 8, [(90, "="), (95, "≥"), (95, "≥")]),
    7: ("城乡融合", "城乡居民人均可支配收入比", "—", False, 34, 9, [(2.1, "="), (2.0, "≤"), (1.8, "≈")]),
    8: ("城乡融合", "单位地区生产总值能源消耗降低", "%", True, 35, 10, [(None, None), (14.5, "=", FYP14), (None, None)]),
}

# (line, year, subject, comparator, value, unit, region, cumulative period)
PROSE = {
    # 到2025年、2035年 … 分别达到 53%、65%: one target per year
    (20, 2025, "全市常住人口城镇化率", "=", 53.0, "%", "411600", None),
    (20, 2035, "全市常住人口城镇化率", "=", 65.0, "%", "411600", None),
    (20, 2025, "户籍人口城镇化率", "=", 45.0, "%", "411600", None),
    (20, 2035, "户籍人口城镇化率", "=", 55.0, "%", "411600", None),
    # 年均增长7%左右 / 年均增长6%以上 are growth rates: no target; 四万五千元, 两万元 in Chinese numerals
    (21, 2025, "城镇居民人均可支配收入", "=", 45000.0, "元", "411600", None),
    (21, 2025, "农村居民人均可支配收入", ">", 2.0, "万元", "411600", None),
    # 百分之百, 百分之九十五以上; "目前全市5G基站已建成5000个" is what is, not a target
    (22, 2025, "城市生活垃圾无害化处理率", "=", 100.0, "%", "411600", None),
    (22, 2025, "城市污水处理率", "≥", 95.0, "%", "411600", None),
    (22, 2025, "全市5G基站", "=", 1.2, "万个", "411600", None),
    # full-width digits
    (23, 2035, "城市建成区绿地率", "≥", 40.0, "%", "411600", None),
    (23, 2035, "人均公园绿地面积", "=", 15.0, "平方米", "411600", None),
    # counties of 周口市
    (39, 2025, "项城市地区生产总值", ">", 500.0, "亿元", "411681", None),
    (39, 2025, "鹿邑县县城常住人口", "=", 30.0, "万人", "411628", None),
    (39, 2025, "郸城县县城常住人口", "=", 25.0, "万人", "411625", None),
    # "十四五"期间 … (年均增长7% is a rate: none); 三十五万人 in Chinese numerals, carried period
    (40, 2025, "全市累计新增城镇就业", "=", 35.0, "万人", "411600", FYP14),
    (40, 2025, "新建保障性租赁住房", "=", 1.2, "万套", "411600", FYP14),
}


@pytest.fixture(scope="module")
def tables():
    return parse_plan_file_tables(PLAN)


@pytest.fixture(scope="module")
def prose():
    return extract_plan_file_targets(PLAN)


def test_html_table_found_with_identity_caption_and_note(tables):
    assert (tables.plan_id, tables.region_code, tables.source_sha256) == (PLAN_ID, "411600", file_sha256(PLAN))
    assert tables.quarantine == []
    assert tables.tables == [{
        "table_ref": "专栏1", "caption": "周口市新型城镇化主要指标", "header_line": 26, "rows": 8,
        "years": [2020, 2025, 2035],
        "note": "注：〔 〕、【 】和[ ]内为累计数，其中2025年为“十四五”期间累计，2035年为2026—2035年累计。",
        "period_years": 5, "location": "table 1",
    }]


def _check_cells(cells: pl.DataFrame, html: bool) -> None:
    got = {(r["row_number"], r["year"]): r for r in cells.iter_rows(named=True)}
    assert len(got) == cells.height == 24
    for seq, (group, label, unit, binding, line, table_row, values) in ROWS.items():
        for col, (year, cell) in enumerate(zip((2020, 2025, 2035), values), start=5):
            r = got[(seq, year)]
            value, comparator, period = cell[0], cell[1], cell[2] if len(cell) > 2 else None
            assert (r["group_label"], r["indicator_label"], r["unit_printed"]) == (group, label, unit), (seq, year)
            assert (r["value"], r["comparator"], r["is_missing"]) == (value, comparator, value is None), (seq, year)
            assert r["is_cumulative"] is (period is not None), (seq, year)
            assert (r["period_start"], r["period_end"]) == (period or (None, None)), (seq, year)
            assert r["is_binding"] is binding
            assert json.loads(r["attributes"]) == {"属性": "约束性" if binding else "预期性"}
            assert r["column_kind"] == ("baseline" if year == 2020 else "target")
            assert r["source_location"] == f"table 1 row {table_row} col {col}"
            assert r["table_ref"] == "专栏1"
            if html:
                assert r["line_number"] == line and r["table_header_line"] == 26


def test_every_html_table_cell_lands_with_its_place(tables):
    _check_cells(tables.cells, html=True)
    # merged cells: 类别 (rowspan) repeats in its rows; 95以上 (colspan) is printed for 2025 and 2035
    row6 = tables.cells.filter(pl.col("row_number") == 6).sort("year")
    assert row6["cell_text"].to_list() == ["90", "95以上", "95以上"]
    assert set(tables.cells["plan_id"]) == {PLAN_ID} and set(tables.cells["plan_region_code"]) == {"411600"}


def test_every_prose_target_lands(prose):
    assert (prose.plan_id, prose.city_code) == (PLAN_ID, "411600")
    got = {
        (r["line_number"], r["target_year"], r["subject"], r["comparator"], r["value"], r["unit"], r["region_code"],
         (r["period_start"], r["period_end"]) if r["is_cumulative"] else None)
        for r in prose.targets.iter_rows(named=True)
    }
    assert got == PROSE
    assert prose.targets.height == len(PROSE)
    assert prose.quarantine == []
    # no growth rate became a level, no past statement a target
    assert not any("增长" in s for s in prose.targets["subject"])
    assert 5000.0 not in prose.targets["value"].to_list() and 35.6 not in prose.targets["value"].to_list()


def test_stated_values_of_the_web_page_plan():
    res = extract_plan_file_stated_values(PLAN)
    got = {(r["source_location"], r["year"], r["indicator_label_raw"], r["value"], r["unit_raw"])
           for r in res.observations.iter_rows(named=True)}
    assert got == {("line 17", 2020, "全市常住人口城镇化率", 45.4, "%"), ("line 17", 2020, "城乡居民收入比", 2.1, None)}


def _docx_plan(path: Path) -> Path:
    """The same plan as a Word file: title, the 专栏1 caption, the table with merged cells, the note."""
    import docx

    html_rows = [
        ["类别", "序号", "指标", "单位", "2020年", "目标值", "", "属性"],
        ["", "", "", "", "", "2025年", "2035年", ""],
    ]
    data = [
        [str(seq), label, unit] + [_printed(c) for c in cells] + ["约束性" if binding else "预期性"]
        for seq, (_g, label, unit, binding, _l, _r, cells) in ROWS.items()
    ]
    d = docx.Document()
    d.add_heading("周口市新型城镇化规划（2021—2035年）", level=1)
    d.add_paragraph("周口市人民政府　2022年5月")
    d.add_paragraph("专栏1　周口市新型城镇化主要指标")
    t = d.add_table(rows=2 + len(data), cols=8)
    for r, row in enumerate(html_rows):
        for c, text in enumerate(row):
            if text:
                t.cell(r, c).text = text
    for c in (0, 1, 2, 3, 4, 7):  # header cells spanning both header rows
        t.cell(0, c).merge(t.cell(1, c))
    t.cell(0, 5).merge(t.cell(0, 6))  # 目标值 over 2025年 and 2035年
    for r, row in enumerate(data, start=2):
        for c, text in enumerate(row, start=1):
            if c < 8:
                t.cell(r, c).text = text
    for first, last, group in ((2, 4, "城镇化水平"), (5, 7, "基本公共服务"), (8, 9, "城乡融合")):
        merged = t.cell(first, 0).merge(t.cell(last, 0))
        merged.text = group
    t.cell(7, 5).merge(t.cell(7, 6)).text = "95以上"  # row 6: one value over both target years
    d.add_paragraph("注：〔 〕、【 】和[ ]内为累计数，其中2025年为“十四五”期间累计，2035年为2026—2035年累计。")
    d.save(str(path))
    return path


def _printed(cell) -> str:
    value, comparator = cell[0], cell[1]
    if value is None:
        return "—"
    text = f"{value:g}" if value != 3.0 else "3.0"
    if len(cell) > 2:
        return ("〔" + text + "〕") if cell[2] == FYP14 else ("【" + text + "】")
    return {"=": "", "≥": "≥", "≤": "", "≈": ""}[comparator] + text + {"≤": "以内", "≈": "左右"}.get(comparator, "")


def test_docx_table_with_merged_cells_gives_the_same_cells(tmp_path):
    path = _docx_plan(tmp_path / "zhoukou_plan.docx")
    res = parse_plan_file_tables(path)
    assert (res.plan_id, res.region_code, res.quarantine) == (PLAN_ID, "411600", [])
    assert [(t["table_ref"], t["caption"], t["rows"], t["years"], t["period_years"]) for t in res.tables] == [
        ("专栏1", "周口市新型城镇化主要指标", 8, [2020, 2025, 2035], 5)]
    _check_cells(res.cells, html=False)
    html = parse_plan_file_tables(PLAN).cells
    same = ["row_number", "group_label", "indicator_label", "unit_printed", "year", "value", "comparator",
            "is_cumulative", "period_start", "period_end", "is_binding", "attributes", "source_location"]
    assert res.cells.select(same).sort("row_number", "year").equals(html.select(same).sort("row_number", "year"))


def test_web_page_and_word_plans_land_through_the_loaders(tmp_path, monkeypatch):
    """The plan loaders take *.html, *.htm and *.docx next to *.md: the web page lands completely,
    a page that is not text in its declared charset and a .docx that is no Word file are quarantined
    by name, and a Word copy of the same plan is refused as a second version of it."""
    import duckdb
    from dagster import DagsterInstance, materialize

    from dagster_project.common import config
    from dagster_project.sources import assets as ingest
    from dagster_project.common.resource import WarehouseResource

    plans = tmp_path / "src" / "plans"
    plans.mkdir(parents=True)
    (plans / "a_zhoukou.html").write_bytes(PLAN.read_bytes())
    _docx_plan(plans / "b_zhoukou_copy.docx")
    (plans / "broken.htm").write_bytes(b"<html><head><meta charset='utf-8'></head><body>\xff\xfe\xfd</body></html>")
    (plans / "fake.docx").write_bytes(b"not a zip")
    monkeypatch.setenv(config.SOURCE_DIRS_ENV, str(tmp_path / "src"))
    monkeypatch.setenv(config.WAREHOUSE_ENV, str(tmp_path / "wh" / "indicators.duckdb"))
    assets = [ingest.raw_plan_indicator_cells, ingest.raw_plan_prose_targets, ingest.raw_plan_stated_values]
    assert materialize(assets, instance=DagsterInstance.ephemeral(),
                       resources={"warehouse": WarehouseResource(path=str(config.warehouse_path()))}).success
    with duckdb.connect(str(config.layout().build), read_only=True) as con:
        for table, n in (("plan_indicator_cells", 24), ("plan_prose_targets", len(PROSE))):
            assert con.execute(f"select source_file, count(*) from raw.{table} where plan_id = ? group by 1",
                               [PLAN_ID]).fetchall() == [("a_zhoukou.html", n)]
        assert con.execute("select count(*) from raw.plan_stated_values where source_file = 'a_zhoukou.html'").fetchone() == (2,)
        assert con.execute("select count(distinct source_location) from raw.plan_indicator_cells "
                           "where source_file = 'a_zhoukou.html'").fetchone() == (24,)
        quarantined = con.execute(
            "select asset, source_file, reason from raw.quarantine where source_file in "
            "('broken.htm', 'fake.docx', 'b_zhoukou_copy.docx') order by 1, 2").fetchall()
    files = {(a, f) for a, f, _r in quarantined}
    for asset in ("raw/plan_indicator_cells", "raw/plan_prose_targets", "raw/plan_stated_values"):
        assert {(asset, "broken.htm"), (asset, "fake.docx"), (asset, "b_zhoukou_copy.docx")} <= files
    reasons = {f: r for _a, f, r in quarantined}
    assert "not valid utf-8" in reasons["broken.htm"] and "not a readable docx (zip) archive" in reasons["fake.docx"]
    assert reasons["b_zhoukou_copy.docx"].startswith("same plan as a_zhoukou.html")

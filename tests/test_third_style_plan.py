"""A plan in a third style (tests/fixtures/third_style_plan.md, 许昌市): a markdown 专栏1 with 类别
(merged cells), 序号, 单位, full-width digits, a 属性 column and an unknown 牵头单位 column, a `—`
unit for a ratio, `[ ]` values with the note "[ ]内为五年累计数", and target years stated once at
the start of a paragraph. Everything in it must land: every cell and prose target with region,
comparator, cumulative period and the binding attribute; what cannot be dated is quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dagster_project.common.files import file_sha256
from dagster_project.sources.plans.tables import parse_plan_tables
from dagster_project.sources.plans.prose_targets import extract_prose_targets, extract_stated_values

PLAN = Path(__file__).resolve().parent / "fixtures" / "third_style_plan.md"
PLAN_ID = "411000-许昌市新型城镇化规划(2021—2035年)"

# row: (序号, 类别, label, unit printed, 属性 binding, 牵头单位, line) and its three cells (2020, 2025, 2035)
# as (value, comparator, cumulative period or None; None value + None comparator = printed dash)
ROWS = {
    1: ("人口城镇化", "常住人口城镇化率", "％", False, "市发展改革委", 24, [(51.8, "="), (60, "="), (72, "=")]),
    2: ("人口城镇化", "城镇新增就业人数", "万人", False, "市人力资源社会保障局", 25,
        [(6.2, "="), (28, "=", (2021, 2025)), (25, "=", (2031, 2035))]),
    3: ("人口城镇化", "农村劳动力职业技能培训人次", "万人次", False, None, 26,
        [(2.5, "="), (12, "=", (2021, 2025)), (10, "=", (2031, 2035))]),
    4: ("城市发展质量", "城市建成区绿地率", "％", True, "市城市管理局", 27, [(37.5, "="), (39, "≥"), (41, "=")]),
    5: ("城市发展质量", "城市生活垃圾回收利用率", "％", True, "市城市管理局", 28, [(35, "="), (38, "≥"), (45, "≥")]),
    6: ("城市发展质量", "每千人拥有执业（助理）医师", "人", False, "市卫生健康委", 29, [(2.9, "="), (3.3, "="), (4, "=")]),
    7: ("城市发展质量", "单位地区生产总值能源消耗降低", "％", True, "市发展改革委", 30,
        [(None, None), (13.5, "=", (2021, 2025)), (None, None)]),
    8: ("城乡融合", "城乡居民收入比", "—", False, "市统计局", 31, [(1.82, "="), (1.75, "="), (1.6, "=")]),
    9: ("城乡融合", "农村人均可支配收入", "元", False, "市统计局", 32, [(21168, "="), (29500, "="), (52000, "=")]),
    10: ("城乡融合", "城镇调查失业率", "％", False, None, 33, [(4.6, "="), (5.5, "<"), (None, None)]),
}

# (line, year, subject, comparator, value, unit, region, indicator, direction, cumulative period); the
# reader emits the subject, the indicator code is the label map's, checked at the marts
# (tests/test_mapping_one_place.py)
PROSE = {
    (16, 2025, "全市常住人口城镇化率", "≈", 60.0, "%", "411000", "urbanization_rate", None, None),
    # the next three carry 到２０２５年 from the start of the paragraph
    (16, 2025, "城镇调查失业率", "≤", 5.5, "%", "411000", "urban_surveyed_unemployment", None, None),
    (16, 2025, "城乡居民收入比", "≤", 1.75, "ratio", "411000", "urban_rural_income_ratio", "lower", None),
    (16, 2025, "新建城镇保障性租赁住房", "=", 1.2, "万套", "411000", None, None, None),
    (18, 2035, "全市常住人口城镇化率", "≥", 72.0, "%", "411000", "urbanization_rate", None, None),
    (18, 2035, "城乡居民收入比", "≈", 1.6, "ratio", "411000", "urban_rural_income_ratio", "lower", None),
    (39, 2025, "生产总值", ">", 1000.0, "亿元", "411081", "gdp", None, None),  # 禹州市
    (39, 2025, "生产总值", ">", 800.0, "亿元", "411082", "gdp", None, None),  # 长葛市
    (41, 2030, "襄城县县城常住人口", "=", 30.0, "万人", "411025", None, None, None),
    (41, 2030, "鄢陵县县城常住人口", "=", 20.0, "万人", "411024", None, None, None),  # 2030 carried
    (45, 2025, "全市累计新增城镇就业", "=", 28.0, "万人", "411000", None, None, (2021, 2025)),
    (45, 2025, "农村劳动力职业技能培训累计", "=", 12.0, "万人次", "411000", None, None, (2021, 2025)),
    (45, 2025, "新建城镇保障性租赁住房", "=", 1.5, "万套", "411000", None, None, (2021, 2025)),  # “十四五”期间 carried
}


@pytest.fixture(scope="module")
def tables():
    return parse_plan_tables(PLAN)


@pytest.fixture(scope="module")
def prose():
    return extract_prose_targets(PLAN)


def test_table_found_with_identity_and_note(tables):
    assert (tables.plan_id, tables.region_code) == (PLAN_ID, "411000")
    assert tables.quarantine == []
    assert tables.tables == [{
        "table_ref": "专栏1", "caption": "许昌市新型城镇化主要指标", "header_line": 22, "rows": 10,
        "years": [2020, 2025, 2035], "note": "注：１．[ ]内为五年累计数；２．城乡居民收入比以农村居民收入为１。",
        "period_years": 5,
    }]


def test_every_table_cell_lands(tables):
    got = {(r["row_number"], r["year"]): r for r in tables.cells.iter_rows(named=True)}
    assert len(got) == tables.cells.height == 30
    for seq, (group, label, unit, binding, lead, line, cells) in ROWS.items():
        for year, cell in zip((2020, 2025, 2035), cells):
            r = got[(seq, year)]
            value, comparator, period = cell[0], cell[1], cell[2] if len(cell) > 2 else None
            assert (r["group_label"], r["indicator_label"], r["unit_printed"], r["line_number"]) == (group, label, unit, line)
            assert (r["value"], r["comparator"], r["is_missing"]) == (value, comparator, value is None), (seq, year)
            assert r["is_cumulative"] is (period is not None)
            assert (r["period_start"], r["period_end"]) == (period or (None, None)), (seq, year)
            assert r["is_binding"] is binding
            attributes = {"属性": "约束性" if binding else "预期性"} | ({"牵头单位": lead} if lead else {})
            assert json.loads(r["attributes"]) == attributes
            assert r["column_kind"] == ("baseline" if year == 2020 else "target")
            assert (r["plan_id"], r["plan_region_code"], r["source_sha256"]) == (PLAN_ID, "411000", file_sha256(PLAN))


def test_dash_unit_has_an_empty_unit_key(tables):
    keys = dict(tables.cells.select("indicator_label", "unit_key").unique().iter_rows())
    assert keys["城乡居民收入比"] == "" and keys["常住人口城镇化率"] == "%" and keys["城镇新增就业人数"] == "万人"


def test_every_prose_target_lands(prose):
    assert (prose.plan_id, prose.city_code) == (PLAN_ID, "411000")
    got = {
        (r["line_number"], r["target_year"], r["subject"], r["comparator"], r["value"], r["unit"], r["region_code"],
         r["direction_hint"], (r["period_start"], r["period_end"]) if r["is_cumulative"] else None)
        for r in prose.targets.iter_rows(named=True)
    }
    assert got == {p[:7] + p[8:] for p in PROSE}
    assert set(prose.targets["label_scope"]) == {"prose"}
    assert prose.targets.height == len(PROSE)
    # the cumulative ones all have their period; no other row is cumulative
    assert prose.targets.filter(pl.col("is_cumulative"))["period_start"].to_list() == [2021, 2021, 2021]


def test_undated_target_is_quarantined_with_its_line(prose):
    assert [(q.source_kind, q.location, q.verbatim) for q in prose.quarantine] == [
        ("plan_prose", "line 49", "城市建成区绿地率不低于３９％")]
    assert "without a target year" in prose.quarantine[0].reason and "３９％" in prose.quarantine[0].reason


def test_stated_values_of_the_third_plan():
    res = extract_stated_values(PLAN)
    got = {(r["source_location"], r["region_code"], r["year"], r["indicator_label_raw"], r["value"])
           for r in res.observations.iter_rows(named=True)}
    assert got == {("line 12", "411000", 2020, "全市常住人口城镇化率", 51.8),
                   ("line 12", "411000", 2020, "城乡居民收入比", 1.82)}
    assert res.quarantine == []


def test_two_files_of_one_plan_land_once(tmp_path, monkeypatch):
    """The plan id comes from the content: a second file of the same plan (a renamed copy with
    other bytes, a draft next to its final version) is quarantined as a whole, not loaded twice."""
    import duckdb
    from dagster import DagsterInstance, materialize

    from dagster_project.common.resource import WarehouseResource

    from dagster_project.common import config
    from dagster_project.sources import assets as ingest

    plans = tmp_path / "src" / "plans"
    plans.mkdir(parents=True)
    (plans / "a_xuchang.md").write_bytes(PLAN.read_bytes())
    (plans / "b_xuchang_copy.md").write_bytes(PLAN.read_bytes() + b"\n")
    monkeypatch.setenv(config.SOURCE_DIRS_ENV, str(tmp_path / "src"))
    monkeypatch.setenv(config.WAREHOUSE_ENV, str(tmp_path / "wh" / "indicators.duckdb"))
    assert materialize([ingest.raw_plan_indicator_cells, ingest.raw_plan_prose_targets], instance=DagsterInstance.ephemeral(),
                       resources={"warehouse": WarehouseResource(path=str(config.warehouse_path()))}).success
    with duckdb.connect(str(config.layout().build), read_only=True) as con:
        for table, n in (("plan_indicator_cells", 30), ("plan_prose_targets", 13)):
            assert con.execute(f"select source_file, count(*) from raw.{table} where plan_id = ? group by 1", [PLAN_ID]).fetchall() \
                == [("a_xuchang.md", n)]
        quarantined = con.execute("select asset, location, reason from raw.quarantine where source_file = 'b_xuchang_copy.md'").fetchall()
    assert sorted(quarantined) == [
        (f"raw/{table}", "file", f"same plan as a_xuchang.md (plan id {PLAN_ID!r}): two versions of one plan "
         "cannot both be read; keep one") for table in ("plan_indicator_cells", "plan_prose_targets")]

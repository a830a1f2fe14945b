"""Row-level plausibility gates (raw/reference/plausibility_rules.csv, int_observations_checked,
int_plan_targets_checked): implausible values end in marts.fct_quarantine with file, location,
rule and verbatim text, never in the marts, and never block the publish.

One nightly run on the real yearbooks and census (bulletin HTML left out) plus planted misprints:
濮阳 户籍 4340 万 for 434 in the 2020 edition, a green-coverage 160 % and a negative population in
the same file, a bulletin-facts row of 3661 万 for 濮阳 2024, a plan table cell of 5000 % and a plan
without an indicator table. The real 2024 edition brings 岳阳's urbanization rate printed 6239.
"""

import re
import shutil
import zipfile

import duckdb
import pytest
from dagster import DagsterInstance

from dagster_project.quality import suites as quality
from dagster_project.cli.nightly import execute_nightly
from dagster_project.serving.queries import rows
from dagster_project.common.warehouse import connect_readonly
from tests.conftest import shared_dir

EDITION_2020 = "china_city_statistical_yearbook_2020_prefecture.xlsx"
EDITION_2024 = "china_city_statistical_yearbook_2024_prefecture.xlsx"
# (cell of sheet1.xml, printed value, planted value): 濮阳 户籍 全市 2019, 菏泽 建成区绿化覆盖率 市辖区 2019,
# 菏泽 户籍 市辖区 2019
PLANTED_CELLS = [("C171", "434", "4340"), ("X161", "40.549999999999997", "160"), ("D161", "237", "-237")]


# a plan whose indicator table prints 5000 for a 2025 percentage target (line 9)
BAD_TABLE_PLAN = """# 濮阳市新型城镇化规划（修改稿）

(2021-2035年)

2022年4月

专栏 1：濮阳市新型城镇化发展目标
指标\t2020 年\t2025 年\t2035 年
常住人口城镇化率（%）\t49.97\t5000\t72
城市建成区绿地率（%）\t36.33\t38\t40
注：2020 年为基期值。

## 第一章 发展基础
"""


def patch_xlsx(src, dst, cells):
    """Copy an xlsx, replacing numeric cells of its first sheet (cell ref, old text, new number)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode("utf-8")
                for ref, old, new in cells:
                    xml, n = re.subn(rf'(<c r="{ref}"[^>]*><v>){re.escape(old)}(</v></c>)', rf"\g<1>{new}\g<2>", xml)
                    assert n == 1, f"{src.name} {ref} does not hold {old}"
                data = xml.encode("utf-8")
            zout.writestr(item, data)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    shared = shared_dir()
    if shared is None:
        pytest.skip("shared source directory (../shared or URBAN_SOURCE_DIRS) not available")
    src = tmp_path_factory.mktemp("sources")
    shutil.copytree(shared / "census", src / "census")
    books = src / "yearbooks" / "ccsy"
    books.mkdir(parents=True)
    for book in sorted((shared / "yearbooks" / "ccsy").glob("*.xlsx")):
        if book.name == EDITION_2020:
            patch_xlsx(book, books / book.name, PLANTED_CELLS)
        else:
            shutil.copy(book, books / book.name)
    (src / "bulletins").mkdir()
    (src / "bulletins" / "bulletin_facts_extra.csv").write_text(
        "region_code,region_name,year,indicator_label,value,unit,source_kind,source\n"
        "410900,濮阳市,2024,常住人口,3661,万人,statistical bulletin,a misprint (366.1)\n",
        encoding="utf-8",
    )
    (src / "plans").mkdir()
    (src / "plans" / "puyang_plan_bad_table.md").write_text(BAD_TABLE_PLAN, encoding="utf-8")
    (src / "plans" / "puyang_prose_only_plan.md").write_text(
        "# 濮阳市城市更新专项规划\n\n（2023-2030年）\n\n到2030年，全市常住人口城镇化率达到65%。\n", encoding="utf-8"
    )

    mp = pytest.MonkeyPatch()
    mp.setenv("URBAN_SOURCE_DIRS", str(src))
    mp.setenv("URBAN_WAREHOUSE_PATH", str(tmp_path_factory.mktemp("warehouse") / "indicators.duckdb"))
    try:
        result, published = execute_nightly(DagsterInstance.ephemeral())
        from dagster_project.common import config

        path = config.warehouse_path()
    finally:
        mp.undo()
    checks = {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    return path, result, published, checks



def quarantined(con, source_file, location_prefix):
    return rows(
        con,
        "select stage, asset, source_kind, location, reason, verbatim from marts.fct_quarantine "
        "where source_file = ? and starts_with(location, ?)",
        [source_file, location_prefix],
    )


def test_publishes_with_the_gates_passing(planted):
    _path, result, published, checks = planted
    failed = {name: c.metadata for name, c in checks.items() if not c.passed and c.severity.name == "ERROR"}
    assert result.success and published, failed
    for name in ("gx_fct_indicator_observation", "gx_fct_plan_target"):
        assert checks[name].passed, checks[name].metadata


def test_yueyang_urbanization_rate_6239_is_quarantined_not_published(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        (q,) = quarantined(con, EDITION_2024, "sheet Sheet1 cell E200 ")
        assert q["stage"] == "plausibility" and q["asset"] == "raw/yearbook_observations"
        assert q["verbatim"] == "6239"
        assert q["reason"].startswith("range: 6239 % is above the maximum 100 % (plausibility_rules.csv, urbanization_rate:")
        n = con.execute(
            "select count(*) from marts.fct_indicator_observation "
            "where region_code = '430600' and indicator_code = 'urbanization_rate' and year = 2023"
        ).fetchone()[0]
        assert n == 0
        # the other 296 cities' rates of the same column are published
        assert con.execute(
            "select count(*) from marts.fct_indicator_observation where source_file = ? and indicator_code = 'urbanization_rate'",
            [EDITION_2024],
        ).fetchone()[0] == 296


def test_tenfold_population_is_a_jump_and_its_neighbours_stay(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        (q,) = quarantined(con, EDITION_2020, "sheet Sheet1 cell C171 ")
        assert q["verbatim"] == "4340"
        assert q["reason"].startswith("jump: 43400000 persons differs more than 3x from all 3 references (closest: 4350000 for 2018")
        series = con.execute(
            "select year, value_normalized, preferred from marts.fct_indicator_observation "
            "where region_code = '410900' and indicator_code = 'registered_population' and scope = '全市' "
            "and source_kind = 'yearbook' order by year"
        ).fetchall()
        assert series == [(2018, 4350000.0, True), (2021, 4350000.0, True), (2022, 4340000.0, True)]


def test_out_of_range_yearbook_cells_are_quarantined(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        (pct,) = quarantined(con, EDITION_2020, "sheet Sheet1 cell X161 ")
        assert pct["verbatim"] == "160"
        assert pct["reason"].startswith("range: 160 % is above the maximum 100 % (plausibility_rules.csv, unit %:")
        (neg,) = quarantined(con, EDITION_2020, "sheet Sheet1 cell D161 ")
        assert neg["verbatim"] == "-237"
        assert neg["reason"].startswith("range: -2370000 persons is below the minimum 0 persons")
        assert con.execute(
            "select count(*) from marts.fct_indicator_observation where source_file = ? and source_location in "
            "('sheet Sheet1 cell X161 (row 161, column 24)', 'sheet Sheet1 cell D161 (row 161, column 4)')",
            [EDITION_2020],
        ).fetchone()[0] == 0


def test_bulletin_facts_misprint_is_never_preferred(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        (q,) = quarantined(con, "bulletin_facts_extra.csv", "row 2")
        assert q["asset"] == "raw/bulletin_facts"
        assert q["reason"].startswith("jump: 36610000 persons differs more than 3x from all")
        assert con.execute(
            "select count(*) from marts.fct_indicator_observation where region_code = '410900' "
            "and indicator_code = 'resident_population' and year = 2024"
        ).fetchone()[0] == 0
        # 2025: the committed bulletin facts' 366.10 万 is still the preferred value
        assert con.execute(
            "select value_normalized from marts.fct_indicator_observation where region_code = '410900' "
            "and indicator_code = 'resident_population' and year = 2025 and preferred"
        ).fetchall() == [(3661000.0,)]


def test_plan_cell_of_5000_percent_is_quarantined_and_the_rest_of_the_plan_published(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        (q,) = rows(con, "select * from marts.fct_quarantine where source_file = 'puyang_plan_bad_table.md'")
        assert (q["stage"], q["asset"], q["source_kind"]) == ("plausibility", "raw/plan_indicator_cells", "plan_table")
        assert q["location"] == "line 9 (专栏1, 2025)" and q["verbatim"] == "5000"
        assert q["reason"].startswith("range: 5000 % is above the maximum 100 % (plausibility_rules.csv, urbanization_rate:")
        published = con.execute(
            "select line_number, year, value_original from marts.fct_plan_target "
            "where source_file = 'puyang_plan_bad_table.md' order by 1, 2"
        ).fetchall()
        assert published == [(9, 2020, 49.97), (9, 2035, 72.0), (10, 2020, 36.33), (10, 2025, 38.0), (10, 2035, 40.0)]


def test_plan_without_a_table_is_published(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        got = con.execute(
            "select indicator_code, year, value_normalized, baseline_year from marts.fct_plan_target "
            "where source_file = 'puyang_prose_only_plan.md'"
        ).fetchall()
    assert got == [("urbanization_rate", 2030, 65.0, None)]


def test_load_summary_counts_implausible_values_per_file(planted):
    path = planted[0]
    with connect_readonly(path) as con:
        summary = dict(
            con.execute(
                "select source_file, rows_implausible from marts.mart_load_summary where asset = 'raw/yearbook_observations'"
            ).fetchall()
        )
        ledger = dict(
            con.execute(
                "select source_file, count(*) from marts.fct_quarantine "
                "where stage = 'plausibility' and asset = 'raw/yearbook_observations' group by 1"
            ).fetchall()
        )
        assert summary == {f: ledger.get(f, 0) for f in summary}
        assert summary[EDITION_2020] >= 3 and summary[EDITION_2024] >= 1


def test_real_misprints_caught_by_each_rule(planted):
    """Real source errors of the yearbooks, one per rule, with the cell they sit in."""
    path = planted[0]
    with connect_readonly(path) as con:
        # jump: 遵义 average wage 2020 printed 10216 between 94643 (2019) and 107547 (2021)
        (wage,) = quarantined(con, "china_city_statistical_yearbook_2021_prefecture.xlsx", "sheet Sheet1 cell BW273 ")
        assert wage["verbatim"] == "10216" and wage["reason"].startswith("jump: 10216 yuan differs more than 3x")
        # column: the 2022 edition's 2021 mobile-subscriber column (2-32 邮政、电信业) is garbled
        # (海口 39917 万户 for a city of 290 万 people): every value of it is quarantined
        col = con.execute(
            "select count(*) filter (where starts_with(reason, 'column: ')), count(*) from marts.fct_quarantine "
            "where source_file = 'china_city_statistical_yearbook_2022_prefecture.xlsx' and stage = 'plausibility' "
            "and reason like '%mobile_phone_users%'"
        ).fetchone()
        assert col[0] > 100 and col[1] == con.execute(
            "select count(*) from intermediate.int_observations_checked where indicator_code = 'mobile_phone_users' "
            "and source_file = 'china_city_statistical_yearbook_2022_prefecture.xlsx' and value is not null"
        ).fetchone()[0]


def test_failed_expectation_names_file_location_and_value_of_each_row(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table t as select * from (values "
            "('a.xlsx', 'sheet Sheet1 cell E200', 62.39), ('b.xlsx', 'sheet Sheet1 cell E201', 6239.0)) v(source_file, source_location, value)"
        )
    suite = {
        "name": "t", "table": "t", "provenance_columns": ["source_file", "source_location"],
        "expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0, "max_value": 100}}],
    }
    outcome = quality.validate(suite, db)
    assert not outcome.success
    assert outcome.failed[0]["rows"] == [{"source_file": "b.xlsx", "source_location": "sheet Sheet1 cell E201", "value": 6239.0}]
    assert "source_file=b.xlsx, source_location=sheet Sheet1 cell E201, value=6239.0" in outcome.summary()

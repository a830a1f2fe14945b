"""End to end: the Dagster nightly job into a temporary warehouse, then a run that the
GX gate must stop, leaving the published file untouched and readable."""

import hashlib
import logging

import pytest
from dagster import DagsterInstance

from dagster_project.cli.nightly import execute_nightly
from dagster_project.common.warehouse import connect_readonly
from tests.conftest import PUYANG

THIRD_PLAN = PUYANG.parents[2] / "tests" / "fixtures" / "third_style_plan.md"


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def warehouse(nightly_warehouse):
    return nightly_warehouse


def one(con, sql, params=()):
    rows = con.execute(sql, params).fetchall()
    assert len(rows) == 1, (sql, params, rows)
    return rows[0]


def test_every_table_cell_is_published(warehouse):
    path, _ = warehouse
    with connect_readonly(path) as con:
        counts = dict(con.execute("select region_code, count(*) from marts.fct_plan_target where source_kind = 'table' group by 1").fetchall())
        assert counts == {"410900": 45, "371700": 66}
        assert one(con, "select count(*) from marts.fct_plan_target where is_missing") == (10,)
        assert one(con, "select count(*) from marts.fct_plan_target where indicator_code is null and source_kind = 'table'") == (0,)


def test_published_values_and_normalization(warehouse):
    path, _ = warehouse
    q = """select value_original, unit_original, comparator, is_cumulative, period_start, period_end,
                  value_normalized, canonical_unit, annual_average_normalized, is_relative, relative_region_code
           from marts.fct_plan_target where region_code = ? and indicator_code = ? and year = ? and source_kind = 'table'"""
    with connect_readonly(path) as con:
        assert one(con, q, ["410900", "urban_new_jobs", 2025]) == (21.0, "万人", "=", True, 2021, 2025, 210000.0, "persons", 42000.0, False, None)
        assert one(con, q, ["410900", "urban_new_jobs", 2035])[4:9] == (2026, 2035, 400000.0, "persons", 40000.0)
        assert one(con, q, ["410900", "rural_labour_skill_training", 2035])[6:9] == (240000.0, "person_times", 24000.0)
        rd = one(con, q, ["410900", "rd_intensity", 2035])
        assert rd[0] is None and rd[9] is True and rd[10] == "410000"
        assert one(con, q, ["371700", "base_stations_5g", 2035])[:3] == (5.0, "万个", ">")
        assert one(con, q, ["371700", "base_stations_5g", 2035])[6:8] == (50000.0, "count")
        assert one(con, q, ["371700", "urban_surveyed_unemployment", 2025])[:3] == (5.5, "%", "<")
        assert one(con, q, ["371700", "urban_rural_income_ratio", 2021])[6:8] == (1.89, "ratio")
        assert one(con, q, ["371700", "park_green_area_per_capita", 2025])[6:8] == (13.3, "m2_per_person")
        assert one(con, q, ["371700", "doctors_per_1000", 2035])[6:8] == (4.5, "per_1000_persons")


def test_harmonization_match_types(warehouse):
    path, _ = warehouse
    with connect_readonly(path) as con:
        rows = dict(con.execute(
            """select f.indicator_label, f.match_type || ':' || i.harmonized_code
               from marts.fct_plan_target f join marts.dim_indicator i using (indicator_code)
               where f.year = 2025 and i.harmonized_code in ('household_fibre_coverage', 'green_building_share', 'urbanization_rate')"""
        ).fetchall())
    assert rows["城镇新建绿色建筑占新建建筑比重"] == rows["绿色建筑占新建建筑比例"] == "exact:green_building_share"
    assert rows["城市家庭千兆光纤网络覆盖率"] == "related:household_fibre_coverage"
    assert rows["家庭光纤入户覆盖率"] == "exact:household_fibre_coverage"


def test_provenance_and_load_id(warehouse):
    path, _ = warehouse
    with connect_readonly(path) as con:
        f, h, line, cell, load_id = one(
            con,
            "select source_file, source_sha256, line_number, cell_text, load_id from marts.fct_plan_target where region_code='410900' and indicator_code='urban_new_jobs' and year=2025",
        )
        assert (f, h, cell) == (PUYANG.name, sha(PUYANG), "[21]")
        assert "[21]" in PUYANG.read_text(encoding="utf-8").splitlines()[line - 1]
        assert one(con, "select count(*) from raw.load_log where load_id = ?", [load_id])[0] >= 2
        assert one(con, "select run_id from meta.published")[0] == load_id
        assert one(con, "select count(*) from marts.dim_region where region_code in ('410000','370000','410900','371700','410922','371725')") == (6,)


def test_a_loader_warns_once_about_its_quarantined_rows(nightly_run, shared):
    """One warning per loader, not one Dagster event per row: the census loader's 48 rows of two
    files (the 2020 county sheet's 'NA' codes, Hong Kong and Macao in the city CSV), each file with
    its count and first rows."""
    _, _, instance, result = nightly_run
    warnings = [e.user_message for e in instance.all_logs(result.run_id)
                if e.dagster_event is None and e.level == logging.WARNING and e.step_key == "raw__census_observations"]
    assert len(warnings) == 1
    lines = warnings[0].splitlines()
    assert lines[0] == "quarantined 48 row(s) of 2 file(s); every one is in raw.quarantine:"
    assert lines[lines.index("census_city_2010-2020_v1.csv: 2") + 1] == "  line 369: region code '810000' is not in regions.csv (GB/T 2260)"
    county = lines.index("census_county_2020_v1.xlsx: 46")
    assert all(line.startswith("  sheet 七普（年鉴） row ") and line.endswith(": region code 'NA' is not in regions.csv (GB/T 2260)")
               for line in lines[county + 1:county + 4])
    assert lines[county + 4] == "  ... and 43 more"


def test_failed_gate_keeps_the_published_warehouse(warehouse, tmp_path):
    """A value the warehouse cannot convert must never be published: a third plan whose 城镇化率 row
    prints a unit no unit row knows (个/台) fails the blocking gate; the published file stays.
    (An implausible value such as a 160 % target is quarantined instead: tests/test_plausibility.py.)"""
    path, _ = warehouse
    mp = pytest.MonkeyPatch()  # restores URBAN_SOURCE_DIRS as it was for the other tests of the session
    bad_dir = tmp_path / "sources"
    (bad_dir / "plans").mkdir(parents=True)
    row = "| 人口城镇化 | １ | 常住人口城镇化率 | ％ |"
    text = THIRD_PLAN.read_text(encoding="utf-8")
    assert row in text
    (bad_dir / "plans" / "third_plan_bad_unit.md").write_text(text.replace(row, row.replace("％", "个/台")), encoding="utf-8")
    mp.setenv("URBAN_SOURCE_DIRS", str(bad_dir))
    before = sha(path)
    reader = connect_readonly(path)  # an analyst keeps reading during the run
    n_before = reader.execute("select count(*) from marts.fct_plan_target").fetchone()[0]
    try:
        result, published = execute_nightly(DagsterInstance.ephemeral())
        assert not published
        evals = {e.event_specific_data.check_name: e.event_specific_data
                 for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
        # the dbt test on units fails inside the dbt build, before the GX gates would run
        assert evals["assert_plan_target_units_match_catalogue"].passed is False
        assert not any(ev.passed is False for name, ev in evals.items() if name != "assert_plan_target_units_match_catalogue")
        assert sha(path) == before
        assert reader.execute("select count(*) from marts.fct_plan_target").fetchone()[0] == n_before
    finally:
        reader.close()
        mp.undo()
    with connect_readonly(path) as con:
        assert con.execute("select count(*) from marts.fct_plan_target where unit_original = '个/台'").fetchone()[0] == 0


def test_observations_from_every_source_are_published(warehouse, shared):
    path, _ = warehouse
    q = """select value, unit_raw, value_normalized, canonical_unit, source_file, source_location, verbatim
           from marts.fct_indicator_observation
           where region_code = ? and indicator_code = ? and year = ? and scope = ? and source_kind = ?"""
    with connect_readonly(path) as con:
        reg = one(con, q, ["410900", "registered_population", 2018, "全市", "yearbook"])
        assert reg[:4] == (435.0, "万人", 4350000.0, "persons")
        assert reg[4] == "china_city_statistical_yearbook_2019_prefecture.xlsx"
        assert one(con, q, ["410900", "resident_population", 2020, "全市", "yearbook"])[0] == 377.0
        assert one(con, q, ["410900", "urban_resident_population", 2020, "全市", "yearbook"])[0] == 189.0
        assert one(con, q, ["371700", "resident_population", 2020, "全市", "yearbook"])[0] == 880.0
        assert one(con, q, ["371700", "urban_resident_population", 2020, "全市", "yearbook"])[0] == 446.0
        # 菏泽 is printed 荷泽市 in some editions: every edition still lands on 371700
        editions = [r[0] for r in con.execute(
            "select distinct edition from marts.fct_indicator_observation where region_code = '371700' and source_kind = 'yearbook' order by 1"
        ).fetchall()]
        assert editions == [2019, 2020, 2021, 2022, 2023, 2024]
        html = "select value, verbatim from marts.fct_indicator_observation where region_code = '410900' and year = 2025 and source_kind = 'bulletin_html' and indicator_code = ?"
        assert one(con, html, ["urbanization_rate"])[0] == 54.44
        assert "54.44" in one(con, html, ["urbanization_rate"])[1]
        assert one(con, html, ["gdp"])[0] == 2106.17
        assert one(con, html, ["urban_disposable_income"])[0] == 41549.0
        assert one(con, html, ["urban_new_jobs"])[0] == 4.67
        census = dict(con.execute(
            """select indicator_code, value from marts.fct_indicator_observation
               where region_code = '410900' and year = 2020 and source_kind = 'census' and source_file like '%city%'"""
        ).fetchall())
        assert round(census["urban_resident_population"] / census["resident_population"] * 100, 2) == 49.97
        # conflicting values for the same key are all kept, exactly one preferred
        rows = con.execute(
            """select source_kind, preferred from marts.fct_indicator_observation
               where region_code = '410900' and indicator_code = 'urbanization_rate' and year = 2025"""
        ).fetchall()
        assert len(rows) >= 2 and sum(p for _, p in rows) == 1 and dict(rows)["bulletin_html"] is True


def test_every_yearbook_city_row_lands_or_is_quarantined(warehouse, shared):
    path, _ = warehouse
    with connect_readonly(path) as con:
        per_edition = dict(con.execute(
            "select edition, count(distinct region_code) from marts.fct_indicator_observation where source_kind = 'yearbook' group by 1"
        ).fetchall())
        assert set(per_edition) == {2019, 2020, 2021, 2022, 2023, 2024}
        assert all(290 <= n <= 298 for n in per_edition.values()), per_edition
        summary = con.execute(
            "select source_file, rows_loaded, rows_quarantined from marts.mart_load_summary where asset = 'raw/yearbook_observations'"
        ).fetchall()
        assert len(summary) == 6 and all(n > 30000 for _, n, _ in summary)
        # rows that did not land are in quarantine with a reason naming where they were
        q = con.execute(
            "select location, reason from marts.fct_quarantine where asset = 'raw/yearbook_observations'"
        ).fetchall()
        assert q and all(loc and reason for loc, reason in q)
        unmapped = con.execute("select count(*) from intermediate.int_indicator_labels_mapped "
                               "where label_scope = 'yearbook' and indicator_code is null").fetchone()[0]
        assert unmapped > 0


def test_nightly_runs_without_any_source_directory(tmp_path, monkeypatch):
    """No yearbook/census/bulletin-HTML directory configured: fewer actuals, still published."""
    monkeypatch.setenv("URBAN_WAREHOUSE_PATH", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("URBAN_SOURCE_DIRS", "")
    result, published = execute_nightly(DagsterInstance.ephemeral())
    assert result.success and published
    with connect_readonly(tmp_path / "wh.duckdb") as con:
        kinds = dict(con.execute("select source_kind, count(*) from marts.fct_indicator_observation group by 1").fetchall())
        # the committed sources only: bulletin_facts.csv and what the two plans state about past years
        assert kinds == {"bulletin_facts": 47, "plan_statement": 6}
        assert con.execute("select count(*) from marts.fct_plan_target where source_kind = 'table'").fetchone()[0] == 111

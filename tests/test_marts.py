"""The dbt layers and the all-cities marts: marts are leaves and intermediate models read only
staging and intermediate (dbt manifest); no model SQL names a plan region; the tidy actuals
(fct_indicator_actual), the ranking (mart_city_ranking, checked against a rank computed from the
yearbook's own cells, read here with python-calamine) and dim_indicator's coverage, on the session's
nightly warehouse; the key fixes of fct_indicator_observation; scripts/compare_marts.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.transform.project import dbt_project
from dagster_project.common.config import DBT_PROJECT_DIR, PROJECT_ROOT
from dagster_project.serving.queries import rows
from dagster_project.common.warehouse import connect_readonly
from tests.conftest import shared_dir, shared_file

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
from compare_marts import compare  # noqa: E402

needs_shared = pytest.mark.skipif(shared_dir() is None, reason="yearbooks / census need the shared source directory")

YEARBOOK_2024 = "yearbooks/ccsy/china_city_statistical_yearbook_2024_prefecture.xlsx"
PLAN_REGIONS = {"410900": "濮阳", "371700": "菏泽", "410000": "河南", "370000": "山东"}


@pytest.fixture(scope="module")
def warehouse(nightly_warehouse):
    return nightly_warehouse[0]



def test_marts_are_leaves_and_intermediate_reads_staging_and_intermediate_only():
    """Read from the manifest `dbt parse` writes (scripts/setup.sh), as `dbt ls` lists it."""
    nodes = {k: v for k, v in json.loads(dbt_project.manifest_path.read_text())["nodes"].items()
             if v["resource_type"] == "model"}
    layer = {k: v["fqn"][1] for k, v in nodes.items()}
    reads = {(layer[k], layer[d]) for k, v in nodes.items() for d in v["depends_on"]["nodes"] if d in nodes}
    assert {r for r in reads if r[1] == "marts"} == set(), "a model reads a mart"
    assert {r for r in reads if r[0] == "intermediate"} <= {("intermediate", "staging"), ("intermediate", "intermediate")}
    assert {r for r in reads if r[0] == "staging"} == set()
    # grouped by purpose: every intermediate model and mart sits in a purpose folder
    assert {tuple(v["fqn"][1:3]) for v in nodes.values() if v["fqn"][1] != "staging"} == {
        (layer_, purpose) for layer_ in ("intermediate", "marts") for purpose in ("mapping", "observations", "plans", "monitoring", "pipeline")}


def test_no_model_sql_names_a_plan_region():
    """City lists belong in data: no region code of 濮阳, 菏泽, 河南 or 山东 anywhere in model SQL, and
    their names only in comments (as examples)."""
    for path in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        code = re.sub(r"--[^\n]*|\{#.*?#\}", "", text, flags=re.S)
        assert not [c for c in PLAN_REGIONS if c in text], path
        assert not [n for n in PLAN_REGIONS.values() if n in code], path


@needs_shared
def test_puyang_rank_among_henan_cities_matches_the_yearbook_cells(warehouse):
    """常住人口城镇化率 2023 (edition 2024, the 全市 column): ranked by hand from the workbook's cells,
    濮阳 (52.57) is 14th of 河南's 17 prefecture cities, above 商丘 48.76, 驻马店 46.84, 周口 45.31."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(shared_file(YEARBOOK_2024))).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "中国2023年地级以上城市数据"
    (col,) = [j for j in range(len(sheet[3])) if str(sheet[3][j]).startswith("常住人口城镇化率")]
    assert str(sheet[4][col]).startswith("全市")
    start = next(i for i, r in enumerate(sheet) if str(r[0]).strip() == "河南省")
    cities = {}
    for r in sheet[start + 1:]:
        name = str(r[0]).strip()
        if name.endswith("省"):
            break
        cities[name] = float(r[col])
    by_value = sorted(cities.values(), reverse=True)
    hand_rank = 1 + sum(v > cities["濮阳市"] for v in by_value)
    assert (cities["濮阳市"], hand_rank, len(cities)) == (52.57, 14, 17)
    with connect_readonly(warehouse) as con:
        r = rows(con, "select value, rank_in_province, n_ranked_in_province, direction, rank_order, source_kind "
                      "from marts.mart_city_ranking where region_code = '410900' and indicator_code = 'urbanization_rate' and year = 2023")
        assert r == [{"value": 52.57, "rank_in_province": 14, "n_ranked_in_province": 17, "direction": "higher",
                      "rank_order": "higher is better: rank 1 = highest value", "source_kind": "yearbook"}]
        henan = rows(con, "select region_name, value, rank_in_province from marts.mart_city_ranking where province_code = '410000' "
                          "and indicator_code = 'urbanization_rate' and year = 2023 order by rank_in_province")
        assert {x["region_name"]: x["value"] for x in henan} == cities
        assert [x["rank_in_province"] for x in henan] == list(range(1, 18))
        # every ranked value is a prefecture city's whole-city actual, and the ranked population is stated
        bad = rows(con, """select count(*) n from marts.mart_city_ranking k
                           left join marts.fct_indicator_actual a on a.region_code = k.region_code and a.indicator_code = k.indicator_code
                                and a.year = k.year and a.scope_group = 'whole_region' and a.value = k.value
                           where a.actual_id is null or a.region_level <> 'prefecture'
                              or k.n_ranked_in_province <> (select count(*) from marts.mart_city_ranking x where x.province_code = k.province_code
                                                            and x.indicator_code = k.indicator_code and x.year = k.year)""")
        assert bad == [{"n": 0}]


@needs_shared
def test_tidy_actuals_answer_which_cities_grew_fastest_in_one_query(warehouse):
    with connect_readonly(warehouse) as con:
        grew = rows(con, """select region_code, previous_year, previous_value, value, change_per_year from marts.fct_indicator_actual
                            where province_code = '410000' and region_level = 'prefecture' and indicator_code = 'urbanization_rate'
                              and scope_group = 'whole_region' and year = 2023 order by change_per_year desc""")
        assert len(grew) == 17
        # 濮阳: the 2024 yearbook's 52.57 after the bulletin's 51.63 for 2022
        assert grew[0] == {"region_code": "410900", "previous_year": 2022, "previous_value": 51.63, "value": 52.57,
                           "change_per_year": pytest.approx(0.94)}
        # derived rates sit next to the observed ones
        derived = dict(con.execute(
            "select indicator_code, value from marts.fct_indicator_actual where region_code = '410900' and value_source = 'derived' "
            "and scope_group = 'whole_region' and ((indicator_code = 'urbanization_rate' and year = 2020) "
            "or (indicator_code in ('doctors_per_1000', 'urban_rural_income_ratio') and year = 2025))").fetchall())
        assert derived == {"urbanization_rate": pytest.approx(1884758 / 3772088 * 100),
                           "doctors_per_1000": pytest.approx(14187 / 3661000 * 1000)}
        (n_prefix,), (n_province,) = (con.execute(f"select count(*) from marts.fct_indicator_actual where {w}").fetchone()
                                      for w in ("region_code like '41%'", "province_code = '410000'"))
        assert n_prefix == n_province > 0


def test_dim_indicator_adds_derivation_and_coverage(warehouse):
    with connect_readonly(warehouse) as con:
        d = rows(con, "select derived_from, harmonized_name_zh, n_plan_targets, n_regions_with_actuals from marts.dim_indicator "
                      "where indicator_code in ('urbanization_rate', 'gigabit_fibre_household_coverage') order by indicator_code")
        n_targets = con.execute("select count(*) from marts.fct_plan_target where indicator_code = 'urbanization_rate' "
                                "and target_kind = 'target'").fetchone()[0]
        n_regions = con.execute("select count(distinct region_code) from marts.fct_indicator_actual "
                                "where indicator_code = 'urbanization_rate'").fetchone()[0]
    assert d == [
        {"derived_from": None, "harmonized_name_zh": None, "n_plan_targets": 2, "n_regions_with_actuals": 0},
        {"derived_from": "urban_resident_population / resident_population × 100", "harmonized_name_zh": "常住人口城镇化率",
         "n_plan_targets": n_targets, "n_regions_with_actuals": n_regions},
    ]
    assert n_targets > 0 and n_regions > 0


def test_observation_ids_hash_the_file_bytes_not_the_file_name(warehouse):
    with connect_readonly(warehouse) as con:
        assert con.execute("""select count(*) from marts.fct_indicator_observation
                              where observation_id <> md5(concat_ws('|', source_kind, source_sha256, source_location, indicator_label_raw, year))"""
                           ).fetchone()[0] == 0


@needs_shared
def test_every_unmapped_column_keeps_its_own_key_and_unit(warehouse):
    with connect_readonly(warehouse) as con:
        keys = [r[0] for r in con.execute(
            "select distinct indicator_key from marts.fct_indicator_observation where region_code = '410900' "
            "and edition = 2020 and indicator_label_raw = '普通小学' order by 1").fetchall()]
        assert keys == ["unmapped:专任教师数/普通小学 [persons]", "unmapped:在校学生数/普通小学 [persons]", "unmapped:学校数/普通小学 [count]"]
        unmapped = rows(con, "select indicator_key, count(distinct canonical_unit) n_units from marts.fct_indicator_observation "
                             "where indicator_code is null group by 1")
        assert unmapped and all(re.fullmatch(r"unmapped:.+ \[.+\]", r["indicator_key"]) and r["n_units"] <= 1 for r in unmapped)


def _warehouse(path: Path, statements: list[str]) -> str:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for s in statements:
            con.execute(s)
    return str(path)


def test_compare_marts_reports_changed_rows_and_ignores_run_columns(tmp_path):
    before = _warehouse(tmp_path / "before.duckdb", [
        "create table marts.same as select 1 as id, 'a' as v, 'run1' as load_id, timestamp '2025-01-01' as loaded_at",
        "create table marts.changed as select * from (values (1, 'a'), (2, 'b')) t(id, v)",
        "create table marts.gone as select 1 as id",
    ])
    after = _warehouse(tmp_path / "after.duckdb", [
        "create table marts.same as select 1 as id, 'a' as v, 'run2' as load_id, timestamp '2025-02-01' as loaded_at",
        "create table marts.changed as select * from (values (1, 'a'), (2, 'c'), (3, 'd')) t(id, v)",
        "create table marts.added as select 1 as id",
    ])
    diffs = {d.table: d for d in compare(before, after, show=5)}
    assert diffs["same"].same and not diffs["changed"].same
    assert (diffs["changed"].only_before, diffs["changed"].only_after) == (1, 2)
    assert diffs["changed"].samples == ([(2, "b")], [(2, "c"), (3, "d")])
    assert diffs["gone"].rows == (1, None) and diffs["added"].rows == (None, 1)
    assert [d.same for d in compare(before, after, ignore=("changed.v",)) if d.table == "changed"] == [False]  # row count differs
    out = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "compare_marts.py"), before, before],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.count("identical") == 3


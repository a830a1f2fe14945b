"""Plan-vs-actual monitoring marts, end to end: the session's nightly run into a temporary
warehouse (conftest.nightly_warehouse), then read-only assertions on mart_target_progress, fct_target_conflicts,
mart_city_comparison (long: region × harmonized indicator × year × value kind) and int_indicator_actuals_derived."""

import pytest

from dagster_project.serving.queries import rows
from dagster_project.common.warehouse import connect_readonly
from tests.conftest import shared_dir

needs_shared = pytest.mark.skipif(
    shared_dir() is None,
    reason="census / yearbook / bulletin-HTML actuals need the shared source directory (../shared or URBAN_SOURCE_DIRS)",
)


@pytest.fixture
def warehouse(nightly_warehouse):
    return nightly_warehouse[0]



def one(con, sql, params=()):
    r = rows(con, sql, params)
    assert len(r) == 1, (sql, params, r)
    return r[0]


def test_every_puyang_target_has_a_status(warehouse):
    with connect_readonly(warehouse) as con:
        missing = rows(con, """
            select t.target_id from marts.fct_plan_target t
            left join marts.mart_target_progress p using (target_id)
            where t.region_code = '410900' and t.target_kind = 'target' and not t.is_missing
              and (p.target_id is null or p.status is null or p.status_reason is null)""")
        assert missing == []
        n_targets = one(con, "select count(*) n from marts.fct_plan_target where target_kind = 'target'")["n"]
        assert one(con, "select count(*) n from marts.mart_target_progress")["n"] == n_targets


def test_reasons_tell_an_unreported_indicator_from_a_missing_regional_figure(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select status, status_reason from marts.mart_target_progress "
                     "where region_code = '410900' and indicator_code = 'road_network_density' and target_year = 2025")
        assert r["status"] == "insufficient_data"
        assert r["status_reason"].startswith("no source in the warehouse reports road_network_density for any region")
        # 建成区绿地率 is printed by other cities' bulletins (漯河, 沈阳, 福州), not by 濮阳's
        r = one(con, "select status, status_reason from marts.mart_target_progress "
                     "where region_code = '410900' and indicator_code = 'green_space_ratio' and target_year = 2025")
        assert r["status"] == "insufficient_data"
        assert r["status_reason"] == "no actual for green_space_ratio in 410900 up to 2025 (3 other region(s) have one)"
        r = one(con, "select status, gap_to_target, status_reason from marts.mart_target_progress "
                     "where region_code = '410900' and indicator_code = 'urban_disposable_income' and target_year = 2025")
        assert r["status"] == "target_missed" and r["gap_to_target"] == pytest.approx(41549 - 46300)
        assert "(gap -4751.0, -10.3 %)" in r["status_reason"]


def test_relative_target_without_province_value_says_so(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select status, status_reason, target_value from marts.mart_target_progress "
                     "where region_code = '410900' and indicator_code = 'rd_intensity' and target_year = 2035")
        assert r["status"] == "insufficient_data" and r["target_value"] is None
        assert r["status_reason"].startswith("province value for 2035 missing")


def test_heze_conflicts_keep_both_provenances(warehouse):
    with connect_readonly(warehouse) as con:
        got = rows(con, """select indicator_code, source_kind, table_ref, comparator, value_normalized
                           from marts.fct_target_conflicts where region_code = '371700' and year = 2025
                           order by indicator_code, value_normalized""")
        assert got == [
            {"indicator_code": "bus_stop_500m_coverage", "source_kind": "table", "table_ref": "专栏1", "comparator": "=", "value_normalized": 90.0},
            {"indicator_code": "bus_stop_500m_coverage", "source_kind": "action_table", "table_ref": "专栏17", "comparator": "=", "value_normalized": 100.0},
            {"indicator_code": "e_license_usage", "source_kind": "action_table", "table_ref": "专栏15", "comparator": "≥", "value_normalized": 70.0},
            {"indicator_code": "e_license_usage", "source_kind": "table", "table_ref": "专栏1", "comparator": "=", "value_normalized": 90.0},
        ]
        assert all(r["line_number"] is not None for r in rows(con, "select line_number from marts.fct_target_conflicts"))


def test_related_indicators_are_not_equated(warehouse):
    q = ("select region_code, indicator_code, match_type, comparator, value, comparability, is_cumulative, period_start, period_end "
         "from marts.mart_city_comparison where harmonized_code = ? and year = ? and value_kind = 'target' order by region_code")
    with connect_readonly(warehouse) as con:
        assert rows(con, q, ["household_fibre_coverage", 2025]) == [
            {"region_code": "371700", "indicator_code": "fibre_household_coverage", "match_type": "exact", "comparator": "=",
             "value": 80.0, "comparability": "related_indicator", "is_cumulative": False, "period_start": None, "period_end": None},
            {"region_code": "410900", "indicator_code": "gigabit_fibre_household_coverage", "match_type": "related", "comparator": "=",
             "value": 100.0, "comparability": "related_indicator", "is_cumulative": False, "period_start": None, "period_end": None},
        ]
        assert [(r["region_code"], r["value"], r["comparability"]) for r in rows(con, q, ["urbanization_rate", 2025])] == [
            ("371700", 57.0, "same_indicator"), ("410900", 60.0, "same_indicator")]
        # 濮阳 prints a cumulative 5G build count (prose, 2021–2025), 菏泽 stations in operation (专栏1): related only
        assert rows(con, q, ["base_stations_5g", 2025]) == [
            {"region_code": "371700", "indicator_code": "base_stations_5g", "match_type": "exact", "comparator": "=",
             "value": 20000.0, "comparability": "related_indicator", "is_cumulative": False, "period_start": None, "period_end": None},
            {"region_code": "410900", "indicator_code": "base_stations_5g_built", "match_type": "exact", "comparator": "≥",
             "value": 5000.0, "comparability": "related_indicator", "is_cumulative": True, "period_start": 2021, "period_end": 2025},
        ]


@needs_shared
def test_comparison_holds_every_plan_region_and_its_province(warehouse):
    """A region is in the comparison when a plan prints a target for it (濮阳's five counties have a
    生产总值 target in its prose) or is the province of one; the 2020 urbanization actual of each of
    the nine is derived from its census counts (濮阳: 1884758 / 3772088)."""
    with connect_readonly(warehouse) as con:
        regions = rows(con, "select distinct region_code, region_level from marts.mart_city_comparison order by region_code")
        targeted = rows(con, "select distinct region_code from marts.fct_plan_target where target_kind = 'target' order by 1")
        assert [r["region_code"] for r in regions if r["region_level"] != "province"] == [r["region_code"] for r in targeted]
        assert [r["region_code"] for r in regions if r["region_level"] == "province"] == ["370000", "410000"]
        got = rows(con, "select region_code, value, source from marts.mart_city_comparison where harmonized_code = 'urbanization_rate' "
                        "and year = 2020 and value_kind = 'actual' order by region_code")
        assert [r["region_code"] for r in got] == [r["region_code"] for r in regions]
        assert {r["source"] for r in got} == {"derived: urban_resident_population / resident_population × 100 — census / census"}
        assert next(r["value"] for r in got if r["region_code"] == "410900") == pytest.approx(1884758 / 3772088 * 100)


def test_warning_flags(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select baseline_value, annual_average_normalized, baseline_looks_cumulative from marts.mart_target_progress "
                     "where region_code = '410900' and indicator_code = 'urban_new_jobs' and target_year = 2025")
        assert r == {"baseline_value": 287400.0, "annual_average_normalized": 42000.0, "baseline_looks_cumulative": True}
        # 菏泽 城镇调查失业率 < 5.5 % against a 2.8 % baseline: a ceiling above the baseline of a lower-is-better indicator
        r = one(con, "select target_against_direction from marts.mart_target_progress "
                     "where region_code = '371700' and indicator_code = 'urban_surveyed_unemployment' and target_year = 2025")
        assert r["target_against_direction"] is True


@needs_shared
def test_puyang_urbanization_2025_missed(warehouse):
    with connect_readonly(warehouse) as con:
        got = rows(con, "select * from marts.mart_target_progress where region_code = '410900' "
                        "and indicator_code = 'urbanization_rate' and target_year = 2025")
        assert {r["source_kind"] for r in got} == {"table", "prose"}
        for r in got:
            assert (r["baseline_value"], r["baseline_year"]) == (49.97, 2020)
            assert (r["latest_actual_value"], r["latest_actual_year"]) == (54.44, 2025)
            assert r["status"] == "target_missed" and r["method"] == "cagr"
            actual = (54.44 / 49.97) ** (1 / 5) - 1
            required = (60 / 49.97) ** (1 / 5) - 1
            assert r["cagr_actual"] == pytest.approx(actual)
            assert r["cagr_required"] == pytest.approx(required)
            assert r["progress_ratio"] == pytest.approx(actual / required)
            assert r["ratio_band"] == "limited_progress"


@needs_shared
def test_puyang_derived_urbanization_2020_reconciles_with_plan_baseline(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select value_normalized, derivation, stated_value, reconciliation_status, differs_from_stated "
                     "from intermediate.int_indicator_actuals_derived where value_basis = 'observation' "
                     "and region_code = '410900' and indicator_code = 'urbanization_rate' and year = 2020 and scope_group = 'whole_region'")
        assert r["value_normalized"] == pytest.approx(1884758 / 3772088 * 100)
        assert r["derivation"].startswith("derived: urban_resident_population")
        assert (r["stated_value"], r["reconciliation_status"], r["differs_from_stated"]) == (49.97, "reconciled", False)


def test_puyang_income_ratio_2020_derived_from_plan_baselines(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select value_normalized, stated_value, stated_source, differs_from_stated, reconciliation_status "
                     "from intermediate.int_indicator_actuals_derived where value_basis = 'plan_baseline' "
                     "and region_code = '410900' and indicator_code = 'urban_rural_income_ratio' and year = 2020")
        assert r["value_normalized"] == pytest.approx(33643 / 14881)
        assert round(r["value_normalized"], 2) == 2.26
        # reconciled against the plan's own sentence "城乡居民收入比缩小到 2.26" (line 74)
        assert (r["stated_value"], r["reconciliation_status"], r["differs_from_stated"]) == (2.26, "reconciled", False)
        assert r["stated_source"] == "plan statement (puyang_new_urbanization_plan_2021_2035_draft.md line 74)"
        # the statement itself is an observation with its sentence, traceable like any other
        obs = rows(con, "select source_location, value_normalized, verbatim, preferred from marts.fct_indicator_observation "
                        "where source_kind = 'plan_statement' and region_code = '410900' "
                        "and indicator_code = 'urban_rural_income_ratio' and year = 2020 order by source_location")
        assert [(o["source_location"], o["value_normalized"]) for o in obs] == [("line 74", 2.26), ("line 82", 2.26)]
        assert "从2015年的2.55缩小至2020年的2.26" in obs[1]["verbatim"]
        assert sum(o["preferred"] for o in obs) == 1


def test_derived_value_that_differs_from_the_statement_is_flagged(warehouse):
    """Every derived value with a stated counterpart carries the gap and flag the documented
    tolerance gives (the failing case itself is in the dbt unit test
    derived_actuals_precedence_and_reconciliation: no real pair differs today)."""
    with connect_readonly(warehouse) as con:
        got = rows(con, "select derived_value, stated_value, derived_vs_stated_rel_gap, differs_from_stated, reconciliation_status "
                        "from intermediate.int_indicator_actuals_derived where stated_value is not null and derived_value is not null")
        assert got, "no derived value has a stated counterpart"
        tol = one(con, "select value from staging.stg_reference__progress_thresholds where parameter = 'derived_tolerance_relative'")["value"]
        for r in got:
            gap = abs(r["derived_value"] - r["stated_value"]) / abs(r["stated_value"])
            assert r["derived_vs_stated_rel_gap"] == pytest.approx(gap)
            assert r["differs_from_stated"] is (gap > tol)
            assert r["reconciliation_status"] == ("differs_beyond_rounding" if gap > tol else "reconciled")


@needs_shared
def test_puyang_income_ratio_2025_reconciles_with_bulletin(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select derived_value, stated_value, reconciliation_status, differs_from_stated "
                     "from intermediate.int_indicator_actuals_derived where value_basis = 'observation' "
                     "and region_code = '410900' and indicator_code = 'urban_rural_income_ratio' and year = 2025")
        assert r["derived_value"] == pytest.approx(41549 / 21956)
        assert (r["stated_value"], r["reconciliation_status"], r["differs_from_stated"]) == (1.89, "reconciled", False)


def test_heze_urbanization_2025_status(warehouse):
    with connect_readonly(warehouse) as con:
        r = one(con, "select * from marts.mart_target_progress where region_code = '371700' "
                     "and indicator_code = 'urbanization_rate' and target_year = 2025 and source_kind = 'table'")
        # the latest figure is the 2024 yearbook edition's 常住人口城镇化率 for 2023 (Sheet1 E161: 53.83);
        # 2022's 52.73 comes from the bulletin (bulletin_facts.csv)
        assert (r["baseline_value"], r["baseline_year"]) == (51.9, 2021)
        assert (r["latest_actual_value"], r["latest_actual_year"]) == (53.83, 2023)
        assert r["target_value"] == 57.0
        ratio = ((53.83 / 51.9) ** (1 / 2) - 1) / ((57 / 51.9) ** (1 / 4) - 1)
        assert r["progress_ratio"] == pytest.approx(ratio)
        assert r["status"] == "acceleration_needed"


@needs_shared
def test_puyang_doctors_per_1000_derived_from_the_bulletin(warehouse):
    """每千人医师 2025 = 执业（助理）医师 14187 / 常住人口 366.10 万 × 1000 (both from the 2025 bulletin);
    shown next to 菏泽 in the comparison, where only 菏泽 has a target."""
    with connect_readonly(warehouse) as con:
        r = one(con, "select value_normalized, derivation, source_kind from intermediate.int_indicator_actuals_derived "
                     "where value_basis = 'observation' and region_code = '410900' and indicator_code = 'doctors_per_1000' "
                     "and year = 2025 and scope_group = 'whole_region'")
        assert r["value_normalized"] == pytest.approx(14187 / 3661000 * 1000)
        assert r["derivation"].startswith("derived: licensed_doctors") and r["source_kind"] == "bulletin_html / bulletin_html"
        c = rows(con, "select region_code, value from marts.mart_city_comparison "
                      "where harmonized_code = 'doctors_per_1000' and year = 2025 and value_kind = 'actual'")
        assert [x["region_code"] for x in c] == ["410900"] and c[0]["value"] == pytest.approx(14187 / 3661000 * 1000)


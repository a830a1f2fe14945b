"""Label → indicator mapping lives in one place: raw/reference/indicator_label_map.csv, applied in one
dbt step (int_indicator_labels_mapped). The parsers emit what the source printed.

The main test copies the reference directory, adds ONE row per source kind -- a yearbook column, a
bulletin wording, a plan subject -- and runs the unchanged nightly job on small generated sources
(a yearbook sheet, a bulletin page, a census table, the third-style plan): each new label reaches the
marts with its new code. The same run checks, at the marts, the codes the parsers' tests used to
assert on parser output (the parsers no longer assign codes). The per-edition yearbook mapping is
checked on the full nightly warehouse (shared with the end-to-end tests)."""

from __future__ import annotations

import csv
import filecmp
import shutil
from pathlib import Path

import pytest

from dagster_project.sources.bulletins import html as bulletins
from dagster_project.common import reference
from dagster_project.common.warehouse import connect_readonly
from tests.test_third_style_plan import PLAN as THIRD_PLAN, PLAN_ID as THIRD_PLAN_ID, PROSE as THIRD_PLAN_PROSE
from tests.test_yearbooks import write_xlsx

LABEL_MAP = "indicator_label_map.csv"
REPOSITORY_REFERENCE = reference.REFERENCE_DIR  # the fixture points reference.REFERENCE_DIR elsewhere
PUYANG, HEZE = "410900", "371700"

# one row per source kind, nothing else: (source_scope, label_printed, unit, indicator_code)
NEW_ROWS = [
    ("yearbook", "城镇居民人均可支配收入", "元", "urban_disposable_income"),  # printed "城镇居民人均 可支配收入 (元)"
    ("bulletin", "常住总人口", "", "resident_population"),  # "年末全市常住总人口372.10万人"
    ("prose", "累计新增城镇就业", "", "urban_new_jobs"),  # the third plan's "全市累计新增城镇就业28万人"
]

YEARBOOK = [  # data year 2022 (edition 2023); 常住人口 prints no unit, one header is broken by a space
    ["中国2022年地级以上城市数据", "2-1 人口", "", "2-9 居民收入", "2-10 环境"],
    ["城市", "常住人口", "", "城镇居民人均 可支配收入 (元) Per Capita Disposable Income of Urban Residents (yuan)",
     "空气质量达标率(%)"],
    ["", "全市", "市辖区", "全市", "全市"],
    ["河南省", "", "", "", ""],
    ["濮阳市", 374, 97, 36512, 71.5],
    ["山东省", "", "", "", ""],
    ["菏泽市", 868, "", 35120, 68.2],
]
BULLETIN = """<html><head><meta charset="utf-8"><title>濮阳市2023年统计公报</title></head><body>
<h1>濮阳市2023年国民经济和社会发展统计公报</h1>
<p>年末全市常住总人口372.10万人，其中城镇常住人口196.03万人。</p>
</body></html>
"""
CENSUS_CITY = [
    ["city", "city_code", "province", "province_code", "popu_2020", "popu_urban_2020", "popu_rural_2020",
     "popu_2010", "popu_urban_2010", "popu_rural_2010"],
    ["菏泽市", HEZE, "山东省", "370000", "8795939", "4461825", "4334114", "8287693", "2901709", "5385984"],
    ["濮阳市", PUYANG, "河南省", "410000", "3772088", "1884758", "1887330", "3598740", "1127083", "2471657"],
]


def _label_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def one_row_each(tmp_path_factory):
    """The nightly job with a reference directory that has one more label-map row per source kind,
    on small generated sources: (published warehouse, reference dir of the run)."""
    from dagster import DagsterInstance

    from dagster_project.common import config
    from dagster_project.cli.nightly import execute_nightly

    tmp = tmp_path_factory.mktemp("one_place")
    ref = tmp / "reference"
    shutil.copytree(REPOSITORY_REFERENCE, ref)
    with (ref / LABEL_MAP).open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_label_rows(ref / LABEL_MAP)[0].keys(), lineterminator="\n")
        for scope, label, unit, code in NEW_ROWS:
            writer.writerow({"source_scope": scope, "label_printed": label, "unit": unit, "indicator_code": code,
                             "match_type": "exact", "note": "test_mapping_one_place"})
    src = tmp / "src"
    for sub in ("yearbooks", "bulletins", "census", "plans"):
        (src / sub).mkdir(parents=True)
    write_xlsx(src / "yearbooks" / "mini_yearbook.xlsx", {"Sheet1": YEARBOOK})
    (src / "bulletins" / "mini_bulletin.html").write_text(BULLETIN, encoding="utf-8")
    with (src / "census" / "census_city_mini.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(CENSUS_CITY)
    shutil.copy(THIRD_PLAN, src / "plans" / THIRD_PLAN.name)

    # only for the run: the tests read the published file (and other modules' fixtures must not see this)
    mp = pytest.MonkeyPatch()
    mp.setattr(reference, "REFERENCE_DIR", ref)
    mp.setenv(config.SOURCE_DIRS_ENV, str(src))
    mp.setenv(config.WAREHOUSE_ENV, str(tmp / "wh" / "indicators.duckdb"))
    bulletins.vocabulary.cache_clear()  # the bulletin reader's vocabulary is read from the label map
    try:
        result, published = execute_nightly(DagsterInstance.ephemeral())
        warehouse = config.warehouse_path()
    finally:
        mp.undo()
        bulletins.vocabulary.cache_clear()
    assert result.success and published
    return warehouse, ref


def rows(path, sql, params=()):
    with connect_readonly(path) as con:
        return con.execute(sql, params).fetchall()


# ---------------------------------------------------------------------------
# One row in one reference file, no code change
# ---------------------------------------------------------------------------


def test_the_run_differs_from_the_repository_by_one_label_map_row_per_source_kind(one_row_each):
    _, ref = one_row_each
    real = REPOSITORY_REFERENCE
    assert sorted(p.name for p in ref.iterdir()) == sorted(p.name for p in real.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(real, ref, [p.name for p in real.iterdir()], shallow=False)
    assert (mismatch, errors) == ([LABEL_MAP], [])
    before, after = _label_rows(real / LABEL_MAP), _label_rows(ref / LABEL_MAP)
    assert after[: len(before)] == before
    assert [(r["source_scope"], r["label_printed"], r["indicator_code"]) for r in after[len(before):]] == [
        (scope, label, code) for scope, label, _, code in NEW_ROWS]
    # without its row, no label is known to its scope: each row is what maps it
    known = {(r["source_scope"], r["label_printed"]) for r in before}
    assert not known & {(scope, label) for scope, label, _, _ in NEW_ROWS}


def test_new_yearbook_column_reaches_the_marts(one_row_each):
    path, _ = one_row_each
    got = rows(path, """select region_code, year, scope, indicator_label_raw, unit_raw, value, value_normalized, canonical_unit
                        from marts.fct_indicator_observation
                        where source_kind = 'yearbook' and indicator_code = 'urban_disposable_income' order by region_code""")
    # the header is printed with a stray space: the label key is normalized before matching
    assert got == [(HEZE, 2022, "全市", "城镇居民人均 可支配收入", "元", 35120.0, 35120.0, "yuan"),
                   (PUYANG, 2022, "全市", "城镇居民人均 可支配收入", "元", 36512.0, 36512.0, "yuan")]
    mapped = rows(path, "select indicator_code, match_type, printed_in from intermediate.int_indicator_labels_mapped "
                        "where label_scope = 'yearbook' and label_key = '城镇居民人均可支配收入'")
    assert mapped == [("urban_disposable_income", "exact", "stg_yearbooks__observations")]


def test_new_bulletin_label_reaches_the_marts(one_row_each):
    path, _ = one_row_each
    got = rows(path, """select indicator_code, indicator_label_raw, unit_raw, value, value_normalized, source_location
                        from marts.fct_indicator_observation
                        where source_kind = 'bulletin_html' and region_code = ? and year = 2023 order by indicator_code""", [PUYANG])
    # the reader searched the new wording because the same row is its vocabulary (reference.label_rows)
    assert got == [("resident_population", "常住总人口", "万人", 372.10, 3721000.0, "line 3 sentence 1"),
                   ("urban_resident_population", "城镇常住人口", "万人", 196.03, 1960300.0, "line 3 sentence 1")]


def test_new_prose_subject_reaches_the_marts(one_row_each):
    path, _ = one_row_each
    got = rows(path, """select indicator_code, match_type, year, value_normalized, canonical_unit, period_start, period_end
                        from marts.fct_plan_target
                        where plan_id = ? and source_kind = 'prose' and indicator_label = '全市累计新增城镇就业'""", [THIRD_PLAN_ID])
    # a leading 全市 is not part of the label: the row names the subject without it
    assert got == [("urban_new_jobs", "exact", 2025, 280000.0, "persons", 2021, 2025)]


# ---------------------------------------------------------------------------
# What the parsers' tests used to assert on parser output, at the marts
# ---------------------------------------------------------------------------


def test_third_plan_subjects_map_to_their_codes(one_row_each):
    path, _ = one_row_each
    got = dict(((line, year, region, label), code) for line, year, region, label, code in rows(
        path, "select line_number, year, region_code, indicator_label, indicator_code from marts.fct_plan_target "
              "where plan_id = ? and source_kind = 'prose'", [THIRD_PLAN_ID]))
    new = {label: code for scope, label, _, code in NEW_ROWS if scope == "prose"}
    # a subject the catalogue does not map is a plan-defined indicator of its region: plan_<region code>_<label>
    expected = {(p[0], p[1], p[6], p[2]): p[7] or new.get(p[2].removeprefix("全市")) or f"plan_{p[6]}_{p[2]}"
                for p in THIRD_PLAN_PROSE}
    assert got == expected
    stated = rows(path, "select year, indicator_label_raw, indicator_code, value from marts.fct_indicator_observation "
                        "where source_kind = 'plan_statement' and region_code = '411000' order by indicator_code")
    assert stated == [(2020, "城乡居民收入比", "urban_rural_income_ratio", 1.82), (2020, "全市常住人口城镇化率", "urbanization_rate", 51.8)]


def test_census_columns_and_bulletin_facts_map_to_their_codes(one_row_each):
    path, _ = one_row_each
    census = rows(path, """select indicator_label_raw, indicator_code, year, unit_raw, value_normalized
                           from marts.fct_indicator_observation where source_kind = 'census' and region_code = ?
                           order by year, indicator_code""", [PUYANG])
    assert census == [  # the file prints no unit: 人 is the mapping rows' assumed unit
        ("popu_2010", "resident_population", 2010, "人", 3598740.0),
        ("popu_rural_2010", "rural_resident_population", 2010, "人", 2471657.0),
        ("popu_urban_2010", "urban_resident_population", 2010, "人", 1127083.0),
        ("popu_2020", "resident_population", 2020, "人", 3772088.0),
        ("popu_rural_2020", "rural_resident_population", 2020, "人", 1887330.0),
        ("popu_urban_2020", "urban_resident_population", 2020, "人", 1884758.0),
    ]
    facts = rows(path, """select indicator_label_raw, indicator_code, value_normalized from marts.fct_indicator_observation
                          where source_kind = 'bulletin_facts' and region_code = ? and year = 2025 order by indicator_code""", [PUYANG])
    assert ("城镇新增就业人员", "urban_new_jobs", 46700.0) in facts and ("城乡居民人均可支配收入比", "urban_rural_income_ratio", 1.89) in facts
    assert all(code is not None for _, code, _ in facts) and len(facts) == 8


def test_yearbook_assumed_unit_and_unmapped_column(one_row_each):
    path, _ = one_row_each
    pop = rows(path, """select scope, unit_raw, value, value_normalized from marts.fct_indicator_observation
                        where source_kind = 'yearbook' and region_code = ? and indicator_code = 'resident_population'
                        order by scope""", [PUYANG])
    assert pop == [("全市", "万人", 374.0, 3740000.0), ("市辖区", "万人", 97.0, 970000.0)]
    unmapped = rows(path, """select indicator_key, unit_raw, value from marts.fct_indicator_observation
                             where source_kind = 'yearbook' and region_code = ? and indicator_code is null""", [PUYANG])
    assert [(unit, value) for _, unit, value in unmapped] == [("%", 71.5)] and unmapped[0][0].startswith("unmapped:")
    listed = rows(path, "select label_printed_example, unit_key, match_type from intermediate.int_indicator_labels_mapped "
                        "where label_scope = 'yearbook' and indicator_code is null")
    assert listed == [("空气质量达标率", "%", "none")]


# ---------------------------------------------------------------------------
# The real yearbooks (full nightly warehouse, shared with the end-to-end tests)
# ---------------------------------------------------------------------------


def test_yearbook_indicators_per_edition(nightly_warehouse):
    path, _ = nightly_warehouse
    by_edition: dict[int, set] = {}
    for edition, code in rows(path, "select distinct edition, indicator_code from marts.fct_indicator_observation "
                                    "where source_kind = 'yearbook' and indicator_code is not null"):
        by_edition.setdefault(edition, set()).add(code)
    everywhere = {"gdp", "gdp_per_capita", "green_coverage_ratio", "park_green_area", "licensed_doctors", "hospital_beds",
                  "urban_road_area", "built_up_area"}
    assert sorted(by_edition) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert all(everywhere <= codes for edition, codes in by_edition.items() if edition <= 2023)
    assert "mobile_phone_users" not in by_edition[2021] and "mobile_phone_users" in by_edition[2023]  # 2021: no telecom table
    assert {"land_area", "internet_broadband_users", "average_wage", "registered_population"} <= by_edition[2019]
    assert {"resident_population", "urban_resident_population"} <= by_edition[2021] and "registered_population" not in by_edition[2021]
    assert "elderly_care_beds" in by_edition[2023]
    gdp_units = rows(path, "select edition, list(distinct unit_raw) from marts.fct_indicator_observation "
                           "where source_kind = 'yearbook' and indicator_code = 'gdp' and edition in (2019, 2021) group by 1 order by 1")
    assert gdp_units == [(2019, ["万元"]), (2021, ["亿元"])]

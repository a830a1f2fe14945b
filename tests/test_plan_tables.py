"""The indicator-table parser on the two real plan documents, and on broken copies."""

import polars as pl
import pytest

from dagster_project.sources.common.provenance import SourceError
from dagster_project.common.files import file_sha256
from dagster_project.sources.plans.tables import parse_plan_tables
from tests.conftest import HEZE, PUYANG


def cell(result, label_prefix, year):
    rows = result.cells.filter(pl.col("indicator_label").str.starts_with(label_prefix) & (pl.col("year") == year))
    assert rows.height == 1, f"{label_prefix} {year}: {rows.height} rows"
    return rows.row(0, named=True)


@pytest.fixture(scope="module")
def puyang():
    return parse_plan_tables(PUYANG)


@pytest.fixture(scope="module")
def heze():
    return parse_plan_tables(HEZE)


def test_puyang_table_found_and_complete(puyang):
    assert puyang.region_code == "410900"
    assert [(t["table_ref"], t["rows"], t["years"]) for t in puyang.tables] == [("专栏1", 15, [2020, 2025, 2035])]
    assert puyang.tables[0]["caption"] == "濮阳市新型城镇化发展目标"
    assert puyang.cells.height == 45
    assert puyang.quarantine == []
    assert puyang.cells["is_missing"].sum() == 0


def test_puyang_values(puyang):
    jobs = cell(puyang, "城镇新增就业人数", 2025)
    assert (jobs["value"], jobs["unit_printed"], jobs["is_cumulative"], jobs["cell_text"]) == (21.0, "万人", True, "[21]")
    assert cell(puyang, "城镇新增就业人数", 2020)["value"] == 28.74
    assert cell(puyang, "城镇新增就业人数", 2020)["column_kind"] == "baseline"
    assert cell(puyang, "农村劳动力职业技能培训人次", 2035)["value"] == 24.0
    rd = cell(puyang, "研究与试验发展（R&D）经费投入强度", 2035)
    assert rd["is_relative"] and rd["relative_to"] == "province_average" and rd["value"] is None
    assert cell(puyang, "研究与试验发展（R&D）经费投入强度", 2025)["value"] == 1.70
    assert cell(puyang, "常住人口城镇化率", 2020)["value"] == 49.97
    inc = cell(puyang, "城镇人均可支配收入", 2035)
    assert (inc["value"], inc["unit_printed"]) == (90000.0, "元")
    sports = cell(puyang, "城市人均体育活动场地面积", 2025)
    assert (sports["value"], sports["unit_printed"]) == (2.6, "平方米/人")


def test_puyang_provenance(puyang):
    jobs = cell(puyang, "城镇新增就业人数", 2025)
    lines = PUYANG.read_text(encoding="utf-8").splitlines()
    assert "[21]" in lines[jobs["line_number"] - 1]
    assert jobs["source_sha256"] == file_sha256(PUYANG)
    assert jobs["source_file"] == PUYANG.name
    assert jobs["row_number"] == 2


def test_heze_table_found_and_complete(heze):
    assert heze.region_code == "371700"
    assert [(t["table_ref"], t["rows"], t["years"]) for t in heze.tables] == [("专栏1", 22, [2021, 2025, 2035])]
    assert heze.cells.height == 66
    assert heze.quarantine == []
    # printed '-' cells are kept as explicit missing rows
    assert heze.cells["is_missing"].sum() == 10
    groups = heze.cells.group_by("group_label").agg(pl.col("row_number").n_unique()).sort("group_label")
    assert dict(groups.iter_rows()) == {"均衡化": 5, "双向化": 4, "智慧化": 8, "绿色化": 5}


def test_heze_values(heze):
    bs = cell(heze, "投运5G基站数量", 2035)
    assert (bs["value"], bs["comparator"], bs["unit_printed"]) == (5.0, ">", "万个")
    un = cell(heze, "城镇调查失业率", 2025)
    assert (un["value"], un["comparator"], un["unit_printed"]) == (5.5, "<", "%")
    assert cell(heze, "城镇调查失业率", 2035)["is_missing"]
    ratio = cell(heze, "城乡居民收入比", 2021)
    assert (ratio["value"], ratio["unit_printed"]) == (1.89, "/")
    assert cell(heze, "常住人口城镇化率", 2021)["value"] == 51.9
    doctors = cell(heze, "每千人拥有执业", 2025)
    assert doctors["label_key"] == "每千人拥有执业(助理)医师"
    assert doctors["value"] == 3.4
    # stray spaces in the converted label do not break the key
    assert cell(heze, "5G用", 2035)["label_key"] == "5G用户普及率"


def _write_variant(tmp_path, source, old, new, name="variant.md"):
    text = source.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / name
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def test_non_numeric_target_is_quarantined_not_guessed(tmp_path):
    p = _write_variant(tmp_path, PUYANG, "城镇新增就业人数（万人）\t28.74\t[21]", "城镇新增就业人数（万人）\t28.74\t二十一")
    r = parse_plan_tables(p)
    assert r.cells.filter(pl.col("indicator_label") == "城镇新增就业人数").height == 2  # 2020 and 2035 only
    assert len(r.quarantine) == 1
    q = r.quarantine[0]
    assert q.source_file == "variant.md" and q.location == "line 143"
    assert "not a number" in q.reason and "2025" in q.reason and q.verbatim == "二十一"


def test_row_with_missing_cell_is_quarantined(tmp_path):
    p = _write_variant(tmp_path, HEZE, "6 | 智慧医院覆盖率 | % | - | 50 | 90 | |", "6 | 智慧医院覆盖率 | % | - | 50 |")
    r = parse_plan_tables(p)
    assert r.cells.filter(pl.col("row_number") == 6).height == 0
    assert [q.location for q in r.quarantine] == ["line 228"]
    assert "expected 6 cells" in r.quarantine[0].reason


def test_sequence_gap_is_reported(tmp_path):
    text = HEZE.read_text(encoding="utf-8").splitlines()
    keep = [ln for ln in text if not ln.startswith("12 | 城市再生水利用率")]
    p = tmp_path / "gap.md"
    p.write_text("\n".join(keep), encoding="utf-8")
    r = parse_plan_tables(p)
    assert any("sequence jumps from 11 to 13" in q.reason for q in r.quarantine)


def test_truncated_document_is_an_error(tmp_path):
    lines = PUYANG.read_text(encoding="utf-8").splitlines()
    p = tmp_path / "truncated.md"
    p.write_text("\n".join(lines[:146]), encoding="utf-8")  # cut inside 专栏1
    with pytest.raises(SourceError) as exc:
        parse_plan_tables(p)
    assert "truncated.md" in str(exc.value) and "line 141" in str(exc.value) and "truncated" in str(exc.value)


def test_document_without_table_is_an_error(tmp_path):
    p = tmp_path / "no_table.md"
    p.write_text("# 濮阳市新型城镇化规划\n\n到2025年，常住人口城镇化率达到60%。\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no_table.md: no indicator table found"):
        parse_plan_tables(p)


def test_header_without_rows_is_an_error(tmp_path):
    p = tmp_path / "empty_table.md"
    p.write_text("# 濮阳市规划\n\n专栏 1：目标\n指标\t2020 年\t2025 年\n\n正文继续。\n", encoding="utf-8")
    with pytest.raises(SourceError, match="line 4: indicator table 专栏1 has a header but no rows"):
        parse_plan_tables(p)


# ---------------------------------------------------------------------------
# Plan identity: from the document, one rule for both readers
# ---------------------------------------------------------------------------

PLAN_IDS = {
    PUYANG: ("410900-濮阳市新型城镇化规划(2021-2035年)", "410900"),
    HEZE: ("371700-菏泽市新型城镇化与城乡融合发展规划(至2035年)", "371700"),
}


@pytest.mark.parametrize("plan", [PUYANG, HEZE], ids=lambda p: p.stem)
def test_plan_id_and_city_come_from_the_document(plan):
    from dagster_project.sources.plans.prose_targets import extract_prose_targets

    tables, prose = parse_plan_tables(plan), extract_prose_targets(plan)
    assert (tables.plan_id, tables.region_code) == PLAN_IDS[plan]
    assert (prose.plan_id, prose.city_code) == PLAN_IDS[plan]
    assert set(tables.cells["plan_id"]) == {PLAN_IDS[plan][0]}


@pytest.mark.parametrize("plan", [PUYANG, HEZE], ids=lambda p: p.stem)
def test_renamed_plan_file_changes_nothing_but_the_file_name(plan, tmp_path):
    from dagster_project.sources.plans.prose_targets import extract_prose_targets, extract_stated_values

    renamed = tmp_path / "renamed_copy.md"
    renamed.write_bytes(plan.read_bytes())
    for parse, frame in ((parse_plan_tables, "cells"), (extract_prose_targets, "targets"), (extract_stated_values, "observations")):
        a, b = parse(plan), parse(renamed)
        assert getattr(b, frame)["source_file"].unique().to_list() in ([], ["renamed_copy.md"])
        assert getattr(a, frame).drop("source_file").equals(getattr(b, frame).drop("source_file")), parse.__name__
        assert [q.as_dict() | {"source_file": ""} for q in a.quarantine] == [q.as_dict() | {"source_file": ""} for q in b.quarantine]


def test_cumulative_period_exceptions_are_keyed_by_a_live_plan_id():
    """raw/reference/cumulative_periods.csv is keyed by plan id: every key must be the id of a
    committed plan, or its exceptions silently stop applying."""
    periods = pl.read_csv(PUYANG.parents[1] / "reference" / "cumulative_periods.csv", infer_schema=False)
    assert set(periods["plan_id"]) == {PLAN_IDS[PUYANG][0]}
    # 濮阳's note says only "[ ]内为累计数据": no length, so its [ ] cells carry no period of their own
    puyang = parse_plan_tables(PUYANG)
    assert puyang.tables[0]["period_years"] is None
    assert puyang.cells.filter(pl.col("is_cumulative"))["period_start"].null_count() == 4


def test_plan_naming_no_city_is_one_error_for_both_readers(tmp_path):
    from dagster_project.sources.plans.identity import NO_CITY_REASON
    from dagster_project.sources.plans.prose_targets import extract_prose_targets

    p = tmp_path / "nocity.md"
    p.write_text("# 新型城镇化规划（2021-2035年）\n\n专栏1：目标\n指标\t2020年\t2025年\n城镇化率（%）\t50\t60\n\n正文。\n", encoding="utf-8")
    for parse in (parse_plan_tables, extract_prose_targets):
        with pytest.raises(SourceError) as exc:
            parse(p)
        assert (exc.value.file, exc.value.location, exc.value.reason) == ("nocity.md", "1", NO_CITY_REASON)


# ---------------------------------------------------------------------------
# Other table layouts: 类别 / 属性 / unknown columns, markdown separators
# ---------------------------------------------------------------------------


def test_table_with_category_attribute_and_unknown_columns(tmp_path):
    p = tmp_path / "t.md"
    p.write_text(
        "# 漯河市新型城镇化规划（2021-2035年）\n\n专栏1 主要指标\n\n"
        "| 领域 | 指标 | 2020年 | 2025年 | 指标属性 | 备注 | 责任单位 |\n|:---|---|---:|---:|---|---|---|\n"
        "| 人口 | 常住人口城镇化率（%） | 53.1 | 不低于60 | 约束性 | 含 | 市发改委 |\n"
        "| | 城乡居民收入比（-） | 1.9 | 1.8左右 | 其他 | | |\n\n正文。\n", encoding="utf-8")
    r = parse_plan_tables(p)
    assert r.quarantine == [] and r.region_code == "411100"
    got = [(x["group_label"], x["indicator_label"], x["unit_key"], x["year"], x["value"], x["comparator"], x["is_binding"],
            x["attributes"]) for x in r.cells.iter_rows(named=True)]
    a1 = '{"指标属性": "约束性", "备注": "含", "责任单位": "市发改委"}'
    assert got == [
        ("人口", "常住人口城镇化率", "%", 2020, 53.1, "=", True, a1),
        ("人口", "常住人口城镇化率", "%", 2025, 60.0, "≥", True, a1),
        ("人口", "城乡居民收入比", "", 2020, 1.9, "=", None, '{"指标属性": "其他"}'),
        ("人口", "城乡居民收入比", "", 2025, 1.8, "≈", None, '{"指标属性": "其他"}'),
    ]


@pytest.mark.parametrize(
    "printed, comparator",
    [("≥60以上", "≥"), ("达到60以上", "≥"), ("约60左右", "≈"), ("不低于60", "≥"), ("控制在60以内", "≤"),
     ("<60以上", None), ("不超过60以上", None)],
)
def test_one_comparator_rule_for_table_cells_and_prose(printed, comparator, tmp_path):
    """A soft word gives way to a trailing comparator, two hard ones must agree, a conflict is
    quarantined: the same for a table cell and a sentence."""
    from dagster_project.sources.common.cells import parse_cell
    from dagster_project.sources.plans.prose_targets import extract_prose_targets

    cell = parse_cell(printed)
    assert (cell.comparator if not cell.error else None) == comparator
    assert (cell.value == 60.0) if comparator else ("conflicting comparators" in cell.error)
    p = tmp_path / "s.md"
    p.write_text(f"# 濮阳市规划（2021-2035年）\n\n到2025年，全市常住人口城镇化率{printed.replace('60', '60%')}。\n", encoding="utf-8")
    prose = extract_prose_targets(p)
    assert prose.targets["comparator"].to_list() == ([comparator] if comparator else [])
    assert len(prose.quarantine) == (0 if comparator else 1)

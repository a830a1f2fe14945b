"""The indicator-table parser on the two real plan documents, and on broken copies."""

import polars as pl
import pytest

from dagster_project.ingest.common import SourceError, file_sha256
from dagster_project.ingest.plan_tables import parse_plan_tables
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

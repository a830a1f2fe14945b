"""Statistical bulletins: the 濮阳 2025 HTML page, a synthetic bulletin of another city, the facts CSV."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl
import pytest

from dagster_project.sources.bulletins.facts import parse_bulletin_facts
from dagster_project.sources.bulletins.html import (
    extract_figures,
    parse_bulletin_html,
    parse_bulletin_html_text,
    split_sentences,
)
from dagster_project.sources.common.provenance import OBSERVATION_COLUMNS, SourceError

from tests.conftest import shared_file, with_codes

REPO = Path(__file__).resolve().parents[1]
FACTS_CSV = REPO / "raw" / "bulletins" / "bulletin_facts.csv"


@lru_cache(maxsize=1)
def puyang():
    return parse_bulletin_html(shared_file("bulletins/puyang_2025_statistical_bulletin.html"))


def coded(result) -> pl.DataFrame:
    return with_codes(result.observations, "bulletin")


def figure(result, code: str, year: int) -> dict:
    df = coded(result).filter((pl.col("indicator_code") == code) & (pl.col("year") == year))
    assert df.height == 1, (code, year, df.height)
    return df.row(0, named=True)


# ---------------------------------------------------------------------------
# The real 濮阳 2025 bulletin
# ---------------------------------------------------------------------------


def test_title_gives_region_and_year():
    s = puyang().summary
    assert (s["region_code"], s["region_name"], s["year"]) == ("410900", "濮阳市", 2025)
    assert puyang().observations.columns == [*OBSERVATION_COLUMNS, "derivation", "document_format", "bulletin_key"]  # derivation: stated | revised | derived_from_change
    assert set(puyang().observations["region_code"]) == {"410900"}


@pytest.mark.parametrize(
    "code, value, unit",
    [
        ("resident_population", 366.10, "万人"),
        ("urban_resident_population", 199.30, "万人"),
        ("urbanization_rate", 54.44, "%"),
        ("urban_disposable_income", 41549.0, "元"),
        ("rural_disposable_income", 21956.0, "元"),
        ("urban_new_jobs", 4.67, "万人"),
        ("gdp", 2106.17, "亿元"),
        ("licensed_doctors", 14187.0, "人"),
    ],
)
def test_puyang_headline_figures(code, value, unit):
    row = figure(puyang(), code, 2025)
    assert row["value"] == pytest.approx(value) and row["unit_raw"] == unit
    assert row["source_location"].startswith("line ")
    assert row["value_raw"] in row["verbatim"].replace(" ", "")


def test_population_sentence_is_the_provenance():
    row = figure(puyang(), "urbanization_rate", 2025)
    assert row["source_location"] == "line 155 sentence 1"
    assert row["verbatim"].startswith("年末全市常住人口366.10万人，其中城镇常住人口199.30万人")
    assert row["verbatim"].endswith("。")
    assert figure(puyang(), "resident_population", 2025)["verbatim"] == row["verbatim"]


def test_year_named_in_the_sentence_wins():
    # note 2 of the bulletin: "经最终核实，2024年全市地区生产总值为2025.40亿元"
    row = figure(puyang(), "gdp", 2024)
    assert row["value"] == 2025.40 and "2024" in row["verbatim"]
    assert puyang().quarantine == []


def test_html_agrees_with_bulletin_facts_csv():
    facts = coded(parse_bulletin_facts(FACTS_CSV)).filter(
        (pl.col("region_code") == "410900") & (pl.col("year").is_in([2024, 2025]))
    )
    html = coded(puyang())
    joined = facts.join(html, on=["region_code", "year", "indicator_code"], suffix="_html")
    assert joined.height >= 9
    assert (joined["value"] == joined["value_html"]).all()


# ---------------------------------------------------------------------------
# Another city's bulletin in the usual wording (synthetic, written here)
# ---------------------------------------------------------------------------

SYNTHETIC = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>统计公报库</title>
<script>var x = "年末常住人口999.99万人";</script><style>p{}</style></head>
<body>
<h1>菏泽市2023年国民经济和社会发展统计公报</h1>
<p><span>初步核算，全市生产总值</span><span>4513.40</span><span>亿元，比上年增长6.3%。全年人均地区生产总值52000元。</span></p>
<p>年末<b>常住人口</b>865.54万人，其中城镇常住人口
466.41万人，乡村常住人口399.13万人；常住人口城镇化率达到53.89％，比上年末提高1.16个百分点。</p>
<p>全年城镇新增就业12.03万人。城镇调查失业率5.2%。</p>
<p>按常住地分，城镇居民人均可支配收入36120元，增长5.0%；农村居民人均可支配收入2l956元，增长7.5%。</p>
<p>注：经最终核实，2022年全市生产总值为4300.00亿元。</p>
</body></html>
"""


def parse_synthetic(html: str = SYNTHETIC):
    return parse_bulletin_html_text(html, source_file="heze_2023.html", source_sha256="0" * 64)


def test_synthetic_bulletin_of_another_city():
    r = parse_synthetic()
    assert (r.summary["region_code"], r.summary["year"]) == ("371700", 2023)
    expected = {
        ("gdp", 2023): 4513.40,
        ("gdp", 2022): 4300.00,
        ("gdp_per_capita", 2023): 52000.0,
        ("resident_population", 2023): 865.54,
        ("urban_resident_population", 2023): 466.41,
        ("rural_resident_population", 2023): 399.13,
        ("urbanization_rate", 2023): 53.89,
        ("urbanization_rate", 2022): 52.73,  # "比上年末提高1.16个百分点": derived_from_change
        ("urban_new_jobs", 2023): 12.03,
        ("urban_surveyed_unemployment", 2023): 5.2,
        ("urban_disposable_income", 2023): 36120.0,
    }
    got = {(row["indicator_code"], row["year"]): row["value"] for row in coded(r).iter_rows(named=True)}
    assert got == expected  # nothing from the <script>, the unparseable figure not landed
    assert set(r.observations["region_name_raw"]) == {"菏泽市"}


def test_matched_but_unparseable_figure_is_quarantined():
    q = parse_synthetic().quarantine
    assert len(q) == 1
    assert q[0].source_file == "heze_2023.html" and q[0].location.startswith("line ")
    assert "农村居民人均可支配收入" in q[0].reason and "2l956" in q[0].reason
    assert "2l956" in q[0].verbatim


def test_title_missing_is_a_source_error():
    with pytest.raises(SourceError, match="no title"):
        parse_synthetic(SYNTHETIC.replace("菏泽市2023年国民经济和社会发展统计公报", "某某新闻"))


def test_phrase_patterns_on_plain_sentences():
    figs = extract_figures("年末全省常住人口9785万人，其中城镇常住人口5760万人，常住人口城镇化率为58.86%。")
    assert [(f["label"], f["value_raw"], f["unit"]) for f in figs] == [
        ("常住人口", "9785", "万人"), ("城镇常住人口", "5760", "万人"), ("常住人口城镇化率", "58.86", "%")]
    assert extract_figures("全年人均地区生产总值57294元。")[0]["label"] == "人均地区生产总值"
    assert split_sentences("甲。乙。丙") == ["甲。", "乙。", "丙"]


# ---------------------------------------------------------------------------
# bulletin_facts.csv
# ---------------------------------------------------------------------------


def test_facts_csv_lands_every_row_with_a_known_label():
    r = parse_bulletin_facts(FACTS_CSV)
    assert r.summary["rows"] == 47 and r.observations.height == 47 and r.quarantine == []
    assert set(r.observations["label_scope"]) == {"bulletin"}
    assert coded(r)["indicator_code"].null_count() == 0  # every label is in the bulletin vocabulary
    jobs = r.observations.filter(pl.col("source_location") == "row 6").row(0, named=True)
    assert (jobs["region_code"], jobs["year"], jobs["indicator_label_raw"], jobs["value"], jobs["unit_raw"]) == (
        "410900", 2025, "城镇新增就业人员", 4.67, "万人")
    rd = coded(r).filter(pl.col("indicator_label_raw").str.contains("R&D"))
    assert rd["indicator_code"].to_list() == ["rd_intensity"]
    assert set(r.observations["region_code"]) == {"410900", "371700", "410000", "370000"}


def test_facts_csv_bad_rows_are_quarantined(tmp_path):
    lines = FACTS_CSV.read_text(encoding="utf-8").splitlines()
    bad = [
        "410900,濮阳市,2025,常住人口,三百六十六,万人,statistical bulletin,test",
        "419999,不存在市,2025,常住人口,1,万人,statistical bulletin,test",
        "410900,菏泽市,2025,常住人口,1,万人,statistical bulletin,test",
        "410900,濮阳市,二〇二五,常住人口,1,万人,statistical bulletin,test",
    ]
    path = tmp_path / "facts.csv"
    path.write_text("\n".join(lines[:3] + bad) + "\n", encoding="utf-8")
    r = parse_bulletin_facts(path)
    assert r.observations.height == 2
    by_row = {q.location: q.reason for q in r.quarantine}
    assert set(by_row) == {"row 4", "row 5", "row 6", "row 7"}
    assert "value is not a number" in by_row["row 4"]
    assert "'419999' is not in regions.csv" in by_row["row 5"]
    assert "does not match code 410900" in by_row["row 6"]
    assert "year" in by_row["row 7"]
    assert all(q.source_file == "facts.csv" for q in r.quarantine)

"""Every figure of 11 real 2025 bulletins (10 HTML pages, the 焦作 PDF) that maps to the catalogue,
labelled by reading the documents (tests/fixtures/bulletin_figures_expected.csv: file, region,
year, indicator, value as printed, unit as printed, where, and how the value is stated:
stated | revised | derived_from_change), against the whole-bulletin reader: precision and recall.

The fixture holds what a reader of the page finds, not what the parser finds: figures printed in
tables, labels the sentence only implies ("人均生活消费支出44505元" after 城镇居民人均可支配收入),
figures of a county named otherwise than in regions.csv and wordings the vocabulary does not know
yet are in it, as misses. Previous-year values are in it where a
printed exact change states them ("54.44%,比上年末提高0.77个百分点" → 2024: 53.67 %)."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import polars as pl

from dagster_project.sources.bulletins import html as bulletins
from tests.conftest import shared_file, with_codes

FIXTURE = Path(__file__).parent / "fixtures" / "bulletin_figures_expected.csv"
PDF_READER = bulletins.parse_bulletin_document

# measured: 484 of the 496 figures of the 10 HTML pages read, none wrong (recall 97.6 %)
TP_HTML, FN_HTML = 484, 12
READ_PUYANG, DERIVED_PUYANG, UNMAPPED_PUYANG = 48, 4, 176
MISSED_HTML = [
    ('hami', 'gdp', 211.11),
    ('luohe', 'health_institution_beds', 15637.0),
    ('pingdingshan', 'mobile_phone_users', 520.0),
    ('pingdingshan', 'pm10_concentration', 70.0),
    ('pingdingshan', 'pm25_concentration', 39.0),
    ('pingdingshan', 'users_5g', 366.3),
    ('shenyang', 'elderly_care_beds', 4.0),
    ('shenyang', 'rural_consumption_per_capita', 19060.0),
    ('shenyang', 'urban_consumption_per_capita', 44505.0),
    ('turpan', 'good_air_quality_days', 253.0),
    ('yinchuan', 'elderly_care_beds', 8901.0),
    ('zhenjiang', 'pm25_concentration', 34.0),
]


Key = tuple[str, str, int, str, float, str, str]  # file, region, year, indicator, value, unit, derivation


def expected() -> set[Key]:
    with FIXTURE.open(encoding="utf-8") as fh:
        return {(r["file"], r["region_code"], int(r["year"]), r["indicator_code"], float(r["value"]), r["unit"],
                 r["derivation"]) for r in csv.DictReader(fh)}


@lru_cache(maxsize=32)
def read(name: str) -> pl.DataFrame:
    path = shared_file(f"bulletins/{name}")
    parse = bulletins.parse_bulletin_html if path.suffix.lower() in (".html", ".htm") else PDF_READER
    return with_codes(parse(path).observations, "bulletin")


def got(files) -> set[Key]:
    out: set[Key] = set()
    for f in files:
        for r in read(f).iter_rows(named=True):
            out.add((f, r["region_code"], r["year"], r["indicator_code"], r["value"], r["unit_raw"], r["derivation"]))
    return out


def score(files):
    exp = {k for k in expected() if k[0] in files}
    found = got(files)
    return sorted(exp & found), sorted(found - exp), sorted(exp - found)


def html_files():
    return sorted({k[0] for k in expected() if not k[0].endswith(".pdf")})


def test_fixture_covers_ten_html_bulletins_and_a_pdf_with_every_kind_of_value():
    exp = expected()
    files = {k[0] for k in exp}
    assert len(files) == 11 and "jiaozuo_2025_statistical_bulletin.pdf" in files
    assert len(exp) == 539 and len({k[3] for k in exp}) == 63
    assert {k[6] for k in exp} == {"stated", "revised", "derived_from_change"}


def test_precision_and_recall_on_every_figure_of_ten_html_bulletins():
    tp, fp, fn = score(html_files())
    assert fp == []  # precision 100 %
    assert (len(tp), len(fp), len(fn)) == (TP_HTML, 0, FN_HTML)  # recall TP_HTML / (TP_HTML + FN_HTML)
    assert len(tp) / (len(tp) + len(fn)) >= 0.95
    # the misses, by kind: a table cell, a label implied by the sentence, a wording not (yet) in the vocabulary
    assert sorted((k[0].split("_")[0], k[3], k[4]) for k in fn) == MISSED_HTML


def test_precision_and_recall_on_the_jiaozuo_pdf():
    tp, fp, fn = score(["jiaozuo_2025_statistical_bulletin.pdf"])
    assert fp == []  # precision 100 %
    assert (len(tp), len(fp), len(fn)) == (42, 0, 1)  # recall 42 / 43
    # the miss: a label the sentence only implies ("居民人均可支配收入…；人均消费支出25679元": 居民 implied)
    assert sorted((k[0].split("_")[0], k[3], k[4]) for k in fn) == [("jiaozuo", "resident_consumption_per_capita", 25679.0)]


def test_growth_rates_shares_and_sub_items_never_become_levels():
    fig = bulletins.extract_figures
    assert fig("全年全市固定资产投资(不含农户,下同)比上年增长5.2%。") == []
    assert fig("全年一般公共预算收入比上年下降3.1%,税收收入增长2.0%。") == []
    # a share: the % is not the level of its base
    assert [f["label"] for f in fig("税收收入占一般公共预算收入的比重为58.4%。")] == []
    # 其中: the part's own label, never the total's
    figs = fig("卫生机构床位26886张,其中,医院床位19332张,卫生院床位6163张。")
    assert [(f["indicator_code"], f["value_raw"]) for f in figs] == [
        ("health_institution_beds", "26886"), ("hospital_beds", "19332")]
    # a label run into a longer noun is another quantity
    assert fig("其中发明专利授权量3479件。") == []
    assert [f["indicator_code"] for f in fig("其中,5G移动电话用户262.99万户。")] == ["users_5g"]  # not mobile_phone_users
    # per head and institutions' own figures
    assert fig("每万人拥有5G基站数达33.92座。") == []
    assert fig("疾病预防控制中心5个,卫生技术人员379人。") == []


def test_previous_year_values_are_derived_only_from_exact_changes():
    def prev(sentence):
        obs = with_codes(bulletins.parse_bulletin_html_text(
            f"<html><body><p>濮阳市2025年国民经济和社会发展统计公报</p><p>{sentence}</p></body></html>",
            source_file="t.html", source_sha256="0" * 64).observations, "bulletin")
        return sorted((r["indicator_code"], r["year"], r["value_raw"], r["derivation"]) for r in obs.iter_rows(named=True))

    assert prev("常住人口城镇化率为54.44%,比上年末提高0.77个百分点。") == [
        ("urbanization_rate", 2024, "53.67", "derived_from_change"), ("urbanization_rate", 2025, "54.44", "stated")]
    # a growth rate never gives a previous level, nor a % change of a % figure
    assert prev("年末常住人口366.10万人,比上年末增长0.5%。") == [("resident_population", 2025, "366.10", "stated")]
    assert prev("常住人口城镇化率为54.44%,比上年末增长1.4%。") == [("urbanization_rate", 2025, "54.44", "stated")]
    # an absolute change in the figure's own unit, rounded to the printed precision
    assert prev("年末常住人口366.1万人,比上年末减少1.25万人。") == [
        ("resident_population", 2024, "367.35", "derived_from_change"), ("resident_population", 2025, "366.1", "stated")]
    # a change against another year states nothing about the previous one
    assert prev("年末常住人口366.1万人,比2020年末增加1.2万人。") == [("resident_population", 2025, "366.1", "stated")]
    # a revised earlier year
    assert prev("经最终核实,2024年全市地区生产总值为2025.40亿元。") == [("gdp", 2024, "2025.40", "revised")]


def test_coverage_report_counts_sentences_figures_and_unmapped_shapes():
    r = bulletins.parse_bulletin_html(shared_file("bulletins/puyang_2025_statistical_bulletin.html"))
    s = r.summary
    assert (s["sentences"], s["sentences_with_number"]) == (225, 168)
    assert (s["figures_read"], s["figures_derived"], s["figures_unmapped"]) == (READ_PUYANG, DERIVED_PUYANG, UNMAPPED_PUYANG)
    assert s["unmapped_labels"]["城镇失业人员再就业"] == 1 and "常住人口" not in s["unmapped_labels"]

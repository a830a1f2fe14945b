"""Prose-target extractor: both real plans against a hand-labelled fixture, own sentences in
other styles, specific real assertions, and malformed input that must go to quarantine."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from dagster_project.common.files import file_sha256
from dagster_project.common.text import normalize_text
from dagster_project.sources.common.source_files import read_source_lines
from dagster_project.sources.plans.prose_targets import (
    SOURCE_KIND_ACTION,
    SOURCE_KIND_PROSE,
    TARGET_COLUMNS,
    extract_prose_targets,
    extract_stated_values,
)
from dagster_project.sources.common.provenance import OBSERVATION_COLUMNS

REPO = Path(__file__).resolve().parents[1]
PLANS = REPO / "raw" / "plans"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PUYANG_FILE = "puyang_new_urbanization_plan_2021_2035_draft.md"
HEZE_FILE = "heze_new_urbanization_and_urban_rural_integration_plan_2035.md"
COMPARATORS = {"=", ">", "≥", "<", "≤", "≈", "between"}

TITLES = {
    "濮阳市": "# 濮阳市新型城镇化规划\n\n(2021-2035年)\n\n2022年4月\n\n",
    "菏泽市": "# 菏泽市新型城镇化与城乡融合发展规划（2021-2035年）\n\n2022年12月\n\n",
}


@pytest.fixture(scope="module")
def results():
    return {f: extract_prose_targets(PLANS / f) for f in (PUYANG_FILE, HEZE_FILE)}


def _num(x: str | float | None) -> float | None:
    if x is None or x == "":
        return None
    return round(float(x), 6)


def _key(file, line, year, comparator, value, value_high, unit, region) -> tuple:
    return (file, int(line), int(year), comparator, _num(value), _num(value_high), unit or None, str(region))


def _expected_keys() -> list[tuple]:
    with open(FIXTURES / "prose_targets_expected.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [
        _key(r["file"], r["line_number"], r["target_year"], r["comparator"], r["value"], r["value_high"],
             r["unit"], r["region_code"])
        for r in rows
    ]


def _extracted_keys(df: pl.DataFrame) -> list[tuple]:
    return [
        _key(r["source_file"], r["line_number"], r["target_year"], r["comparator"], r["value"],
             r["value_high"], r["unit"], r["region_code"])
        for r in df.iter_rows(named=True)
    ]


# ---------------------------------------------------------------------------
# Real plans vs. the labelled fixture
# ---------------------------------------------------------------------------


def test_precision_and_recall_against_labelled_fixture(results):
    # multisets: two targets of one line may share the key (line 500 of 濮阳: two "10 个以上")
    expected = Counter(_expected_keys())
    extracted = Counter()
    for res in results.values():
        extracted.update(_extracted_keys(res.targets))
    tp = expected & extracted
    misses = sorted((expected - extracted).elements())
    false_pos = sorted((extracted - expected).elements())
    n_tp, n_exp, n_got = sum(tp.values()), sum(expected.values()), sum(extracted.values())
    precision = n_tp / n_got if n_got else 0.0
    recall = n_tp / n_exp
    print(f"\nprose targets: expected {n_exp}, extracted {n_got}, matched {n_tp}")
    print(f"precision {precision:.1%}  recall {recall:.1%}")
    for f in (PUYANG_FILE, HEZE_FILE):
        print(f"  {f}: extracted {sum(v for k, v in extracted.items() if k[0] == f)}, "
              f"expected {sum(v for k, v in expected.items() if k[0] == f)}")
    for m in misses:
        print("  MISS", m)
    for fp in false_pos:
        print("  FALSE POSITIVE", fp)
    assert precision == 1.0, f"false positives: {false_pos}"
    assert recall >= 0.95, f"misses: {misses}"


def test_output_schema_and_provenance(results):
    for fname, res in results.items():
        df = res.targets
        assert df.columns == TARGET_COLUMNS
        assert df.height > 0
        assert df["source_sha256"].unique().to_list() == [file_sha256(PLANS / fname)]
        assert df["source_file"].unique().to_list() == [fname]
        assert set(df["comparator"].unique()) <= COMPARATORS
        assert set(df["source_kind"].unique()) <= {SOURCE_KIND_PROSE, SOURCE_KIND_ACTION}
        assert df["value"].null_count() == 0 and df["target_year"].null_count() == 0
        assert df["region_code"].null_count() == 0 and df["subject"].null_count() == 0
        # value_high only for ranges
        assert (df.filter(pl.col("comparator") == "between")["value_high"].null_count()) == 0
        assert (df.filter(pl.col("comparator") != "between")["value_high"].null_count()
                == df.filter(pl.col("comparator") != "between").height)
        # table_ref only on action-table rows
        assert df.filter(pl.col("source_kind") == SOURCE_KIND_PROSE)["table_ref"].null_count() == \
            df.filter(pl.col("source_kind") == SOURCE_KIND_PROSE).height
        lines = read_source_lines(PLANS / fname, "plan")
        for r in df.iter_rows(named=True):
            # the value is printed on the reported line; clause sits inside the sentence
            printed = normalize_text(lines[r["line_number"] - 1])
            v = r["value"]
            num = str(int(v)) if float(v).is_integer() else f"{v}"
            assert num in printed or str(v) in printed, (r["line_number"], v, printed[:80])
            assert normalize_text(r["clause"]) in normalize_text(r["sentence"])
            assert normalize_text(r["subject"]) in normalize_text(r["sentence"]) or "、" in r["sentence"]


def test_counts_per_plan(results):
    p = results[PUYANG_FILE]
    h = results[HEZE_FILE]
    assert (p.city_name, p.city_code) == ("濮阳市", "410900")
    assert (h.city_name, h.city_code) == ("菏泽市", "371700")
    print(f"\n濮阳: {p.targets.height} targets, {len(p.quarantine)} quarantined; "
          f"菏泽: {h.targets.height} targets ({h.targets.filter(pl.col('source_kind') == 'action_table').height} "
          f"from action tables), {len(h.quarantine)} quarantined")
    # action tables are only in the 菏泽 plan, and only 专栏13–18 are action tables
    assert p.targets.filter(pl.col("source_kind") == SOURCE_KIND_ACTION).height == 0
    refs = set(h.targets.filter(pl.col("source_kind") == SOURCE_KIND_ACTION)["table_ref"].to_list())
    assert refs and refs <= {f"专栏{n}" for n in range(13, 19)}


# ---------------------------------------------------------------------------
# Specific real assertions
# ---------------------------------------------------------------------------


def _one(df: pl.DataFrame, **eq) -> dict:
    out = df
    for k, v in eq.items():
        out = out.filter(pl.col(k) == v)
    assert out.height == 1, (eq, out)
    return out.row(0, named=True)


def test_heze_nursing_beds_2035(results):
    # the sentence is in the 菏泽 plan (the 濮阳 plan says 不低于 55% for 2025)
    df = results[HEZE_FILE].targets
    r = _one(df, line_number=396, target_year=2035)
    assert (r["comparator"], r["value"], r["unit"]) == ("≥", 70.0, "%")
    assert (r["subject"], r["label_scope"]) == ("养老机构护理床位占比", "prose")
    assert r["region_code"] == "371700"
    assert "到2035年,养老机构护理床位占比达到70%以上" in r["sentence"]
    assert results[PUYANG_FILE].targets.filter(pl.col("target_year") == 2035).height == 0
    p = _one(results[PUYANG_FILE].targets, line_number=484)
    assert (p["comparator"], p["value"], p["target_year"]) == ("≥", 55.0, 2025)


def test_heze_e_license_usage_in_zhuanlan15(results):
    df = results[HEZE_FILE].targets
    r = _one(df, subject="政务服务电子证照使用率")
    assert (r["source_kind"], r["table_ref"], r["target_year"]) == (SOURCE_KIND_ACTION, "专栏15", 2025)
    assert (r["comparator"], r["value"], r["unit"]) == ("≥", 70.0, "%")
    assert r["line_number"] == 493
    assert r["subject"] == "政务服务电子证照使用率"


def test_heze_bus_stop_coverage_in_zhuanlan17(results):
    df = results[HEZE_FILE].targets
    r = _one(df, subject="中心城区公共交通站点500米覆盖率")
    assert (r["source_kind"], r["table_ref"], r["target_year"]) == (SOURCE_KIND_ACTION, "专栏17", 2025)
    assert (r["comparator"], r["value"], r["unit"]) == ("=", 100.0, "%")
    assert r["subject"] == "中心城区公共交通站点500米覆盖率"
    assert r["line_number"] == 518
    # the 500 of "500米" is part of the subject, never a value
    assert df.filter((pl.col("line_number") == 518) & (pl.col("value") == 500)).height == 0


def test_heze_fibre_and_iot_from_action_table(results):
    df = results[HEZE_FILE].targets.filter(pl.col("line_number") == 492)
    got = {(r["subject"], r["comparator"], r["value"]) for r in df.iter_rows(named=True)}
    assert got == {("家庭光纤入户覆盖率", "≥", 80.0), ("物联网覆盖率", "≥", 70.0)}
    assert set(df["table_ref"]) == {"专栏15"}


def test_puyang_qingfeng_county_gdp(results):
    df = results[PUYANG_FILE].targets
    r = _one(df, region_code="410922")
    assert "到 2025 年，生产总值超 300 亿元" in r["sentence"]
    assert (r["target_year"], r["comparator"], r["value"], r["unit"]) == (2025, ">", 300.0, "亿元")
    assert (r["region_name"], r["subject"]) == ("清丰县", "生产总值")
    # 濮阳县 is a county of 濮阳市, not the city itself; 台前县 says 达到
    assert _one(df, region_code="410928")["value"] == 500.0
    assert _one(df, region_code="410927")["comparator"] == "="


def test_puyang_fenbie_and_page_break(results):
    df = results[PUYANG_FILE].targets
    pair = df.filter(pl.col("line_number") == 316).sort("value", descending=True)
    assert pair["subject"].to_list() == ["中心城区公共供水普及率", "县城公共供水普及率"]
    assert pair["value"].to_list() == [97.0, 90.0]
    # "公共资源利用\n\n率不低于 95%": joined over the page break, value on line 402
    r = _one(df, line_number=402)
    assert (r["subject"], r["comparator"], r["value"]) == ("公共资源利用率", "≥", 95.0)
    ratio = _one(df, unit="ratio")
    assert (ratio["value"], ratio["comparator"], ratio["line_number"]) == (4.1, "=", 494)


def test_baselines_and_non_targets_are_skipped(results):
    p = results[PUYANG_FILE].targets
    h = results[HEZE_FILE].targets
    # 2020 baselines, 专栏1 indicator tables, the 菏泽 专栏1 pipe table, dates
    assert p.filter(pl.col("value").is_in([49.97, 14881.0, 40.75, 2.26])).height == 0
    assert h.filter(pl.col("value").is_in([51.9, 0.5, 13.2, 2.76, 2022.0, 15.0])).height == 0
    assert p.filter(pl.col("target_year") < 2021).height == 0
    assert h.filter(pl.col("target_year") < 2022).height == 0
    # 5G is never read as the number 5
    assert p.filter(pl.col("value") == 5).height == 0
    # DB37/T3890-2020 and star levels are not targets
    assert h.filter(pl.col("line_number") == 328).height == 0


# ---------------------------------------------------------------------------
# Own sentences in other styles
# ---------------------------------------------------------------------------


def _style_cases() -> dict[str, dict]:
    with open(FIXTURES / "prose_targets_styles.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cases: dict[str, dict] = {}
    for r in rows:
        c = cases.setdefault(r["case_id"], {"city": r["city"], "text": r["text"], "expected": []})
        assert c["text"] == r["text"] and c["city"] == r["city"]
        if r["comparator"]:
            c["expected"].append(r)
    return cases


STYLE_CASES = _style_cases()


def test_style_fixture_is_large_enough():
    assert len(STYLE_CASES) >= 15
    assert sum(1 for c in STYLE_CASES.values() if c["expected"]) >= 15


@pytest.mark.parametrize("case_id", sorted(STYLE_CASES))
def test_style_sentences(case_id, tmp_path):
    case = STYLE_CASES[case_id]
    doc = tmp_path / f"{case_id}.md"
    doc.write_text(TITLES[case["city"]] + case["text"] + "\n", encoding="utf-8")
    res = extract_prose_targets(doc)
    got = {
        (r["target_year"], r["comparator"], _num(r["value"]), _num(r["value_high"]), r["unit"], r["region_code"],
         r["direction_hint"] or "", normalize_text(r["subject"]))
        for r in res.targets.iter_rows(named=True)
    }
    exp = {
        (int(e["target_year"]), e["comparator"], _num(e["value"]), _num(e["value_high"]), e["unit"],
         e["region_code"], e["direction_hint"], normalize_text(e["subject"]))
        for e in case["expected"]
    }
    assert got == exp, f"{case_id}: {case['text']}"
    line = len(TITLES[case["city"]].splitlines()) + 1
    assert set(res.targets["line_number"].to_list()) <= {line}


def test_city_comes_from_the_title_not_the_code(tmp_path):
    text = "到 2025 年，清丰县生产总值超 300 亿元，全市常住人口城镇化率达到60%。\n"
    doc = tmp_path / "p.md"
    doc.write_text(TITLES["濮阳市"] + text, encoding="utf-8")
    df = extract_prose_targets(doc).targets
    assert set(zip(df["region_code"], df["value"])) == {("410922", 300.0), ("410900", 60.0)}
    # the same sentence under a 菏泽 title: 清丰县 is not a county of 菏泽市
    doc.write_text(TITLES["菏泽市"] + text, encoding="utf-8")
    df = extract_prose_targets(doc).targets
    assert set(df["region_code"]) == {"371700"}


# ---------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("到2025年，全市常住人口城镇化率达到6O%。", "6O"),
        ("到2025年，全市常住人口城镇化率达到7.5.1%。", "7.5.1"),
        # Chinese numerals are read when they are a whole number ("达到六十万人", "百分之六十": the styles
        # fixture); one that is not ("六二十") is quarantined, never guessed
        ("到2025年，全市城镇新增就业人数达到六二十万人。", "六二十"),
        ("到2025年，中心城区、县城、乡镇供水普及率分别达到97%、90%以上。", "分别"),
        ("到2025年，全市常住人口城镇化率不超过60%以上。", "conflicting"),
        ("到2025年，郓城县、曹县生产总值超过500亿元。", "several counties"),
    ],
)
def test_malformed_target_goes_to_quarantine(text, fragment, tmp_path):
    doc = tmp_path / "bad.md"
    doc.write_text(TITLES["菏泽市"] + "第一段没有目标。\n\n" + text + "\n", encoding="utf-8")
    res = extract_prose_targets(doc)
    assert res.targets.height == 0, res.targets.to_dicts()
    assert len(res.quarantine) >= 1
    q = res.quarantine[0]
    assert q.source_file == "bad.md"
    assert q.source_sha256 == file_sha256(doc)
    assert q.location == f"line {len(TITLES['菏泽市'].splitlines()) + 3}"
    assert fragment in q.reason or fragment in q.verbatim
    assert q.reason and q.verbatim


def test_document_without_city_title_is_a_source_error(tmp_path):
    from dagster_project.sources.common.provenance import SourceError

    doc = tmp_path / "anon.md"
    doc.write_text("# 新型城镇化规划\n\n到2025年，城镇化率达到60%。\n", encoding="utf-8")
    with pytest.raises(SourceError):
        extract_prose_targets(doc)


# ---------------------------------------------------------------------------
# What the plans state about the past (extract_stated_values)
# ---------------------------------------------------------------------------


def _stated(df: pl.DataFrame) -> set[tuple]:
    return {
        (r["source_location"], r["region_code"], r["year"], r["indicator_label_raw"], r["unit_raw"], r["value_raw"], r["value"])
        for r in df.iter_rows(named=True)
    }


def test_puyang_stated_values():
    res = extract_stated_values(PLANS / PUYANG_FILE)
    df = res.observations
    assert df.columns == OBSERVATION_COLUMNS
    assert _stated(df) == {
        ("line 66", "410900", 2020, "常住人口城镇化率", "%", "49.97", 49.97),
        ("line 70", "410900", 2015, "建成区面积", "平方公里", "72.3", 72.3),
        ("line 74", "410900", 2020, "全市农村居民人均可支配收入", "元", "14881", 14881.0),
        ("line 74", "410900", 2020, "城乡居民收入比", None, "2.26", 2.26),
        ("line 82", "410900", 2015, "全市城乡居民收入差距", None, "2.55", 2.55),
        ("line 82", "410900", 2020, "全市城乡居民收入差距", None, "2.26", 2.26),
    }
    assert set(df["source_kind"]) == {"plan_statement"} and set(df["label_scope"]) == {"prose"}
    assert set(df["source_sha256"]) == {file_sha256(PLANS / PUYANG_FILE)}
    ratio = df.filter(pl.col("source_location") == "line 74", pl.col("indicator_label_raw") == "城乡居民收入比")
    assert "城乡居民收入比缩小到 2.26" in ratio["verbatim"][0]
    # every stated value is a number printed on its line
    lines = read_source_lines(PLANS / PUYANG_FILE, "plan")
    for r in df.iter_rows(named=True):
        assert r["value_raw"] in normalize_text(lines[int(r["source_location"].split()[1]) - 1]).replace(" ", "")
    assert res.quarantine == []


def test_heze_states_no_past_values():
    # the 菏泽 plan has no 发展现状 figures in its prose; its 2021 baselines are in 专栏1 only
    res = extract_stated_values(PLANS / HEZE_FILE)
    assert res.observations.height == 0 and res.quarantine == []


@pytest.mark.parametrize(
    "text, expected",
    [
        # a clause-initial past year is a stated year; 较/比 2015 年 and 个百分点 are not values
        ("2020年底，全市已建成5G基站1200个，常住人口城镇化率达到51.9%，较2015年提高9.5个百分点。",
         {(2020, "全市已建成5G基站", 1200.0), (2020, "常住人口城镇化率", 51.9)}),
        ("截至2020年底，全市城乡居民收入比缩小至2.1。", {(2020, "全市城乡居民收入比", 2.1)}),
        ("“十三五”末，全市常住人口城镇化率为50.2%。", {(2020, "全市常住人口城镇化率", 50.2)}),
        # from-to: both years; the second value takes the sentence's year when it prints none
        ("全市常住人口城镇化率由2015年的40.5%提高到2020年的49.9%。",
         {(2015, "全市常住人口城镇化率", 40.5), (2020, "全市常住人口城镇化率", 49.9)}),
        ("2020年，全市常住人口城镇化率由2015年的40.5%提高到49.9%。",
         {(2015, "全市常住人口城镇化率", 40.5), (2020, "全市常住人口城镇化率", 49.9)}),
        # targets, bounds and cumulative totals are not statements of a past value
        ("到2025年，全市常住人口城镇化率达到60%。", set()),
        ("2020年，全市常住人口城镇化率超过50%。", set()),
        ("“十三五”期间，全市累计新增城镇就业21万人。", set()),
        ("2020年，全市常住人口城镇化率达到49.9%；常住人口城镇化率达到60%。", {(2020, "全市常住人口城镇化率", 49.9)}),
    ],
)
def test_stated_value_styles(text, expected, tmp_path):
    doc = tmp_path / "stated.md"
    doc.write_text(TITLES["菏泽市"] + text + "\n", encoding="utf-8")
    df = extract_stated_values(doc).observations
    assert {(r["year"], r["indicator_label_raw"], r["value"]) for r in df.iter_rows(named=True)} == expected
    assert set(df["region_code"]) <= {"371700"}
    # the same document read for targets finds none of these statements
    targets = extract_prose_targets(doc).targets
    assert all(y >= 2021 for y in targets["target_year"].to_list())


def test_every_prose_unit_has_a_conversion():
    """The extractor accepts a value only with a unit of its vocabulary, which is read from
    raw/reference/units.csv: every accepted unit converts, measure words are told from
    measures, and the pure-ratio rows ('/', 'ratio') are not units printed after a number."""
    from dagster_project.sources.plans.prose_targets.vocabulary import vocabulary

    units = pl.read_csv(REPO / "raw" / "reference" / "units.csv", infer_schema=False)
    generic = {normalize_text(u or "") for u, code in zip(units["unit_printed"], units["indicator_code"]) if not code}
    vocab = vocabulary().units
    assert [u for u in vocab if normalize_text(u) not in generic] == []
    assert {u: vocab[u] for u in ("套", "万人", "万户", "万人次", "亿元", "%", "m2/人")} == {
        "套": True, "万人": True, "万户": True, "万人次": False, "亿元": False, "%": False, "m2/人": False}
    assert "/" not in vocab and "ratio" not in vocab


def test_unreadable_stated_value_is_quarantined(tmp_path):
    doc = tmp_path / "stated_bad.md"
    doc.write_text(TITLES["菏泽市"] + "2020年，全市常住人口城镇化率达到4O.5%。\n", encoding="utf-8")
    res = extract_stated_values(doc)
    assert res.observations.height == 0
    assert [(q.source_kind, q.location) for q in res.quarantine] == [
        ("plan_statement", f"line {len(TITLES['菏泽市'].splitlines()) + 1}")]
    assert "4O.5" in res.quarantine[0].reason and res.quarantine[0].source_sha256 == file_sha256(doc)


# ---------------------------------------------------------------------------
# The paragraph's year, undated targets, periods the text states (issue 13.1)
# ---------------------------------------------------------------------------


def _doc(tmp_path, text: str):
    doc = tmp_path / "para.md"
    doc.write_text(TITLES["菏泽市"] + text + "\n", encoding="utf-8")
    res = extract_prose_targets(doc)
    got = {(r["target_year"], r["subject"], r["value"]) for r in res.targets.iter_rows(named=True)}
    return got, [(q.location, q.verbatim) for q in res.quarantine]


def test_a_year_at_the_start_of_a_sentence_carries_to_the_paragraph(tmp_path):
    line = f"line {len(TITLES['菏泽市'].splitlines()) + 1}"
    # carried over two sentences, then replaced by the next sentence-initial year
    got, q = _doc(tmp_path, "到2025年，常住人口城镇化率达到60%。城镇调查失业率控制在5.5%以内。"
                            "到2035年，常住人口城镇化率达到70%。城乡居民收入比缩小到1.8。")
    assert got == {(2025, "常住人口城镇化率", 60.0), (2025, "城镇调查失业率", 5.5),
                   (2035, "常住人口城镇化率", 70.0), (2035, "城乡居民收入比", 1.8)} and q == []
    # a past year at the start of a sentence ends it: a statement, neither a target nor quarantined
    got, q = _doc(tmp_path, "到2025年，常住人口城镇化率达到60%。2020年，城镇调查失业率为4.5%。城乡居民收入比为2.1。")
    assert got == {(2025, "常住人口城镇化率", 60.0)} and q == []
    # a year inside a sentence holds to the end of that sentence only: the next one is undated
    got, q = _doc(tmp_path, "郓城县加快发展，到2025年，生产总值超过500亿元。城镇调查失业率控制在5.5%以内。")
    assert got == {(2025, "生产总值", 500.0)} and q == [(line, "城镇调查失业率控制在5.5%以内")]


def test_the_year_does_not_cross_paragraphs(tmp_path):
    got, q = _doc(tmp_path, "到2025年，常住人口城镇化率达到60%。\n\n城镇调查失业率控制在5.5%以内。")
    assert got == {(2025, "常住人口城镇化率", 60.0)}
    assert q == [(f"line {len(TITLES['菏泽市'].splitlines()) + 3}", "城镇调查失业率控制在5.5%以内")]


def test_undated_targets_of_the_real_plans_are_quarantined_with_their_line(results):
    q = {(x.location, x.verbatim) for x in results[PUYANG_FILE].quarantine if "without a target year" in x.reason}
    assert ("line 530", "护理型床位不低于 55%") in q  # the 特困供养 paragraph states no year
    assert ("line 378", "力争市级以上研发平台达到 600 家") in q
    # 菏泽 line 317 "至少一条二级公路联通" is read as "至少1条二级公路联通" (Chinese numerals are read like
    # digits: sources/plans/chinese_numbers.py) and, like its digit form, is no target: 6, not 7
    assert len(results[PUYANG_FILE].quarantine) == 14 and len(results[HEZE_FILE].quarantine) == 6
    h = {(x.location, x.verbatim) for x in results[HEZE_FILE].quarantine}
    assert ("line 333", "智慧校园覆盖率达到100%") in h


def test_a_named_plan_period_gives_the_cumulative_period(tmp_path):
    doc = tmp_path / "period.md"
    doc.write_text(TITLES["濮阳市"] + "“十四五”期间，全市累计新增城镇就业21万人。到2025年，累计建设5G基站5000个以上。\n",
                   encoding="utf-8")
    df = extract_prose_targets(doc).targets
    assert [(r["value"], r["target_year"], r["is_cumulative"], r["period_start"], r["period_end"])
            for r in df.iter_rows(named=True)] == [(21.0, 2025, True, 2021, 2025), (5000.0, 2025, True, None, None)]

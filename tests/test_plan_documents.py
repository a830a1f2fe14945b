"""Plans as web pages and Word files, piece by piece: merged cells and multi-row headers, notes in
any wording, layout tables, charsets, Chinese numerals, five-year plan periods, broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.plans.tables import parse_plan_tables
from dagster_project.sources.plans.chinese_numbers import chinese_to_number, five_year_plan_period
from dagster_project.sources.plans.document import Block, document_from_text_blocks, document_text
from dagster_project.sources.plans.html_plan import html_document
from dagster_project.sources.plans.reader import extract_plan_file_targets, parse_plan_file_tables
from dagster_project.sources.plans.table_grid import cell_value, header_from_rows, note_periods

HEAD = "<html><head><meta charset='{cs}'><title>商丘市新型城镇化规划（2021-2035年）</title></head><body>"


@pytest.mark.parametrize("text, value", [
    ("五", 5), ("十", 10), ("十二", 12), ("三百五十", 350), ("一万二千", 12000), ("两千", 2000), ("四万五千", 45000),
    ("六十点五", 60.5), ("二〇二五", 2025), ("一百零五", 105), ("三十五", 35),
])
def test_chinese_numbers(text, value):
    assert chinese_to_number(text) == value


@pytest.mark.parametrize("text", ["", "六二十", "十十", "点五", "百分"])
def test_not_a_chinese_number(text):
    assert chinese_to_number(text) is None


def test_five_year_plan_periods():
    assert five_year_plan_period("十三五") == (2016, 2020)
    assert five_year_plan_period("“十四五”") == (2021, 2025)
    assert five_year_plan_period("十五五") == (2026, 2030)
    assert five_year_plan_period("十五") is None and five_year_plan_period("十四") is None


@pytest.mark.parametrize("note, expected", [
    ("注：[ ]内为五年累计数。", {2020: (2016, 2020), 2025: (2021, 2025), 2035: (2031, 2035)}),
    ("注：〔 〕内为5年累计数", {2020: (2016, 2020), 2025: (2021, 2025), 2035: (2031, 2035)}),
    ("注：1.[ ]内为累计数据。", {2020: None, 2025: None, 2035: None}),
    ("注：【 】内为“十四五”期间累计数", {2020: None, 2025: (2021, 2025), 2035: None}),
    ("注：2025年[ ]内为五年累计数，2035年[ ]内为十年累计数。", {2020: None, 2025: (2021, 2025), 2035: (2026, 2035)}),
    ("注：［ ］内为2021—2025年累计数，2035年为2026-2035年累计数", {2020: None, 2025: (2021, 2025), 2035: (2026, 2035)}),
    ("注：城乡居民收入比以农村居民收入为1。", {2020: None, 2025: None, 2035: None}),
])
def test_note_periods_in_any_wording(note, expected):
    assert note_periods(note, [2020, 2025, 2035]) == expected


@pytest.mark.parametrize("text, value, cumulative, comparator", [
    ("〔21〕", 21, True, "="), ("【12】", 12, True, "="), ("［5］", 5, True, "="), ("[40]", 40, True, "="),
    ("累计21", 21, True, "="), ("21（累计）", 21, True, "="), ("≥〔5〕", 5, True, "≥"), ("60以上", 60, False, "≥"),
])
def test_cumulative_cells_in_any_bracket(text, value, cumulative, comparator):
    cv = cell_value(text)
    assert (cv.value, cv.is_cumulative, cv.comparator, cv.error) == (value, cumulative, comparator, None)


def test_multi_row_headers_are_joined():
    rows = [["指标", "单位", "基期值", "目标值", "目标值"], ["指标", "单位", "2020年", "2025年", "2035年"], ["a", "%", "1", "2", "3"]]
    header, n = header_from_rows(rows)
    assert n == 2 and header[3] == ["目标值", "2025年"]
    # a one-row header with the year in words ("2020年（基期）", "2025年目标值") needs no second row
    header, n = header_from_rows([["指标名称", "2020年（基期）", "2025年目标值"], ["a", "1", "2"]])
    assert n == 1
    assert header_from_rows([["类别", "说明"], ["a", "b"]]) is None


def _page(tmp_path: Path, body: str, cs: str = "utf-8", name: str = "shangqiu.html") -> Path:
    p = tmp_path / name
    p.write_bytes((HEAD.format(cs=cs) + body + "</body></html>").encode("gb18030" if cs.lower() in ("gbk", "gb2312") else "utf-8"))
    return p


def test_gbk_page_layout_table_group_rows_and_note_row(tmp_path):
    """A GBK page whose content sits in a layout table; the indicator table has a full-width group
    heading row (colspan over every column) and its note as a last merged row; unclosed <td>s."""
    body = """<table width="100%"><tr><td>
<p>专栏2 商丘市主要指标</p>
<table border=1>
<tr><td>指标<td>单位<td>2020年<td>2025年<td>2035年<td>属性
<tr><td colspan=6>一、人口城镇化
<tr><td>常住人口城镇化率<td>%<td>46.2<td>55<td>68<td>预期性
<tr><td colspan=6>二、公共服务
<tr><td>城镇新增就业人数<td>万人<td>6<td>〔30〕<td>〔60〕<td>预期性
<tr><td colspan=6>注：〔 〕内为累计数，2025年为“十四五”期间累计，2035年为2026-2035年累计。
</table>
<p>到2025年，全市常住人口城镇化率达到55%。</p>
</td></tr></table>"""
    path = _page(tmp_path, body, cs="gbk")
    res = parse_plan_file_tables(path)
    assert res.region_code == "411400" and res.quarantine == []
    got = {(r["group_label"], r["indicator_label"], r["year"], r["value"], r["period_start"], r["period_end"], r["source_location"])
           for r in res.cells.iter_rows(named=True)}
    assert got == {
        ("一、人口城镇化", "常住人口城镇化率", 2020, 46.2, None, None, "table 1 row 3 col 3"),
        ("一、人口城镇化", "常住人口城镇化率", 2025, 55.0, None, None, "table 1 row 3 col 4"),
        ("一、人口城镇化", "常住人口城镇化率", 2035, 68.0, None, None, "table 1 row 3 col 5"),
        ("二、公共服务", "城镇新增就业人数", 2020, 6.0, None, None, "table 1 row 5 col 3"),
        ("二、公共服务", "城镇新增就业人数", 2025, 30.0, 2021, 2025, "table 1 row 5 col 4"),
        ("二、公共服务", "城镇新增就业人数", 2035, 60.0, 2026, 2035, "table 1 row 5 col 5"),
    }
    assert res.tables[0]["table_ref"] == "专栏2" and res.tables[0]["caption"] == "商丘市主要指标"
    targets = extract_plan_file_targets(path).targets
    assert targets.select("target_year", "value", "region_code").rows() == [(2025, 55.0, "411400")]


def test_bad_cell_is_quarantined_with_its_table_place(tmp_path):
    body = """<p>专栏1 主要指标</p><table><tr><th>指标</th><th>2020年</th><th>2025年</th></tr>
<tr><td>常住人口城镇化率（%）</td><td>46.2</td><td>5O</td></tr></table>"""
    res = parse_plan_file_tables(_page(tmp_path, body))
    assert [(q.location, q.verbatim) for q in res.quarantine] == [("table 1 row 2 col 3", "5O")]
    assert res.cells.select("year", "value", "unit_printed").rows() == [(2020, 46.2, "%")]


def test_page_without_indicator_table_or_city_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="no indicator table"):
        parse_plan_file_tables(_page(tmp_path, "<p>到2025年，全市常住人口城镇化率达到55%。</p>"))
    p = tmp_path / "nocity.html"
    p.write_text("<html><head><title>新型城镇化规划</title></head><body><p>无</p></body></html>", encoding="utf-8")
    with pytest.raises(SourceError, match="which city"):
        parse_plan_file_tables(p)


def test_not_a_docx_is_an_error(tmp_path):
    p = tmp_path / "plan.docx"
    p.write_bytes(b"this is not a zip file")
    with pytest.raises(SourceError, match=r"not a readable docx \(zip\) archive"):
        parse_plan_file_tables(p)


def test_html_blocks_split_at_br_and_keep_their_lines():
    doc = html_document("<html><body>\n<div>引言<p>第一段。<br>第二段。</p>尾声</div>\n<h2>第二章</h2></body></html>")
    assert [(b.text, b.line_number, b.heading) for b in doc.items if isinstance(b, Block)] == [
        ("引言", 2, False), ("第一段。", 2, False), ("第二段。", 2, False), ("尾声", 2, False), ("第二章", 3, True)]


def test_pdf_like_text_blocks_are_rejoined_and_keep_their_page_location(tmp_path):
    """documents.py hands over lines of a page layout with "page N line M": a sentence broken over two
    lines is one paragraph again, and what is reported is located by page and line."""
    doc = document_from_text_blocks([
        ("商丘市新型城镇化规划（2021-2035年）", "page 1 line 1"),
        ("2022年6月", "page 1 line 2"),
        ("到2025年，全市常住人口城镇化率达到55%，城镇调查失业率控制在", "page 3 line 7"),
        ("5.5%以内。", "page 3 line 8"),
    ])
    text = document_text(doc)
    assert not text.whole_paragraphs
    from dagster_project.sources.plans.prose_targets import extract_prose_targets

    p = tmp_path / "plan.pdf"
    p.write_bytes(b"%PDF-1.4 stand-in")
    res = extract_prose_targets(p, text)
    assert res.targets.select("target_year", "comparator", "value", "line_number").rows() == [
        (2025, "=", 55.0, 3), (2025, "≤", 5.5, 4)]


def test_pdf_plan_file_goes_through_the_document_reader(tmp_path, monkeypatch):
    """A *.pdf plan: the loaders' entry points take the page lines of sources/common/documents.py
    (stood in for here: a PDF with Chinese text needs a CJK font the test machine may lack; the PDF
    text layer itself is tested on the real bulletins in test_documents.py). Its prose targets land
    with their page places; it has no table structure, so the cells loader refuses it by name."""
    from dagster_project.sources.common import documents

    pages = [("page 1 line 1", "商丘市新型城镇化规划（2021-2035年）"), ("page 1 line 2", "2022年6月"),
             ("page 3 line 7", "到2025年，全市常住人口城镇化率达到55%，城镇调查失业率控制在"),
             ("page 3 line 8", "5.5%以内。")]
    asked = []

    def read_document(path, kind):
        asked.append((Path(path).name, kind))
        return documents.DocumentText(Path(path).name, "pdf", pages)

    monkeypatch.setattr(documents, "read_document", read_document)
    (pdf := tmp_path / "shangqiu_plan.pdf").write_bytes(b"%PDF-1.4 stand-in")
    res = extract_plan_file_targets(pdf)
    assert res.targets.select("target_year", "comparator", "value", "line_number").rows() == [
        (2025, "=", 55.0, 3), (2025, "≤", 5.5, 4)]
    with pytest.raises(SourceError, match="no indicator table found"):
        parse_plan_file_tables(pdf)
    assert asked == [("shangqiu_plan.pdf", "plan")] * 2


def test_markdown_year_headers_with_words(tmp_path):
    doc = tmp_path / "plan.md"
    doc.write_text("# 商丘市新型城镇化规划（2021-2035年）\n\n专栏1 主要指标\n\n"
                   "| 指标 | 单位 | 2020年（基期） | 2025年目标值 |\n|---|---|---|---|\n"
                   "| 常住人口城镇化率 | % | 46.2 | 55 |\n\n正文。\n", encoding="utf-8")
    res = parse_plan_tables(doc)
    assert res.cells.select("year", "column_kind", "value", "source_location").rows() == [
        (2020, "baseline", 46.2, "line 7 col 3"), (2025, "target", 55.0, "line 7 col 4")]


def test_government_page_with_an_information_table_first(tmp_path):
    """Government pages open with an information table (索引号 | 发布机构 | 成文日期, as on
    https://www.zjtz.gov.cn/art/2021/7/15/art_1229795980_3722079.html): it is no indicator table, and
    the plan's identity still comes from the page title naming the plan."""
    page = tmp_path / "notice.html"
    page.write_text("""<html><head><meta charset="utf-8">
<title>商丘市人民政府关于印发《商丘市新型城镇化规划（2021—2035年）》的通知</title></head><body>
<table><tr><td>索引号:</td><td>002668661/2022-90372</td><td>公开方式:</td><td>主动公开</td></tr>
<tr><td>发布机构:</td><td>市政府办公室</td><td>成文日期:</td><td>2022-07-15</td></tr></table>
<p>各县（市、区）人民政府：现将《商丘市新型城镇化规划（2021—2035年）》印发给你们。</p>
<p>商丘市人民政府</p><p>2022年7月15日</p>
<p>专栏1 主要指标</p>
<table><tr><th>指标</th><th>单位</th><th>2020年</th><th>2025年</th></tr>
<tr><td>常住人口城镇化率</td><td>%</td><td>46.2</td><td>55</td></tr></table>
<p>到2025年，全市常住人口城镇化率达到55%以上。</p>
</body></html>""", encoding="utf-8")
    res = parse_plan_file_tables(page)
    assert (res.plan_id, res.region_code) == ("411400-商丘市新型城镇化规划(2021—2035年)", "411400")
    assert [(t["table_ref"], t["location"], t["rows"]) for t in res.tables] == [("专栏1", "table 2", 1)]
    assert res.cells.select("year", "value", "source_location").rows() == [
        (2020, 46.2, "table 2 row 2 col 3"), (2025, 55.0, "table 2 row 2 col 4")]
    prose = extract_plan_file_targets(page)
    assert prose.targets.select("target_year", "comparator", "value", "line_number").rows() == [(2025, "≥", 55.0, 10)]


def test_first_and_second_level_indicator_columns(tmp_path):
    """"一级指标" merged over its rows is the group, "二级指标" the label."""
    body = """<p>专栏1 主要指标</p><table>
<tr><td>一级指标</td><td>二级指标</td><td>单位</td><td>2020年</td><td>2025年</td><td>指标属性</td></tr>
<tr><td rowspan="2">人口</td><td>常住人口城镇化率</td><td>%</td><td>46.2</td><td>55</td><td>预期性</td></tr>
<tr><td>户籍人口城镇化率</td><td>%</td><td>35</td><td>≥45</td><td>约束性</td></tr></table>"""
    res = parse_plan_file_tables(_page(tmp_path, body))
    assert res.cells.select("group_label", "indicator_label", "year", "value", "comparator", "is_binding").rows() == [
        ("人口", "常住人口城镇化率", 2020, 46.2, "=", False), ("人口", "常住人口城镇化率", 2025, 55.0, "=", False),
        ("人口", "户籍人口城镇化率", 2020, 35.0, "=", True), ("人口", "户籍人口城镇化率", 2025, 45.0, "≥", True)]


def test_indicator_header_spanning_name_and_unit():
    rows = [["指标", "指标", "2020年", "2025年"], ["名称", "单位", "2020年", "2025年"], ["常住人口城镇化率", "%", "46", "55"]]
    header, n = header_from_rows(rows)
    assert n == 2 and header[0] == ["指标", "名称"] and header[1] == ["指标", "单位"]

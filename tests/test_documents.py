"""Bulletins as PDF and Word files (dagster_project/sources/common/documents.py, read through the
bulletin reader of dagster_project/sources/bulletins/html.py): exact figures and places from the real
files in ../shared/bulletins/, the text rebuilt from the page layout (lines joined, running headers
and page numbers dropped, table rows kept apart), and hostile files made at test time (a scan
without a text layer, a truncated and an encrypted PDF, broken Word files) quarantined with their reason."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from functools import lru_cache

import polars as pl
import pytest

from dagster_project.sources.bulletins.html import parse_bulletin_document, parse_bulletin_file
from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.common.documents import NO_TEXT_LAYER, read_document
from tests.conftest import shared_file, with_codes

PDFS = {"410800": "jiaozuo", "421000": "jingzhou", "610100": "xian", "230100": "harbin"}


def bulletin(name: str) -> str:
    return shared_file(f"bulletins/{name}_2025_statistical_bulletin.{'docx' if name == 'hotan' else 'pdf'}")


@lru_cache(maxsize=None)
def parsed(name: str):
    return parse_bulletin_document(bulletin(name))


@lru_cache(maxsize=None)
def text(name: str):
    return read_document(bulletin(name), "bulletin")


def figures(name: str) -> dict[str, tuple[float, str, str]]:
    """The figures a file states for its own year (not the previous-year values derived from a change)."""
    obs = with_codes(parsed(name).observations, "bulletin")
    return {r["indicator_code"]: (r["value"], r["value_raw"], r["source_location"]) for r in obs.iter_rows(named=True)
            if r["derivation"] == "stated"}


# ---------------------------------------------------------------------------
# Figures read from the PDFs: value as printed, and where (page, line of the paragraph, sentence)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, region, expected", [
    ("jiaozuo", "410800", {  # p.1 "初步核算，全年全市地区生产总值 2479.6 亿元，同比增长 / 6.5%。"; p.2 "年末全市常住人口 346.7 万人 …"
        "gdp": (2479.6, "2479.6", "page 1 line 15 sentence 1"),
        "resident_population": (346.7, "346.7", "page 2 line 1 sentence 1"),
        "urban_resident_population": (231.9, "231.9", "page 2 line 1 sentence 1"),
        "urbanization_rate": (66.9, "66.90", "page 2 line 1 sentence 1"),
        "urban_disposable_income": (43026.0, "43026", "page 11 line 21 sentence 2"),  # its sentence runs onto page 12
    }),
    ("jingzhou", "421000", {  # p.9 "年末全市常住人口 508.29 万人。其中，城镇 309.14 万 / 人，乡村 199.15 万人。城镇化率达到 60.82%。"
        "gdp": (3712.34, "3712.34", "page 1 line 13 sentence 1"),
        "resident_population": (508.29, "508.29", "page 9 line 17 sentence 1"),
        "urbanization_rate": (60.82, "60.82", "page 9 line 17 sentence 3"),
    }),
    ("xian", "610100", {  # p.1 "… 2025 年西安市地区生产总值[2]13902.67 亿元"; p.2 "年末常住人口 1323.63 万人 …"
        "gdp": (13902.67, "13902.67", "page 1 line 11 sentence 1"),
        "resident_population": (1323.63, "1323.63", "page 2 line 2 sentence 1"),
        "urban_resident_population": (1072.27, "1072.27", "page 2 line 2 sentence 1"),
        "urbanization_rate": (81.01, "81.01", "page 2 line 2 sentence 2"),
    }),
    ("harbin", "230100", {  # p.1 is the cover; p.2 "初步核算，全年实现地区生产总值 / [2]6188.5 亿元" (a raised footnote mark)
        "gdp": (6188.5, "6188.5", "page 2 line 17 sentence 1"),
        "resident_population": (988.7, "988.7", "page 3 line 1 sentence 1"),
        "urbanization_rate": (72.15, "72.15", "page 3 line 1 sentence 3"),
    }),
])
def test_pdf_figures_are_read_exactly_with_their_page_and_line(name, region, expected):
    result = parsed(name)
    assert (result.summary["region_code"], result.summary["year"], result.summary["title_kind"]) == (region, 2025, "bulletin")
    got = figures(name)
    for code, value in expected.items():
        assert got[code] == value, code
    obs = result.observations
    assert set(obs["source_kind"]) == {"bulletin_document"} and set(obs["document_format"]) == {"pdf"}
    assert set(obs["bulletin_key"]) == {f"bulletin {region} 2025"} and result.quarantine == []


def test_per_file_counts():
    """Blocks, sentences and figures of the five documents (a regression guard on the layout reading)."""
    counts = {n: (parsed(n).summary["blocks"], parsed(n).summary["sentences"], parsed(n).summary["observations"])
              for n in ("jiaozuo", "jingzhou", "xian", "harbin", "hotan")}
    assert counts == {"jiaozuo": (133, 205, 42), "jingzhou": (61, 122, 31), "xian": (117, 210, 45),
                      "harbin": (150, 252, 41), "hotan": (98, 142, 5)}


# ---------------------------------------------------------------------------
# Text rebuilt from the layout
# ---------------------------------------------------------------------------

def block(name: str, location: str) -> str:
    return dict(text(name).blocks)[location]


def test_lines_broken_inside_a_sentence_are_joined():
    # printed "…同比增长" at the end of a line, "6.5%。其中，…" on the next
    assert "全年全市地区生产总值 2479.6 亿元，同比增长6.5%。其中，第一产业增加值 144.1 亿元" in block("jiaozuo", "page 1 line 15")
    # a line that ends early because the number after it did not fit: "比上年增长" / "5.8%。"
    assert block("jingzhou", "page 7 line 4") == "年末全市公路总里程达 25766.73 公里，比上年增长5.8%。其中，高速公路里程达 723.5 公里。"
    # across a page break, past the page number "— 12 —" at the top of page 12: "城镇居民人" / "均可支配收入43026元"
    assert "按常住地分：城镇居民人均可支配收入43026元，增长5.1%；城镇居民人均消费支出29005元" in block("jiaozuo", "page 11 line 21")
    # a raised footnote mark stays on its line: "地区生产总值[2]6188.5 亿元"
    assert block("harbin", "page 2 line 17").startswith("初步核算，全年实现地区生产总值[2]6188.5 亿元，按不变价格计算")


def test_headings_and_table_rows_stay_apart():
    assert block("jiaozuo", "page 1 line 14") == "一、综合"
    assert block("jiaozuo", "page 2 line 7") == "全市常住人口 346.7 100.0"  # table rows, one block each
    assert block("jiaozuo", "page 2 line 8") == "其中：城镇 231.9 66.9"
    # a row whose number column ends at the right margin is still not joined with the next row
    assert block("harbin", "page 4 line 3") == "居民消费价格指数 100.4"
    assert block("harbin", "page 4 line 4") == "食品烟酒 99.3"
    # a two-line title stays two blocks; the bulletin's title is still found from them
    assert [t for _, t in text("jiaozuo").blocks[:2]] == ["2025 年焦作市国民经济和社会发展", "统计公报"]


@pytest.mark.parametrize("name, pages, dropped", [("jiaozuo", 13, 13), ("xian", 15, 15), ("harbin", 17, 16), ("jingzhou", 12, 0)])
def test_page_numbers_are_dropped(name, pages, dropped):
    """'— 3 —' on every page (harbin: not on its cover; jingzhou prints none), and never in a block."""
    doc = text(name)
    assert (doc.stats["pages"], doc.stats["header_footer_lines_dropped"]) == (pages, dropped)
    assert not [t for _, t in doc.blocks if re.search(r"—\s*\d{1,2}\s*—", t)]
    assert doc.blocks[0][0] == "page 1 line 1"  # lines are counted from the top of the page, the number included


def test_docx_paragraphs_and_tables_in_body_order():
    doc = text("hotan")
    locations = [loc for loc, _ in doc.blocks]
    assert doc.blocks[:2] == [("paragraph 2", "2025年和田地区国民经济和社会发展"), ("paragraph 3", "统计公报")]
    assert dict(doc.blocks)["table 1 row 3"] == "居民消费价格 100.6 0.6"
    assert locations.index("paragraph 10") < locations.index("table 1 row 1") < locations.index("paragraph 11")
    assert (doc.stats["paragraphs"], doc.stats["tables"]) == (75, 3)
    got = figures("hotan")
    assert got == {  # the bulletin prints growth rates otherwise
        "urban_new_jobs": (2.67, "2.67", "paragraph 10 sentence 1"),
        "museums": (5.0, "5", "paragraph 50 sentence 1"),  # "博物馆5个、文化馆9个"
        "cultural_centres": (9.0, "9", "paragraph 50 sentence 1"),
        "tourist_visits": (3855.61, "3855.61", "paragraph 52 sentence 1"),  # "接待国内外游客3855.61万人次"
        "health_institutions": (2307.0, "2307", "paragraph 53 sentence 1"),  # "共有医疗卫生机构2307所"
    }
    result = parsed("hotan")
    assert (result.summary["region_code"], result.summary["title_line"]) == ("653200", "paragraph 2")
    assert set(result.observations["document_format"]) == {"docx"}


def test_the_html_and_pdf_of_one_bulletin_have_the_same_bulletin_key():
    """What makes two files one bulletin downstream (int_observations_normalized): the title, not the name."""
    html = parse_bulletin_file(shared_file("bulletins/harbin_2025_statistical_bulletin.html"))
    assert (html.summary["region_code"], html.summary["year"], html.summary["title_kind"]) == ("230100", 2025, "bulletin")
    assert parsed("harbin").observations["bulletin_key"].unique().to_list() == ["bulletin 230100 2025"]
    docx, page = parsed("hotan"), parse_bulletin_file(shared_file("bulletins/hotan_2025_statistical_bulletin.html"))
    assert (page.summary["region_code"], page.summary["year"]) == (docx.summary["region_code"], docx.summary["year"]) == ("653200", 2025)


# ---------------------------------------------------------------------------
# Hostile files: quarantined by the loader with file and reason, the rest still lands
# ---------------------------------------------------------------------------

def scanned_pdf() -> bytes:
    """A one-page PDF holding only an image (what a scanner writes): no text layer."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(595, 842)
    image = pdfium.PdfImage.new(pdf)
    image.set_bitmap(pdfium.PdfBitmap.new_native(200, 100, pdfium.raw.FPDFBitmap_BGR))
    image.set_matrix(pdfium.PdfMatrix().scale(400, 200).translate(100, 500))
    page.insert_obj(image)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """A one-page PDF encrypted with a user password (Standard security handler, RC4 40-bit): an
    /Encrypt dictionary whose /U entry the empty password does not open."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
               b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (b"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<" + b"ab" * 16 + b"> <" + b"ab" * 16 + b">] >>\n"
            b"startxref\n%d\n%%%%EOF\n" % xref)
    return bytes(out)


def _docx_bytes() -> bytes:
    return open(shared_file("bulletins/hotan_2025_statistical_bulletin.docx"), "rb").read()


def _not_a_word_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "a zip, but no word/document.xml")
    return out.getvalue()


HOSTILE = {
    "scan.pdf": (scanned_pdf, f"{NO_TEXT_LAYER} (1 page(s), no character on any)"),
    "truncated.pdf": (lambda: open(bulletin("harbin"), "rb").read()[:600_000],
                      "cannot open PDF: Failed to load document (PDFium: Data format error)."),
    "encrypted.pdf": (encrypted_pdf, "cannot open PDF: Failed to load document (PDFium: Incorrect password error)."),
    "truncated.docx": (lambda: _docx_bytes()[:20_000],
                       "not a readable docx (zip) archive: BadZipFile: File is not a zip file"),
    "notword.docx": (_not_a_word_file, "cannot read Word document: "),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_document_is_a_source_error(tmp_path, name):
    make, reason = HOSTILE[name]
    (path := tmp_path / name).write_bytes(make())
    with pytest.raises(SourceError) as exc:
        parse_bulletin_file(path)
    assert exc.value.file == name and exc.value.reason.startswith(reason)


def test_loader_quarantines_hostile_documents_and_lands_the_rest(tmp_path):
    from dagster_project.sources.common.landing import parse_files

    for name, (make, _) in HOSTILE.items():
        (tmp_path / name).write_bytes(make())
    good = shared_file("bulletins/xian_2025_statistical_bulletin.pdf")
    files = sorted(tmp_path.iterdir()) + [good]
    landed: list[pl.DataFrame] = []
    quarantine, per_file, unexpected = parse_files(
        logging.getLogger("test"), "bulletin_observations", files, parse_bulletin_file,
        lambda result, _path: result.observations, landed.append)
    assert not unexpected
    rows = {q.source_file: (q.source_kind, q.location, q.reason) for q in quarantine}
    assert set(rows) == set(HOSTILE)
    for name, (_, reason) in HOSTILE.items():
        kind, location, got = rows[name]
        assert kind == "bulletin_observations" and location == "file" and got.startswith(reason), name
    assert [f["rows_loaded"] for f in per_file if f["source_file"] == good.name] == [45]
    assert sum(df.height for df in landed) == 45


def test_docx_zip_bomb_is_refused_before_it_is_inflated(tmp_path, monkeypatch):
    from dagster_project.common import config

    real = config.ingest_limits()
    monkeypatch.setattr(config, "ingest_limits", lambda: {**real, "max_docx_uncompressed_bytes": 100_000})
    (path := tmp_path / "bomb.docx").write_bytes(_docx_bytes())  # unzips to 479,264 bytes
    with pytest.raises(SourceError, match=r"members unzip to 479,264 bytes \(49,406 zipped\), over max_docx_uncompressed_bytes = 100,000"):
        parse_bulletin_file(path)


def test_pdf_over_its_byte_budget(tmp_path, monkeypatch):
    from dagster_project.common import config

    real = config.ingest_limits()
    monkeypatch.setattr(config, "ingest_limits", lambda: {**real, "max_file_bytes_bulletin_pdf": 100_000})
    with pytest.raises(SourceError, match=r"file is 211,776 bytes, over max_file_bytes_bulletin_pdf = 100,000"):
        parse_bulletin_file(bulletin("jiaozuo"))


# ---------------------------------------------------------------------------
# End to end: the nightly (the session's run, tests/conftest.py) publishes the PDF-only cities
# ---------------------------------------------------------------------------

def test_nightly_publishes_2025_actuals_from_pdf_and_word_bulletins(nightly_warehouse):
    from dagster_project.common.warehouse import connect_readonly

    path, _ = nightly_warehouse
    with connect_readonly(path) as con:
        actual = {(r, c): (v, f, loc) for r, c, v, f, loc in con.execute("""
            select region_code, indicator_code, value, source_file, source_location from marts.fct_indicator_actual
            where year = 2025 and scope_group = 'whole_region' and value_source = 'observed'
              and indicator_code in ('gdp', 'resident_population', 'urbanization_rate')
              and region_code in ('410800', '421000', '610100')""").fetchall()}
        pdf = "{}_2025_statistical_bulletin.pdf".format
        assert actual == {
            ("410800", "gdp"): (247_960_000_000.0, pdf("jiaozuo"), "page 1 line 15 sentence 1"),
            ("410800", "resident_population"): (pytest.approx(3_467_000), pdf("jiaozuo"), "page 2 line 1 sentence 1"),
            ("410800", "urbanization_rate"): (66.9, pdf("jiaozuo"), "page 2 line 1 sentence 1"),
            ("421000", "gdp"): (371_234_000_000.0, pdf("jingzhou"), "page 1 line 13 sentence 1"),
            ("421000", "resident_population"): (pytest.approx(5_082_900), pdf("jingzhou"), "page 9 line 17 sentence 1"),
            ("421000", "urbanization_rate"): (60.82, pdf("jingzhou"), "page 9 line 17 sentence 3"),
            ("610100", "gdp"): (1_390_267_000_000.0, pdf("xian"), "page 1 line 11 sentence 1"),
            ("610100", "resident_population"): (pytest.approx(13_236_300), pdf("xian"), "page 2 line 2 sentence 1"),
            ("610100", "urbanization_rate"): (81.01, pdf("xian"), "page 2 line 2 sentence 2"),
        }
        # 哈尔滨 and 和田 are there as HTML and as PDF / Word: one observation per figure, never two
        doubled = con.execute("""
            select region_code, indicator_key, year, count(*) from marts.fct_indicator_observation
            where region_code in ('230100', '653200') and source_kind like 'bulletin%'
            group by all having count(*) > 1""").fetchall()
        assert doubled == []
        per_file = dict(con.execute("""
            select source_file, count(*) from marts.fct_indicator_observation
            where region_code in ('230100', '653200') and source_kind like 'bulletin%' group by 1""").fetchall())
        assert per_file == {"harbin_2025_statistical_bulletin.pdf": 41, "hotan_2025_statistical_bulletin.docx": 5}


# ---------------------------------------------------------------------------
# A layout never seen: a PDF written at test time (Courier, ragged right, a running header that
# repeats the title, page numbers in two styles, a paragraph running onto the next page, a table)
# ---------------------------------------------------------------------------

def layout_pdf() -> bytes:
    import ctypes
    import textwrap

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument.new()

    def put(page, text: str, x: float, y: float) -> None:
        obj = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Courier", ctypes.c_float(12))
        buf = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)

    first = textwrap.wrap("  The resident population at the end of the year was 3.2 million, of which the urban "
                          "population was 2.1 million and the rural population 1.1 million.", 60, drop_whitespace=False)
    second = textwrap.wrap("  Grain output reached 5.5 million tonnes in the year, and the output of vegetables "
                           "reached 2.0 million tonnes, while the output of fruit grew by 3 percent over the year "
                           "before, the fastest growth since 2019.", 60, drop_whitespace=False)
    pages = [first + ["1. Agriculture"] + second[:3], second[3:] + ["Item       Value    Growth", "Grain      5.5      2.1"]]
    for number, (lines, footer) in enumerate(zip(pages, ["- 1 -", "Page 2 of 2"]), start=1):
        page = pdf.new_page(595, 842)
        put(page, "City Statistical Bulletin 2025", 200, 800)
        for k, line in enumerate(lines):
            put(page, line.rstrip(), 72, 740 - 18 * k)
        put(page, footer, 260, 40)
        page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_a_layout_never_seen():
    from dagster_project.sources.common.documents import pdf_text

    doc = pdf_text(layout_pdf(), "layout.pdf")
    assert doc.blocks == [
        ("page 1 line 1", "City Statistical Bulletin 2025"),  # the running header, kept where it first occurs
        ("page 1 line 2", "The resident population at the end of the year was 3.2 million, of which the urban "
                          "population was 2.1 million and the rural population 1.1 million."),
        ("page 1 line 5", "1. Agriculture"),
        ("page 1 line 6", "Grain output reached 5.5 million tonnes in the year, and the output of vegetables "
                          "reached 2.0 million tonnes, while the output of fruit grew by 3 percent over the year "
                          "before, the fastest growth since 2019."),
        ("page 2 line 3", "Item Value Growth"),
        ("page 2 line 4", "Grain 5.5 2.1"),
    ]
    assert doc.stats["header_footer_lines_dropped"] == 3  # '- 1 -', 'Page 2 of 2', the header on page 2

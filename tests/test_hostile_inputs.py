"""Hostile source files (issue 10): every failure of one file is that file's quarantine.

Every input is generated here, in temporary directories (nothing binary is committed): GBK
text, empty files, damaged and non-zip workbooks, a sheet whose only cell is XFD1048576, a zip
bomb, files over their byte budget (raw/reference/ingest_limits.csv, lowered for the test), a
symlink out of the source directory, binary bytes named .html, a plan naming no city. Each
case asserts the exact SourceError (file, location, reason) at parser level and that a
well-formed file of the same kind still parses; one end-to-end test lands a source directory
full of them through the Dagster loaders, and one measures peak memory in a subprocess.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

from dagster_project.common import config
from dagster_project.sources.bulletins.facts import parse_bulletin_facts
from dagster_project.sources.bulletins.html import parse_bulletin_html
from dagster_project.sources.census.parser import parse_census_city, parse_census_county
from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.plans.tables import parse_plan_tables
from dagster_project.sources.plans.prose_targets import extract_prose_targets
from dagster_project.sources.yearbooks.parser import parse_yearbook, read_workbook
from tests.conftest import PUYANG, ROOT

LIMITS = "(raw/reference/ingest_limits.csv)"
FAR = "cell XFD1048576 makes the used range 1,048,576 rows x 16,384 columns = 17,179,869,184 cells from A1"
MAX_CELLS = f"over max_sheet_cells = 2,000,000 {LIMITS}"
TITLE = "中国2020年地级以上城市数据"  # a yearbook sheet's title cell
FAR_ROWS = [[("A1", TITLE)], [("XFD1048576", 1)]]

# ---------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _cell_xml(ref: str, value) -> str:
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def sheet_xml(rows: list[list[tuple[str, object]]], dimension: str | None = None) -> str:
    """Worksheet XML: one <row> per list of (reference, value) cells, row number from the first reference."""
    body = "".join(
        f'<row r="{cells[0][0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">' + "".join(_cell_xml(*c) for c in cells) + "</row>"
        for cells in rows
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">{dim}<sheetData>{body}</sheetData></worksheet>'


def write_xlsx(path: Path, sheet: str, *, name: str = "Sheet1", stored: bool = False, pad_bytes: int = 0) -> Path:
    """A minimal valid workbook (stdlib zipfile + OOXML) with one sheet; ``pad_bytes`` of blanks
    inside the sheet XML (still valid XML, deflating ~1000:1) make it a zip bomb."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
        for member, text in parts.items():
            zf.writestr(member, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=pad_bytes > 0) as fh:
            head, _, tail = sheet.rpartition("</worksheet>")
            fh.write(head.encode())
            for _ in range(pad_bytes >> 20):
                fh.write(b" " * (1 << 20))
            fh.write(b"</worksheet>")
    return path


COUNTY_HEADER = [("A1", "区划代码"), ("B1", "省"), ("C1", "市"), ("D1", "区县"), ("E1", "人口数_合计"), ("F1", "城镇人口"), ("G1", "乡村人口")]
COUNTY_PUYANG = [("A2", "410900"), ("B2", "河南省"), ("C2", "濮阳市"), ("D2", "-"), ("E2", 3772088), ("F2", 1856532), ("G2", 1915556)]
CITY_HEADER = "city,city_code,province_code,popu_2020,popu_urban_2020,popu_rural_2020,popu_2010,popu_urban_2010,popu_rural_2010"
CITY_PUYANG = "濮阳市,410900,410000,3772088,1856532,1915556,3598740,1124339,2474401"
FACTS_HEADER = "region_code,region_name,year,indicator_label,value,unit,source_kind,source"
FACTS_PUYANG = "410900,濮阳市,2025,常住人口,366.10,万人,statistical bulletin,test"
NO_CITY_PLAN = "# 某某市新型城镇化规划（2021-2035年）\n\n一、发展基础\n\n到2025年，常住人口城镇化率达到60%。\n"


def _gbk(text: str) -> bytes:
    return text.encode("gbk")


def gbk_reason(raw: bytes, first_chinese: str) -> str:
    """The reason a GBK file is refused: the offset of its first Chinese character."""
    offset = raw.index(_gbk(first_chinese))
    return f"not valid UTF-8 at byte {offset} (0x{raw[offset]:02x}); the bytes decode as GB18030/GBK: re-save the file as UTF-8"


@pytest.fixture
def limits(monkeypatch):
    """Lower one budget of raw/reference/ingest_limits.csv for a test: limits(name=value)."""
    real = config.ingest_limits()

    def lower(**overrides):
        monkeypatch.setattr(config, "ingest_limits", lambda: {**real, **overrides})

    return lower


# ---------------------------------------------------------------------------
# The budgets file itself
# ---------------------------------------------------------------------------


def test_budgets_come_from_the_reference_file():
    rows = pl.read_csv(config.INGEST_LIMITS_FILE, infer_schema=False)
    assert rows.columns == ["limit_name", "value", "unit", "reason"]
    assert config.ingest_limits() == {r["limit_name"]: int(r["value"]) for r in rows.iter_rows(named=True)}
    kinds = {"plan", "yearbook", "census", "bulletin_html", "bulletin_pdf", "bulletin_docx", "bulletin_facts", "plan_pdf", "datacall"}
    assert {f"max_file_bytes_{k}" for k in kinds} | {"max_xlsx_uncompressed_bytes", "max_docx_uncompressed_bytes", "max_sheet_cells"} == set(config.ingest_limits())
    assert rows.filter(pl.col("reason").str.len_chars() < 20).is_empty()


# ---------------------------------------------------------------------------
# Plans (*.md): plan tables and prose read through the same guarded reader
# ---------------------------------------------------------------------------

PLAN_PARSERS = [parse_plan_tables, extract_prose_targets]


@pytest.fixture(scope="module")
def puyang_tables():
    return parse_plan_tables(PUYANG)


def _assert_source_error(call, path: Path, location: str | None, reason: str, *, exact: bool = True) -> SourceError:
    with pytest.raises(SourceError) as info:
        call(path)
    exc = info.value
    assert (exc.file, exc.location) == (path.name, location), str(exc)
    assert exc.reason == reason if exact else reason in exc.reason, exc.reason
    assert str(exc).startswith(path.name)
    return exc


@pytest.mark.parametrize("parse", PLAN_PARSERS, ids=lambda f: f.__name__)
def test_plan_zero_bytes(tmp_path, parse, puyang_tables):
    path = tmp_path / "empty.md"
    path.write_bytes(b"")
    _assert_source_error(parse, path, None, "empty file (0 bytes)")
    assert puyang_tables.cells.height == 45  # the well-formed plan next to it still parses


@pytest.mark.parametrize("parse", PLAN_PARSERS, ids=lambda f: f.__name__)
def test_plan_in_gbk(tmp_path, parse, puyang_tables):
    raw = _gbk("# 濮阳市新型城镇化规划（2021-2035年）\n\n到2025年，常住人口城镇化率达到60%。\n")
    path = tmp_path / "puyang_gbk.md"
    path.write_bytes(raw)
    _assert_source_error(parse, path, "1", gbk_reason(raw, "濮"))
    assert puyang_tables.region_code == "410900"


def test_plan_binary_bytes(tmp_path):
    raw = b"# plan\n\n" + bytes(range(256)) * 4
    path = tmp_path / "binary.md"
    path.write_bytes(raw)
    # 8 header bytes + 0x80: byte 136, after the newlines of the header and the 0x0a of the byte run (line 4);
    # no GB18030 hint, because 0x80 is not GB18030 either
    _assert_source_error(parse_plan_tables, path, "4", "not valid UTF-8 at byte 136 (0x80)")


def test_plan_naming_no_city(tmp_path, puyang_tables):
    path = tmp_path / "nocity.md"
    path.write_text(NO_CITY_PLAN, encoding="utf-8")
    for parse in (parse_plan_tables, extract_prose_targets):  # one city rule for both readers
        _assert_source_error(parse, path, "1",
                             "cannot tell which city the plan belongs to: no prefecture name in its first 20 lines")
    assert puyang_tables.cells.height == 45


@pytest.mark.parametrize("parse", PLAN_PARSERS, ids=lambda f: f.__name__)
def test_plan_over_its_byte_budget(tmp_path, parse, limits):
    limits(max_file_bytes_plan=100_000)  # the real plans are 105,537 and 111,161 bytes
    copy = tmp_path / PUYANG.name
    shutil.copy(PUYANG, copy)
    _assert_source_error(parse, copy, None, f"file is 111,161 bytes, over max_file_bytes_plan = 100,000 {LIMITS}")
    limits(max_file_bytes_plan=111_161)  # exactly at the budget is accepted
    assert parse(copy) is not None


# ---------------------------------------------------------------------------
# Workbooks (yearbook *.xlsx, census county *.xlsx): checked before calamine sees them
# ---------------------------------------------------------------------------


@pytest.fixture
def good_xlsx(tmp_path) -> Path:
    return write_xlsx(tmp_path / "good.xlsx", sheet_xml([[("A1", TITLE), ("C1", 1.5)], [("B2", "北京市")]]))


def _assert_good_workbook(path: Path) -> None:
    assert read_workbook(path) == {"Sheet1": [[TITLE, "", 1.5], ["", "北京市", ""]]}


def _crc_damaged(path: Path, _good: bytes) -> None:
    write_xlsx(path, sheet_xml([[("A1", TITLE)]]), stored=True)
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"<sheetData>") + 1] ^= 0x20  # <sheetData> -> <SheetData>: same length, the CRC no longer matches
    path.write_bytes(bytes(raw))


# case -> (write the file, location, reason; a reason ending in "(" is a prefix: the zipped size is zlib's)
WORKBOOK_CASES = {
    "zero_bytes": (lambda p, _: p.write_bytes(b""), None, "empty file (0 bytes)"),
    "random_bytes": (lambda p, _: p.write_bytes(bytes(range(256)) * 8), None,
                     "not a readable xlsx (zip) archive: BadZipFile: File is not a zip file"),
    "truncated_zip": (lambda p, good: p.write_bytes(good[: len(good) // 2]), None,
                      "not a readable xlsx (zip) archive: BadZipFile: File is not a zip file"),
    "crc_damaged": (_crc_damaged, "member xl/worksheets/sheet1.xml", "damaged zip member (CRC check failed)"),
    "only_cell_far": (lambda p, _: write_xlsx(p, sheet_xml([[("XFD1048576", 1)]])), "sheet Sheet1", f"{FAR}, {MAX_CELLS}"),
    "declared_dimension_far": (
        lambda p, _: write_xlsx(p, sheet_xml(FAR_ROWS, dimension="A1:XFD1048576"), name="数据"), "sheet 数据",
        f"declared dimension A1:XFD1048576 makes the used range 1,048,576 rows x 16,384 columns = 17,179,869,184 cells "
        f"from A1, {MAX_CELLS}"),
    "lying_dimension": (lambda p, _: write_xlsx(p, sheet_xml(FAR_ROWS, dimension="A1")), "sheet Sheet1", f"{FAR}, {MAX_CELLS}"),
    "malformed_sheet_xml": (lambda p, _: write_xlsx(p, sheet_xml([[("A1", "x")]]).replace("</row>", "</rw>")), "sheet Sheet1",
                            "worksheet XML is malformed: mismatched tag: line 1, column 184"),
    "zip_bomb": (lambda p, _: write_xlsx(p, sheet_xml([[("A1", TITLE)]]), pad_bytes=101 << 20), None,
                 "members unzip to 105,907,673 bytes ("),
}


@pytest.mark.parametrize("case", WORKBOOK_CASES)
def test_hostile_workbook(tmp_path, good_xlsx, case):
    write, location, reason = WORKBOOK_CASES[case]
    path = tmp_path / f"{case}.xlsx"
    write(path, good_xlsx.read_bytes())
    exc = _assert_source_error(parse_yearbook, path, location, reason, exact=not reason.endswith("("))
    if case == "zip_bomb":
        assert exc.reason.endswith(f"zipped), over max_xlsx_uncompressed_bytes = 100,000,000 {LIMITS}")
        assert path.stat().st_size < 200_000  # ~1000:1
    _assert_good_workbook(good_xlsx)


def test_cells_without_references_count_on_as_calamine_counts_them(tmp_path, limits, good_xlsx):
    """Rows and cells without r attributes still reach far: 3 rows x 40 implicit columns > 100 cells."""
    limits(max_sheet_cells=100)
    row = "<row>" + "<c><v>1</v></c>" * 40 + "</row>"
    path = write_xlsx(tmp_path / "implicit.xlsx", f'<worksheet xmlns="{_MAIN}"><sheetData>{row * 3}</sheetData></worksheet>')
    _assert_source_error(read_workbook, path, "sheet Sheet1", "cell at row 3 column 1 makes the used range 3 rows x "
                         f"40 columns = 120 cells from A1, over max_sheet_cells = 100 {LIMITS}")
    limits(max_sheet_cells=120)  # 3 x 40 = 120 cells is within the budget, and calamine agrees on the shape
    grid = read_workbook(path)["Sheet1"]
    assert (len(grid), len(grid[0]), grid[2][39]) == (3, 40, 1.0)
    _assert_good_workbook(good_xlsx)


def test_workbook_over_its_byte_budget(tmp_path, limits, good_xlsx):
    size = good_xlsx.stat().st_size
    limits(max_file_bytes_yearbook=size - 1)
    _assert_source_error(read_workbook, good_xlsx, None, f"file is {size:,} bytes, over max_file_bytes_yearbook = {size - 1:,} {LIMITS}")
    limits(max_file_bytes_yearbook=size)
    _assert_good_workbook(good_xlsx)


# ---------------------------------------------------------------------------
# Census (city CSV, county xlsx)
# ---------------------------------------------------------------------------


def _census_city_ok(tmp_path) -> None:
    good = tmp_path / "census_city_good.csv"
    good.write_text(f"{CITY_HEADER}\n{CITY_PUYANG}\n", encoding="utf-8")
    obs = parse_census_city(good).observations
    assert obs.filter(pl.col("indicator_label_raw").str.starts_with("popu_urban_"))["value"].to_list() == [1856532.0, 1124339.0]


def test_census_csv_in_gbk(tmp_path):
    raw = _gbk(f"{CITY_HEADER}\n{CITY_PUYANG}\n")
    path = tmp_path / "census_gbk.csv"
    path.write_bytes(raw)
    assert gbk_reason(raw, "濮").startswith(f"not valid UTF-8 at byte {len(CITY_HEADER) + 1} ")  # first byte of line 2
    _assert_source_error(parse_census_city, path, "2", gbk_reason(raw, "濮"))
    _census_city_ok(tmp_path)


def test_census_csv_zero_bytes(tmp_path):
    path = tmp_path / "census_empty.csv"
    path.write_bytes(b"")
    _assert_source_error(parse_census_city, path, None, "empty file (0 bytes)")
    _census_city_ok(tmp_path)


def test_census_csv_with_a_field_over_the_csv_limit(tmp_path):
    """The real file carries polygons in a column; one over the csv module's 131,072 characters."""
    path = tmp_path / "census_polygon.csv"
    path.write_text(f"{CITY_HEADER},geometry\n{CITY_PUYANG},x\n{CITY_PUYANG},\"POLYGON(({'1 2,' * 50_000}1 2))\"\n", encoding="utf-8")
    _assert_source_error(parse_census_city, path, "3", "malformed CSV: field larger than field limit (131072)")
    _census_city_ok(tmp_path)


def test_census_csv_over_its_byte_budget(tmp_path, limits):
    path = tmp_path / "census_big.csv"
    path.write_text(f"{CITY_HEADER}\n" + f"{CITY_PUYANG}\n" * 100, encoding="utf-8")
    size = path.stat().st_size
    limits(max_file_bytes_census=1_000)
    _assert_source_error(parse_census_city, path, None, f"file is {size:,} bytes, over max_file_bytes_census = 1,000 {LIMITS}")
    _census_city_ok(tmp_path)


def test_census_county_workbook_with_a_far_cell(tmp_path):
    path = write_xlsx(tmp_path / "county_far.xlsx", sheet_xml([COUNTY_HEADER, COUNTY_PUYANG, [("XFD1048576", 0)]]))
    _assert_source_error(parse_census_county, path, "sheet Sheet1", f"{FAR}, {MAX_CELLS}")
    good = write_xlsx(tmp_path / "county_good.xlsx", sheet_xml([COUNTY_HEADER, COUNTY_PUYANG]))
    obs = parse_census_county(good).observations
    assert obs.select("region_code", "indicator_label_raw", "value").rows() == [
        ("410900", "人口数_合计", 3772088.0),
        ("410900", "城镇人口", 1856532.0),
        ("410900", "乡村人口", 1915556.0),
    ]


# ---------------------------------------------------------------------------
# Bulletins (facts CSV, HTML)
# ---------------------------------------------------------------------------


def _facts_ok(tmp_path) -> None:
    good = tmp_path / "facts_good.csv"
    good.write_text(f"{FACTS_HEADER}\n{FACTS_PUYANG}\n", encoding="utf-8")
    r = parse_bulletin_facts(good)
    assert r.observations.select("region_code", "indicator_label_raw", "value").rows() == [("410900", "常住人口", 366.10)]


def test_bulletin_facts_in_gbk(tmp_path):
    raw = _gbk(f"{FACTS_HEADER}\n{FACTS_PUYANG}\n")
    path = tmp_path / "facts_gbk.csv"
    path.write_bytes(raw)
    _assert_source_error(parse_bulletin_facts, path, "2", gbk_reason(raw, "濮"))
    _facts_ok(tmp_path)


def test_bulletin_facts_zero_bytes(tmp_path):
    path = tmp_path / "facts_empty.csv"
    path.write_bytes(b"")
    _assert_source_error(parse_bulletin_facts, path, None, "empty file (0 bytes)")
    _facts_ok(tmp_path)


def test_bulletin_facts_field_over_the_csv_limit(tmp_path):
    path = tmp_path / "facts_long_field.csv"
    path.write_text(f'{FACTS_HEADER}\n{FACTS_PUYANG}\n410900,濮阳市,2025,常住人口,1,万人,x,"{"长" * 200_000}"\n', encoding="utf-8")
    _assert_source_error(parse_bulletin_facts, path, "3", "malformed CSV: field larger than field limit (131072)")
    _facts_ok(tmp_path)


def test_bulletin_facts_saved_as_tab_separated(tmp_path):
    path = tmp_path / "facts_tabs.csv"
    path.write_text(f"{FACTS_HEADER}\n{FACTS_PUYANG}\n".replace(",", "\t"), encoding="utf-8")
    _assert_source_error(parse_bulletin_facts, path, "row 1", "missing column(s) ['region_code', 'region_name', 'year', "
                         "'indicator_label', 'value', 'unit']")
    _facts_ok(tmp_path)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(128, 256)) * 16], ids=["zero_bytes", "binary"])
def test_bulletin_html_unreadable(tmp_path, content, shared):
    """The HTML reader's own reasons are tested with it (test_bulletins); here: one file's SourceError, naming it."""
    path = tmp_path / "page.html"
    path.write_bytes(content)
    with pytest.raises(SourceError) as info:
        parse_bulletin_html(path)
    assert info.value.file == "page.html" and str(info.value).startswith("page.html")
    good = parse_bulletin_html(shared / "bulletins" / "puyang_2025_statistical_bulletin.html")
    assert (good.summary["region_code"], good.summary["year"]) == ("410900", 2025)


# ---------------------------------------------------------------------------
# Discovery: symlinks never lead out of a source directory
# ---------------------------------------------------------------------------


def test_discovery_never_follows_a_symlink_out_of_its_source_directory(tmp_path, monkeypatch, caplog):
    src, outside = tmp_path / "src", tmp_path / "outside"
    (src / "census" / "2020").mkdir(parents=True)
    (outside / "secrets").mkdir(parents=True)
    (outside / "secret.csv").write_text("private\n", encoding="utf-8")
    (outside / "secrets" / "deep.csv").write_text("private too\n", encoding="utf-8")
    (src / "census" / "good.csv").write_text(f"{CITY_HEADER}\n{CITY_PUYANG}\n", encoding="utf-8")
    (src / "census" / "leak.csv").symlink_to(outside / "secret.csv")
    (src / "census" / "2020" / "leak_dir").symlink_to(outside / "secrets", target_is_directory=True)
    (src / "census" / "alias.csv").symlink_to(src / "census" / "good.csv")  # inside the source directory: kept
    monkeypatch.setenv(config.SOURCE_DIRS_ENV, str(src))
    with caplog.at_level(logging.WARNING, logger="dagster_project.common.config"):
        files = config.find_source_files("census", ("*.csv",))
    assert [p.name for p in files] == ["alias.csv", "good.csv"]
    assert [r.getMessage() for r in caplog.records] == [
        f"skipped {src / 'census' / 'leak.csv'}: it links to {outside / 'secret.csv'}, outside the source directory {src}"
    ]


# ---------------------------------------------------------------------------
# End to end: one source directory full of hostile files lands through the loaders
# ---------------------------------------------------------------------------


def test_loaders_quarantine_each_hostile_file_and_land_the_rest(tmp_path, monkeypatch, shared):
    import duckdb
    from dagster import DagsterInstance, materialize

    from dagster_project.common.resource import WarehouseResource

    from dagster_project.sources import assets as ingest
    from dagster_project.sources.census import parser as census

    src = tmp_path / "src"
    for d in ("plans", "yearbooks", "census", "bulletins"):
        (src / d).mkdir(parents=True)
    (src / "plans" / "empty.md").write_bytes(b"")
    (src / "plans" / "nocity.md").write_text(NO_CITY_PLAN, encoding="utf-8")
    yearbook = shared / "yearbooks" / "ccsy" / "china_city_statistical_yearbook_2021_prefecture.xlsx"
    shutil.copy(yearbook, src / "yearbooks" / yearbook.name)
    write_xlsx(src / "yearbooks" / "far.xlsx", sheet_xml(FAR_ROWS))
    write_xlsx(src / "yearbooks" / "bomb.xlsx", sheet_xml([[("A1", "x")]]), pad_bytes=101 << 20)
    (src / "yearbooks" / "truncated.xlsx").write_bytes(yearbook.read_bytes()[:50_000])
    (src / "census" / "good.csv").write_text(f"{CITY_HEADER}\n{CITY_PUYANG}\n", encoding="utf-8")
    (src / "census" / "gbk.csv").write_bytes(_gbk(f"{CITY_HEADER}\n{CITY_PUYANG}\n"))
    (src / "census" / "crash.csv").write_text(f"{CITY_HEADER}\n{CITY_PUYANG}\n", encoding="utf-8")
    (src / "census" / "empty.xlsx").write_bytes(b"")
    (src / "bulletins" / "facts_gbk.csv").write_bytes(_gbk(f"{FACTS_HEADER}\n{FACTS_PUYANG}\n"))
    (src / "bulletins" / "binary.html").write_bytes(bytes(range(128, 256)) * 64)
    (tmp_path / "secret.csv").write_text(f"{FACTS_HEADER}\n{FACTS_PUYANG}\n", encoding="utf-8")
    (src / "bulletins" / "leak.csv").symlink_to(tmp_path / "secret.csv")

    real_parse = census.parse_census_city

    def parse_or_crash(path):  # a parser bug that is not a SourceError, and memory running out
        if Path(path).name == "crash.csv":
            raise MemoryError("simulated")
        return real_parse(path)

    monkeypatch.setattr(census, "parse_census_city", parse_or_crash)
    monkeypatch.setenv(config.SOURCE_DIRS_ENV, str(src))
    monkeypatch.setenv(config.WAREHOUSE_ENV, str(tmp_path / "wh" / "indicators.duckdb"))
    assets = [ingest.raw_plan_indicator_cells, ingest.raw_yearbook_observations, ingest.raw_census_observations,
              ingest.raw_bulletin_observations, ingest.raw_bulletin_facts]
    assert materialize(assets, instance=DagsterInstance.ephemeral(),
                       resources={"warehouse": WarehouseResource(path=str(config.warehouse_path()))}).success

    hostile = ["empty.md", "nocity.md", "far.xlsx", "bomb.xlsx", "truncated.xlsx", "gbk.csv", "crash.csv", "empty.xlsx",
               "facts_gbk.csv", "binary.html"]
    with duckdb.connect(str(config.layout().build), read_only=True) as con:
        quarantined = {
            (asset.removeprefix("raw/"), f): (loc, reason)
            for asset, f, loc, reason in con.execute(
                "select asset, source_file, location, reason from raw.quarantine where list_contains(?, source_file)", [hostile]
            ).fetchall()
        }
        loaded = dict(con.execute("select source_file, rows_loaded from raw.load_log").fetchall())
        census_files = con.execute("select source_file, count(*) from raw.census_observations group by 1").fetchall()
        facts_files = con.execute("select distinct source_file from raw.bulletin_facts").fetchall()
        yearbook_files = con.execute("select distinct source_file from raw.yearbook_observations").fetchall()

    assert len(quarantined) == len(hostile)  # one file-level row each
    assert quarantined[("plan_indicator_cells", "empty.md")] == ("file", "empty file (0 bytes)")
    assert quarantined[("plan_indicator_cells", "nocity.md")] == (
        "1", "cannot tell which city the plan belongs to: no prefecture name in its first 20 lines")
    assert quarantined[("yearbook_observations", "far.xlsx")] == ("sheet Sheet1", f"{FAR}, {MAX_CELLS}")
    assert quarantined[("yearbook_observations", "bomb.xlsx")][1].startswith("members unzip to 105,90")
    assert quarantined[("yearbook_observations", "truncated.xlsx")] == (
        "file", "not a readable xlsx (zip) archive: BadZipFile: File is not a zip file")
    assert quarantined[("census_observations", "gbk.csv")] == ("2", gbk_reason(_gbk(f"{CITY_HEADER}\n{CITY_PUYANG}\n"), "濮"))
    assert quarantined[("census_observations", "crash.csv")] == ("file", "parser failed with MemoryError: simulated")
    assert quarantined[("census_observations", "empty.xlsx")] == ("file", "empty file (0 bytes)")
    assert quarantined[("bulletin_facts", "facts_gbk.csv")] == ("2", gbk_reason(_gbk(f"{FACTS_HEADER}\n{FACTS_PUYANG}\n"), "濮"))
    assert quarantined[("bulletin_observations", "binary.html")][0] in ("file", "1")
    assert {f: loaded[f] for f in hostile} == dict.fromkeys(hostile, 0)
    # the well-formed files of every kind still landed, and the symlinked leak.csv was never read
    assert census_files == [("good.csv", 6)]
    assert facts_files == [("bulletin_facts.csv",)]  # raw/'s own file
    assert yearbook_files == [(yearbook.name,)] and loaded[yearbook.name] == parse_yearbook(yearbook).observations.height
    assert loaded["puyang_new_urbanization_plan_2021_2035_draft.md"] == 45
    assert "leak.csv" not in loaded


# ---------------------------------------------------------------------------
# Memory: the refusals happen before anything large is allocated
# ---------------------------------------------------------------------------

_RSS_PROBE = """
import json, sys
from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.yearbooks.parser import parse_yearbook

def peak_kb():  # VmHWM: ru_maxrss would carry the pytest parent's peak across fork + exec
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])

before = peak_kb()
try:
    parse_yearbook(sys.argv[1])
    outcome = "parsed"
except SourceError as exc:
    outcome = exc.reason
print(json.dumps({"outcome": outcome, "peak_kb_after_imports": before, "peak_kb": peak_kb()}))
"""


def _peak_rss(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])  # calamine aborting would be rc -6
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc (Linux)")
def test_far_cell_and_zip_bomb_are_refused_within_a_small_memory_budget(tmp_path):
    far = write_xlsx(tmp_path / "far.xlsx", sheet_xml(FAR_ROWS))
    bomb = write_xlsx(tmp_path / "bomb.xlsx", sheet_xml([[("A1", "x")]]), pad_bytes=1 << 30)  # 1 GiB of zeros, ~1 MB zipped
    results = {name: _peak_rss(p) for name, p in (("far_cell", far), ("zip_bomb", bomb))}
    print(json.dumps(results | {"zip_bomb_zipped_bytes": bomb.stat().st_size}))
    assert results["far_cell"]["outcome"] == f"{FAR}, {MAX_CELLS}"
    assert results["zip_bomb"]["outcome"].startswith("members unzip to 1,073,743,285 bytes (")
    for r in results.values():
        assert r["peak_kb"] - r["peak_kb_after_imports"] < 50_000, r  # < 50 MB beyond the imports

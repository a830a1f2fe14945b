"""marts.xlsx as written by dagster_project.publish.exports: every cell reads back as the value it was given."""

import datetime as dt
import re
import zipfile
from xml.etree import ElementTree

import duckdb
import polars as pl
from python_calamine import CalamineWorkbook

from dagster_project.publish import exports

EDGE = pl.DataFrame({
    "text": [" lead", "a&b<c>d", "ctl\x01\x1f\r", "_x0041_ as printed", "=1+1", "http://example.org", "中文", None],
    "number": [1.5, None, float("nan"), float("inf"), -0.0, 1e-7, 0.1 + 0.2, 5540300000.0],
    "count": [1, None, -5, 2**53, 0, 1, 2, 3],
    "day": [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(2023, 12, 31), None, *[dt.date(2000, 1, 1)] * 3],
    "at": [dt.datetime(2026, 11, 25, 22, 40, 43, 332000), None, *[dt.datetime(2020, 1, 1, 12)] * 6],
    "flag": [True, False, None, *[True] * 5],
})


def _xml(book, part: str) -> str:
    with zipfile.ZipFile(book) as z:
        return z.read(part).decode("utf-8")


def test_cells_read_back_as_written(tmp_path):
    book = tmp_path / "edge.xlsx"
    exports.write_xlsx(book, [("edge", EDGE, True), ("empty", EDGE.clear(), False)])
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("edge").to_python()
    assert rows[0] == EDGE.columns
    noon = dt.datetime(2020, 1, 1, 12)
    assert rows[1:] == [
        [" lead", 1.5, 1.0, dt.date(1900, 1, 1), dt.datetime(2026, 11, 25, 22, 40, 43, 332000), True],
        ["a&b<c>d", "", "", dt.date(1900, 2, 28), "", False],
        ["ctl\x01\x1f\r", "", -5.0, dt.date(1900, 3, 1), noon, ""],  # NaN: an error cell
        ["_x0041_ as printed", "", 2.0**53, dt.date(2023, 12, 31), noon, True],  # infinity: an error cell
        ["=1+1", -0.0, 0.0, "", noon, True],  # text, not a formula
        ["http://example.org", 1e-7, 1.0, dt.date(2000, 1, 1), noon, True],
        ["中文", 0.30000000000000004, 2.0, dt.date(2000, 1, 1), noon, True],  # every digit of the double
        ["", 5540300000.0, 3.0, dt.date(2000, 1, 1), noon, True],
    ]
    sheet = _xml(book, "xl/worksheets/sheet1.xml")
    assert re.findall(r'<c r="B[45]" t="e"><v>([^<]*)</v></c>', sheet) == ["#NUM!", "#NUM!"]
    assert '<c r="A3" t="inlineStr"><is><t xml:space="preserve">a&amp;b&lt;c&gt;d</t></is></c>' in sheet
    assert "ctl_x0001__x001F__x000D_" in sheet and "_x005F_x0041_ as printed" in sheet  # Excel's own escapes
    assert '<c r="D2" s="2"><v>1</v></c>' in sheet and '<c r="D4" s="2"><v>61</v></c>' in sheet  # Excel's 1900 serials
    assert '<col min="1" max="1" width="21.8" customWidth="1"/>' in sheet  # autofit: 18 characters
    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("empty").to_python() == [EDGE.columns]
    assert '<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="2" name="Table2" ' \
           'displayName="Table2" ref="A1:F2"' in _xml(book, "xl/tables/table2.xml")  # an empty table keeps a row
    with zipfile.ZipFile(book) as z:
        for part in z.namelist():
            ElementTree.fromstring(z.read(part))  # every part is well-formed XML


def published_warehouse(path, *statements: str):
    """A warehouse file with meta.published (run-1) and the marts ``statements`` create."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema meta")
        con.execute("create table meta.published as select 'run-1' as run_id, timestamp '2026-11-25 22:40:43' as published_at")
        for statement in statements:
            con.execute(statement)
    return path


def test_exports_of_a_warehouse(tmp_path, monkeypatch):
    db = published_warehouse(
        tmp_path / "w.duckdb",
        "create table marts.small as select * from (values (1, '=', date '2025-01-01'), (2, '≥', null)) v(id, comparator, period)",
        "comment on table marts.small is 'two rows'",
        "comment on column marts.small.comparator is 'as printed'",
        "create table marts.big as select range as id from range(3)")
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    (tmp_path / "out").mkdir()
    with duckdb.connect(str(db), read_only=True) as con:
        exports.write_exports(con, tmp_path / "out", "marts", {"big": 3, "small": 2}, ("parquet", "csv", "xlsx"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "big.csv", "big.parquet", "data_dictionary.csv", "data_dictionary.md", "marts.xlsx", "published.csv",
        "published.parquet", "small.csv", "small.parquet"]
    book = CalamineWorkbook.from_path(str(tmp_path / "out" / "marts.xlsx"))
    assert book.sheet_names == ["README", "published", "data_dictionary", "small"]
    assert book.get_sheet_by_name("README").to_python() == [
        ["table", "rows", "where"], ["big", 3.0, "big.csv / big.parquet (too many rows for a sheet)"], ["small", 2.0, "sheet small"]]
    assert book.get_sheet_by_name("published").to_python() == [["run_id", "published_at"], ["run-1", "2026-11-25 22:40:43"]]
    assert book.get_sheet_by_name("small").to_python() == [
        ["id", "comparator", "period"], [1.0, "=", dt.date(2025, 1, 1)], [2.0, "≥", ""]]
    dictionary = book.get_sheet_by_name("data_dictionary").to_python()
    assert dictionary[0] == ["table_name", "table_description", "position", "column_name", "data_type", "is_nullable", "description"]
    assert ["small", "two rows", 2.0, "comparator", "VARCHAR", True, "as printed"] in dictionary
    assert (tmp_path / "out" / "small.csv").read_text(encoding="utf-8") == "id,comparator,period\n1,=,2025-01-01\n2,≥,\n"


class _Recording:
    """A DuckDB connection that records every statement it is given."""

    def __init__(self, con):
        self.con, self.statements = con, []

    def sql(self, query, **kwargs):
        self.statements.append(query)
        return self.con.sql(query, **kwargs)

    def execute(self, query, *args):
        self.statements.append(query)
        return self.con.execute(query, *args)


def test_a_mart_too_big_for_a_sheet_is_only_copied_by_duckdb(tmp_path, monkeypatch):
    """A national fact table (25 M rows) must not pass through Python: its CSV and Parquet files are
    written by DuckDB's COPY (streamed), and it is read for no sheet."""
    db = published_warehouse(tmp_path / "w.duckdb", "create table marts.big as select range as id, 'row ' || range as label from range(1000)",
                             "create table marts.small as select 1 as id")
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 999)
    (tmp_path / "out").mkdir()
    with duckdb.connect(str(db), read_only=True) as con:
        recording = _Recording(con)
        exports.write_exports(recording, tmp_path / "out", "marts", {"big": 1000, "small": 1}, ("parquet", "csv", "xlsx"))
    out = tmp_path / "out"
    assert [s for s in recording.statements if '"big"' in s] == [
        f"copy (select * from marts.\"big\") to '{out / 'big.parquet'}' (format parquet)",
        f"copy (select * from marts.\"big\") to '{out / 'big.csv'}' (format csv, header)"]
    assert (out / "big.csv").read_text().splitlines()[-1] == "999,row 999"
    assert CalamineWorkbook.from_path(str(out / "marts.xlsx")).sheet_names == ["README", "published", "data_dictionary", "small"]

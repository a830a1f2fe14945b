"""What publish writes into the staged exports directory (before the swap, so it is published
together with the warehouse), and ``urban export`` into a directory of the user's:

* ``<table>.parquet`` and ``<table>.csv`` for every mart (CSV: UTF-8, header row);
* ``marts.xlsx``: one sheet per mart of at most ``XLSX_MAX_ROWS`` rows (a larger table stays in
  CSV/Parquet; the ``README`` sheet says so), plus the data dictionary and the freshness stamp;
* ``data_dictionary.csv`` / ``data_dictionary.md``: every exported column with type, nullability and
  description, read from the warehouse's own comments (dbt ``persist_docs`` writes the yml
  descriptions into DuckDB) — the table names, types and descriptions the file really has;
* ``published.parquet`` / ``published.csv``: ``meta.published`` (run id, published_at), the
  freshness stamp a BI tool can show.

``marts.xlsx`` is written by :func:`write_xlsx`: each sheet's SpreadsheetML is built by Polars
expressions over whole columns (a cell-by-cell writer such as xlsxwriter spends ~8 µs a cell, 17 s
on the marts' 2 million cells). Each sheet is an Excel table (header, filter buttons) with the
number formats Polars' ``write_excel`` uses; every string is written as text (never turned into a
formula or a link).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.common.warehouse import sql_string

MANIFEST = "manifest.json"  # run id, rows, digest of each table, size of each file (written by publish)
TABLE_FORMATS = ("parquet", "csv")  # one file per mart in each
XLSX_MAX_ROWS = 100_000  # spreadsheets: the small marts; a 300k-row fact table belongs in CSV/Parquet
DICTIONARY_SQL = """
select c.table_name, trim(t.comment) as table_description, c.column_index as position, c.column_name,
       c.data_type, c.is_nullable, trim(c.comment) as description
from duckdb_columns() c
join duckdb_tables() t using (database_name, schema_name, table_name)
where c.database_name = current_database() and c.schema_name = ? and c.table_name in (select unnest(?))
order by c.table_name, c.column_index
"""


def _copy(con: duckdb.DuckDBPyConnection, relation: str, path: Path, options: str) -> None:
    con.execute(f"copy (select * from {relation}) to {sql_string(path)} ({options})")


def data_dictionary(con: duckdb.DuckDBPyConnection, schema: str, tables: list[str]) -> pl.DataFrame:
    return con.sql(DICTIONARY_SQL, params=[schema, tables]).pl()


def dictionary_markdown(dictionary: pl.DataFrame, counts: dict[str, int], stamp: dict, formats: tuple[str, ...]) -> str:
    cell = lambda v: "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = [
        "# Data dictionary",
        "",
        f"Published run `{stamp['run_id']}` at {stamp['published_at']} (UTC). Files: "
        + ", ".join(f"`<table>.{f}`" for f in ("parquet", "csv") if f in formats)
        + (f"; tables of at most {XLSX_MAX_ROWS:,} rows as sheets of `marts.xlsx`" if "xlsx" in formats else "")
        + "; the freshness stamp `published.csv` / `published.parquet`.",
    ]
    for table, cols in dictionary.group_by("table_name", maintain_order=True):
        name = table[0]
        lines += ["", f"## marts.{name}", "", f"{counts[name]:,} rows. {cell(cols['table_description'][0])}", "",
                  "| # | column | type | nullable | description |", "|---|---|---|---|---|"]
        lines += [
            f"| {r['position']} | `{r['column_name']}` | {r['data_type']} | {'yes' if r['is_nullable'] else 'no'} "
            f"| {cell(r['description'])} |"
            for r in cols.iter_rows(named=True)
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# marts.xlsx
# ---------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# cell styles 1-4: the number formats of Polars' write_excel for integers, dates, floats, datetimes
_NUMBER_FORMATS = ("#,##0;[Red]-#,##0", "yyyy-mm-dd;@", "#,##0.000;[Red]-#,##0.000", "yyyy-mm-dd hh:mm:ss")
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="4">'
    + "".join(f'<numFmt numFmtId="{164 + i}" formatCode="{html.escape(f)}"/>' for i, f in enumerate(_NUMBER_FORMATS))
    + '</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + "".join(f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' for i in range(4))
    + '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_EXCEL_1970 = 25569  # Excel's serial number of 1970-01-01 (day 0 is 1899-12-30 from 1900-03-01 on)
_EXCEL_LEAP_BUG_END = -25508  # 1900-03-01 in days since 1970: Excel counts a 1900-02-29, so earlier days are one less
_EXCEL_ESCAPE = r"[\x00-\x08\x0B-\x1F]|_x[0-9A-Fa-f]{4}_"  # not allowed in XML / Excel's own escape: _xHHHH_
_XML_ESCAPE = r"[&<>]|^\s|\s$"  # entities, or whitespace an XML reader would drop
_MAX_TEXT = 32_767  # characters in a cell


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, r = divmod(index - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _text_cells(col: pl.Expr, row: pl.Expr, letters: str, excel: bool, xml: bool) -> pl.Expr:
    """A string column as inline-string cells, its text as Excel (and xlsxwriter) writes it: at most
    32,767 characters, control characters as ``_xHHHH_`` (a literal ``_xHHHH_`` protected by
    ``_x005F``), ``& < >`` as entities, spaces kept. Each step only for the columns that need it
    (``excel``, ``xml``: see :func:`_sheet`), as it costs a pass over every string."""
    if xml:
        col = col.str.slice(0, _MAX_TEXT)
    if excel:
        col = col.str.replace_all(r"(_x[0-9A-Fa-f]{4}_)", "_x005F$1")
        for code in [*range(0x09), *range(0x0B, 0x20)]:
            col = col.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
    if xml:
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            col = col.str.replace_all(char, entity, literal=True)
    t = '<t xml:space="preserve">' if xml else "<t>"
    return pl.format(f'<c r="{letters}{{}}" t="inlineStr"><is>{t}{{}}</t></is></c>', row, col)


def _is_value(dtype: pl.DataType) -> bool:
    """Written as a number or boolean (else as text)."""
    return dtype == pl.Boolean or dtype.is_numeric() or dtype in (pl.Date, pl.Datetime)


def _column_flags(df: pl.DataFrame, flag: pl.Expr) -> dict[str, bool]:
    flags = df.select(flag)
    return flags.row(0, named=True) if flags.width else {}


def _cells(name: str, dtype: pl.DataType, letters: str, excel: bool, xml: bool) -> pl.Expr:
    """One column's cells of every row (``''`` where the value is null); numbers, dates and
    datetimes as numbers in the style of their type, booleans as booleans, anything else as text."""
    col, row = pl.col(name), pl.int_range(2, pl.len() + 2)
    if dtype == pl.Boolean:
        attributes, value = ' t="b"', col.cast(pl.UInt8)
    elif dtype.is_integer():
        attributes, value = ' s="1"', col
    elif dtype in (pl.Date, pl.Datetime):
        days = col.cast(pl.Int32) if dtype == pl.Date else col.dt.epoch("us") / 86_400_000_000
        style = 2 if dtype == pl.Date else 4
        attributes, value = f' s="{style}"', days + _EXCEL_1970 - (days < _EXCEL_LEAP_BUG_END).cast(pl.Int32)
    elif dtype.is_numeric():  # floats, decimals
        attributes, value = ' s="3"', col.cast(pl.Float64)
    else:
        return _text_cells(col, row, letters, excel, xml).fill_null("")
    cells = pl.format(f'<c r="{letters}{{}}"{attributes}><v>{{}}</v></c>', row, value.cast(pl.String))
    if dtype.is_float() or dtype.is_decimal():  # NaN, infinity: not a number in Excel, an error cell
        error = pl.format(f'<c r="{letters}{{}}" t="e"><v>#NUM!</v></c>', row)
        cells = pl.when(value.is_nan() | value.is_infinite()).then(error).otherwise(cells)
    return cells.fill_null("")


def _sheet(df: pl.DataFrame, table_id: int, autofit: bool) -> tuple[list[bytes], str]:
    """(sheet XML in parts, table XML) of ``df`` as an Excel table from A1 (header row, then the rows)."""
    names = df.columns
    letters = [_column_letters(i) for i in range(len(names))]
    df = df.with_columns(pl.col(n).cast(pl.String) for n, t in df.schema.items() if not _is_value(t))
    text = pl.col(pl.String)
    excel = _column_flags(df, text.str.contains(_EXCEL_ESCAPE).any())
    xml = _column_flags(df, text.str.contains(_XML_ESCAPE).any() | (text.str.len_chars().max() > _MAX_TEXT))
    cells = [_cells(n, t, c, excel.get(n, False), xml.get(n, False)) for n, t, c in zip(names, df.dtypes, letters)]
    row = pl.concat_str([pl.format('<row r="{}">', pl.int_range(2, pl.len() + 2)), *cells, pl.lit("</row>")])
    rows = df.select(row.str.join("").cast(pl.Binary)).item()  # UTF-8 bytes, never a Python str
    ref = f"A1:{letters[-1]}{max(df.height, 1) + 1}"  # an empty table keeps one empty row, as Excel wants
    widths = ""
    if autofit:
        longest = df.select(pl.all().cast(pl.String).str.len_chars().max()).row(0) if df.height else [0] * len(names)
        widths = "<cols>" + "".join(
            f'<col min="{i}" max="{i}" width="{min(max(len(n), w or 0) * 1.1 + 2, 100):.1f}" customWidth="1"/>'
            for i, (n, w) in enumerate(zip(names, longest), 1)
        ) + "</cols>"
    header = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{html.escape(n)}</t></is></c>' for c, n in zip(letters, names))
    sheet = [f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{ref}"/>{widths}<sheetData>'
             f'<row r="1">{header}</row>'.encode(), rows,
             b'</sheetData><tableParts count="1"><tablePart r:id="rId1"/></tableParts></worksheet>']
    table = (f'{_XML}<table xmlns="{_MAIN}" id="{table_id}" name="Table{table_id}" displayName="Table{table_id}" ref="{ref}" '
             f'totalsRowShown="0"><autoFilter ref="{ref}"/><tableColumns count="{len(names)}">'
             + "".join(f'<tableColumn id="{i}" name="{html.escape(n)}"/>' for i, n in enumerate(names, 1))
             + '</tableColumns><tableStyleInfo showFirstColumn="0" showLastColumn="0" showRowStripes="1" '
             'showColumnStripes="0"/></table>')
    return sheet, table


def write_xlsx(path: Path, sheets) -> None:
    """``sheets``: (sheet name, DataFrame, autofit columns?) in order, each written as an Excel table."""
    names = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for i, (name, df, autofit) in enumerate(sheets, 1):
            if not 0 < len(name) <= 31 or set(name) & set("[]:*?/\\"):
                raise ValueError(f"{name!r} is not a valid Excel sheet name")
            sheet, table = _sheet(df, i, autofit)
            with z.open(f"xl/worksheets/sheet{i}.xml", "w") as f:
                f.writelines(sheet)
            z.writestr(f"xl/tables/table{i}.xml", table)
            z.writestr(f"xl/worksheets/_rels/sheet{i}.xml.rels", f'{_XML}<Relationships xmlns="{_PACKAGE_REL}">'
                       f'<Relationship Id="rId1" Type="{_REL}/table" Target="../tables/table{i}.xml"/></Relationships>')
            names.append(name)
        ids = range(1, len(names) + 1)
        z.writestr("xl/workbook.xml", f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>' + "".join(
            f'<sheet name="{html.escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in zip(ids, names)) + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", f'{_XML}<Relationships xmlns="{_PACKAGE_REL}">' + "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in ids)
            + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_PACKAGE_REL}"><Relationship Id="rId1" '
                   f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("[Content_Types].xml", f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
                   f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
                   + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                             f'<Override PartName="/xl/tables/table{i}.xml" ContentType="{_TYPE}.table+xml"/>' for i in ids)
                   + "</Types>")


def unchanged_tables(previous: Path, target: Path, digests: dict[str, str]) -> set[str]:
    """The tables whose Parquet and CSV files in ``previous`` (the published exports) were written
    from rows of the same digest and still have the size its manifest recorded; their files are
    hard-linked into ``target`` (copied where the file system cannot link), not written again. A
    missing or unreadable manifest, or one without digests, reuses nothing."""
    try:
        old = json.loads((previous / MANIFEST).read_text(encoding="utf-8"))
        old_digests, sizes = dict(old.get("digests") or {}), dict(old.get("files") or {})
    except (OSError, ValueError, TypeError, AttributeError):
        return set()
    kept = set()
    for table, digest in digests.items():
        names = [f"{table}.{fmt}" for fmt in TABLE_FORMATS]
        if old_digests.get(table) != digest or not all(
            (previous / n).is_file() and (previous / n).stat().st_size == sizes.get(n) for n in names
        ):
            continue
        for n in names:
            try:
                os.link(previous / n, target / n)
            except OSError:
                shutil.copy2(previous / n, target / n)
        kept.add(table)
    return kept


def write_tables(con: duckdb.DuckDBPyConnection, target: Path, schema: str, tables: list[str], fmt: str) -> None:
    """``target/<table>.<fmt>`` (parquet, or csv with a header row) for each of ``tables``."""
    for t in tables:
        _copy(con, f'{schema}."{t}"', target / f"{t}.{fmt}", f"format {fmt}" + (", header" if fmt == "csv" else ""))


def write_dictionary(con: duckdb.DuckDBPyConnection, target: Path, schema: str, counts: dict[str, int],
                     formats: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The freshness stamp and the data dictionary files; returns (stamp, dictionary)."""
    for suffix, options in (("parquet", "format parquet"), ("csv", "format csv, header")):
        _copy(con, "meta.published", target / f"published.{suffix}", options)
    stamp = con.sql("select run_id, cast(published_at as varchar) as published_at from meta.published").pl()
    dictionary = data_dictionary(con, schema, sorted(counts))
    dictionary.write_csv(target / "data_dictionary.csv")
    markdown = dictionary_markdown(dictionary, counts, stamp.row(0, named=True), formats)
    (target / "data_dictionary.md").write_text(markdown, encoding="utf-8")
    return stamp, dictionary


def write_workbook(con: duckdb.DuckDBPyConnection, path: Path, schema: str, counts: dict[str, int],
                   stamp: pl.DataFrame, dictionary: pl.DataFrame) -> None:
    """``marts.xlsx``: README, published, data_dictionary, then a sheet per mart of at most XLSX_MAX_ROWS rows."""
    tables = sorted(counts)
    readme = pl.DataFrame({
        "table": tables,
        "rows": [counts[t] for t in tables],
        "where": [f"sheet {t}" if counts[t] <= XLSX_MAX_ROWS else f"{t}.csv / {t}.parquet (too many rows for a sheet)"
                  for t in tables],
    })
    marts = ((t, con.sql(f'select * from {schema}."{t}"').pl(), False) for t in tables if counts[t] <= XLSX_MAX_ROWS)
    sheets = [("README", readme, True), ("published", stamp, True), ("data_dictionary", dictionary, False)]
    write_xlsx(path, itertools.chain(sheets, marts))  # one mart in memory at a time


def write_exports(con: duckdb.DuckDBPyConnection, target: Path, schema: str, counts: dict[str, int],
                  formats: tuple[str, ...] = ("parquet", "csv", "xlsx"), kept: set[str] = frozenset()) -> None:
    """The files listed in the module docstring (``formats`` of parquet, csv, xlsx), from ``con`` (the
    checkpointed build or the published file, read-only); the Parquet and CSV files of the ``kept``
    tables are already in ``target``."""
    for fmt in TABLE_FORMATS:
        if fmt in formats:
            write_tables(con, target, schema, sorted(set(counts) - set(kept)), fmt)
    stamp, dictionary = write_dictionary(con, target, schema, counts, formats)
    if "xlsx" in formats:
        write_workbook(con, target / "marts.xlsx", schema, counts, stamp, dictionary)

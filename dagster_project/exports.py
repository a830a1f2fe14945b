"""What publish writes next to each mart's Parquet file in the staged exports directory (before the
swap, so it is published together with the warehouse):

* ``<table>.csv`` for every mart (UTF-8, header row);
* ``marts.xlsx``: one sheet per mart of at most ``XLSX_MAX_ROWS`` rows (a larger table stays in
  CSV/Parquet; the ``README`` sheet says so), plus the data dictionary and the freshness stamp;
* ``data_dictionary.csv`` / ``data_dictionary.md``: every exported column with type, nullability and
  description, read from the warehouse's own comments (dbt ``persist_docs`` writes the yml
  descriptions into DuckDB) — the table names, types and descriptions the file really has;
* ``published.parquet`` / ``published.csv``: ``meta.published`` (run id, published_at), the
  freshness stamp a BI tool can show.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

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
    from dagster_project.warehouse import sql_string  # (warehouse imports this module)

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


def write_exports(con: duckdb.DuckDBPyConnection, target: Path, schema: str, counts: dict[str, int],
                  formats: tuple[str, ...] = ("csv", "xlsx")) -> None:
    """The files listed in the module docstring (``formats`` of parquet, csv, xlsx; publish writes
    the Parquet files itself), from ``con`` (the checkpointed build or the published file, read-only)."""
    from xlsxwriter import Workbook

    tables = sorted(counts)
    for t in tables:
        for fmt in ("parquet", "csv"):
            if fmt in formats:
                _copy(con, f'{schema}."{t}"', target / f"{t}.{fmt}", f"format {fmt}" + (", header" if fmt == "csv" else ""))
    for suffix, options in (("parquet", "format parquet"), ("csv", "format csv, header")):
        _copy(con, "meta.published", target / f"published.{suffix}", options)
    stamp = con.sql("select run_id, cast(published_at as varchar) as published_at from meta.published").pl()
    dictionary = data_dictionary(con, schema, tables)
    dictionary.write_csv(target / "data_dictionary.csv")
    markdown = dictionary_markdown(dictionary, counts, stamp.row(0, named=True), formats)
    (target / "data_dictionary.md").write_text(markdown, encoding="utf-8")
    if "xlsx" not in formats:
        return
    readme = pl.DataFrame({
        "table": tables,
        "rows": [counts[t] for t in tables],
        "where": [f"sheet {t}" if counts[t] <= XLSX_MAX_ROWS else f"{t}.csv / {t}.parquet (too many rows for a sheet)"
                  for t in tables],
    })
    with Workbook(str(target / "marts.xlsx")) as wb:
        readme.write_excel(wb, worksheet="README", autofit=True)
        stamp.write_excel(wb, worksheet="published", autofit=True)
        dictionary.write_excel(wb, worksheet="data_dictionary")
        for t in tables:
            if counts[t] <= XLSX_MAX_ROWS:
                con.sql(f'select * from {schema}."{t}"').pl().write_excel(wb, worksheet=t)

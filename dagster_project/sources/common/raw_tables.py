"""Writers of the build file's ``raw`` schema, used by every loader (:mod:`dagster_project.sources.common.landing`):
a raw table replaced with a parse's rows, a loader's rows of ``raw.quarantine``, its per-file counts in
``raw.load_log``, and ``meta.raw_inputs``, what each raw table was last landed from (the loaders skip
landing unchanged inputs again)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from dagster_project.common.warehouse import meta_table, now_utc, sql_string
from dagster_project.sources.common.provenance import QUARANTINE_COLUMNS, QuarantineRow

LOAD_LOG_DDL = """
create table if not exists raw.load_log (
    load_id varchar, asset varchar, source_file varchar, source_sha256 varchar,
    rows_loaded bigint, rows_quarantined bigint, loaded_at timestamp
)"""


QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    load_id varchar, asset varchar, source_kind varchar, source_file varchar, source_sha256 varchar,
    location varchar, reason varchar, verbatim varchar, quarantined_at timestamp
)"""


def replace_table(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame, load_id: str) -> int:
    """Replace ``raw.<table>`` with ``df`` plus load_id / loaded_at columns."""
    df = df.with_columns(pl.lit(load_id).alias("load_id"), pl.lit(now_utc()).alias("loaded_at"))
    con.register("_incoming", df.to_arrow())
    try:
        con.execute(f"create or replace table raw.{table} as select * from _incoming")
    finally:
        con.unregister("_incoming")
    return df.height


def replace_table_from_parquet(con: duckdb.DuckDBPyConnection, table: str, files: list[Path], load_id: str) -> int:
    """Replace ``raw.<table>`` with the rows of ``files`` (Parquet, one per source file; columns matched
    by name, types widened as Polars' diagonal_relaxed concat would) plus load_id / loaded_at: DuckDB
    streams them, so no process holds every file's rows at once."""
    paths = "[" + ", ".join(sql_string(f) for f in files) + "]"
    con.execute(
        f"create or replace table raw.{table} as select *, {sql_string(load_id)} as load_id, "
        f"{sql_string(now_utc().isoformat(sep=' '))}::timestamp as loaded_at "
        f"from read_parquet({paths}, union_by_name = true)"
    )
    return con.execute(f"select count(*) from raw.{table}").fetchone()[0]


RAW_INPUTS_DDL = """
create table if not exists meta.raw_inputs (raw_table varchar, inputs_sha256 varchar, load_id varchar, landed_at timestamp)"""


def landed_inputs(con: duckdb.DuckDBPyConnection, key: str, tables: list[str]) -> tuple[str, str] | None:
    """(inputs digest, load id) recorded under ``key`` when ``raw.<tables>`` were last landed in this
    warehouse's lineage (the build file starts as a copy of the published one); None if never, or a
    table is gone."""
    meta_table(con, RAW_INPUTS_DDL)
    present = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() and table_schema = 'raw'"
    ).fetchall()}
    if not set(tables) <= present:
        return None
    return con.execute("select inputs_sha256, load_id from meta.raw_inputs where raw_table = ?", [key]).fetchone()


def record_inputs(con: duckdb.DuckDBPyConnection, key: str, digest: str | None, load_id: str) -> None:
    """Record under ``key`` what was just landed (``digest`` None: do not trust it next run)."""
    meta_table(con, RAW_INPUTS_DDL)
    con.execute("delete from meta.raw_inputs where raw_table = ?", [key])
    if digest is not None:
        con.execute("insert into meta.raw_inputs values (?, ?, ?, ?)", [key, digest, load_id, now_utc()])


def replace_quarantine(con: duckdb.DuckDBPyConnection, asset: str, rows: list[QuarantineRow], load_id: str) -> int:
    """Replace this asset's rows in raw.quarantine (other assets' rows stay)."""
    con.execute(QUARANTINE_DDL)
    con.execute("delete from raw.quarantine where asset = ?", [asset])
    if rows:
        df = pl.DataFrame([r.as_dict() for r in rows], schema={c: pl.Utf8 for c in QUARANTINE_COLUMNS})
        df = df.with_columns(
            pl.lit(load_id).alias("load_id"), pl.lit(asset).alias("asset"), pl.lit(now_utc()).alias("quarantined_at")
        )
        con.register("_q", df.to_arrow())
        try:
            con.execute(
                "insert into raw.quarantine by name select * from _q"
            )
        finally:
            con.unregister("_q")
    return len(rows)


def log_loads(con: duckdb.DuckDBPyConnection, asset: str, load_id: str, per_file: list[dict]) -> None:
    """per_file: dicts with source_file, source_sha256, rows_loaded, rows_quarantined."""
    con.execute(LOAD_LOG_DDL)
    con.execute("delete from raw.load_log where asset = ?", [asset])
    ts = now_utc()
    for f in per_file:
        con.execute(
            "insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?)",
            [load_id, asset, f["source_file"], f.get("source_sha256"), f.get("rows_loaded", 0), f.get("rows_quarantined", 0), ts],
        )

"""Write–audit–publish for the DuckDB warehouse.

* Every run writes into ``<published>.build`` (see :mod:`dagster_project.config`),
  never into the published file. The first writer of a run prepares the build file:
  a copy of the published warehouse (so a partial run, e.g. one started by the
  yearbook sensor, still ends with a complete warehouse) or an empty database.
* The build file records which run owns it (table ``meta.build_run``); a build file left
  by an earlier, failed run is discarded, not reused.
* Only after every blocking check has passed does :func:`publish` checkpoint the build
  file and ``os.replace`` it onto the published path: an atomic rename, so readers see
  either the old or the new warehouse, never a half-written one, and a failed run
  leaves the published file untouched.
* Consumers open the published file with :func:`connect_readonly`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import config
from dagster_project.ingest.common import QUARANTINE_COLUMNS, QuarantineRow


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()


def _build_owner(path: Path) -> str | None:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("select run_id from meta.build_run").fetchone()
            return row[0] if row else None
    except duckdb.Error:
        return None


def prepare_build(run_id: str) -> Path:
    """Make sure the build file exists and belongs to ``run_id``; return its path."""
    build = config.build_path()
    published = config.warehouse_path()
    if build.exists() and _build_owner(build) == run_id:
        return build
    _remove(build)
    build.parent.mkdir(parents=True, exist_ok=True)
    if published.exists():
        shutil.copy2(published, build)
    with duckdb.connect(str(build)) as con:
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.build_run (run_id varchar, started_at timestamp)")
        con.execute("insert into meta.build_run values (?, ?)", [run_id, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])
    return build


@contextmanager
def build_connection(run_id: str):
    """Read-write connection to this run's build file (one writer at a time)."""
    path = prepare_build(run_id)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        yield con
    finally:
        con.close()


def connect_readonly(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """How analysts, BI tools, checks and tests read a warehouse file."""
    return duckdb.connect(str(path or config.warehouse_path()), read_only=True)


# ---------------------------------------------------------------------------
# Loading helpers used by the ingest assets
# ---------------------------------------------------------------------------

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


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def replace_table(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame, load_id: str) -> int:
    """Replace ``raw.<table>`` with ``df`` plus load_id / loaded_at columns."""
    df = df.with_columns(pl.lit(load_id).alias("load_id"), pl.lit(now_utc()).alias("loaded_at"))
    con.register("_incoming", df.to_arrow())
    try:
        con.execute(f"create or replace table raw.{table} as select * from _incoming")
    finally:
        con.unregister("_incoming")
    return df.height


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


# ---------------------------------------------------------------------------
# Publish
# ---------------------------------------------------------------------------


def publish(run_id: str) -> Path:
    """Atomically replace the published warehouse with this run's build file."""
    build = config.build_path()
    published = config.warehouse_path()
    if not build.exists():
        raise FileNotFoundError(f"no build file {build} to publish")
    owner = _build_owner(build)
    if owner != run_id:
        raise RuntimeError(f"build file {build} belongs to run {owner!r}, not {run_id!r}: refusing to publish")
    with duckdb.connect(str(build)) as con:
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.published (run_id varchar, published_at timestamp)")
        con.execute("insert into meta.published values (?, ?)", [run_id, now_utc()])
        con.execute("drop table if exists meta.build_run")
        con.execute("checkpoint")
    wal = build.with_name(build.name + ".wal")
    if wal.exists():  # checkpoint folds the WAL into the file; nothing may be left behind
        raise RuntimeError(f"{wal} still exists after checkpoint")
    os.replace(build, published)
    return published

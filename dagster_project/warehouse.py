"""Write–audit–publish for the DuckDB warehouse.

* Every function takes the :class:`~dagster_project.config.WarehouseLayout` it works on (the
  Dagster assets get it from :class:`dagster_project.resources.WarehouseResource`).
* Every run writes into ``<published>.build`` (see :mod:`dagster_project.config`),
  never into the published file. The first writer of a run prepares the build file:
  a copy of the published warehouse (so a partial run, e.g. one started by the
  yearbook sensor, still ends with a complete warehouse) or an empty database.
* The build file records which run owns it (table ``meta.build_run``); a build file left
  by an earlier, failed run is discarded, not reused.
* Only after every blocking check has passed does :func:`publish` checkpoint the build
  file, export the marts from it to ``exports.new-<run id>``, fsync, and ``os.replace`` it
  onto the published path: an atomic rename, so readers see either the old or the new
  warehouse, never a half-written one, and a failed or killed run leaves the published file
  untouched. The exports directory is swapped in right after the rename; its
  ``manifest.json`` names the run id and published_at of ``meta.published``, and a crash
  between rename and swap is completed by the next run (:func:`settle_exports`).
* Publish refuses, before renaming, when another process holds the published file
  read-write (or left a WAL next to it).
* Consumers open the published file with :func:`connect_readonly`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from dagster_project import config
from dagster_project.config import WarehouseLayout
from dagster_project.exports import MANIFEST, TABLE_FORMATS, unchanged_tables, write_exports
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


def prepare_build(layout: WarehouseLayout, run_id: str) -> Path:
    """Make sure the build file exists and belongs to ``run_id``; return its path."""
    build, published = layout.build, layout.published
    if build.exists() and _build_owner(build) == run_id:
        return build
    _remove(build)  # a build file left by an earlier run (failed, killed) is discarded
    build.parent.mkdir(parents=True, exist_ok=True)
    settle_exports(layout)  # and exports it left half-swapped are completed or discarded
    if published.exists():
        shutil.copy2(published, build)
    with duckdb.connect(str(build)) as con:
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.build_run (run_id varchar, started_at timestamp)")
        con.execute("insert into meta.build_run values (?, ?)", [run_id, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])
    return build


@contextmanager
def build_connection(layout: WarehouseLayout, run_id: str):
    """Read-write connection to this run's build file (one writer at a time)."""
    path = prepare_build(layout, run_id)
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


def meta_table(con: duckdb.DuckDBPyConnection, ddl: str) -> None:
    """Run a ``create table if not exists meta.…`` statement, creating the schema first."""
    con.execute("create schema if not exists meta")
    con.execute(ddl)


RAW_INPUTS_DDL = """
create table if not exists meta.raw_inputs (raw_table varchar, inputs_sha256 varchar, load_id varchar, landed_at timestamp)"""


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Row count and sum of row hashes of ``table`` (order-independent); "missing" when it does not exist."""
    schema, name = table.split(".", 1)
    if not con.execute(
        "select 1 from information_schema.tables where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone():
        return "missing"
    n, total = con.execute(f'select count(*), coalesce(sum(hash(t)::hugeint), 0) from {schema}."{name}" as t').fetchone()
    return f"{n}:{total}"


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


# ---------------------------------------------------------------------------
# Publish
# ---------------------------------------------------------------------------

EXPORT_SCHEMA = "marts"


class PublishRefused(RuntimeError):
    """Publishing would damage the published file; it was not renamed and stays as it was."""


def sql_string(value: str | Path) -> str:
    """A SQL string literal (``'`` doubled), for paths in COPY / ATTACH statements."""
    return "'" + str(value).replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    """Flush a file's (or a directory's entries') data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_current(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to the file *now* at ``path`` (ATTACHed to a fresh in-memory
    database: ``duckdb.connect`` would hand back this process's cached instance of a file
    that has since been renamed over). Takes the same shared lock as any reader."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_string(path)} as warehouse (read_only)")
        con.execute("use warehouse")
    except BaseException:
        con.close()
        raise
    return con


def published_run_id(path: str | Path | None = None) -> str | None:
    """``meta.published.run_id`` of the published file; None when there is no published file
    (or it was not written by a publish). Raises duckdb.Error when the file cannot be read."""
    path = Path(path or config.warehouse_path())
    if not path.exists():
        return None
    with _open_current(path) as con:
        if not con.execute(
            "select 1 from information_schema.tables where table_catalog = 'warehouse' "
            "and table_schema = 'meta' and table_name = 'published'"
        ).fetchone():
            return None
        return con.execute("select run_id from meta.published").fetchone()[0]


def _staged_exports(layout: WarehouseLayout, run_id: str) -> Path:
    exports = layout.exports
    return exports.with_name(f"{exports.name}.new-{run_id}")


def settle_exports(layout: WarehouseLayout, current: str | None = None) -> None:
    """Make ``exports/`` belong to the published warehouse (run id ``current``, read from the
    file when not given). The staged exports of the published run (left by a crash between the
    warehouse rename and the exports swap) are swapped in; staged exports of any other run, and
    exports set aside by a swap, are removed. Publish ends with this and every new build starts
    with it, so a crash needs no manual clean-up."""
    exports = layout.exports
    if current is None:
        try:
            current = published_run_id(layout.published)
        except duckdb.Error:  # published file unreadable (e.g. held read-write): decide nothing now
            return
    for staged in exports.parent.glob(f"{exports.name}.new-*"):
        if current is not None and staged == _staged_exports(layout, current):
            aside = exports.with_name(f"{exports.name}.old-{current}")
            if exports.exists():
                shutil.rmtree(aside, ignore_errors=True)
                os.replace(exports, aside)
            os.replace(staged, exports)
            _fsync(exports.parent)
        else:
            shutil.rmtree(staged)
    for aside in exports.parent.glob(f"{exports.name}.old-*"):
        shutil.rmtree(aside)


def _export_marts(build: Path, target: Path, manifest: dict, previous: Path | None = None) -> tuple[dict[str, int], set[str]]:
    """Every ``marts`` table of the (checkpointed) build file exported to ``target`` (the files of
    :func:`dagster_project.exports.write_exports`), plus ``manifest.json`` naming the run, row
    counts, each table's digest and the size of each file; every file and the directory fsynced.
    A table whose digest and files are unchanged in ``previous`` (the published exports) keeps its
    Parquet and CSV files (:func:`dagster_project.exports.unchanged_tables`: hard-linked, not rewritten).
    Returns (rows of each table, the tables whose files were kept)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with _open_current(build) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'warehouse' and table_schema = ? order by 1",
            [EXPORT_SCHEMA],
        ).fetchall()]
        digests = {t: table_digest(con, f"{EXPORT_SCHEMA}.{t}") for t in tables}  # "<rows>:<sum of row hashes>"
        counts = {t: int(digests[t].split(":")[0]) for t in tables}
        kept = unchanged_tables(previous, target, digests) if previous is not None else set()
        write_exports(con, target, EXPORT_SCHEMA, counts, kept=kept)  # Parquet, CSV, XLSX, data dictionary, freshness stamp
    files = {f"{t}.{fmt}": (target / f"{t}.{fmt}").stat().st_size for t in tables for fmt in TABLE_FORMATS}
    (target / MANIFEST).write_text(json.dumps(
        {**manifest, "rows": counts, "digests": digests, "files": files, "kept": sorted(kept)}, indent=1), encoding="utf-8")
    for f in target.iterdir():
        _fsync(f)
    _fsync(target)
    return counts, kept


@contextmanager
def _no_writer(published: Path):
    """Refuse (PublishRefused) when another process holds the published file read-write or a
    writer left its WAL (the renamed file would be paired with a foreign WAL and become
    unreadable); otherwise hold a read-only connection, i.e. a shared lock that keeps writers
    out, until the rename is done."""
    wal = published.with_name(published.name + ".wal")
    if wal.exists():
        raise PublishRefused(
            f"{wal} exists: a process has written to the published file {published} (open it read-only); "
            "checkpoint it by opening it read-write once, or delete the WAL to discard those writes"
        )
    if not published.exists():
        yield
        return
    try:
        guard = _open_current(published)
    except duckdb.Error as e:
        if "lock" in str(e).lower() or "different configuration" in str(e).lower():
            raise PublishRefused(f"another process holds the published file {published} read-write: {e}") from e
        guard = None  # not a readable DuckDB file: nothing to protect, replacing it is the repair
    try:
        yield
    finally:
        if guard is not None:
            guard.close()


def publish(layout: WarehouseLayout, run_id: str, reuse_exports: bool = True) -> dict:
    """Publish this run's build file: record ``meta.published``, checkpoint, export every mart
    from the build file into ``exports.new-<run_id>``, fsync, atomically rename the build file
    onto the published path (refusing beforehand if a writer holds it), then swap the exports in
    (:func:`settle_exports`). ``reuse_exports``: keep the files of marts whose rows are unchanged
    (:func:`_export_marts`). Returns path, exports dir, published_at, mart row counts and the marts
    whose export files were kept."""
    build, published = layout.build, layout.published
    if not build.exists():
        raise FileNotFoundError(f"no build file {build} to publish")
    owner = _build_owner(build)
    if owner != run_id:
        raise RuntimeError(f"build file {build} belongs to run {owner!r}, not {run_id!r}: refusing to publish")
    settle_exports(layout)
    with _no_writer(published):  # checked before anything changes, held until the rename is done
        published_at = now_utc()
        with duckdb.connect(str(build)) as con:
            con.execute("create schema if not exists meta")
            con.execute("create or replace table meta.published (run_id varchar, published_at timestamp)")
            con.execute("insert into meta.published values (?, ?)", [run_id, published_at])
            con.execute("drop table if exists meta.build_run")
            con.execute("checkpoint")
        wal = build.with_name(build.name + ".wal")
        if wal.exists():  # checkpoint folds the WAL into the file; nothing may be left behind
            raise RuntimeError(f"{wal} still exists after checkpoint")
        counts, kept = _export_marts(
            build, _staged_exports(layout, run_id), {"run_id": run_id, "published_at": published_at.isoformat()},
            previous=layout.exports if reuse_exports else None,
        )
        _fsync(build)
        os.replace(build, published)
        _fsync(published.parent)
    settle_exports(layout, current=run_id)
    return {"path": published, "exports": layout.exports, "published_at": published_at, "rows": counts, "exports_kept": kept}

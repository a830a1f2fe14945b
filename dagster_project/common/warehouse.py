"""The warehouse's files, for every stage: the run's build file, read-only readers, and the
exports directory that belongs to the published file.

* Every function takes the :class:`~dagster_project.common.config.WarehouseLayout` it works on (the
  Dagster assets get it from :class:`dagster_project.common.resource.WarehouseResource`).
* Every run writes into ``<published>.build`` (see :mod:`dagster_project.common.config`),
  never into the published file. The first writer of a run prepares the build file:
  a copy of the published warehouse (so a partial run, e.g. one started by the
  yearbook sensor, still ends with a complete warehouse) or an empty database.
* The build file records which run owns it (table ``meta.build_run``); a build file left
  by an earlier, failed run is discarded, not reused.
* Only after every blocking check has passed does :func:`dagster_project.publish.atomic.publish`
  checkpoint the build file, export the marts, and rename it onto the published path; a crash
  between that rename and the swap of the exports directory is completed by the next run
  (:func:`settle_exports`, which every new build file starts with).
* Consumers open the published file with :func:`connect_readonly`.

The raw tables' writers are in :mod:`dagster_project.sources.common.raw_tables`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.common import config
from dagster_project.common.config import WarehouseLayout


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
# Helpers every layer uses
# ---------------------------------------------------------------------------


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def meta_table(con: duckdb.DuckDBPyConnection, ddl: str) -> None:
    """Run a ``create table if not exists meta.…`` statement, creating the schema first."""
    con.execute("create schema if not exists meta")
    con.execute(ddl)


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

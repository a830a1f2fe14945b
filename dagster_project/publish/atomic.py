"""Publish: the audited build file becomes the published warehouse, atomically, with its exports.

Only after every blocking check has passed does :func:`publish` checkpoint the build file, export
the marts from it to ``exports.new-<run id>``, fsync, and ``os.replace`` it onto the published path:
an atomic rename, so readers see either the old or the new warehouse, never a half-written one, and
a failed or killed run leaves the published file untouched. The exports directory is swapped in
right after the rename; its ``manifest.json`` names the run id and published_at of
``meta.published``, and a crash between rename and swap is completed by the next run
(:func:`dagster_project.common.warehouse.settle_exports`). Publish refuses, before renaming, when
another process holds the published file read-write (or left a WAL next to it).

(The file helpers are called as ``warehouse.<name>``, attributes of their module, so that a test can
replace one of them in a child process to kill it at a chosen step.)
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.common import warehouse
from dagster_project.common.config import WarehouseLayout
from dagster_project.publish.exports import MANIFEST, TABLE_FORMATS, unchanged_tables, write_exports

EXPORT_SCHEMA = "marts"


class PublishRefused(RuntimeError):
    """Publishing would damage the published file; it was not renamed and stays as it was."""


def _export_marts(build: Path, target: Path, manifest: dict, previous: Path | None = None) -> tuple[dict[str, int], set[str]]:
    """Every ``marts`` table of the (checkpointed) build file exported to ``target`` (the files of
    :func:`dagster_project.publish.exports.write_exports`), plus ``manifest.json`` naming the run, row
    counts, each table's digest and the size of each file; every file and the directory fsynced.
    A table whose digest and files are unchanged in ``previous`` (the published exports) keeps its
    Parquet and CSV files (:func:`dagster_project.publish.exports.unchanged_tables`: hard-linked, not rewritten).
    Returns (rows of each table, the tables whose files were kept)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with warehouse._open_current(build) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'warehouse' and table_schema = ? order by 1",
            [EXPORT_SCHEMA],
        ).fetchall()]
        digests = {t: warehouse.table_digest(con, f"{EXPORT_SCHEMA}.{t}") for t in tables}  # "<rows>:<sum of row hashes>"
        counts = {t: int(digests[t].split(":")[0]) for t in tables}
        kept = unchanged_tables(previous, target, digests) if previous is not None else set()
        write_exports(con, target, EXPORT_SCHEMA, counts, kept=kept)  # Parquet, CSV, XLSX, data dictionary, freshness stamp
    files = {f"{t}.{fmt}": (target / f"{t}.{fmt}").stat().st_size for t in tables for fmt in TABLE_FORMATS}
    (target / MANIFEST).write_text(json.dumps(
        {**manifest, "rows": counts, "digests": digests, "files": files, "kept": sorted(kept)}, indent=1), encoding="utf-8")
    for f in target.iterdir():
        warehouse._fsync(f)
    warehouse._fsync(target)
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
        guard = warehouse._open_current(published)
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
    (:func:`~dagster_project.common.warehouse.settle_exports`). ``reuse_exports``: keep the files of marts whose rows are unchanged
    (:func:`_export_marts`). Returns path, exports dir, published_at, mart row counts and the marts
    whose export files were kept."""
    build, published = layout.build, layout.published
    if not build.exists():
        raise FileNotFoundError(f"no build file {build} to publish")
    owner = warehouse._build_owner(build)
    if owner != run_id:
        raise RuntimeError(f"build file {build} belongs to run {owner!r}, not {run_id!r}: refusing to publish")
    warehouse.settle_exports(layout)
    with _no_writer(published):  # checked before anything changes, held until the rename is done
        published_at = warehouse.now_utc()
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
            build, warehouse._staged_exports(layout, run_id), {"run_id": run_id, "published_at": published_at.isoformat()},
            previous=layout.exports if reuse_exports else None,
        )
        warehouse._fsync(build)
        os.replace(build, published)
        warehouse._fsync(published.parent)
    warehouse.settle_exports(layout, current=run_id)
    return {"path": published, "exports": layout.exports, "published_at": published_at, "rows": counts, "exports_kept": kept}

"""Great Expectations quality gates, run as blocking Dagster asset checks.

Suites live in ``expectations/<name>.json`` (GX's own suite shape: name + list of
``{"type", "kwargs", "meta"}``), plus keys of ours: ``table`` (what to read),
``asset_key`` (the asset the check belongs to), ``severity`` (ERROR blocks
publication, WARN only reports) and ``provenance_columns`` (the columns that say where a
row comes from: file, location …). A ``value_set`` may be ``{"$query": "select …"}``,
resolved against the same database, so reference sets are never copied into a suite.

A failed expectation reports each offending row (up to ``MAX_ROWS_REPORTED``) with its
provenance columns and value (GX ``unexpected_index_column_names``), so the message names
the file, place and value of every row that blocks publication.

The data is read through a **read-only** DuckDB connection and validated with GX's pandas
datasource (GX's SQL path on DuckDB is unreliable). Only the columns the suite uses are read
(:func:`suite_columns`: those its expectations name, in their kwargs or row conditions, and the
provenance columns), typed as DuckDB's ``.df()`` types them, and never the whole table at once
(a national fact table has tens of millions of rows), so memory stays bounded
(``BATCH_ROWS`` of pandas, ``DUCKDB_MEMORY_LIMIT`` of DuckDB) whatever the table's size:

* row by row expectations (GX's column, column-pair and multicolumn map expectations, and those
  about the set of columns) run on each batch of ``BATCH_ROWS`` rows in table order (a table's
  batches are ranges of its rowid, shared with worker processes when there are many:
  :mod:`dagster_project.quality.parallel`; a view is read in one scan); their results are summed
  (counts) and concatenated (the first ``MAX_ROWS_REPORTED`` unexpected values and rows) into what
  GX reports on the whole table;
* uniqueness (``ACROSS_ROWS``) is decided by DuckDB (a hash aggregate that spills to disk), and GX
  reports the first duplicated rows from a frame of those rows and their duplicates;
* row counts are GX's own, on a frame of that many rows and no columns;
* anything else that needs every row at once (a column's max, mean, order …) fails with that reason.

The outcome (success, failures with counts, examples and provenance rows, row count) is the one GX
gave on the whole table as one DataFrame (tests/test_quality.py). Each validation is kept in the
persistent GX context ``<warehouse dir>/gx/`` as one result for the whole table (its meta
``row_batches`` says in how many batches it was read) and updates the Data Docs site
``<warehouse dir>/data_docs`` (every suite's latest validation; CDN assets replaced by vendored
copies, so it reads offline). Each suite keeps its ``RESULTS_KEPT`` latest results, and the site
their pages: GX's index page reads every stored result each time it is built, so an unbounded
history would make each night's gates slower than the last.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.common import config
from dagster_project.quality import batches as qb
from dagster_project.quality.batches import BATCH_ROWS, DUCKDB_MEMORY_LIMIT, MAX_ROWS_REPORTED, WHOLE_TABLE_EXPECTATIONS
from dagster_project.quality.parallel import RowBatches

logging.getLogger("great_expectations").setLevel(logging.WARNING)

DOCS_SITE = "warehouse"
RESULTS_KEPT = 30  # validation results (and Data Docs pages) kept per suite: a month of nightlies
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")  # the kwargs in which expectations name columns
IDENTIFIER = re.compile(r"`([^`]+)`|[A-Za-z_][A-Za-z0-9_]*")  # a name in a pandas row condition, `quoted` or bare


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    failed: list[dict]
    row_count: int

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations met on {self.row_count} rows"
        lines = [f"{self.suite}: {len(self.failed)} of {self.evaluated} expectations failed on {self.row_count} rows"]
        for f in self.failed:
            lines.append(f"  - {f['expectation']} {f['kwargs']}: " + (f"error: {f['exception']}" if f.get("exception") else
                         f"{f['unexpected_count']} unexpected, e.g. {f['examples']}"))
            lines.extend("      " + ", ".join(f"{k}={v}" for k, v in row.items()) for row in f.get("rows", []))
        return "\n".join(lines)


def load_suite(name_or_path: str | Path) -> dict:
    p = Path(name_or_path)
    if not p.suffix:
        p = config.EXPECTATIONS_DIR / f"{name_or_path}.json"
    return json.loads(p.read_text(encoding="utf-8"))


def suite_files() -> list[Path]:
    return sorted(config.EXPECTATIONS_DIR.glob("*.json"))


def _resolve(kwargs: dict, con: duckdb.DuckDBPyConnection) -> dict:
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, dict) and "$query" in v:
            v = [r[0] for r in con.execute(v["$query"]).fetchall()]
        out[k] = v
    return out


def suite_columns(suite: dict, table_columns: list[str]) -> list[str]:
    """The columns of the table (``table_columns``, in their order) that ``suite`` needs: named by an
    expectation's column kwargs or row condition, or a provenance column. Every column when an
    expectation is about the set of columns, or when the suite names none (a row count)."""
    named = set(suite.get("provenance_columns", []))
    for e in suite["expectations"]:
        if WHOLE_TABLE_EXPECTATIONS.match(e["type"]):
            return list(table_columns)
        kwargs = e.get("kwargs", {})
        for k in COLUMN_KWARGS:
            named.update([kwargs[k]] if isinstance(kwargs.get(k), str) else kwargs.get(k) or [])
        named.update(m.group(1) or m.group(0) for m in IDENTIFIER.finditer(kwargs.get("row_condition") or ""))
    # a name that is no column stays out: GX reports the missing column, as it would on the whole table
    return [c for c in table_columns if c in named] or list(table_columns)


def _jsonable(o):
    if hasattr(o, "item"):  # numpy scalars (a year, a count) keep their type
        return o.item()
    try:
        import pandas as pd

        if o is pd.NA or o is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return str(o)


def _provenance_first(row: dict, provenance: list[str]) -> dict:
    """An offending row as file, place … first, then the checked column(s) and their values."""
    return {**{k: row[k] for k in provenance if k in row}, **row}


def _context(docs_dir: Path | None):
    """Without ``docs_dir``: an ephemeral GX context. With it: the persistent file context in
    ``<docs_dir's parent>/gx/`` (suites, validation definitions, checkpoints and every validation
    result stay there), whose one Data Docs site is ``docs_dir``, so that its index lists the latest
    validation of every suite, not only of the last one run."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if docs_dir is None:
        ctx = gx.get_context(mode="ephemeral")
    else:
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx = gx.get_context(mode="file", project_root_dir=docs_dir.parent)
        sites = {DOCS_SITE: {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }}
        if ctx.variables.data_docs_sites != sites:
            ctx.variables.data_docs_sites = sites
            ctx.variables.save()
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def _prune_results(ctx, suite_name: str) -> None:
    """Remove the suite's stored validation results but the ``RESULTS_KEPT`` latest; building the
    Data Docs index then removes their pages (GX cleans pages whose result is gone)."""
    store = ctx.validation_results_store
    results = sorted((k for k in store.list_keys() if k.expectation_suite_identifier.name == suite_name),
                     key=lambda k: k.run_id.run_time, reverse=True)
    for old in results[RESULTS_KEPT:]:
        store.remove_key(old)


def _remove_empty_dirs(root: Path) -> None:
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


def _batch_definition(ctx, table: str):
    """The batch definition through which GX validates a DataFrame of ``table`` (the same names in the
    run's process and in a worker)."""
    source = ctx.data_sources.add_or_update_pandas("warehouse")
    asset_name = table.replace(".", "__")
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(name=asset_name)
    return (next((b for b in asset.batch_definitions if b.name == "whole_table"), None)
            or asset.add_batch_definition_whole_dataframe("whole_table"))


def _expectations(specs: list[tuple]) -> list:
    """GX expectations from (type, kwargs, meta) specs (value sets resolved)."""
    import great_expectations as gx

    return [gx.expectations.registry.get_expectation_impl(t)(**kw, meta=meta) for t, kw, meta in specs]


def _suite(name: str, specs: list[tuple]):
    """A GX suite ``name`` of the expectations of ``specs``."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=name, expectations=_expectations(specs))


_WORKER_SUITES: dict[str, tuple] = {}  # in a worker process: suite name -> (batch definition, row-wise suite)


def validate_batch(db_path: str, table: str, name: str, specs: list[tuple], columns: list[str], result_format: dict,
                   rows: tuple[int, int]):
    """In a worker process (:mod:`dagster_project.quality.parallel`): GX's result of the row-wise
    expectations ``specs`` ((type, kwargs, meta), value sets resolved) of suite ``name`` on the rows of
    ``table`` whose rowid is in ``rows``, read from ``db_path`` (read-only), in an ephemeral GX context."""
    if name not in _WORKER_SUITES:
        _WORKER_SUITES[name] = (_batch_definition(_context(None), table), _suite(name, specs))
    batch_def, row_wise = _WORKER_SUITES[name]
    with duckdb.connect(db_path, read_only=True) as con:
        con.execute(f"set enable_progress_bar = false; set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        frame = qb.rowid_batch(con, table, columns, rows)
    return batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(row_wise, result_format=result_format)


def validate(suite: dict, db_path: str | Path, docs_dir: Path | None = None, batch_rows: int = BATCH_ROWS) -> SuiteOutcome:
    """Validate ``suite['table']`` of the DuckDB file at ``db_path`` (opened read-only), ``batch_rows``
    rows at a time (see the module docstring)."""
    import pandas as pd
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

    table = suite["table"]
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_ROWS_REPORTED}
    if suite.get("provenance_columns"):
        result_format["unexpected_index_column_names"] = suite["provenance_columns"]
    ctx = _context(docs_dir)
    batch_def = _batch_definition(ctx, table)

    def gx_on(frame, expect):
        """GX's result of ``expect`` (an expectation or a suite) on the DataFrame ``frame``."""
        return batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(expect, result_format=result_format)

    started = time.time()

    with duckdb.connect(str(db_path), read_only=True) as con:
        con.execute(f"set enable_progress_bar = false; set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
        specs = [(e["type"], _resolve(e.get("kwargs", {}), con), e.get("meta", {})) for e in suite["expectations"]]
        expectations = _expectations(specs)
        hows = [qb.how(e) for e in expectations]
        columns = suite_columns(suite, con.sql(f"select * from {table} limit 0").columns)
        row_specs = [spec for spec, how in zip(specs, hows) if how == "rows"]
        row_wise = _suite(suite["name"], row_specs)
        ranges = qb.rowid_ranges(con, table, batch_rows)
        if ranges is None:  # not a base table: one scan, validated in this process
            per_batch, row_count, n_batches = [], 0, 0
            for frame in qb.batches(con, table, columns, batch_rows):
                row_count, n_batches = row_count + len(frame), n_batches + 1
                if row_specs or not per_batch:  # (the first batch's result also carries the batch's meta)
                    per_batch.append(gx_on(frame, row_wise))
                del frame
                gc.collect()  # GX's objects of the batch (reference cycles) hold its DataFrame: freed before the next
        else:  # rowid ranges, in this process and in workers (quality_parallel); without row-wise expectations only
            # the first batch, whose result carries the batch's meta
            row_count, n_batches = con.execute(f"select count(*) from {table}").fetchall()[0][0], len(ranges)
            args = (str(db_path), table, suite["name"], row_specs, columns, result_format)
            with RowBatches(lambda rows: gx_on(qb.rowid_batch(con, table, columns, rows), row_wise), validate_batch, args,
                            ranges if row_specs else ranges[:1]) as row_batches:
                per_batch = row_batches.results()
        merged = iter([qb.merged(list(r)) for r in zip(*(b.results for b in per_batch))])
        results = []
        for e, how in zip(expectations, hows):
            if how == "rows":
                results.append(next(merged))
            elif how == "count":  # GX on a frame of row_count rows and no columns (a range index: no memory)
                results.append(gx_on(pd.DataFrame(index=pd.RangeIndex(row_count)), e))
            elif how == "unique":
                results.append(qb.unique_result(con, table, columns, e, gx_on, row_count))
            else:
                results.append(ExpectationValidationResult(success=False, expectation_config=e.configuration, exception_info={
                    "raised_exception": True, "exception_message": f"{e.expectation_type} needs every row at once, "
                    f"which quality.validate does not support (it reads a table in batches of {batch_rows:,} rows)"}))

    n_met = sum(r.success for r in results)
    if docs_dir is not None:  # one validation result for the whole table in the Data Docs
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier, ValidationResultIdentifier)

        run_id = RunIdentifier(run_time=dt.datetime.now(dt.timezone.utc))
        batches = {"rows": row_count, "batches": n_batches, "rows_per_batch": batch_rows,
                   "duplicates_found_by_duckdb": [e.expectation_type for e, h in zip(expectations, hows) if h == "unique"]}
        suite_result = ExpectationSuiteValidationResult(
            success=n_met == len(results), results=results, suite_name=suite["name"], batch_id=per_batch[0].batch_id,
            statistics={"evaluated_expectations": len(results), "successful_expectations": n_met,
                        "unsuccessful_expectations": len(results) - n_met, "success_percent": qb.percent(n_met, len(results))},
            meta={**per_batch[0].meta, "run_id": run_id, "validation_time": run_id.run_time, "row_batches": batches})
        suite_id = ExpectationSuiteIdentifier(name=suite["name"])
        key = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=suite_result.batch_id)
        ctx.suites.add_or_update(_suite(suite["name"], specs))
        ctx.validation_results_store.set(key, suite_result)
        _prune_results(ctx, suite["name"])
        ctx.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[key, suite_id])
        for pruned in (Path(ctx.root_directory) / "uncommitted" / "validations", docs_dir / "validations"):
            _remove_empty_dirs(pruned / suite["name"])  # (GX removes the files of a pruned result, not their folders)
        from dagster_project.quality.data_docs import make_offline

        make_offline(docs_dir, since=started - 1)  # the pages this validation wrote, made readable offline
    failed = []
    for er in results:
        if not er.success:
            res = er.result or {}
            kwargs = {k: v for k, v in er.expectation_config.kwargs.items() if k not in ("batch_id",)}
            if isinstance(kwargs.get("value_set"), list) and len(kwargs["value_set"]) > 10:
                kwargs["value_set"] = f"<{len(kwargs['value_set'])} values>"
            failed.append(
                {
                    "expectation": er.expectation_config.type,
                    "kwargs": kwargs,
                    "unexpected_count": res.get("unexpected_count", res.get("observed_value")),
                    "examples": res.get("partial_unexpected_list", [])[:5],
                    "rows": [_provenance_first(r, suite.get("provenance_columns", [])) for r in res.get("partial_unexpected_index_list") or []],
                    "exception": qb.exception_message(er.exception_info),
                }
            )
    failed = json.loads(json.dumps(failed, default=_jsonable))  # pandas NA/NaN → null/str
    return SuiteOutcome(suite=suite["name"], success=not failed, evaluated=len(results), failed=failed, row_count=row_count)

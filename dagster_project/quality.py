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

The data is read through a **read-only** DuckDB connection into a pandas DataFrame and
validated with GX's pandas datasource (GX's SQL path on DuckDB is unreliable). Only the columns
the suite uses are read (:func:`suite_columns`: those its expectations name, in their kwargs or
row conditions, and the provenance columns), typed as DuckDB's ``.df()`` types them. Each
validation is kept in the persistent GX context ``<warehouse dir>/gx/`` and updates the Data
Docs site ``<warehouse dir>/data_docs`` (every suite's latest validation; CDN assets replaced by
vendored copies, so it reads offline).
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project import config

logging.getLogger("great_expectations").setLevel(logging.WARNING)

MAX_ROWS_REPORTED = 20
DOCS_SITE = "warehouse"
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")  # the kwargs in which expectations name columns
# expectations about the table's set of columns see every column
WHOLE_TABLE_EXPECTATIONS = re.compile(r"expect_table_column|expect_column_to_exist")
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


def import_gx_in_background() -> threading.Thread:
    """Import great_expectations (~2.5 s of Python) in a thread, for a caller that is about to wait
    on something else (the dbt step waits on its dbt process): the gates then start without paying
    for it. Python's import lock makes a later ``import great_expectations`` wait for this one."""
    thread = threading.Thread(target=importlib.import_module, args=("great_expectations",), daemon=True, name="import-gx")
    thread.start()
    return thread


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


def _read(con: duckdb.DuckDBPyConnection, table: str, suite: dict):
    """The columns of ``table`` that ``suite`` needs (a pandas DataFrame), in one scan, typed as
    DuckDB's ``.df()`` types them (nullable integers and booleans, ``str`` text …): the text columns
    converted from Arrow (~9x faster than ``.df()`` builds them), the others by ``.df()`` itself."""
    import pandas as pd
    import pyarrow as pa

    columns = suite_columns(suite, con.sql(f"select * from {table} limit 0").columns)
    data = con.sql("select " + ", ".join('"' + c.replace('"', '""') + '"' for c in columns) + f" from {table}").to_arrow_table()
    text = [f.name for f in data.schema if f.type in (pa.string(), pa.large_string(), pa.string_view())]
    parts = [data.select(text).to_pandas()] if text else []
    if len(text) < len(columns):
        parts.append(con.from_arrow(data.drop_columns(text)).df())
    return pd.concat(parts, axis=1)[columns]


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


def _exception_message(info: dict | None) -> str | None:
    """GX's exception info: the expectation's own ``{exception_message, …}``, or one such per metric
    that could not be computed (e.g. a column the table does not have)."""
    if not info:
        return None
    messages = [info.get("exception_message")] if "exception_message" in info else [
        i.get("exception_message") for i in info.values() if isinstance(i, dict)]
    return "; ".join(dict.fromkeys(m for m in messages if m)) or None


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


def validate(suite: dict, db_path: str | Path, docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate ``suite['table']`` of the DuckDB file at ``db_path`` (opened read-only)."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    with duckdb.connect(str(db_path), read_only=True) as con:
        df = _read(con, suite["table"], suite)
        specs = [(e["type"], _resolve(e.get("kwargs", {}), con), e.get("meta", {})) for e in suite["expectations"]]

    ctx = _context(docs_dir)
    actions = [UpdateDataDocsAction(name="update_data_docs", site_names=[DOCS_SITE])] if docs_dir is not None else []
    source = ctx.data_sources.add_or_update_pandas("warehouse")
    asset_name = suite["table"].replace(".", "__")
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(name=asset_name)
    batch_def = next((b for b in asset.batch_definitions if b.name == "whole_table"), None) or asset.add_batch_definition_whole_dataframe("whole_table")
    impl = gx.expectations.registry.get_expectation_impl
    gx_suite = ctx.suites.add_or_update(
        gx.ExpectationSuite(name=suite["name"], expectations=[impl(t)(**kw, meta=meta) for t, kw, meta in specs])
    )
    vd = ctx.validation_definitions.add_or_update(
        gx.ValidationDefinition(data=batch_def, suite=gx_suite, name=f"{suite['name']}_validation")
    )
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_ROWS_REPORTED}
    if suite.get("provenance_columns"):
        result_format["unexpected_index_column_names"] = suite["provenance_columns"]
    checkpoint = ctx.checkpoints.add_or_update(
        gx.Checkpoint(name=f"{suite['name']}_checkpoint", validation_definitions=[vd], actions=actions, result_format=result_format)
    )
    started = time.time()
    result = checkpoint.run(batch_parameters={"dataframe": df})
    if docs_dir is not None:  # the pages this validation wrote, made readable offline
        from dagster_project.docs_site import make_offline

        make_offline(docs_dir, since=started - 1)
    failed, evaluated = [], 0
    for vr in result.run_results.values():
        for er in vr.results:
            evaluated += 1
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
                        "exception": _exception_message(er.exception_info),
                    }
                )
    failed = json.loads(json.dumps(failed, default=_jsonable))  # pandas NA/NaN → null/str
    return SuiteOutcome(suite=suite["name"], success=not failed, evaluated=evaluated, failed=failed, row_count=len(df))

"""Great Expectations on a table of any size, a batch of rows at a time (used by :mod:`dagster_project.quality.suites`).

* row by row expectations run on each batch of ``BATCH_ROWS`` rows (a table's: :func:`rowid_ranges`
  and :func:`rowid_batch`; a view's: :func:`batches`, one scan) and their results are merged into
  what GX reports on the whole table (:func:`merged`);
* uniqueness is decided by DuckDB (:func:`unique_result`), row counts by GX on an empty frame of
  that many rows; anything else that needs every row at once is refused (:func:`how`).
"""

from __future__ import annotations

import re

import duckdb

MAX_ROWS_REPORTED = 20
# expectations about the table's set of columns see every column
WHOLE_TABLE_EXPECTATIONS = re.compile(r"expect_table_column|expect_column_to_exist")
# rows per GX batch: fct_indicator_observation's suite then peaks at ~1.5 GB (x10: 2.9 M rows), in
# 16-19 s as in 1 M-row batches; today's tables fit in one
BATCH_ROWS = 500_000
# the validating connection's DuckDB memory (cached blocks of the scanned table, the duplicate search's
# hash table): beyond it DuckDB evicts blocks and spills to <database>.tmp
DUCKDB_MEMORY_LIMIT = "1GB"
# expectations about every row at once: duplicates are found in DuckDB (the kwarg naming the key)
ACROSS_ROWS = ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique")
ORDERED = ("expect_column_values_to_be_increasing", "expect_column_values_to_be_decreasing")  # across batch edges: unsupported


def frame(con: duckdb.DuckDBPyConnection, data, columns: list[str]):
    """An Arrow table of ``columns`` as a pandas DataFrame typed as DuckDB's ``.df()`` types it
    (nullable integers and booleans, ``str`` text …): the text columns converted from Arrow (~9x
    faster than ``.df()`` builds them), the others by ``.df()`` itself (through ``con``)."""
    import pandas as pd
    import pyarrow as pa

    text = [f.name for f in data.schema if f.type in (pa.string(), pa.large_string(), pa.string_view())]
    parts = [data.select(text).to_pandas()] if text else []
    if len(text) < len(columns):
        parts.append(con.from_arrow(data.drop_columns(text)).df())
    return pd.concat(parts, axis=1)[columns]


def quoted(columns: list[str], alias: str = "") -> str:
    """``"a", "b"`` (``t."a", t."b"`` with ``alias`` t): the names as SQL identifiers."""
    return ", ".join(f'{alias + "." if alias else ""}"' + c.replace('"', '""') + '"' for c in columns)


def batches(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], batch_rows: int):
    """``columns`` of ``table`` as DataFrames (:func:`frame`) of ``batch_rows`` rows each (the last
    one smaller), in table order, streamed from one scan: DuckDB's Arrow reader hands out record
    batches of at most 122,880 rows, gathered here into ``batch_rows`` rows without copying (Arrow
    slices); only one batch is converted at a time. An empty table gives one empty frame. (Used for
    a relation without a rowid, e.g. a view; a table's batches are :func:`rowid_ranges`.)"""
    import pyarrow as pa

    converter = con.cursor()  # the scan's connection holds its pending result
    reader = con.sql(f"select {quoted(columns)} from {table}").to_arrow_reader(batch_rows)
    pending, rows, yielded = [], 0, False
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        while rows >= batch_rows:
            data = pa.Table.from_batches(pending, schema=reader.schema)
            pending, rows, yielded = data.slice(batch_rows).to_batches(), rows - batch_rows, True
            yield frame(converter, data.slice(0, batch_rows), columns)
    if rows or not yielded:
        yield frame(converter, pa.Table.from_batches(pending, schema=reader.schema), columns)


def rowid_ranges(con: duckdb.DuckDBPyConnection, table: str, batch_rows: int) -> list[tuple[int, int]] | None:
    """The batches of ``table`` as ``[first, end)`` ranges of its ``rowid`` (the table order) of
    ``batch_rows`` each, which separate readers can each read (:func:`rowid_batch`); one empty range
    for an empty table; None when ``table`` is no base table (a view has no rowid)."""
    schema, _, name = table.rpartition(".")
    if not con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                       "and schema_name = ? and table_name = ?", [schema or "main", name]).fetchall()[0][0]:
        return None
    end = con.execute(f"select coalesce(max(rowid) + 1, 0) from {table}").fetchall()[0][0]
    return [(first, min(first + batch_rows, end)) for first in range(0, end, batch_rows)] or [(0, 0)]


def rowid_batch(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: tuple[int, int]):
    """The DataFrame (:func:`frame`) of ``columns`` of the rows of ``table`` whose rowid is in ``rows``
    (``[first, end)``), in table order: DuckDB reads that range only."""
    first, end = rows
    data = con.sql(f"select {quoted(columns)} from {table} where rowid >= {int(first)} and rowid < {int(end)}").to_arrow_table()
    return frame(con, data, columns)


def exception_message(info: dict | None) -> str | None:
    """GX's exception info: the expectation's own ``{exception_message, …}``, or one such per metric
    that could not be computed (e.g. a column the table does not have)."""
    if not info:
        return None
    messages = [info.get("exception_message")] if "exception_message" in info else [
        i.get("exception_message") for i in info.values() if isinstance(i, dict)]
    return "; ".join(dict.fromkeys(m for m in messages if m)) or None


def how(expectation) -> str:
    """How an expectation is validated: ``rows`` (GX on every batch), ``unique`` (duplicates found in
    DuckDB), ``count`` (GX on the streamed row count) or ``unsupported`` (needs every row at once)."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)

    kind = expectation.expectation_type
    if kind in ACROSS_ROWS:
        return "unique"
    if kind.startswith("expect_table_row_count_"):
        return "count"
    if WHOLE_TABLE_EXPECTATIONS.match(kind):  # the set of columns: every batch has every column
        return "rows"
    row_wise = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    return "rows" if isinstance(expectation, row_wise) and kind not in ORDERED else "unsupported"


def percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _set_counts(result: dict, element: int, missing: int, unexpected: int) -> None:
    """GX's counts and percentages of a map expectation's ``result``, for ``element`` rows."""
    result.update(element_count=element, unexpected_count=unexpected, unexpected_percent=percent(unexpected, element - missing))
    if "missing_count" in result:
        result.update(missing_count=missing, missing_percent=percent(missing, element))
    if "unexpected_percent_total" in result:
        result.update(unexpected_percent_total=percent(unexpected, element),
                      unexpected_percent_nonmissing=percent(unexpected, element - missing))


def _met(kwargs: dict, result: dict, successes: list[bool]) -> bool:
    """A map expectation is met when its share of expected values is at least ``mostly`` (1: none
    unexpected); any other when it is met on every batch."""
    if "unexpected_count" not in result:
        return all(successes)
    nonmissing = result["element_count"] - result.get("missing_count", 0)
    return nonmissing == 0 or (nonmissing - result["unexpected_count"]) / nonmissing >= kwargs.get("mostly", 1)


def merged(results: list):
    """One expectation's results on successive batches, as GX reports it on the whole table: counts
    summed, the first ``MAX_ROWS_REPORTED`` unexpected values and rows in table order (a batch's
    exception, e.g. a missing column, as reported on that batch)."""
    from collections import Counter

    from great_expectations.core import ExpectationValidationResult

    raised = next((r for r in results if exception_message(r.exception_info)), None)
    first = raised or results[0]
    result = dict(first.result or {})
    if raised is None and "unexpected_count" in result:
        total = lambda key: sum(r.result.get(key) or 0 for r in results)  # noqa: E731
        _set_counts(result, total("element_count"), total("missing_count"), total("unexpected_count"))
        for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
            if result.get(key) is not None:
                result[key] = [v for r in results for v in r.result.get(key) or []][:MAX_ROWS_REPORTED]
        if "partial_unexpected_counts" in result:  # as GX counts them, for the Data Docs
            try:
                counts = Counter(result["partial_unexpected_list"]).most_common(MAX_ROWS_REPORTED)
                result["partial_unexpected_counts"] = [{"value": v, "count": c} for v, c in sorted(counts, key=lambda x: (-x[1], x[0]))]
            except TypeError:
                pass
    success = False if raised else _met(first.expectation_config.kwargs, result, [r.success for r in results])
    return ExpectationValidationResult(success=success, expectation_config=first.expectation_config, result=result,
                                       exception_info=first.exception_info, meta=first.meta)


def _no_rows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]):
    return con.sql(f"select {quoted(columns)} from {table} limit 0").to_arrow_table()


def _duplicates(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], kwargs: dict) -> tuple[int, int, object]:
    """(rows whose key is duplicated, rows ignored, the rows GX needs to report the first
    ``MAX_ROWS_REPORTED`` of them) for a uniqueness expectation on ``table`` (a table: its ``rowid``
    is the table order), found by DuckDB (a hash aggregate, spilled to disk when it outgrows memory).
    The rows are the first duplicated ones in table order, then up to ``MAX_ROWS_REPORTED + 1`` rows
    of each of their keys, so that GX sees each of them duplicated. Ignored, as GX ignores them:
    nulls (one column), rows whose key columns are all null (``ignore_row_if``, default
    all_values_are_missing)."""
    keys = [quoted([k]) for k in kwargs.get("column_list") or [kwargs["column"]]]
    ignore = kwargs.get("ignore_row_if", "all_values_are_missing") if "column_list" in kwargs else "any_value_is_missing"
    present = [f"t.{k} is not null" for k in keys]
    keep = {"all_values_are_missing": " or ".join(present), "any_value_is_missing": " and ".join(present), "never": "true"}[ignore]
    key, on = ", ".join(f"t.{k}" for k in keys), " and ".join(f"t.{k} is not distinct from g.{k}" for k in keys)
    duplicated, ignored = con.execute(f"""
        select (select coalesce(sum(n), 0) from (select count(*) as n from {table} as t where ({keep}) group by {key} having n > 1)),
               (select count(*) from {table} as t where not ({keep}))""").fetchall()[0]
    if not duplicated:
        return 0, ignored, _no_rows(con, table, columns)
    rows = con.sql(f"""
        with duplicated as (select {key} from {table} as t where ({keep}) group by all having count(*) > 1),
        first_keys as (select distinct * from (
            select {key} from {table} as t semi join duplicated as g on {on} order by t.rowid limit {MAX_ROWS_REPORTED}))
        select {quoted(columns, 't')} from {table} as t semi join first_keys as g on {on}
        qualify row_number() over (partition by {key} order by t.rowid) <= {MAX_ROWS_REPORTED + 1}
        order by t.rowid""").to_arrow_table()
    return duplicated, ignored, rows


def unique_result(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], expectation, gx_on, row_count: int):
    """A uniqueness expectation's result on the whole table: GX's report of the rows
    :func:`_duplicates` found, with the whole table's counts. A key column the table does not have is
    reported by GX (as on the whole table); a row condition (pandas syntax) cannot be put in SQL."""
    kwargs = expectation.configuration.kwargs
    if set(kwargs.get("column_list") or [kwargs["column"]]) - set(columns) or kwargs.get("row_condition"):
        result = gx_on(frame(con, _no_rows(con, table, columns), columns), expectation)
        if not exception_message(result.exception_info):
            result.success, result.exception_info = False, {"raised_exception": True, "exception_message": (
                f"{expectation.expectation_type} with a row_condition is not supported on a table checked in row batches")}
        return result
    duplicated, ignored, rows = _duplicates(con, table, columns, kwargs)
    result = gx_on(frame(con, rows, columns), expectation)
    _set_counts(result.result, row_count, ignored, duplicated)
    result.success = _met(kwargs, result.result, [])
    return result

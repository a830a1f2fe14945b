"""quality.validate reads only the columns a suite needs, typed as DuckDB's .df() types them, in row
batches, and reports what GX reports on the whole table."""

import json
import math
import re

import duckdb
import pandas as pd
import pytest

from dagster_project.quality import suites as quality
from dagster_project.quality import batches as quality_batches

SUITE = {
    "name": "t", "table": "t", "provenance_columns": ["source_file", "source_location"],
    "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0, "max_value": 100}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["source_file", "year"]}},
        {"type": "expect_column_values_to_be_null", "kwargs": {
            "column": "value", "row_condition": 'flag == True and `edition` != year + 1 and kind == "year"', "condition_parser": "pandas"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"}},
    ],
}
TABLE = """create table t as select * from (values
    ('a.xlsx', 'E200', 62.39, 2020, 2021, true, 'year', 1.5::decimal(4, 1), date '2020-01-01', 'not read'),
    ('b.xlsx', 'E201', 6239.0, null, 2021, null, 'year', null, null, 'not read'),
    ('c.xlsx', 'E202', 5.0, 2021, 2021, true, 'year', 2.5, date '2021-01-01', 'not read')
) v(source_file, source_location, value, year, edition, flag, kind, amount, day, noise)"""


def test_suite_columns_are_those_the_expectations_and_provenance_name():
    columns = ["noise", "source_file", "year", "value", "edition", "flag", "kind", "source_location", "yearbook"]
    assert quality.suite_columns(SUITE, columns) == ["source_file", "year", "value", "edition", "flag", "kind", "source_location"]
    shape = {**SUITE, "expectations": [*SUITE["expectations"], {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["year"]}}]}
    assert quality.suite_columns(shape, columns) == columns  # about the set of columns: all of them
    count = {"name": "n", "table": "t", "expectations": [{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]}
    assert quality.suite_columns(count, columns) == columns


def test_batches_type_columns_as_duckdb_df(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(TABLE)
    suite = {**SUITE, "provenance_columns": [*SUITE["provenance_columns"], "amount", "day"]}
    with duckdb.connect(str(db), read_only=True) as con:
        columns = quality.suite_columns(suite, con.sql("select * from t limit 0").columns)
        frame = next(quality_batches.batches(con, "t", columns, 1000))
        expected = con.sql("select * exclude (noise) from t").df()
    assert list(frame.columns) == ["source_file", "source_location", "value", "year", "edition", "flag", "kind", "amount", "day"]
    pd.testing.assert_frame_equal(frame, expected)  # Int32 / boolean with NA, float decimals, datetime64 dates, str
    assert str(frame["year"].dtype) == "Int32" and str(frame["flag"].dtype) == "boolean"


def test_batches_are_gathered_to_the_batch_size_in_table_order(tmp_path):
    """DuckDB hands out Arrow batches of at most 122,880 rows: they are gathered into batch_rows."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table big as select range as i from range(300000)")
        con.execute("create table empty as select 1 as i where false")
    with duckdb.connect(str(db), read_only=True) as con:
        batches = list(quality_batches.batches(con, "big", ["i"], 200_000))
        assert [len(b) for b in batches] == [200_000, 100_000]
        assert batches[0]["i"].iloc[-1] == 199_999 and batches[1]["i"].iloc[0] == 200_000
        assert [len(b) for b in quality_batches.batches(con, "big", ["i"], 100_000)] == [100_000] * 3
        assert [len(b) for b in quality_batches.batches(con, "empty", ["i"], 10)] == [0]  # one empty frame


def test_failure_report_names_file_place_and_value_as_on_the_whole_table(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(TABLE)
    outcome = quality.validate(SUITE, db)
    assert (outcome.success, outcome.evaluated, outcome.row_count) == (False, 4, 3)
    failed = {f["expectation"] + " " + str(f["kwargs"].get("column")): f for f in outcome.failed}
    between = failed["expect_column_values_to_be_between value"]
    assert between["rows"] == [{"source_file": "b.xlsx", "source_location": "E201", "value": 6239.0}]
    null = failed["expect_column_values_to_be_null value"]  # row condition on flag, edition, year, kind
    assert null["rows"] == [{"source_file": "c.xlsx", "source_location": "E202", "value": 5.0}]
    missing = failed["expect_column_values_to_not_be_null no_such_column"]  # GX's own report of a missing column
    assert missing["exception"] == 'Error: The column "no_such_column" in BatchData does not exist.'
    assert "- expect_column_values_to_not_be_null {'column': 'no_such_column'}: error: Error: The column" in outcome.summary()
    assert "compound" not in " ".join(failed)


# A duplicate key pair (rows 1 and 5), a region not in the reference table (row 3), a null (row 4),
# an out-of-range value under a row condition (row 6), one row too many: with batches of 1, 2, 4 rows
# every failure spans batches. EXPECTED is what quality.validate reported on this table before it
# read in batches (GX on the whole table as one DataFrame, commit cb635e6).
PLANTED = """create table t as select * from (values
    ('a.xlsx', 'C5', '410900', 'yearbook', 62.4, 2019),
    ('a.xlsx', 'C6', '371700', 'yearbook', 58.1, 2019),
    ('a.xlsx', 'C7', '999999', 'yearbook', 40.0, 2019),
    ('b.html', 'line 3', null, 'bulletin_html', 1.0, 2020),
    ('a.xlsx', 'C5', '410900', 'yearbook', 62.4, 2019),
    ('b.html', 'line 4', '410900', 'bulletin_html', 101.0, 2020)
) v(source_file, source_location, region_code, source_kind, value, year)"""
PLANTED_SUITE = {
    "name": "planted", "table": "t", "provenance_columns": ["source_file", "source_location"],
    "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 5}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["source_file", "source_location", "year"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "region_code"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "region_code", "value_set": {"$query": "select region_code from regions"}}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "value", "min_value": 0, "max_value": 100,
                                                                  "row_condition": 'source_kind == "bulletin_html"', "condition_parser": "pandas"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "source_kind", "value_set": ["yearbook", "bulletin_html"]}},
    ],
}
C5 = {"source_file": "a.xlsx", "source_location": "C5", "year": 2019}
EXPECTED = [
    {"expectation": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 5},
     "unexpected_count": 6, "examples": [], "rows": [], "exception": None},
    {"expectation": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["source_file", "source_location", "year"]},
     "unexpected_count": 2, "examples": [C5, C5], "rows": [C5, C5], "exception": None},
    {"expectation": "expect_column_values_to_not_be_null", "kwargs": {"column": "region_code"},
     "unexpected_count": 1, "examples": [math.nan], "rows": [{"source_file": "b.html", "source_location": "line 3", "region_code": math.nan}],
     "exception": None},
    {"expectation": "expect_column_values_to_be_in_set", "kwargs": {"column": "region_code", "value_set": ["410900", "371700"]},
     "unexpected_count": 1, "examples": ["999999"], "rows": [{"source_file": "a.xlsx", "source_location": "C7", "region_code": "999999"}],
     "exception": None},
    {"expectation": "expect_column_values_to_be_between", "kwargs": {
        "column": "value", "row_condition": {"pass_through_filter": 'source_kind == "bulletin_html"', "type": "pass_through"},
        "condition_parser": "pandas", "min_value": 0.0, "max_value": 100.0},
     "unexpected_count": 1, "examples": [101.0], "rows": [{"source_file": "b.html", "source_location": "line 4", "value": 101.0}],
     "exception": None},
]


def _planted(tmp_path, table: str = PLANTED):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table regions as select * from (values ('410900'), ('371700')) v(region_code)")
        con.execute(table)
    return db


@pytest.mark.parametrize("batch_rows", [1, 2, 4, quality.BATCH_ROWS])
def test_planted_failures_are_reported_as_on_the_whole_table_whatever_the_batches(tmp_path, batch_rows):
    outcome = quality.validate(PLANTED_SUITE, _planted(tmp_path), batch_rows=batch_rows)
    assert (outcome.success, outcome.evaluated, outcome.row_count) == (False, 6, 6)
    assert json.dumps(outcome.failed) == json.dumps(EXPECTED)  # (NaN, the null region, compares equal as JSON text)


def test_duplicates_reported_first_in_table_order_with_the_count_of_every_duplicated_row(tmp_path, monkeypatch):
    """Keys k1, k2, k3 each twice (rows 1-3 and 6-8), k4 once: 6 duplicated rows; with 2 rows reported,
    the first two in table order, although their duplicates come after rows that are reported."""
    monkeypatch.setattr(quality, "MAX_ROWS_REPORTED", 2)
    table = """create table t as select * from (values
        ('k1', 'A1'), ('k2', 'A2'), ('k3', 'A3'), ('k4', 'A4'), (null, 'A5'), ('k1', 'A6'), ('k2', 'A7'), ('k3', 'A8'), (null, 'A9')
    ) v(key, source_location)"""
    suite = {"name": "d", "table": "t", "provenance_columns": ["source_location"],
             "expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "key"}}]}
    outcome = quality.validate(suite, _planted(tmp_path, table), batch_rows=2)
    [failed] = outcome.failed
    assert failed["unexpected_count"] == 6  # the two nulls are not values (GX ignores them)
    assert failed["examples"] == ["k1", "k2"]
    assert failed["rows"] == [{"source_location": "A1", "key": "k1"}, {"source_location": "A2", "key": "k2"}]


def test_what_cannot_be_checked_in_batches_fails_with_a_reason(tmp_path):
    suite = {"name": "u", "table": "t", "expectations": [
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "value", "max_value": 1000}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["source_file", "year"], "row_condition": "year > 2019",
                                                                   "condition_parser": "pandas"}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ]}
    db = _planted(tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("create table empty as from t where false")
    outcome = quality.validate(suite, db)
    assert [f["exception"] for f in outcome.failed] == [
        "expect_column_max_to_be_between needs every row at once, which quality.validate does not support "
        "(it reads a table in batches of 500,000 rows)",
        "expect_compound_columns_to_be_unique with a row_condition is not supported on a table checked in row batches",
    ]
    empty = quality.validate({**suite, "table": "empty"}, db)
    assert empty.row_count == 0 and empty.failed[-1]["unexpected_count"] == 0  # the row count: GX's observed value


def test_data_docs_hold_one_validation_of_the_whole_table(tmp_path):
    docs = tmp_path / "data_docs"
    outcome = quality.validate(PLANTED_SUITE, _planted(tmp_path), docs_dir=docs, batch_rows=4)
    assert not outcome.success
    [stored] = (tmp_path / "gx").rglob("validations/planted/**/*.json")
    result = json.loads(stored.read_text())
    assert result["meta"]["row_batches"] == {"rows": 6, "batches": 2, "rows_per_batch": 4,
                                             "duplicates_found_by_duckdb": ["expect_compound_columns_to_be_unique"]}
    assert result["statistics"] == {"evaluated_expectations": 6, "successful_expectations": 1, "unsuccessful_expectations": 5,
                                    "success_percent": 100 / 6}
    in_set = result["results"][3]["result"]
    assert (in_set["element_count"], in_set["missing_count"], in_set["unexpected_count"]) == (6, 1, 1)
    pages = list(docs.rglob("validations/planted/**/*.html"))
    assert len(pages) == 1 and "999999" in pages[0].read_text() and "cdn" not in (docs / "index.html").read_text().lower()


def test_each_suite_keeps_its_latest_results_and_their_pages(tmp_path, monkeypatch):
    """Three validations with two kept: the oldest result and its Data Docs page are gone, the
    index lists the two latest; another suite's results are not touched."""
    monkeypatch.setattr(quality, "RESULTS_KEPT", 2)
    docs, db = tmp_path / "data_docs", _planted(tmp_path)
    other = {**PLANTED_SUITE, "name": "other"}
    quality.validate(other, db, docs_dir=docs)
    for _ in range(3):
        quality.validate(PLANTED_SUITE, db, docs_dir=docs)
    results = sorted((tmp_path / "gx").rglob("validations/planted/**/*.json"))
    pages = sorted(docs.rglob("validations/planted/**/*.html"))
    assert len(results) == 2 and len(pages) == 2
    runs = [r.parent.name for r in results]  # .../validations/planted/__none__/<run time>/<batch>.json
    assert [p.parent.name for p in pages] == runs  # the pages of the same two runs
    validations_dir = tmp_path / "gx" / "uncommitted" / "validations" / "planted" / "__none__"
    assert sorted(p.name for p in validations_dir.iterdir()) == runs  # (no empty folder of the removed one)
    linked = re.findall(r"validations/planted/__none__/([\w.]+)/", (docs / "index.html").read_text())
    assert sorted(set(linked)) == runs
    assert len(list((tmp_path / "gx").rglob("validations/other/**/*.json"))) == 1


def test_rowid_ranges_cover_a_table_in_order_and_not_a_view(tmp_path):
    """Batches as rowid ranges: every row once, in table order, also after deletes (a range may then
    hold fewer rows); one empty range for an empty table; a view has no rowid."""
    db = tmp_path / "r.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table t as select range as i from range(10)")
        con.execute("delete from t where i in (2, 3, 7)")
        con.execute("create table empty as from t where false")
        con.execute("create view v as from t")
        assert quality_batches.rowid_ranges(con, "t", 4) == [(0, 4), (4, 8), (8, 10)]
        frames = [quality_batches.rowid_batch(con, "t", ["i"], r) for r in quality_batches.rowid_ranges(con, "t", 4)]
        assert [f["i"].tolist() for f in frames] == [[0, 1], [4, 5, 6], [8, 9]]
        assert quality_batches.rowid_ranges(con, "empty", 4) == [(0, 0)]
        assert len(quality_batches.rowid_batch(con, "empty", ["i"], (0, 0))) == 0
        assert quality_batches.rowid_ranges(con, "v", 4) is None

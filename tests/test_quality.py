"""quality.validate reads only the columns a suite needs, typed as DuckDB's .df() types them."""

import duckdb
import pandas as pd

from dagster_project import quality

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


def test_read_types_columns_as_duckdb_df(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(TABLE)
    suite = {**SUITE, "provenance_columns": [*SUITE["provenance_columns"], "amount", "day"]}
    with duckdb.connect(str(db), read_only=True) as con:
        frame = quality._read(con, "t", suite)
        expected = con.sql("select * exclude (noise) from t").df()
    assert list(frame.columns) == ["source_file", "source_location", "value", "year", "edition", "flag", "kind", "amount", "day"]
    pd.testing.assert_frame_equal(frame, expected)  # Int32 / boolean with NA, float decimals, datetime64 dates, str
    assert str(frame["year"].dtype) == "Int32" and str(frame["flag"].dtype) == "boolean"


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

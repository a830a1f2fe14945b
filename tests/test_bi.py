"""BI tools: connect exactly as Superset does (SQLAlchemy + duckdb-engine, the read-only URL of the
README, a new connection per query) and run every example query the README documents under
"BI tools (Superset)", against the small warehouse `urban run` builds (tests/small_warehouse.py)."""

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from dagster_project.common.warehouse import published_run_id
from small_warehouse import small_warehouse

README = Path(__file__).resolve().parents[1] / "README.md"


def documented():
    """(uri template, example queries) from the README's BI section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## BI tools (Superset)", 1)[1].split("\n## ", 1)[0]
    uri = re.search(r"^duckdb:///.*$", section, re.M).group(0)
    return uri, re.findall(r"```sql\n(.*?)```", section, re.S)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    wh = small_warehouse(tmp_path_factory)
    assert wh.code == 0, wh.stdout[-3000:]
    template, _ = documented()
    uri = template.replace("/<absolute path to the clone>/warehouse/indicators.duckdb", str(wh.path))
    assert uri == f"duckdb:///{wh.path}?access_mode=read_only"
    engine = sa.create_engine(uri, poolclass=NullPool)  # Superset's default pool: a connection per query
    yield engine, wh
    engine.dispose()


def run(engine, query):
    with engine.connect() as con:
        return [dict(r._mapping) for r in con.execute(sa.text(query))]


def test_readme_documents_three_example_queries():
    assert len(documented()[1]) == 3


def column_types(engine, table):
    """Column -> DuckDB type of a query's result, as Superset types a SQL (virtual) dataset. (Its physical
    datasets use inspector.get_columns, which duckdb-engine 0.17 answers under Superset's SQLAlchemy 1.4,
    not under the 2.1 of this project: DuckDB has no pg_catalog.pg_collation.)"""
    with engine.connect() as con:
        return {d[0]: str(d[1]) for d in con.exec_driver_sql(f"select * from {table} limit 0").cursor.description}


def test_superset_sees_schemas_tables_and_temporal_columns(engine):
    engine, wh = engine
    inspector = sa.inspect(engine)
    schema = f"{wh.path.stem}.marts"  # duckdb-engine names schemas with their catalog, the file's name
    assert schema in inspector.get_schema_names()
    assert {"mart_city_comparison", "mart_target_progress", "dim_region"} <= set(inspector.get_table_names(schema=schema))
    types = column_types(engine, "marts.mart_city_comparison")
    assert (types["period"], types["year"]) == ("DATE", "INTEGER")
    types = column_types(engine, "marts.mart_target_progress")
    assert (types["target_period"], types["status_reason_zh"]) == ("DATE", "VARCHAR")


def test_the_connection_is_read_only(engine):
    engine, _ = engine
    with pytest.raises(sa.exc.DBAPIError, match="read-only"):
        run(engine, "create table marts.scratch as select 1 as x")


def test_example_query_urbanization_over_time(engine):
    engine, _ = engine
    rows = run(engine, documented()[1][0])
    targets = {(r["region_name"], r["period"]): r["value"] for r in rows if r["value_kind"] == "target"}
    # 常住人口城镇化率 targets printed in the plans' indicator tables (专栏1)
    assert targets == {
        ("濮阳市", dt.date(2025, 1, 1)): 60.0, ("濮阳市", dt.date(2035, 1, 1)): 72.0,
        ("菏泽市", dt.date(2025, 1, 1)): 57.0, ("菏泽市", dt.date(2035, 1, 1)): 70.0,
    }
    assert all(isinstance(r["period"], dt.date) and r["canonical_unit"] == "%" for r in rows)
    assert [(r["region_name"], r["value_kind"], r["period"]) for r in rows] == sorted(
        (r["region_name"], r["value_kind"], r["period"]) for r in rows)


def test_example_query_reasons_in_chinese(engine):
    engine, _ = engine
    rows = run(engine, documented()[1][1])
    assert {r["region_name"] for r in rows} == {"濮阳市", "菏泽市"}
    assert all(r["status_reason_zh"] and not re.search(r"[a-z]+_[a-z]+", r["status_reason_zh"]) for r in rows)
    # 濮阳 prints its 2025 urbanization target (60 %) in 专栏1 and in a sentence; the bulletin facts give
    # 54.44 % for 2025 (raw/bulletins/bulletin_facts.csv), so the target year is reached and missed
    puyang_2025 = [r for r in rows if r["region_name"] == "濮阳市" and r["indicator_label"] == "常住人口城镇化率"
                   and r["target_period"] == dt.date(2025, 1, 1)]
    assert [r["status"] for r in puyang_2025] == ["target_missed"] * 2
    assert all("目标年 2025 已到：最新实际值 54.44（2025 年）未满足 = 60（差距 -5.56" in r["status_reason_zh"] for r in puyang_2025)


def test_example_query_freshness(engine):
    engine, wh = engine
    [row] = run(engine, documented()[1][2])
    assert row["run_id"] == published_run_id(wh.path) and isinstance(row["published_at"], dt.datetime)

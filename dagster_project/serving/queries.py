"""Every read the dashboard and the reports make from the published warehouse.

The plan group (``fct_plan_target.group_label``: the table's 类别/领域) and the binding flag
(``is_binding``: 属性 约束性/预期性) are read only when :func:`columns` finds them (an older
warehouse lacks them); otherwise they come back as null and the pages say so.
"""

from __future__ import annotations

import duckdb

# name on the pages -> column of marts.fct_plan_target
OPTIONAL_TARGET_COLUMNS = {"plan_group": "group_label", "is_binding": "is_binding"}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }


def published(con: duckdb.DuckDBPyConnection) -> dict:
    """meta.published: which run the warehouse is and when it was published."""
    found = rows(con, "select run_id, published_at from meta.published")
    if not found:
        raise ValueError("meta.published is empty: the warehouse was never published")
    return found[0]


def target_progress(con: duckdb.DuckDBPyConnection) -> tuple[list[dict], set[str]]:
    """mart_target_progress with the region's name, its city (the prefecture a county target
    belongs to), the indicator's name, the projection and 预警 of mart_target_projection and, when
    present, the plan group and binding flag of fct_plan_target; plus the optional columns found."""
    found = columns(con, "marts", "fct_plan_target")
    present = {name for name, col in OPTIONAL_TARGET_COLUMNS.items() if col in found}
    optional = ", ".join(
        f"t.{col} as {name}" if name in present else f"cast(null as {'boolean' if name == 'is_binding' else 'varchar'}) as {name}"
        for name, col in OPTIONAL_TARGET_COLUMNS.items()
    )
    sql = f"""
        select p.*, r.region_name, r.level as region_level, c.region_code as city_code, c.region_name as city_name,
               i.name_zh as indicator_name_zh, {optional},
               j.projected_value, j.projection_meets, j.is_warning, j.warning_level, j.warning_level_zh
        from marts.mart_target_progress p
        join marts.mart_target_projection j on j.target_id = p.target_id
        join marts.dim_region r on r.region_code = p.region_code
        join marts.dim_region c on c.region_code = coalesce(r.prefecture_code, r.region_code)
        left join marts.dim_indicator i on i.indicator_code = p.indicator_code
        left join marts.fct_plan_target t on t.target_id = p.target_id
        order by c.region_code, p.region_code, case p.source_kind when 'table' then 0 when 'action_table' then 1 else 2 end,
                 p.table_ref, p.line_number, p.indicator_label, p.target_year
    """
    return rows(con, sql), present


def final_evaluation(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """marts.mart_target_final_evaluation (the 十四五 final evaluation of every target whose year has
    passed) with the city each target belongs to, in the order of the plan."""
    return rows(
        con,
        """
        select f.*, coalesce(r.prefecture_code, r.region_code) as city_code
        from marts.mart_target_final_evaluation f
        join marts.dim_region r on r.region_code = f.region_code
        order by city_code, f.plan_id, case f.source_kind when 'table' then 0 when 'action_table' then 1 else 2 end,
                 f.table_ref, f.line_number, f.indicator_label, f.target_year, f.region_code
        """,
    )


def final_evaluation_summary(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """marts.mart_final_evaluation_summary: the counts per plan, per plan × 类别, per plan × binding flag."""
    return rows(
        con,
        """
        select * from marts.mart_final_evaluation_summary
        order by plan_id, case grouping_kind when 'plan' then 0 when 'binding' then 1 else 2 end, group_value
        """,
    )


def actual_series(con: duckdb.DuckDBPyConnection, region_codes: list[str]) -> list[dict]:
    """The actuals the progress assessment reads (marts.fct_indicator_actual: observed, or derived
    from observations) for the given regions."""
    return rows(
        con,
        """
        select region_code, indicator_code, scope_group, year, value, canonical_unit,
               derivation, source_kind, source_file
        from marts.fct_indicator_actual
        where list_contains(?, region_code)
        order by region_code, indicator_code, scope_group, year
        """,
        [region_codes],
    )


def city_comparison(con: duckdb.DuckDBPyConnection) -> dict:
    """marts.mart_city_comparison (long: region × harmonized indicator × year × value kind) as a
    table with one column per plan city and province (the counties a plan names stay in the mart):
    ``{"regions": [{code, name}], "rows": [{harmonized_code, harmonized_name_zh, year, value_kind,
    comparability, unit, cells: {region_code: {comparator, value}}}]}``. The unit is the concept's
    (or, for a concept that is no catalogue indicator, the first row's)."""
    found = rows(
        con,
        """
        select c.region_code, c.region_name, c.harmonized_code, c.harmonized_name_zh, c.year, c.value_kind,
               c.comparability, c.comparator, c.value, coalesce(h.canonical_unit, c.canonical_unit) as unit
        from marts.mart_city_comparison c
        left join marts.dim_indicator h on h.indicator_code = c.harmonized_code
        where c.region_level <> 'county'
        order by c.harmonized_code, c.year, c.value_kind, c.province_code, c.region_code
        """,
    )
    regions = {r["region_code"]: r["region_name"] for r in sorted(found, key=lambda r: (r["region_code"][:2], r["region_code"]))}
    table: dict[tuple, dict] = {}
    for r in found:
        key = (r["harmonized_code"], r["year"], r["value_kind"])
        row = table.setdefault(key, {k: r[k] for k in ("harmonized_code", "harmonized_name_zh", "year", "value_kind",
                                                        "comparability", "unit")} | {"cells": {}})
        row["cells"][r["region_code"]] = {"comparator": r["comparator"], "value": r["value"]}
    return {"regions": [{"code": c, "name": n} for c, n in regions.items()], "rows": list(table.values())}


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Quarantined rows per loader asset (empty list: nothing quarantined)."""
    return rows(con, "select asset, count(*) as n from marts.fct_quarantine group by asset order by asset")


def load_summary(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """source_file -> its latest load (asset, sha256, loaded_at, rows)."""
    found = rows(
        con,
        """
        select source_file, asset, source_sha256, loaded_at, rows_loaded, rows_quarantined
        from marts.mart_load_summary
        qualify row_number() over (partition by source_file order by loaded_at desc, asset) = 1
        """,
    )
    return {r["source_file"]: r for r in found}

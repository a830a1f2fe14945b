"""A city's rank among its province's prefecture cities, per indicator and year.

The one query that ranks; swap ``RANK_SQL`` for a read of a ranking mart when one exists.
Source: the preferred whole-city actuals (``fct_indicator_observation``, preferred, scope 全市
or n.a., one value per city × indicator × year by source precedence), cities of level
``prefecture`` from ``dim_region``. Better ranks first by the indicator's direction (higher or
lower is better); a neutral indicator is ranked by value, largest first.
"""

from __future__ import annotations

import duckdb

from dagster_project.serving.queries import rows

RANK_SQL = """
with city_values as (
    select o.region_code, r.province_code, o.indicator_code, o.year, o.value_normalized as value,
           coalesce(i.direction, 'neutral') as direction
    from marts.fct_indicator_observation o
    join marts.dim_region r on r.region_code = o.region_code and r.level = 'prefecture'
    left join marts.dim_indicator i on i.indicator_code = o.indicator_code
    where o.preferred and o.scope in ('全市', 'n.a.') and o.indicator_code is not null and o.value_normalized is not null
    qualify row_number() over (
        partition by o.region_code, o.indicator_code, o.year
        order by o.source_precedence nulls last, case when o.scope = 'n.a.' then 0 else 1 end, o.observation_id
    ) = 1
),
ranked as (
    select *,
           rank() over (partition by province_code, indicator_code, year
                        order by case when direction = 'lower' then value else -value end) as rank,
           count(*) over (partition by province_code, indicator_code, year) as n_cities
    from city_values
)
select region_code, indicator_code, year, value, direction, rank, n_cities
from ranked
where list_contains(?, region_code)
order by region_code, indicator_code, year
"""


def province_ranks(con: duckdb.DuckDBPyConnection, region_codes: list[str]) -> dict[tuple[str, str], list[dict]]:
    """(region_code, indicator_code) -> the city's rank in every year, oldest first."""
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows(con, RANK_SQL, [region_codes]):
        out.setdefault((r["region_code"], r["indicator_code"]), []).append(r)
    return out

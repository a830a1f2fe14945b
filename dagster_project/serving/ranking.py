"""A city's rank among its province's prefecture cities, per indicator and year, as the ranking
mart computes it (marts.mart_city_ranking: the whole-city actuals, observed or derived and plausible,
ranked within the province; rank 1 = best by the indicator's direction, a neutral indicator by
value, largest first; n_cities is the ranked population)."""

from __future__ import annotations

import duckdb

from dagster_project.serving.queries import rows

RANK_SQL = """
select region_code, indicator_code, year, value, direction, rank_in_province as rank,
       n_ranked_in_province as n_cities, rank_order
from marts.mart_city_ranking
where list_contains(?, region_code)
order by region_code, indicator_code, year
"""


def province_ranks(con: duckdb.DuckDBPyConnection, region_codes: list[str]) -> dict[tuple[str, str], list[dict]]:
    """(region_code, indicator_code) -> the city's rank in every year, oldest first."""
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows(con, RANK_SQL, [region_codes]):
        out.setdefault((r["region_code"], r["indicator_code"]), []).append(r)
    return out

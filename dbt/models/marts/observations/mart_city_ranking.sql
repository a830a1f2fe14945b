-- Every prefecture-level city ranked on each indicator per year, nationally and within its
-- province. Ranked: the whole-city actual (scope group whole_region) of int_indicator_actuals_described
-- - the preferred plausible observation or a plausible derived value, the
-- same values as fct_indicator_actual. Rank 1 is the best by the indicator's direction (higher is
-- better: the highest value; lower is better: the lowest); a neutral indicator (population, area) is
-- ranked by value, largest first, and rank_order says so. Ties share a rank. n_ranked_* is the
-- ranked population: the cities with a value that year, nationally and in the province.
with city_actuals as (
    select
        *,
        case when direction = 'lower' then value_normalized else -value_normalized end as sort_key
    from {{ ref('int_indicator_actuals_described') }}
    where region_level = 'prefecture'
      and scope_group = 'whole_region'
)

select
    md5(region_code || '|' || indicator_code || '|' || year)                    as ranking_id,
    region_code,
    region_name,
    province_code,
    province_name,
    indicator_code,
    indicator_name_zh,
    harmonized_code,
    canonical_unit,
    direction,
    case direction
        when 'higher' then 'higher is better: rank 1 = highest value'
        when 'lower' then 'lower is better: rank 1 = lowest value'
        else 'neutral: ranked by value, rank 1 = highest value'
    end                                                                          as rank_order,
    year,
    make_date(year, 1, 1)                                                        as period,
    value_normalized                                                             as value,
    derivation,
    source_kind,
    rank() over (partition by indicator_code, year order by sort_key)           as rank_national,
    count(*) over (partition by indicator_code, year)                           as n_ranked_national,
    rank() over (partition by province_code, indicator_code, year order by sort_key) as rank_in_province,
    count(*) over (partition by province_code, indicator_code, year)            as n_ranked_in_province
from city_actuals

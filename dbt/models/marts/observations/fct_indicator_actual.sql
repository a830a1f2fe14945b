-- The actual value of every region × indicator × year × scope group, tidy: the preferred plausible
-- observation, or the value derived from two of them (城镇化率, 城乡居民收入比, 每千人医师, R&D 强度;
-- int_indicator_actuals_described), with the region's names and province, the indicator's name, unit
-- and direction, and the change since the previous year with a value.
select
    actual_id,
    region_code,
    region_name,
    region_level,
    province_code,
    province_name,
    prefecture_code,
    indicator_code,
    indicator_name_zh,
    harmonized_code,
    canonical_unit,
    direction,
    year,
    make_date(year, 1, 1)                                    as period,
    scope_group,
    value_normalized                                         as value,
    case when derivation = 'observed' then 'observed' else 'derived' end as value_source,
    derivation,
    source_kind,
    source_file,
    source_location,
    observation_id,
    stated_value,
    reconciliation_status,
    lag(year) over series                                    as previous_year,
    lag(value_normalized) over series                        as previous_value,
    (value_normalized - lag(value_normalized) over series) / (year - lag(year) over series) as change_per_year
from {{ ref('int_indicator_actuals_described') }}
window series as (partition by region_code, indicator_code, scope_group order by year)

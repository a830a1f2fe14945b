-- The actual value of every region × indicator × year × scope group, tidy: the preferred plausible
-- observation, or the value derived from two of them (城镇化率, 城乡居民收入比, 每千人医师, R&D 强度;
-- int_indicator_actuals_derived, value_basis observation), with the region's names and province, the
-- indicator's name, unit and direction, and the change since the previous year with a value.
with actuals as (
    select *
    from {{ ref('int_indicator_actuals_derived') }}
    where value_basis = 'observation'
)

select
    a.actual_id,
    a.region_code,
    r.region_name,
    r.level                                                  as region_level,
    r.province_code,
    r.province_name,
    r.prefecture_code,
    a.indicator_code,
    i.name_zh                                                as indicator_name_zh,
    i.harmonized_code,
    a.canonical_unit,
    i.direction,
    a.year,
    make_date(a.year, 1, 1)                                  as period,
    a.scope_group,
    a.value_normalized                                       as value,
    case when a.derivation = 'observed' then 'observed' else 'derived' end as value_source,
    a.derivation,
    a.source_kind,
    a.source_file,
    a.source_location,
    a.observation_id,
    a.stated_value,
    a.reconciliation_status,
    lag(a.year) over series                                  as previous_year,
    lag(a.value_normalized) over series                      as previous_value,
    (a.value_normalized - lag(a.value_normalized) over series) / (a.year - lag(a.year) over series) as change_per_year
from actuals as a
join {{ ref('int_regions_resolved') }} as r on r.region_code = a.region_code
join {{ ref('stg_reference__indicators') }} as i on i.indicator_code = a.indicator_code
window series as (partition by a.region_code, a.indicator_code, a.scope_group order by a.year)

-- The actuals (int_indicator_actuals_derived, value_basis observation: the preferred plausible
-- observation or a plausible derived value) with the region's names, level and province and the
-- indicator's name, concept and direction: the one place the published actuals are chosen and
-- described, read by fct_indicator_actual, mart_city_ranking, mart_city_comparison and dim_indicator.
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
    a.scope_group,
    a.value_normalized,
    a.derivation,
    a.source_kind,
    a.source_file,
    a.source_location,
    a.observation_id,
    a.stated_value,
    a.reconciliation_status
from {{ ref('int_indicator_actuals_derived') }} as a
join {{ ref('int_regions_resolved') }} as r on r.region_code = a.region_code
join {{ ref('int_indicators_listed') }} as i on i.indicator_code = a.indicator_code  -- catalogue and plan-defined (data-call values)
where a.value_basis = 'observation'

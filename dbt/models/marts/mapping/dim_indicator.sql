-- The indicator catalogue (ref indicators) plus the plan-defined indicators (a printed target label
-- the catalogue does not map: is_plan_defined, defined_by_plan_id; int_indicators_listed), and what
-- the warehouse holds for each indicator: the name
-- of its harmonized concept, how it is derived where no source prints it (ref derivations), and
-- its coverage - regions and years with an actual (observed or derived), plan targets printed.
with catalogue as (
    select * from {{ ref('int_indicators_listed') }}
),

actuals as (
    select
        indicator_code,
        count(distinct region_code) as n_regions_with_actuals,
        min(year)                   as first_actual_year,
        max(year)                   as last_actual_year
    from {{ ref('int_indicator_actuals_described') }}
    group by indicator_code
),

targets as (
    select indicator_code, count(*) as n_plan_targets
    from {{ ref('int_plan_targets_checked') }}
    where plausibility_issue is null and target_kind = 'target' and indicator_code is not null
    group by indicator_code
)

select
    c.indicator_code,
    c.name_zh,
    c.name_en,
    c.canonical_unit,
    c.direction,
    c.theme,
    c.harmonized_code,
    h.name_zh                                              as harmonized_name_zh,
    c.description,
    case when d.indicator_code is not null then {{ derivation_formula('d') }} end as derived_from,
    coalesce(a.n_regions_with_actuals, 0)                  as n_regions_with_actuals,
    a.first_actual_year,
    a.last_actual_year,
    coalesce(t.n_plan_targets, 0)                          as n_plan_targets,
    c.is_plan_defined,
    c.defined_by_plan_id,
    c.defined_for_region_code
from catalogue as c
left join catalogue as h on h.indicator_code = c.harmonized_code
left join {{ ref('stg_reference__derivations') }} as d on d.indicator_code = c.indicator_code
left join actuals as a on a.indicator_code = c.indicator_code
left join targets as t on t.indicator_code = c.indicator_code

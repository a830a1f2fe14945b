-- Every indicator a value or target can carry: the catalogue (ref indicators; the one way to equate
-- labels across plans and sources, through harmonized_code) and the plan-defined indicators of
-- int_plan_indicators_defined (a printed target label the catalogue does not map; its own concept,
-- never equated). dim_indicator publishes it; the progress assessment reads names and directions here.
select
    indicator_code,
    name_zh,
    name_en,
    canonical_unit,
    direction,
    theme,
    harmonized_code,
    description,
    false                  as is_plan_defined,
    cast(null as varchar)  as defined_by_plan_id,
    cast(null as varchar)  as defined_for_region_code
from {{ ref('stg_reference__indicators') }}

union all

select
    indicator_code,
    name_zh,
    cast(null as varchar)  as name_en,
    canonical_unit,
    direction,
    'plan-defined'         as theme,
    indicator_code         as harmonized_code,
    description,
    true                   as is_plan_defined,
    defined_by_plan_id,
    region_code            as defined_for_region_code
from {{ ref('int_plan_indicators_defined') }}

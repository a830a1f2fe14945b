-- 1:1 with raw.ref_plausibility_rules: rename and cast only.
select
    nullif(indicator_code, '')                  as indicator_code,
    nullif(canonical_unit, '')                  as canonical_unit,
    cast(nullif(min_value, '') as double)       as min_value,
    cast(nullif(max_value, '') as double)       as max_value,
    cast(nullif(max_jump_factor, '') as double) as max_jump_factor,
    cast(nullif(max_year_gap, '') as integer)   as max_year_gap,
    cast(nullif(column_outlier_share, '') as double) as column_outlier_share,
    cast(nullif(column_min_values, '') as integer)   as column_min_values,
    why
from {{ source('reference', 'ref_plausibility_rules') }}

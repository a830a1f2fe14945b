-- The plausibility rule that applies to each value, keyed by rule_key: a catalogue indicator's own
-- row of ref plausibility_rules if it has one, else the row of its canonical unit (whole rows, never
-- mixed); plus every unit row on its own ('unit:<canonical_unit>') for values without an indicator
-- code (unmapped plan targets).
with rules as (
    select * from {{ ref('stg_reference__plausibility_rules') }}
),

per_indicator as (
    select
        i.indicator_code                                          as rule_key,
        i.indicator_code,
        i.canonical_unit,
        coalesce(r.indicator_code, 'unit ' || r.canonical_unit)   as rule_name,
        r.min_value, r.max_value, r.max_jump_factor, r.max_year_gap,
        r.column_outlier_share, r.column_min_values, r.why
    from {{ ref('stg_reference__indicators') }} as i
    join rules as r
        on r.indicator_code = i.indicator_code
        or (r.indicator_code is null and r.canonical_unit = i.canonical_unit)
    qualify row_number() over (partition by i.indicator_code order by r.indicator_code nulls last) = 1
),

per_unit as (
    select
        'unit:' || canonical_unit      as rule_key,
        cast(null as varchar)          as indicator_code,
        canonical_unit,
        'unit ' || canonical_unit      as rule_name,
        min_value, max_value, max_jump_factor, max_year_gap,
        column_outlier_share, column_min_values, why
    from rules
    where indicator_code is null
)

select * from per_indicator
union all
select * from per_unit

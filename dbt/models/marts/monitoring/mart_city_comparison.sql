-- The plan regions side by side, long: one row per region × harmonized indicator × year × value kind
-- (baseline and target as printed in a plan, actual = the whole-region actual of
-- int_indicator_actuals_described). A region is here when a plan prints a target for it, or when it is
-- the province of such a region; the harmonized concepts are those any plan prints a value for.
-- Each row keeps its own catalogue indicator and match type: per region one indicator of the
-- concept (the indicator that is the concept first, then exact label matches). comparability says
-- 'related_indicator' when the rows of a harmonized indicator × year × value kind are not all the
-- concept's own indicator matched exactly - never silently equated.
with indicators as (
    select indicator_code, harmonized_code, name_zh, canonical_unit from {{ ref('stg_reference__indicators') }}
),

printed as (
    select *
    from {{ ref('int_plan_targets_checked') }}
    where plausibility_issue is null
),

regions as (
    select r.region_code, r.region_name, r.level, r.province_code
    from {{ ref('int_regions_resolved') }} as r
    where r.region_code in (select region_code from printed where target_kind = 'target')
       or r.region_code in (
           select p.province_code
           from {{ ref('int_regions_resolved') }} as p
           join printed as t on t.region_code = p.region_code and t.target_kind = 'target'
       )
),

concepts as (
    select distinct i.harmonized_code
    from printed as t
    join indicators as i on i.indicator_code = t.indicator_code
),

plan_values as (
    select
        region_code,
        indicator_code,
        year,
        target_kind                                            as value_kind,
        value_normalized                                       as value,
        comparator,
        match_type,
        is_cumulative,
        period_start,
        period_end,
        source_kind || coalesce(' ' || table_ref, '') || ', line ' || line_number as source
    from printed
    where is_usable
    -- one value per kind: the indicator table first, then action tables, then prose
    qualify row_number() over (
        partition by region_code, indicator_code, year, target_kind
        order by case source_kind when 'table' then 0 when 'action_table' then 1 else 2 end, line_number
    ) = 1
),

actual_values as (
    select
        region_code,
        indicator_code,
        year,
        'actual'                                               as value_kind,
        value_normalized                                       as value,
        '='                                                    as comparator,
        'exact'                                                as match_type,
        false                                                  as is_cumulative,
        cast(null as integer)                                  as period_start,
        cast(null as integer)                                  as period_end,
        derivation || ' — ' || source_kind                     as source
    from {{ ref('int_indicator_actuals_described') }}
    where scope_group = 'whole_region'
),

picked as (
    select v.*, i.harmonized_code, i.canonical_unit, i.name_zh as indicator_name_zh
    from (select * from plan_values union all select * from actual_values) as v
    join regions as r on r.region_code = v.region_code
    join indicators as i on i.indicator_code = v.indicator_code
    join concepts as c on c.harmonized_code = i.harmonized_code
    qualify row_number() over (
        partition by v.region_code, i.harmonized_code, v.year, v.value_kind
        order by case when v.indicator_code = i.harmonized_code then 0 else 1 end,
                 case when v.match_type = 'exact' then 0 else 1 end,
                 v.indicator_code
    ) = 1
),

compared as (
    select
        *,
        case
            when min(indicator_code) over kind_group = harmonized_code
             and max(indicator_code) over kind_group = harmonized_code
             and bool_and(match_type = 'exact') over kind_group
                then 'same_indicator'
            else 'related_indicator'
        end as comparability
    from picked
    window kind_group as (partition by harmonized_code, year, value_kind)
)

select
    md5(c.region_code || '|' || c.harmonized_code || '|' || c.year || '|' || c.value_kind) as comparison_id,
    c.region_code,
    r.region_name,
    r.level                                                    as region_level,
    r.province_code,
    c.harmonized_code,
    h.name_zh                                                  as harmonized_name_zh,
    c.indicator_code,
    c.indicator_name_zh,
    c.match_type,
    c.comparability,
    c.year,
    make_date(c.year, 1, 1)                                    as period,  -- a date for BI tools' time axes
    c.value_kind,
    c.comparator,
    c.value,
    c.canonical_unit,
    c.is_cumulative,
    c.period_start,
    c.period_end,
    c.source
from compared as c
join regions as r on r.region_code = c.region_code
left join indicators as h on h.indicator_code = c.harmonized_code

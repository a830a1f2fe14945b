-- 濮阳 (410900) and 菏泽 (371700) side by side with their provinces 河南省 (410000) and
-- 山东省 (370000): one row per harmonized indicator × year × value kind (target, baseline,
-- actual). Each side keeps its own indicator code and match type; when the two cities'
-- indicators are not the same catalogue indicator (or a label is only 'related' to it) the row
-- says comparability = 'related_indicator' — never silently equated.
with indicators as (
    select indicator_code, harmonized_code, name_zh from {{ ref('dim_indicator') }}
),

regions as (
    select * from (values
        ('410900', 'puyang'), ('371700', 'heze'), ('410000', 'henan'), ('370000', 'shandong')
    ) as r(region_code, side)
),

plan_values as (
    select
        t.region_code,
        t.indicator_code,
        t.year,
        t.target_kind as value_kind,
        t.value_normalized as value,
        t.comparator,
        t.match_type,
        t.source_kind || coalesce(' ' || t.table_ref, '') as source,
        count(*) over (partition by t.region_code, t.indicator_code, t.year, t.target_kind) as n_printed
    from {{ ref('fct_plan_target') }} t
    where t.indicator_code is not null
      and not t.is_missing
      and t.value_normalized is not null
    -- one value per kind: the indicator table first, then action tables, then prose
    qualify row_number() over (
        partition by t.region_code, t.indicator_code, t.year, t.target_kind
        order by case t.source_kind when 'table' then 0 when 'action_table' then 1 else 2 end, t.line_number
    ) = 1
),

actual_values as (
    select
        region_code,
        indicator_code,
        year,
        'actual' as value_kind,
        value_normalized as value,
        '=' as comparator,
        'exact' as match_type,
        derivation || ' — ' || source_kind as source,
        1 as n_printed
    from {{ ref('int_indicator_actuals_derived') }}
    where value_basis = 'observation'
      and scope_group = 'whole_region'
),

all_values as (
    select v.*, r.side, i.harmonized_code
    from (select * from plan_values union all select * from actual_values) v
    join regions r on r.region_code = v.region_code
    join indicators i on i.indicator_code = v.indicator_code
    where i.harmonized_code in (
        -- harmonized concepts that appear in at least one of the two plans
        select i2.harmonized_code
        from {{ ref('fct_plan_target') }} t2
        join indicators i2 on i2.indicator_code = t2.indicator_code
        where t2.region_code in ('410900', '371700')
    )
),

-- per side one indicator of the harmonized concept: the catalogue indicator that *is* the
-- concept first, then exact label matches
picked as (
    select *
    from all_values
    qualify row_number() over (
        partition by harmonized_code, year, value_kind, side
        order by case when indicator_code = harmonized_code then 0 else 1 end,
                 case when match_type = 'exact' then 0 else 1 end,
                 indicator_code
    ) = 1
),

wide as (
    select
        harmonized_code,
        year,
        value_kind,
        max(case when side = 'puyang' then indicator_code end) as puyang_indicator_code,
        max(case when side = 'puyang' then match_type end) as puyang_match_type,
        max(case when side = 'puyang' then comparator end) as puyang_comparator,
        max(case when side = 'puyang' then value end) as puyang_value,
        max(case when side = 'puyang' then source end) as puyang_source,
        max(case when side = 'heze' then indicator_code end) as heze_indicator_code,
        max(case when side = 'heze' then match_type end) as heze_match_type,
        max(case when side = 'heze' then comparator end) as heze_comparator,
        max(case when side = 'heze' then value end) as heze_value,
        max(case when side = 'heze' then source end) as heze_source,
        max(case when side = 'henan' then indicator_code end) as henan_indicator_code,
        max(case when side = 'henan' then value end) as henan_value,
        max(case when side = 'shandong' then indicator_code end) as shandong_indicator_code,
        max(case when side = 'shandong' then value end) as shandong_value
    from picked
    group by all
)

select
    md5(w.harmonized_code || '|' || w.year || '|' || w.value_kind) as comparison_id,
    w.harmonized_code,
    i.name_zh as harmonized_name_zh,
    w.year,
    w.value_kind,
    case
        when w.puyang_value is not null and w.heze_value is not null then 'both_cities'
        when w.puyang_value is not null then 'puyang_only'
        when w.heze_value is not null then 'heze_only'
        else 'provinces_only'
    end as coverage,
    case
        when coalesce(w.puyang_match_type, 'exact') <> 'exact' or coalesce(w.heze_match_type, 'exact') <> 'exact'
            then 'related_indicator'
        when w.puyang_indicator_code is not null and w.heze_indicator_code is not null
             and w.puyang_indicator_code <> w.heze_indicator_code
            then 'related_indicator'
        when coalesce(w.puyang_indicator_code, w.heze_indicator_code, w.harmonized_code) <> w.harmonized_code
            then 'related_indicator'
        else 'same_indicator'
    end as comparability,
    w.puyang_indicator_code,
    w.puyang_match_type,
    w.puyang_comparator,
    w.puyang_value,
    w.puyang_source,
    w.heze_indicator_code,
    w.heze_match_type,
    w.heze_comparator,
    w.heze_value,
    w.heze_source,
    w.henan_indicator_code,
    w.henan_value,
    w.shandong_indicator_code,
    w.shandong_value
from wide w
left join indicators i on i.indicator_code = w.harmonized_code

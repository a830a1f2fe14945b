-- Every observed value of every source in one shape, with its unit normalized to the
-- catalogue's canonical unit (indicator-specific unit rows first) and a ranked `preferred`
-- flag: for the same region × indicator × year × scope the source with the best precedence
-- (ref source_precedence) wins, later loads/editions break ties. Nothing is dropped.
with unioned as (
    select * from {{ ref('stg_yearbooks__observations') }}
    union all by name
    select * from {{ ref('stg_census__observations') }}
    union all by name
    select * from {{ ref('stg_bulletins__html_observations') }}
    union all by name
    select * from {{ ref('stg_bulletins__facts') }}
    union all by name
    select * from {{ ref('stg_plans__stated_values') }}
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

normalized as (
    select
        u.*,
        coalesce(specific.canonical_unit, generic.canonical_unit)  as canonical_unit,
        coalesce(specific.multiplier, generic.multiplier)          as unit_multiplier,
        u.value * coalesce(specific.multiplier, generic.multiplier) as value_normalized,
        -- whole-city figures of bulletins and census (scope n.a.) compete with the yearbook's 全市
        case when u.scope = '市辖区' then '市辖区' else '全市' end as scope_group
    from unioned as u
    left join units as specific
        on specific.unit_key = u.unit_key and specific.indicator_code = u.indicator_code
    left join units as generic
        on generic.unit_key = u.unit_key and generic.indicator_code is null
)

select
    md5(concat_ws('|', n.source_kind, n.source_file, n.source_location, n.indicator_label_raw, n.year)) as observation_id,
    n.*,
    p.precedence                                                                                     as source_precedence,
    n.indicator_code is not null and n.value_normalized is not null
        and row_number() over (
            partition by n.region_code, n.indicator_code, n.year, n.scope_group
            order by p.precedence nulls last, n.edition desc nulls last, n.loaded_at desc, n.source_location
        ) = 1                                                                                        as preferred,
    count(*) over (partition by n.region_code, n.indicator_code, n.year, n.scope_group)             as n_sources_for_key
from normalized as n
left join {{ ref('stg_reference__source_precedence') }} as p using (source_kind)

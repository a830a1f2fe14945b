-- Every observed value of every source in one shape, with its unit normalized to the
-- catalogue's canonical unit (indicator-specific unit rows first), its scope group and the
-- precedence of its source kind (ref source_precedence). Nothing is dropped; the plausibility
-- rules and the `preferred` flag come next, in int_observations_checked.
{%- set sources = [
    ('stg_yearbooks__observations', 'raw/yearbook_observations'),
    ('stg_census__observations', 'raw/census_observations'),
    ('stg_bulletins__html_observations', 'raw/bulletin_observations'),
    ('stg_bulletins__facts', 'raw/bulletin_facts'),
    ('stg_plans__stated_values', 'raw/plan_stated_values'),
] %}
-- loader_asset: the Dagster asset that landed the row (for the load summary)
with unioned as (
    {%- for model, asset in sources %}
    select *, '{{ asset }}' as loader_asset from {{ ref(model) }}
    {%- if not loop.last %}
    union all by name{% endif %}
    {%- endfor %}
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
    p.precedence as source_precedence
from normalized as n
left join {{ ref('stg_reference__source_precedence') }} as p using (source_kind)

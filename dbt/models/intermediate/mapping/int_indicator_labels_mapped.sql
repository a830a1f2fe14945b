-- The one step where a printed label becomes a catalogue indicator: every label any source printed
-- (label scope × normalized label × normalized unit × scope) with the row of the one label map,
-- raw/reference/indicator_label_map.csv, that matches it. int_observations_normalized and
-- int_plan_targets_normalized take indicator_code, match_type and an assumed unit from here.
--   * label: the row's label_key equals the printed one; a leading 全市 (whole city) is not part of a
--     label (全市农村居民人均可支配收入 is 农村居民人均可支配收入) unless a row names it with 全市
--   * unit: a row naming a unit matches that printed unit only; a row without one matches any unit,
--     except that a row assuming a unit (assumed_unit: the source prints none) matches only where
--     none is printed
--   * scope: a row naming a scope (全市 / 市辖区) matches that scope only
--   * the most specific row wins: the label as printed before the label without 全市, a row with a
--     unit before one without, with a scope before one without
-- A label no row matches is listed with indicator_code null and match_type 'none': the curation list
-- (one more row in the label map maps it, in every source and every mart).
{%- set printed = [
    ('stg_yearbooks__observations', 'indicator_label_raw', 'scope'),
    ('stg_census__observations', 'indicator_label_raw', 'scope'),
    ('stg_bulletins__html_observations', 'indicator_label_raw', 'scope'),
    ('stg_bulletins__facts', 'indicator_label_raw', 'scope'),
    ('stg_plans__stated_values', 'indicator_label_raw', 'scope'),
    ('stg_plans__indicator_cells', 'indicator_label', "'n.a.'"),
    ('stg_plans__prose_targets', 'subject', "'n.a.'"),
] %}
with printed as (
    {%- for model, label, scope in printed %}
    select label_scope, label_key, unit_key, {{ scope }} as scope, {{ label }} as label_printed, '{{ model }}' as printed_in
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

labels as (
    select
        label_scope, label_key, unit_key, scope,
        min(label_printed)                                          as label_printed_example,
        string_agg(distinct printed_in, ', ' order by printed_in)  as printed_in
    from printed
    group by all
),

candidates as (
    select
        p.*,
        m.indicator_code,
        m.match_type,
        m.assumed_unit,
        m.assumed_unit_key,
        m.population_basis,
        row_number() over (
            partition by p.label_scope, p.label_key, p.unit_key, p.scope
            order by m.label_key = p.label_key desc, m.unit_key <> '' desc, m.scope is not null desc
        ) as specificity_rank
    from labels as p
    left join {{ ref('stg_reference__indicator_label_map') }} as m
        on m.source_scope = p.label_scope
        and (m.label_key = p.label_key or m.label_key = regexp_replace(p.label_key, '^全市', ''))
        and (m.unit_key = p.unit_key or (m.unit_key = '' and (m.assumed_unit_key is null or p.unit_key = '')))
        and (m.scope is null or m.scope = p.scope)
)

select
    label_scope,
    label_key,
    unit_key,
    scope,
    indicator_code,
    coalesce(match_type, 'none')  as match_type,
    assumed_unit,
    assumed_unit_key,
    population_basis,
    label_printed_example,
    printed_in
from candidates
where specificity_rank = 1

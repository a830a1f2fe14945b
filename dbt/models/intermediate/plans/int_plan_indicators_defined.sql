-- Plan-defined indicators: one row per code int_plan_targets_normalized gave a printed label the
-- catalogue does not map (match_type 'plan_defined'), so that every target has an indicator that
-- can receive actuals (a data-call return carries the code). Never equated with another plan's or
-- region's indicator: its harmonized_code is its own code.
--   * name_zh: the label as printed (the first by sort order when it is printed several ways)
--   * canonical_unit: the unit printed with the target, normalized (one per code by construction)
--   * direction from the plan's own words, per target: the comparator (≥ > → higher, ≤ < → lower),
--     else the extractor's direction hint (降至 …), else the verbs of ref plan_direction_verbs found in
--     the clause (达到/提高 … → higher, 控制在/降低 … → lower) when they all point one way, else
--     neutral; targets of one code that disagree → neutral
--   * defined_by_plan_id: the plan printing it (the first by plan_id when several plans of the region do)
with targets as (
    select * from {{ ref('int_plan_targets_normalized') }}
    where match_type = 'plan_defined'
),

verbs as (
    select * from {{ ref('stg_reference__plan_direction_verbs') }}
),

verb_directions as (
    select t.target_id, min(v.direction) as verb_direction, count(distinct v.direction) as n_directions
    from targets as t
    join verbs as v on position(v.verb in coalesce(t.cell_text, '')) > 0
    group by t.target_id
),

per_target as (
    select
        t.*,
        case
            when t.comparator in ('≥', '>') then 'higher'
            when t.comparator in ('≤', '<') then 'lower'
            when t.direction_hint in ('higher', 'lower') then t.direction_hint
            when vd.n_directions = 1 then vd.verb_direction
            else 'neutral'
        end as target_direction
    from targets as t
    left join verb_directions as vd on vd.target_id = t.target_id
)

select
    indicator_code,
    min(indicator_label)                                                 as name_zh,
    any_value(label_key)                                                 as label_key,
    any_value(region_code)                                               as region_code,
    min(plan_id)                                                         as defined_by_plan_id,
    any_value(canonical_unit)                                            as canonical_unit,
    case when count(distinct target_direction) = 1 then any_value(target_direction) else 'neutral' end as direction,
    'plan-defined: printed in ' || min(source_file) || ', line ' || arg_min(line_number, source_file || lpad(cast(line_number as varchar), 8, '0'))
        || ': ' || arg_min(cell_text, source_file || lpad(cast(line_number as varchar), 8, '0'))   as description,
    count(*) filter (where target_kind = 'target')                       as n_targets_printed
from per_target
group by indicator_code

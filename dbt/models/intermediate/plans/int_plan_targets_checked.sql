-- Row-level range gate on the plans' baselines and targets, before the marts: the rule of ref
-- plausibility_rules (via int_plausibility_rules_resolved) for the row's indicator, or for its
-- canonical unit for a plan-defined indicator (a label the catalogue does not map). A value, or the upper bound of a range target,
-- outside [min_value, max_value] gets a plausibility_issue: fct_plan_target leaves the row out and
-- fct_quarantine lists it with file, line and cell. Targets are not compared with other years (a
-- target may jump). A reviewed row of ref plausibility_exceptions (region × indicator × year ×
-- file) lets a value through.
with targets as (
    select * from {{ ref('int_plan_targets_normalized') }}
),

judged as (
    select
        t.*,
        coalesce(
            {{ plausibility_range_issue('t.value_normalized', 't.canonical_unit', 'r') }},
            {{ plausibility_range_issue('t.value_high_normalized', 't.canonical_unit', 'r') }}
        )                                                          as found_issue,
        'reviewed by ' || e.reviewed_by || ': ' || e.reason        as review
    from targets as t
    left join {{ ref('int_plausibility_rules_resolved') }} as r
        on r.rule_key = case when t.match_type = 'plan_defined' then 'unit:' || t.canonical_unit
                             else coalesce(t.indicator_code, 'unit:' || t.canonical_unit) end
        and r.canonical_unit = t.canonical_unit
    left join {{ ref('stg_reference__plausibility_exceptions') }} as e
        on e.region_code = t.region_code and e.indicator_code = t.indicator_code
        and e.year = t.year and e.source_file = t.source_file
)

select
    judged.* exclude (found_issue, review),
    case when review is null then found_issue end                                   as plausibility_issue,
    case when review is not null and found_issue is not null
         then 'excused: ' || found_issue || ' - ' || review end                     as plausibility_exception,
    -- a plausible printed number of a catalogue indicator: what derivations, progress and conflicts use
    (review is not null or found_issue is null) and not is_missing
        and value_normalized is not null and indicator_code is not null             as is_usable
from judged

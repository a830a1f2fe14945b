-- The values departments reported in data-call returns (stg_datacalls__returns), each matched to the plan
-- target its row asked about (int_plan_targets_checked, by target_id), as the plan defines it NOW:
--   * target_canonical_unit / target_unit_multiplier: the value was typed in the unit the template printed
--     (the plan's unit for the target), so it is normalized exactly as the target itself is.
--   * datacall_issue: the row was written from a stale template - its target no longer exists, or its
--     target value, year or indicator changed since the template was issued. Such a value is not used
--     (int_observations_checked) and is listed in fct_quarantine with its cell; the other rows stand.
with targets as (
    select target_id, indicator_code, year, value_original, canonical_unit, unit_multiplier
    from {{ ref('int_plan_targets_checked') }}
)

select
    r.*,
    t.canonical_unit                                                                   as target_canonical_unit,
    t.unit_multiplier                                                                  as target_unit_multiplier,
    case
        when t.target_id is null then
            'stale template: its target (target_id ' || left(r.target_id, 8) || ') no longer exists in the plan '
            || '(the plan''s targets changed since the template was issued, plan_digest ' || r.plan_digest
            || '); fill in a fresh template'
        when r.template_target_value is distinct from t.value_original
             and abs(coalesce(r.template_target_value, 0) - coalesce(t.value_original, 0)) > 1e-9 * greatest(1, abs(coalesce(t.value_original, 0)))
        then
            'stale template: the target changed since the template was issued (目标值 '
            || coalesce({{ fmt_number('r.template_target_value') }}, 'none') || ' in the template, '
            || coalesce({{ fmt_number('t.value_original') }}, 'none') || ' in the plan now); fill in a fresh template'
        when r.indicator_code is distinct from t.indicator_code then
            'stale template: the target''s indicator changed since the template was issued ('
            || coalesce(r.indicator_code, 'none') || ' in the template, ' || coalesce(t.indicator_code, 'none') || ' now)'
    end                                                                                as datacall_issue
from {{ ref('stg_datacalls__returns') }} as r
left join targets as t using (target_id)

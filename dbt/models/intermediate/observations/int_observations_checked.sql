-- Row-level plausibility gate on observed values, before the marts (rules: ref plausibility_rules
-- via int_plausibility_rules_resolved; an indicator's own row wins over its unit's row).
-- Every row of int_observations_normalized, plus
--   * plausibility_issue - why the value must not be used as an actual (null = plausible). Such rows
--     are left out of fct_indicator_observation and listed in fct_quarantine with file, location,
--     rule and verbatim text. Only mapped values are judged: an unmapped column has no known bounds.
--       range:  value_normalized below min_value or above max_value.
--       jump:   the value is compared with its references - the other sources' values for the same
--               region × indicator × year × scope group, and every value of the two nearest other
--               years on each side of the same series, at most max_year_gap years away. It is the
--               outlier when it differs by more than max_jump_factor (larger / smaller) from every
--               one of at least two references, or from its only reference when that is a
--               better-ranked source for the same key. A value that agrees with any reference
--               stands: the neighbours of a misprint agree with each other and are not quarantined
--               with it, and a real level shift is supported by the years on its side. Zero only
--               agrees with zero; zero against a positive value is not compared.
--       column: a printed column (file × indicator × scope × year) with at least column_min_values
--               values, more than column_outlier_share of them out of range or jumping, is
--               implausible as a whole (a garbled or shifted column): all its values are
--               quarantined and none serves as a reference. The jump rule is then applied again
--               without them, so good values are not judged against a garbled column.
--     A data-call value (department_report) whose template is stale (datacall_issue,
--     int_department_reports_matched) gets that issue instead and is never used. A plan-defined indicator
--     (no catalogue row) is judged by its unit's rule, as its plan targets are (int_plan_targets_checked).
--   * plausibility_exception - a reviewed row of ref plausibility_exceptions (region × indicator ×
--     year × file) lets a value through despite its rule; the excused issue and the review are kept.
--   * preferred - among the plausible values of the same region × indicator × year × scope group,
--     a stated (or revised) value before a previous-year value derived from a printed change (any
--     source's stated value outranks a derived one), then the source with the best precedence (ref
--     source_precedence); later editions and loads break ties. n_sources_for_key counts the plausible values of the key.
-- the rule key of a value: its indicator's own (catalogue indicators); else its unit's, which is how a
-- plan-defined indicator (no catalogue row, no rule of its own) is judged, like its plan targets
with observations as (
    select
        o.*,
        case when o.indicator_code is null then null
             when k.rule_key is not null then o.indicator_code
             else 'unit:' || o.canonical_unit end                                           as rule_key
    from {{ ref('int_observations_normalized') }} as o
    left join (select distinct rule_key from {{ ref('int_plausibility_rules_resolved') }}) as k
        on k.rule_key = o.indicator_code
),

exceptions as (
    select *, 'reviewed by ' || reviewed_by || ': ' || reason as review
    from {{ ref('stg_reference__plausibility_exceptions') }}
),

ranged as (
    select
        o.*,
        r.rule_name,
        r.why                                                                                   as rule_why,
        r.max_jump_factor,
        r.max_year_gap,
        r.column_outlier_share,
        r.column_min_values,
        {{ plausibility_range_issue('o.value_normalized', 'o.canonical_unit', 'r') }}           as range_issue,
        e.review
    from observations as o
    left join {{ ref('int_plausibility_rules_resolved') }} as r
        on r.rule_key = o.rule_key and r.canonical_unit = o.canonical_unit
    left join exceptions as e
        on e.region_code = o.region_code and e.indicator_code = o.indicator_code
        and e.year = o.year and e.source_file = o.source_file
),

-- values that are judged by the jump rule and may serve as references
points as (
    select *
    from ranged
    where indicator_code is not null and value_normalized is not null and datacall_issue is null
      and (range_issue is null or review is not null)
),

first_pass as (
    {{ jump_outliers('points') }}
),

columns_judged as (
    select
        r.source_file, r.indicator_code, r.scope, r.year,
        count(*)                                                                                as n_values,
        count(*) filter (where r.review is null and (r.range_issue is not null or f.observation_id is not null))
                                                                                                as n_implausible,
        any_value(r.indicator_label_raw)                                                        as label,
        any_value(r.column_outlier_share)                                                       as column_outlier_share,
        any_value(r.column_min_values)                                                          as column_min_values
    from ranged as r
    left join first_pass as f using (observation_id)
    where r.rule_name is not null and r.value_normalized is not null
    group by all
),

implausible_columns as (
    select *
    from columns_judged
    where n_values >= column_min_values and n_implausible > column_outlier_share * n_values
),

clean_points as (
    select p.*
    from points as p
    anti join implausible_columns as c
        on c.source_file = p.source_file and c.indicator_code = p.indicator_code
        and c.scope = p.scope and c.year = p.year
),

outliers as (
    {{ jump_outliers('clean_points') }}
),

judged as (
    select
        r.* exclude (rule_name, rule_why, max_jump_factor, max_year_gap, column_outlier_share, column_min_values, range_issue, review, rule_key),
        coalesce(
            r.range_issue,
            case when c.source_file is not null then
                'column: ' || {{ fmt_number('r.value_normalized') }} || ' ' || r.canonical_unit
                || ' is in a printed column (' || c.label || ', ' || r.scope || ', ' || r.year || ') of which '
                || c.n_implausible || ' of ' || c.n_values || ' values are out of range or jump from their neighbours,'
                || ' more than the share ' || {{ fmt_number('c.column_outlier_share') }}
                || ': the column is implausible as a whole'
            end,
            case when o.observation_id is not null then
                'jump: ' || {{ fmt_number('r.value_normalized') }} || ' ' || r.canonical_unit
                || ' differs more than ' || {{ fmt_number('r.max_jump_factor') }} || 'x from '
                || case when o.n_references = 1 then 'the only reference' else 'all ' || o.n_references || ' references' end
                || ' (closest: ' || {{ fmt_number('o.closest_value') }} || ' for ' || o.closest_year
                || ', ' || printf('%.1f', o.min_ratio) || 'x, ' || o.closest_source || ')'
            end
        ) || case when r.range_issue is null then ' (plausibility_rules.csv, ' || r.rule_name || ': ' || r.rule_why || ')' else '' end
                                                                                                as found_issue,
        r.review
    from ranged as r
    left join implausible_columns as c
        on c.source_file = r.source_file and c.indicator_code = r.indicator_code
        and c.scope = r.scope and c.year = r.year and r.value_normalized is not null
    left join outliers as o using (observation_id)
),

checked as (
    select
        judged.* exclude (found_issue, review),
        coalesce(datacall_issue, case when review is null then found_issue end)                as plausibility_issue,
        case when review is not null and found_issue is not null
             then 'excused: ' || found_issue || ' - ' || review end                            as plausibility_exception,
        indicator_code is not null and value_normalized is not null and datacall_issue is null
            and (review is not null or found_issue is null)                                    as usable
    from judged
)

-- indicator_key: the catalogue code, or one key per unmapped printed column (int_observations_normalized),
-- so the values of different unmapped columns are never counted as sources of one key. Both windows
-- partition by the key alone, so one sort serves both (usable values first: the first row of a key is
-- the preferred one when it is usable)
select
    checked.* exclude (usable),
    usable and row_number() over (
        partition by region_code, indicator_key, year, scope_group
        order by usable desc, derivation = 'derived_from_change', source_precedence nulls last, edition desc nulls last,
                 loaded_at desc, source_location
    ) = 1                                                                                      as preferred,
    count(*) filter (where plausibility_issue is null) over (
        partition by region_code, indicator_key, year, scope_group
    )                                                                                          as n_sources_for_key
from checked

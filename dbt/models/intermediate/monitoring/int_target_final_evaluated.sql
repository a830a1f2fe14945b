-- The 十四五 final evaluation (总结评估) of every target whose year has passed: target_year at or
-- before the evaluation year, the latest complete year - the year before today's
-- (current_date; dbt var final_evaluation_year overrides it, for a re-run of a past evaluation).
-- One class per target (ref final_evaluation_classes gives the Chinese and English labels):
--   * achieved: the target is met (target_met of int_target_progress_computed: comparator, else
--     direction) by the actual of the target year - or by the cumulative sum of every year of a [ ]
--     period; a cumulative sum that already meets a ≥ / > / higher-is-better target counts before the
--     period is complete (annual additions only add)
--   * not_achieved: the actual of the target year (every year of a cumulative period) is at hand and
--     does not meet the target
--   * not_assessable: anything else - no comparable target value, no actual of the target year (a
--     target met in an earlier year is not assessed on that year), a year of the period missing
-- gap = compared value − target (canonical unit; negative = short of a higher-is-better target),
-- gap_relative = gap / |target|, only for assessed targets.
with thresholds as (
    select cast(coalesce(
        {{ var('final_evaluation_year', 'null') }},
        year(current_date) - 1
    ) as integer) as evaluation_year
),

progress as (
    select p.*, th.evaluation_year
    from {{ ref('int_target_progress_computed') }} as p
    cross join thresholds as th
    where p.target_year <= th.evaluation_year
),

observed as (
    select
        *,
        case
            when is_cumulative then cumulative_missing_years is null and cumulative_last_year >= period_end
            else coalesce(latest_actual_year >= target_year, false)
        end as target_year_observed_final,
        is_cumulative and target_met
            and (comparator in ('≥', '>') or (comparator = '=' and direction = 'higher')) as cumulative_met_early
    from progress
),

classified as (
    select
        *,
        case
            when target_value is null or compared_value is null then 'not_assessable'
            when target_met and (target_year_observed_final or cumulative_met_early) then 'achieved'
            when target_year_observed_final and not target_met then 'not_achieved'
            else 'not_assessable'
        end as evaluation_class
    from observed
)

select
    target_id,
    plan_id,
    region_code,
    indicator_code,
    indicator_label,
    target_year,
    evaluation_year,
    comparator,
    direction,
    target_value,
    target_value_high,
    canonical_unit,
    is_cumulative,
    period_start,
    period_end,
    compared_value                                                    as actual_value,
    case when is_cumulative then cumulative_last_year else latest_actual_year end as actual_year,
    latest_actual_source,
    status                                                            as progress_status,
    evaluation_class,
    case when evaluation_class <> 'not_assessable' then compared_value - target_value end                     as gap_to_target,
    case when evaluation_class <> 'not_assessable' then (compared_value - target_value) / nullif(abs(target_value), 0) end as gap_relative,
    case
        when evaluation_class = 'achieved' and is_cumulative then
            'cumulative actual ' || round(compared_value, 4) || ' over ' || period_start || '–' || cumulative_last_year
            || ' satisfies ' || comparator || ' ' || round(target_value, 4)
        when evaluation_class = 'achieved' then
            'actual ' || round(compared_value, 4) || ' (' || latest_actual_year || ') satisfies ' || comparator || ' ' || round(target_value, 4)
        when evaluation_class = 'not_achieved' then
            'actual ' || round(compared_value, 4) || ' (' || coalesce(cumulative_last_year, latest_actual_year) || ') does not satisfy '
            || comparator || ' ' || round(target_value, 4) || ' (gap ' || round(compared_value - target_value, 4) || ')'
        when target_value is null then 'no comparable target value: ' || status_reason
        when target_met then
            'met by the actual of ' || latest_actual_year || ', but no actual of the target year ' || target_year || ' is at hand'
        when is_cumulative and cumulative_missing_years is not null then
            'annual actuals for ' || cumulative_missing_years || ' missing: the sum over ' || period_start || '–' || period_end || ' is incomplete'
        when is_cumulative and cumulative_actual_sum is not null then
            'annual actuals up to ' || cumulative_last_year || ' only: the sum over ' || period_start || '–' || period_end || ' is incomplete'
        when is_cumulative then 'no annual actual in ' || period_start || '–' || period_end
        when latest_actual_year is not null then
            'latest actual is of ' || latest_actual_year || ': no actual of the target year ' || target_year
        else 'no actual of ' || coalesce(indicator_code, indicator_label) || ' in ' || region_code || ' up to ' || target_year
    end                                                               as evaluation_reason,
    -- the same branches in Chinese
    case
        when evaluation_class = 'achieved' and is_cumulative then
            period_start || '–' || cumulative_last_year || ' 年累计实际值 ' || {{ fmt_number('round(compared_value, 4)') }}
            || ' 满足 ' || comparator || ' ' || {{ fmt_number('round(target_value, 4)') }}
        when evaluation_class = 'achieved' then
            '实际值 ' || {{ fmt_number('round(compared_value, 4)') }} || '（' || latest_actual_year || ' 年）满足 '
            || comparator || ' ' || {{ fmt_number('round(target_value, 4)') }}
        when evaluation_class = 'not_achieved' then
            '实际值 ' || {{ fmt_number('round(compared_value, 4)') }} || '（' || coalesce(cumulative_last_year, latest_actual_year)
            || ' 年）未满足 ' || comparator || ' ' || {{ fmt_number('round(target_value, 4)') }}
            || '（差距 ' || {{ fmt_number('round(compared_value - target_value, 4)') }} || '）'
        when target_value is null then '目标没有可比的数值'
        when target_met then latest_actual_year || ' 年实际值已满足目标，但缺目标年 ' || target_year || ' 年的实际值'
        when is_cumulative and cumulative_missing_years is not null then
            '缺 ' || cumulative_missing_years || ' 年的年度实际值：' || period_start || '–' || period_end || ' 年累计不完整'
        when is_cumulative and cumulative_actual_sum is not null then
            '年度实际值只到 ' || cumulative_last_year || ' 年：' || period_start || '–' || period_end || ' 年累计不完整'
        when is_cumulative then period_start || '–' || period_end || ' 年没有年度实际值'
        when latest_actual_year is not null then
            '最新实际值为 ' || latest_actual_year || ' 年：缺目标年 ' || target_year || ' 年的实际值'
        else '截至 ' || target_year || ' 年没有实际值'
    end                                                               as evaluation_reason_zh
from classified

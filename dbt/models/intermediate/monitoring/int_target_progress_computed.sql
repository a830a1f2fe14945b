-- Progress status of every printed target, after the UN SDG progress-assessment method:
--   achieved first (the latest actual — or the cumulative sum — satisfies the target with its
--   comparator: = reads as ≥ for higher-is-better, ≤ for lower-is-better, ≈ within tolerance);
--   method 'cagr': CR = CAGR_actual / CAGR_required with
--     CAGR_actual   = (x_t / x_b)^(1/(t − b)) − 1,  CAGR_required = (T / x_b)^(1/(T_year − b)) − 1;
--   method 'arithmetic_share' near the 100 % bound (percentage target ≥ near_bound_min_target_pct):
--     ratio = ((x_t − x_b)/(T − x_b)) / ((t − b)/(T_year − b));
--   method 'cumulative_share' for [ ] period targets: ratio = (Σ annual actuals / T) / (elapsed / period);
--   on_track ratio ≥ on_track_min_ratio; acceleration_needed ≥ acceleration_min_ratio;
--   limited_progress ≥ limited_min_ratio; deterioration below;
--   target_missed when the target year has been observed and the target is not met (ratio kept; for a
--   non-cumulative target the actual of the target year suffices, without a baseline);
--   insufficient_data with the reason in words when fewer than two points or no target value.
-- Thresholds come only from stg_reference__progress_thresholds.

with thr as (
    select
        max(case when parameter = 'on_track_min_ratio' then value end) as on_track_min_ratio,
        max(case when parameter = 'acceleration_min_ratio' then value end) as acceleration_min_ratio,
        max(case when parameter = 'limited_min_ratio' then value end) as limited_min_ratio,
        max(case when parameter = 'approx_tolerance_relative' then value end) as approx_tolerance_relative,
        max(case when parameter = 'near_bound_min_target_pct' then value end) as near_bound_min_target_pct
    from {{ ref('stg_reference__progress_thresholds') }}
),

base as (
    select
        a.*,
        thr.*,
        -- the value compared with the target: the cumulative sum for [ ] targets
        case when a.is_cumulative then a.cumulative_actual_sum else a.latest_actual_value end as compared_value
    from {{ ref('int_target_progress_assembled') }} a
    cross join thr
),

judged as (
    select
        *,
        {{ meets_target('compared_value') }} as target_met,
        case
            when is_cumulative then 'cumulative_share'
            when canonical_unit = '%' and target_value >= near_bound_min_target_pct then 'arithmetic_share'
            when baseline_value > 0 and target_value > 0 and coalesce(latest_actual_value, 1) > 0 then 'cagr'
            when baseline_value is not null and target_value is not null then 'arithmetic_share'
            else 'cagr'
        end as method,
        latest_actual_year > baseline_year as has_two_points
    from base
),

measured as (
    select
        *,
        -- how far the compared value is from the target (canonical unit; negative = short of it
        -- for higher-is-better and '=' targets read that way)
        compared_value - target_value as gap_to_target,
        case when method = 'cagr' and has_two_points
             then pow(latest_actual_value / baseline_value, 1.0 / (latest_actual_year - baseline_year)) - 1 end as cagr_actual,
        case when method = 'cagr' and target_value > 0 and baseline_value > 0 and target_year > baseline_year
             then pow(target_value / baseline_value, 1.0 / (target_year - baseline_year)) - 1 end as cagr_required,
        case
            when method = 'cumulative_share' then cumulative_actual_sum / nullif(target_value, 0)
            when has_two_points then (latest_actual_value - baseline_value) / nullif(target_value - baseline_value, 0)
        end as completion_share,
        case
            when method = 'cumulative_share' and cumulative_last_year is not null
                then (least(cumulative_last_year, period_end) - period_start + 1)::double / (period_end - period_start + 1)
            when has_two_points
                then (least(latest_actual_year, target_year) - baseline_year)::double / nullif(target_year - baseline_year, 0)
        end as time_share
    from judged
),

ratioed as (
    select
        *,
        case
            when method = 'cagr' then cagr_actual / nullif(cagr_required, 0)
            when method = 'cumulative_share' and cumulative_missing_years is null then completion_share / nullif(time_share, 0)
            when method = 'arithmetic_share' then completion_share / nullif(time_share, 0)
        end as progress_ratio
    from measured
),

banded as (
    select
        *,
        case
            when progress_ratio is null then null
            when progress_ratio >= on_track_min_ratio then 'on_track'
            when progress_ratio >= acceleration_min_ratio then 'acceleration_needed'
            when progress_ratio >= limited_min_ratio then 'limited_progress'
            else 'deterioration'
        end as ratio_band,
        coalesce(latest_actual_year >= target_year, false) as target_year_observed
    from ratioed
),

statused as (
    select
        *,
        case
            when indicator_code is null then 'insufficient_data'
            when is_missing then 'insufficient_data'
            when target_value is null then 'insufficient_data'
            when target_met then 'achieved'
            when latest_actual_value is null and not (is_cumulative and cumulative_actual_sum is not null) then 'insufficient_data'
            when is_cumulative and (cumulative_missing_years is not null or cumulative_actual_sum is null) then 'insufficient_data'
            -- the actual of the target year is at hand and misses the target: no baseline or second
            -- point is needed to say so (a data-call return for the target year suffices)
            when not is_cumulative and target_year_observed and not target_met then 'target_missed'
            when not is_cumulative and baseline_value is null then 'insufficient_data'
            when not is_cumulative and not has_two_points then 'insufficient_data'
            when target_year_observed then 'target_missed'
            when ratio_band is not null then ratio_band
            -- target equal to the baseline (no growth required) and no longer met
            when method = 'cagr' and cagr_required = 0 then 'deterioration'
            else 'insufficient_data'
        end as status
    from banded
)

select
    *,
    -- || with a null operand is null: the coalesce keeps every row explained even when a
    -- value the sentence would quote is missing
    coalesce(case
        when indicator_code is null then
            'label ''' || indicator_label || ''' is not mapped to a catalogue indicator (match_type none): no actual can be joined'
        when is_missing then 'the target cell is printed as ''-'': no target value'
        when target_value is null and is_relative then
            'province value for ' || target_year || ' missing (target: ' || coalesce(relative_to, 'relative') || ' of ' || relative_region_code || ')'
            || coalesce('; latest province value ' || round(relative_province_latest_value, 4) || ' (' || relative_province_latest_year || ')', '')
        when target_value is null then 'the target has no numeric value'
        when status = 'achieved' and is_cumulative then
            'achieved: cumulative actual ' || round(compared_value, 4) || ' over ' || period_start || '–' || cumulative_last_year
            || ' satisfies ' || comparator || ' ' || round(target_value, 4)
        when status = 'achieved' then
            'achieved: latest actual ' || round(compared_value, 4) || ' (' || latest_actual_year || ') satisfies '
            || comparator || ' ' || round(target_value, 4) || ' (' || direction || ' is better)'
        when latest_actual_value is null and not is_cumulative and n_regions_with_actuals = 0 then
            'no source in the warehouse reports ' || indicator_code || ' for any region: the target cannot be monitored '
            || 'until a source (bulletin, yearbook column, monitoring report) or a department''s data-call return is added'
        when latest_actual_value is null and not is_cumulative then
            'no actual for ' || indicator_code || ' in ' || region_code || ' up to ' || target_year
            || ' (' || n_regions_with_actuals || ' other region(s) have one)'
        when is_cumulative and cumulative_actual_sum is null then
            'no annual actual for ' || indicator_code || ' in the period ' || period_start || '–' || period_end
            || ': the cumulative progress cannot be summed'
        when is_cumulative and cumulative_missing_years is not null then
            'annual actuals for ' || cumulative_missing_years || ' missing: the cumulative progress over '
            || period_start || '–' || period_end || ' cannot be summed (observed ' || cumulative_years_observed
            || ' year(s), sum ' || round(cumulative_actual_sum, 4) || ')'
        when status = 'target_missed' then
            'target year ' || target_year || ' reached: ' || case when is_cumulative then 'cumulative actual ' else 'latest actual ' end
            || round(compared_value, 4) || ' (' || latest_actual_year || ') does not satisfy ' || comparator || ' '
            || round(target_value, 4) || ' (gap ' || round(gap_to_target, 4)
            || coalesce(', ' || round(100 * gap_to_target / nullif(abs(target_value), 0), 1) || ' %', '')
            || '); progress ratio ' || coalesce(cast(round(progress_ratio, 3) as varchar), 'n/a')
            || ' (' || coalesce(ratio_band, 'not banded') || ', method ' || method || ')'
        when baseline_value is null then 'no baseline: the plan prints none and no actual exists at/before ' || plan_baseline_year
        when not has_two_points then
            'fewer than two points: baseline ' || baseline_year || ' and latest actual ' || latest_actual_year
        when status = 'deterioration' and progress_ratio is null then
            'the target equals the baseline (no growth required) and the latest actual no longer satisfies it'
        when status = 'insufficient_data' then 'the progress ratio cannot be computed (method ' || method || ')'
        else
            status || ': progress ratio ' || round(progress_ratio, 3) || ' by ' || method
            || ' (actual ' || round(latest_actual_value, 4) || ' in ' || latest_actual_year
            || ' vs baseline ' || round(baseline_value, 4) || ' in ' || baseline_year
            || ', target ' || comparator || ' ' || round(target_value, 4) || ' in ' || target_year || ')'
    end, 'status ' || coalesce(status, 'unknown') || ' (method ' || coalesce(method, 'n/a')
        || '); the detailed explanation lacks a value: see the numeric columns') as status_reason
from statused

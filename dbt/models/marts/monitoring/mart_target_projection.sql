-- Projection and 预警 (early warning) of every target (int_target_progress_computed), so BI tools and
-- the dashboard read the same numbers:
--   * projected_value: the target-year value if the actual pace since the baseline went on - compound
--     growth for method cagr, x_t · (1 + CAGR_actual)^(T_year − t); the completion share stretched over
--     the whole period for arithmetic_share, x_b + (x_t − x_b) / time share, and cumulative_share,
--     Σ actuals / time share. Null when the assessment computed no progress ratio (a cumulative period
--     with missing years, no actual after the baseline) or the time share is not positive.
--   * projection_meets: the projection judged by the rules of target_met (comparator; = by direction;
--     ≈ within approx_tolerance_relative of ref progress_thresholds)
--   * is_warning (预警): a binding (约束性) target whose projection misses it; null when the plan does
--     not say whether the target is binding
--   * warning_level: warning 预警 (binding, projection misses) / watch 关注 (not binding or not marked,
--     projection misses) / none 正常 (projection meets) / not_projected 无推算
with progress as (
    -- approx_tolerance_relative: the assessment's own (ref progress_thresholds, read there)
    select p.*, t.is_binding
    from {{ ref('int_target_progress_computed') }} as p
    left join {{ ref('int_plan_targets_checked') }} as t on t.target_id = p.target_id
),

projected as (
    select
        *,
        case
            when progress_ratio is null then null
            when method = 'cagr' then latest_actual_value * pow(1 + cagr_actual, target_year - latest_actual_year)
            when time_share is null or time_share <= 0 then null
            when method = 'cumulative_share' then cumulative_actual_sum / time_share
            else baseline_value + (latest_actual_value - baseline_value) / time_share
        end as projected_value
    from progress
),

judged as (
    select
        *,
        {{ meets_target('projected_value') }} as projection_meets
    from projected
)

select
    target_id,
    plan_id,
    region_code,
    indicator_code,
    target_year,
    make_date(target_year, 1, 1)                                        as target_period,
    comparator,
    direction,
    target_value,
    canonical_unit,
    is_cumulative,
    method,
    baseline_value,
    baseline_year,
    latest_actual_value,
    latest_actual_year,
    cumulative_actual_sum,
    cagr_actual,
    time_share,
    progress_ratio,
    projected_value,
    projected_value - target_value                                      as projected_gap,
    projection_meets,
    is_binding,
    case when is_binding is not null then coalesce(is_binding and not projection_meets, false) end as is_warning,
    case
        when projection_meets is null then 'not_projected'
        when not projection_meets and is_binding then 'warning'
        when not projection_meets then 'watch'
        else 'none'
    end                                                                 as warning_level,
    case
        when projection_meets is null then '无推算'
        when not projection_meets and is_binding then '预警'
        when not projection_meets then '关注'
        else '正常'
    end                                                                 as warning_level_zh
from judged

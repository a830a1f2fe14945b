-- Plan-vs-actual evaluation report: one row per printed target (fct_plan_target,
-- target_kind = 'target'), with baseline, latest actual, target, growth rates, completion vs
-- time share, the UN SDG progress status and, in words, why: status_reason (English, computed in
-- int_target_progress_computed) and status_reason_zh, the same branches worded in Chinese with
-- region and indicator names instead of codes. target_period is target_year as a date, for BI
-- tools that chart over time. evaluation_state says what to do about a target (evaluated /
-- awaiting_datacall with the template row / no_source_not_requested) and data_source_hint where its
-- data would come from (int_target_evaluation_routed).
with computed as (
    select
        p.*,
        coalesce(i.name_zh, p.indicator_code) as indicator_zh,
        coalesce(i.is_plan_defined, false) as is_plan_defined,
        e.evaluation_state,
        e.datacall_request_id,
        e.datacall_template_file,
        e.datacall_template_sheet,
        e.datacall_template_row,
        e.data_source_hint,
        coalesce(r.region_name, p.region_code) as region_zh,
        coalesce(rp.region_name, p.relative_region_code) as relative_region_zh,
        case p.method
            when 'cagr' then '年均增速法'
            when 'arithmetic_share' then '完成度与时间进度比'
            when 'cumulative_share' then '累计完成度与时间进度比'
            else p.method
        end as method_zh
    from {{ ref('int_target_progress_computed') }} p
    left join {{ ref('int_indicators_listed') }} i on i.indicator_code = p.indicator_code
    left join {{ ref('int_target_evaluation_routed') }} e on e.target_id = p.target_id
    left join {{ ref('stg_reference__regions') }} r on r.region_code = p.region_code
    left join {{ ref('stg_reference__regions') }} rp on rp.region_code = p.relative_region_code
)

select
    target_id,
    plan_id,
    region_code,
    indicator_code,
    indicator_label,
    match_type,
    source_kind,
    table_ref,
    target_year,
    make_date(target_year, 1, 1) as target_period,
    target_kind,
    direction,
    comparator,
    target_value,
    target_value_printed,
    target_value_high,
    canonical_unit,
    is_cumulative,
    period_start,
    period_end,
    annual_average_normalized,
    is_relative,
    relative_region_code,
    relative_province_value,
    baseline_value,
    baseline_year,
    baseline_source,
    latest_actual_value,
    latest_actual_year,
    latest_actual_source,
    actual_scope_group,
    cumulative_actual_sum,
    cumulative_missing_years,
    cagr_required,
    cagr_actual,
    progress_ratio,
    completion_share,
    time_share,
    method,
    ratio_band,
    target_met,
    gap_to_target,
    status,
    status_reason,
    -- the branches of status_reason (int_target_progress_computed), in the same order, in Chinese
    coalesce(case
        when indicator_code is null then
            '规划标签“' || indicator_label || '”未对应到指标目录中的任何指标：无法关联实际值'
        when is_missing then '目标单元格印为“-”：没有目标值'
        when target_value is null and is_relative then
            relative_region_zh || ' ' || target_year || ' 年数值缺失（目标：' || case relative_to when 'province_average' then '全省平均水平' when 'national_average' then '全国平均水平' else '相对目标' end || '）'
            || coalesce('；省级最新值 ' || {{ fmt_number('round(relative_province_latest_value, 4)') }} || '（' || relative_province_latest_year || ' 年）', '')
        when target_value is null then '目标没有数值'
        when status = 'achieved' and is_cumulative then
            '已实现：' || period_start || '–' || cumulative_last_year || ' 年累计实际值 ' || {{ fmt_number('round(compared_value, 4)') }}
            || ' 满足 ' || comparator || ' ' || {{ fmt_number('round(target_value, 4)') }}
        when status = 'achieved' then
            '已实现：最新实际值 ' || {{ fmt_number('round(compared_value, 4)') }} || '（' || latest_actual_year || ' 年）满足 '
            || comparator || ' ' || {{ fmt_number('round(target_value, 4)') }}
            || case direction when 'higher' then '（越高越好）' when 'lower' then '（越低越好）' else '' end
        when latest_actual_value is null and not is_cumulative and n_regions_with_actuals = 0 then
            '仓库中没有任何来源报告“' || indicator_zh || '”（任何地区都没有）：在补充来源（公报、年鉴列、监测报告）或部门报送（数据填报）之前无法监测该目标'
        when latest_actual_value is null and not is_cumulative then
            region_zh || '截至 ' || target_year || ' 年没有“' || indicator_zh || '”的实际值（另有 '
            || n_regions_with_actuals || ' 个地区有）'
        when is_cumulative and cumulative_actual_sum is null then
            period_start || '–' || period_end || ' 年期间没有“' || indicator_zh || '”的年度实际值：无法累计进度'
        when is_cumulative and cumulative_missing_years is not null then
            '缺 ' || cumulative_missing_years || ' 年的年度实际值：无法累计 ' || period_start || '–' || period_end
            || ' 年的进度（已有 ' || cumulative_years_observed || ' 年，合计 ' || {{ fmt_number('round(cumulative_actual_sum, 4)') }} || '）'
        when status = 'target_missed' then
            '目标年 ' || target_year || ' 已到：' || case when is_cumulative then '累计实际值 ' else '最新实际值 ' end
            || {{ fmt_number('round(compared_value, 4)') }} || '（' || latest_actual_year || ' 年）未满足 ' || comparator || ' '
            || {{ fmt_number('round(target_value, 4)') }} || '（差距 ' || {{ fmt_number('round(gap_to_target, 4)') }}
            || coalesce('，' || {{ fmt_number('round(100 * gap_to_target / nullif(abs(target_value), 0), 1)') }} || '%', '')
            || '）；进度比 ' || coalesce({{ fmt_number('round(progress_ratio, 3)') }}, '无法计算') || '（' || method_zh || '）'
        when baseline_value is null then '没有基期值：规划未印基期值，' || plan_baseline_year || ' 年及以前也没有实际值'
        when not has_two_points then
            '不足两个时点：基期 ' || baseline_year || ' 年，最新实际值 ' || latest_actual_year || ' 年'
        when status = 'deterioration' and progress_ratio is null then
            '目标等于基期值（无需增长），而最新实际值已不再满足目标'
        when status = 'insufficient_data' then '无法计算进度比（' || method_zh || '）'
        else
            '进度比 ' || {{ fmt_number('round(progress_ratio, 3)') }} || '（' || method_zh || '）：实际值 '
            || {{ fmt_number('round(latest_actual_value, 4)') }} || '（' || latest_actual_year || ' 年），基期值 ' || {{ fmt_number('round(baseline_value, 4)') }}
            || '（' || baseline_year || ' 年），目标 ' || comparator || ' ' || {{ fmt_number('round(target_value, 4)') }} || '（' || target_year || ' 年）'
    end, '详细说明缺少数值，请看数值列（方法：' || coalesce(method_zh, '无') || '）') as status_reason_zh,
    evaluation_state,
    datacall_request_id,
    datacall_template_file,
    datacall_template_sheet,
    datacall_template_row,
    data_source_hint,
    is_plan_defined,
    baseline_looks_cumulative,
    target_against_direction,
    source_file,
    line_number,
    cell_text
from computed

-- The 十四五 final evaluation (总结评估): one row per target whose year has passed (target_year ≤
-- evaluation_year, the latest complete year), classed achieved 已实现 / not_achieved 未实现 /
-- not_assessable 无法评估 (int_target_final_evaluated) with the gap, the plan's 类别 and binding flag,
-- and - for a target not assessable - what to do: evaluation_state (awaiting_datacall with the
-- template row, or no_source_not_requested) and data_source_hint (where its data would come from).
with evaluated as (
    select * from {{ ref('int_target_final_evaluated') }}
)

select
    e.target_id,
    e.plan_id,
    e.region_code,
    r.region_name,
    e.indicator_code,
    coalesce(i.name_zh, e.indicator_code)                           as indicator_name_zh,
    e.indicator_label,
    coalesce(i.is_plan_defined, false)                              as is_plan_defined,
    t.group_label,
    t.is_binding,
    case when t.is_binding then '约束性' when not t.is_binding then '预期性' else '未标注' end as binding_zh,
    t.source_kind,
    t.table_ref,
    t.line_number,
    e.target_year,
    e.evaluation_year,
    e.comparator,
    e.direction,
    e.target_value,
    e.target_value_high,
    e.canonical_unit,
    e.is_cumulative,
    e.period_start,
    e.period_end,
    e.actual_value,
    e.actual_year,
    e.latest_actual_source                                          as actual_source,
    e.progress_status,
    e.evaluation_class,
    c.name_zh                                                       as evaluation_class_zh,
    c.name_en                                                       as evaluation_class_en,
    e.gap_to_target,
    e.gap_relative,
    e.evaluation_reason,
    e.evaluation_reason_zh,
    case
        when e.evaluation_class <> 'not_assessable' then 'evaluated'
        when s.datacall_request_id is not null then 'awaiting_datacall'
        else 'no_source_not_requested'
    end                                                             as evaluation_state,
    case when e.evaluation_class = 'not_assessable' then s.datacall_request_id end     as datacall_request_id,
    case when e.evaluation_class = 'not_assessable' then s.datacall_template_file end  as datacall_template_file,
    case when e.evaluation_class = 'not_assessable' then s.datacall_template_sheet end as datacall_template_sheet,
    case when e.evaluation_class = 'not_assessable' then s.datacall_template_row end   as datacall_template_row,
    s.data_source_hint,
    t.source_file
from evaluated as e
join {{ ref('stg_reference__final_evaluation_classes') }} as c on c.evaluation_class = e.evaluation_class
left join {{ ref('int_plan_targets_checked') }} as t on t.target_id = e.target_id
left join {{ ref('int_indicators_listed') }} as i on i.indicator_code = e.indicator_code
left join {{ ref('int_regions_resolved') }} as r on r.region_code = e.region_code
left join {{ ref('int_target_evaluation_routed') }} as s on s.target_id = e.target_id

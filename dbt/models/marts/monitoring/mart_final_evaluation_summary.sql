-- Counts of the 十四五 final evaluation (int_target_final_evaluated): per plan, per plan × 类别
-- (group_label, the plan table's category; 未分类 for prose targets and tables without one) and per
-- plan × binding flag (约束性 / 预期性 / 未标注), one grouping-sets row each: how many targets were
-- achieved 已实现, not achieved 未实现, not assessable 无法评估 - and of these, how many await a
-- data-call return.
with evaluated as (
    select
        e.plan_id,
        e.evaluation_year,
        e.evaluation_class,
        coalesce(t.group_label, '未分类')                                                     as group_label,
        case when t.is_binding then '约束性' when not t.is_binding then '预期性' else '未标注' end as binding_zh,
        s.datacall_request_id is not null                                                    as awaiting_datacall
    from {{ ref('int_target_final_evaluated') }} as e
    left join {{ ref('int_plan_targets_checked') }} as t on t.target_id = e.target_id
    left join {{ ref('int_target_evaluation_routed') }} as s on s.target_id = e.target_id
),

counted as (
    select
        plan_id,
        evaluation_year,
        case
            when grouping(group_label) = 0 then 'group_label'
            when grouping(binding_zh) = 0 then 'binding'
            else 'plan'
        end                                                                          as grouping_kind,
        coalesce(case when grouping(group_label) = 0 then group_label end,
                 case when grouping(binding_zh) = 0 then binding_zh end, '全部')      as group_value,
        count(*)                                                                     as n_targets,
        count(*) filter (where evaluation_class = 'achieved')                        as n_achieved,
        count(*) filter (where evaluation_class = 'not_achieved')                    as n_not_achieved,
        count(*) filter (where evaluation_class = 'not_assessable')                  as n_not_assessable,
        count(*) filter (where evaluation_class = 'not_assessable' and awaiting_datacall) as n_awaiting_datacall
    from evaluated
    group by grouping sets ((plan_id, evaluation_year), (plan_id, evaluation_year, group_label), (plan_id, evaluation_year, binding_zh))
)

select
    md5(concat_ws('|', plan_id, grouping_kind, group_value))                         as summary_id,
    plan_id,
    evaluation_year,
    grouping_kind,
    group_value,
    n_targets,
    n_achieved,
    n_not_achieved,
    n_not_assessable,
    n_awaiting_datacall,
    n_achieved::double / nullif(n_achieved + n_not_achieved, 0)                      as achieved_share_of_assessed
from counted

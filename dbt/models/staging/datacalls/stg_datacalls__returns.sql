-- 1:1 with raw.department_report_observations: rename and cast only (the columns of every observation
-- source, plus the hidden ids of the template row and the return's provenance).
select
    {{ observation_columns() }},
    indicator_code,
    request_id,
    plan_id,
    target_id,
    plan_digest,
    cast(template_target_value as double) as template_target_value,
    sheet,
    cell,
    reporting_unit,
    reporter,
    cast(reported_on as date)             as reported_on
from {{ source('datacalls', 'department_report_observations') }}

-- 1:1 with raw.plan_stated_values: rename and cast only.
select
    {{ observation_columns() }}
from {{ source('plans', 'plan_stated_values') }}

select
    plan_id,
    cast(target_year as integer)  as target_year,
    cast(period_start as integer) as period_start,
    cast(period_end as integer)   as period_end,
    assumption
from {{ source('reference', 'ref_cumulative_periods') }}

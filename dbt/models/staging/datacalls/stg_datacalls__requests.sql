-- 1:1 with raw.datacall_requests: rename and cast only.
select
    request_id,
    plan_id,
    target_id,
    region_code,
    indicator_code,
    cast(year as integer)            as year,
    responsible_unit,
    template_file,
    template_sha256,
    sheet,
    cast(row_number as integer)      as row_number,
    cast(issued_at as timestamp)     as issued_at,
    plan_digest,
    load_id,
    loaded_at
from {{ source('datacalls', 'datacall_requests') }}

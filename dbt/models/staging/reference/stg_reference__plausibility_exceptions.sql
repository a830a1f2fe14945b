-- 1:1 with raw.ref_plausibility_exceptions: rename and cast only.
select
    region_code,
    indicator_code,
    cast(year as integer) as year,
    source_file,
    reviewed_by,
    reason
from {{ source('reference', 'ref_plausibility_exceptions') }}

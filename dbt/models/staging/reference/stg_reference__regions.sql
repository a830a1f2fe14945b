select
    region_code,
    region_name,
    level,
    nullif(parent_code, '')   as parent_code,
    province_code
from {{ source('reference', 'ref_regions') }}

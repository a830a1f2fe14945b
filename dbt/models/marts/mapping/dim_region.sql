select
    region_code,
    region_name,
    level,
    parent_code,
    province_code,
    province_name,
    prefecture_code
from {{ ref('int_regions_resolved') }}

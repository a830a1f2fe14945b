select
    indicator_code,
    name_zh,
    name_en,
    canonical_unit,
    direction,
    theme,
    harmonized_code,
    description
from {{ ref('stg_reference__indicators') }}

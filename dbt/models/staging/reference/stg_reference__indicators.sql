select
    indicator_code,
    name_zh,
    name_en,
    canonical_unit,
    direction,
    theme,
    coalesce(nullif(harmonized_code, ''), indicator_code) as harmonized_code,
    nullif(description, '')                                as description
from {{ source('reference', 'ref_indicators') }}

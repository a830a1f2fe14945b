select
    unit_printed,
    coalesce(unit_key, '')          as unit_key,
    nullif(indicator_code, '')      as indicator_code,
    canonical_unit,
    cast(multiplier as double)      as multiplier,
    nullif(note, '')                as note
from {{ source('reference', 'ref_units') }}

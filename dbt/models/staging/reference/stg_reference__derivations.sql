select
    indicator_code,
    numerator_code,
    denominator_code,
    cast(factor as double) as factor,
    nullif(note, '')       as note
from {{ source('reference', 'ref_derivations') }}

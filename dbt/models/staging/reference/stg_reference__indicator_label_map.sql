select
    source_scope,
    label_printed,
    label_key,
    nullif(indicator_code, '') as indicator_code,
    match_type,
    nullif(note, '')           as note
from {{ source('reference', 'ref_indicator_label_map') }}

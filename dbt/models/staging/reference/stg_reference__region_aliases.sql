select alias, region_code, nullif(note, '') as note
from {{ source('reference', 'ref_region_aliases') }}

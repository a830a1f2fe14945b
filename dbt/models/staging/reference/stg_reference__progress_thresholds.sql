select parameter, cast(value as double) as value, note
from {{ source('reference', 'ref_progress_thresholds') }}

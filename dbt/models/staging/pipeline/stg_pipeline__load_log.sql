select load_id, asset, source_file, source_sha256, cast(rows_loaded as bigint) as rows_loaded, cast(rows_quarantined as bigint) as rows_quarantined, loaded_at
from {{ source('pipeline', 'load_log') }}

select load_id, asset, source_kind, source_file, source_sha256, location, reason, verbatim, quarantined_at
from {{ source('pipeline', 'quarantine') }}

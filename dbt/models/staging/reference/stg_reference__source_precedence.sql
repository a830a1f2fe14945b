select source_kind, cast(precedence as integer) as precedence, rationale
from {{ source('reference', 'ref_source_precedence') }}

-- Every rejected piece of input (int_quarantine_collected): what a loader could not read and
-- what was read but failed a plausibility rule, with file, location, reason and verbatim text.
select
    load_id, asset, stage, source_kind, source_file, source_sha256, location, reason, verbatim, quarantined_at
from {{ ref('int_quarantine_collected') }}

-- Rejected input, never silently dropped: file, location, reason and the verbatim text.
select * from {{ ref('stg_pipeline__quarantine') }}

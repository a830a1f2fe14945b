-- What the last load brought in, per loader and file: rows landed, rows the loader quarantined,
-- and values that were landed but failed a plausibility rule (int_quarantine_collected = fct_quarantine,
-- stage plausibility).
select
    l.asset,
    l.source_file,
    l.source_sha256,
    l.rows_loaded,
    l.rows_quarantined,
    coalesce(q.reasons, 0)     as quarantine_reasons,
    coalesce(q.implausible, 0) as rows_implausible,
    l.load_id,
    l.loaded_at
from {{ ref('stg_pipeline__load_log') }} as l
left join (
    select
        asset,
        source_file,
        count(distinct reason) filter (where stage = 'load') as reasons,
        count(*) filter (where stage = 'plausibility')       as implausible
    from {{ ref('int_quarantine_collected') }}
    group by 1, 2
) as q using (asset, source_file)

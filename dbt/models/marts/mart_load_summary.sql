-- What the last load brought in, per loader and file: rows landed and rows quarantined.
select
    l.asset,
    l.source_file,
    l.source_sha256,
    l.rows_loaded,
    l.rows_quarantined,
    coalesce(q.reasons, 0) as quarantine_reasons,
    l.load_id,
    l.loaded_at
from {{ ref('stg_pipeline__load_log') }} as l
left join (
    select asset, source_file, count(distinct reason) as reasons
    from {{ ref('stg_pipeline__quarantine') }}
    group by 1, 2
) as q using (asset, source_file)

-- 1:1 with raw.census_observations: rename and cast only.
select
    source_kind,
    source_file,
    source_sha256,
    source_location,
    verbatim,
    region_name_raw,
    region_code,
    cast(year as integer)      as year,
    coalesce(scope, 'n.a.')   as scope,
    indicator_label_raw,
    label_key,
    indicator_code,
    unit_raw,
    coalesce(unit_key, '')    as unit_key,
    value_raw,
    cast(value as double)      as value,
    load_id,
    loaded_at,
    region_level
from {{ source('census', 'census_observations') }}

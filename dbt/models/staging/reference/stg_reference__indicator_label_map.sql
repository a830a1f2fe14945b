-- The one label map (raw/reference/indicator_label_map.csv): 1:1, blanks as nulls. label_key,
-- unit_key and assumed_unit_key are the normalized texts the raw/reference asset computed with the
-- parsers' own normalization (dagster_project/common/text.py); a blank unit is ''.
select
    source_scope,
    label_printed,
    label_key,
    nullif(unit, '')                     as unit,
    coalesce(unit_key, '')               as unit_key,
    nullif(scope, '')                    as scope,
    nullif(indicator_code, '')           as indicator_code,
    match_type,
    nullif(population_basis, '')         as population_basis,
    nullif(assumed_unit, '')             as assumed_unit,
    nullif(assumed_unit_key, '')         as assumed_unit_key,
    cast(nullif(year, '') as integer)    as year,
    nullif(note, '')                     as note
from {{ source('reference', 'ref_indicator_label_map') }}

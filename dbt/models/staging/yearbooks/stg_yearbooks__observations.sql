-- 1:1 with raw.yearbook_observations: rename and cast only.
select
    {{ observation_columns() }},
    cast(edition as integer)       as edition,
    sheet_name,
    cast(row_number as integer)    as row_number,
    cast(column_number as integer) as column_number,
    header_section,
    header_label_en,
    population_basis,
    unit_source
from {{ source('yearbooks', 'yearbook_observations') }}

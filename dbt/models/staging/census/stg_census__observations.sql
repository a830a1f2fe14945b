-- 1:1 with raw.census_observations: rename and cast only.
select
    {{ observation_columns() }},
    region_level
from {{ source('census', 'census_observations') }}

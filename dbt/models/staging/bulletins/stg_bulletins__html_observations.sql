-- 1:1 with raw.bulletin_observations: rename and cast only.
select
    {{ observation_columns() }}
from {{ source('bulletins', 'bulletin_observations') }}

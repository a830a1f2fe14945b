-- 1:1 with raw.bulletin_observations: rename and cast only.
select
    {{ observation_columns() }},
    document_format,
    bulletin_key,
    coalesce(derivation, 'stated')  as derivation
from {{ source('bulletins', 'bulletin_observations') }}

-- 1:1 with raw.ref_source_kind_hints: where an indicator's data comes from, in Chinese, per source kind.
select source_kind, hint_zh, cast(is_statistical as boolean) as is_statistical, note
from {{ source('reference', 'ref_source_kind_hints') }}

-- 1:1 with raw.ref_plan_direction_verbs: the verbs of a plan sentence that say which way a
-- plan-defined indicator is better, read where the comparator does not say it.
select verb, direction, note
from {{ source('reference', 'ref_plan_direction_verbs') }}

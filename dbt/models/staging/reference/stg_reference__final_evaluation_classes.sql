-- 1:1 with raw.ref_final_evaluation_classes: the 十四五 final-evaluation classes and their labels.
select evaluation_class, name_zh, name_en, cast(zh_order as integer) as zh_order, note
from {{ source('reference', 'ref_final_evaluation_classes') }}

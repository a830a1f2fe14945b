select file as source_file, cast(column_number as integer) as column_number, column_letter, label, unit, scope, header_section, header_label_en, load_id
from {{ source('yearbooks', 'yearbook_unmapped_headers') }}

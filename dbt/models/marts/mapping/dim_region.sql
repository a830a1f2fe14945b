select
    r.region_code,
    r.region_name,
    r.level,
    r.parent_code,
    r.province_code,
    p.region_name                                               as province_name,
    case r.level
        when 'prefecture' then r.region_code
        when 'county' then case when parent.level = 'prefecture' then r.parent_code end
    end                                                         as prefecture_code
from {{ ref('stg_reference__regions') }} as r
left join {{ ref('stg_reference__regions') }} as p on p.region_code = r.province_code
left join {{ ref('stg_reference__regions') }} as parent on parent.region_code = r.parent_code

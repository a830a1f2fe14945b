-- Every GB/T 2260 region with its province's name and the prefecture city it belongs to (itself for
-- a prefecture; the parent for a county under a prefecture; null for provinces and for counties
-- the province administers directly), for the marts that name or group regions.
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

-- What to do about each target (the rows of int_target_progress_computed): evaluated, awaiting a
-- data-call return, or with no source and not requested; and where its data would come from.
--   * evaluation_state: 'evaluated' when the progress assessment gave a status other than
--     insufficient_data; else 'awaiting_datacall' when an issued data-call template
--     (stg_datacalls__requests) has a row for the target and a year that still has no actual of the
--     region × indicator (the target year; for a cumulative target each year of its period) - the
--     earliest such year's row of the latest issued template is named; else 'no_source_not_requested'
--   * data_source_hint (zh): the statistical source kinds (ref source_kind_hints, is_statistical) whose
--     actuals of the indicator exist for any region, e.g. 统计公报、统计年鉴 - the region's figure would
--     come from there; none → the hint of 'department_report', 部门报送（数据填报）: only the
--     department responsible can report it, through the yearly data call
with targets as (
    select target_id, plan_id, region_code, indicator_code, target_year, is_cumulative, period_start, period_end, status
    from {{ ref('int_target_progress_computed') }}
),

actuals as (
    select region_code, indicator_code, year, source_kind
    from {{ ref('int_indicator_actuals_derived') }}
    where value_basis = 'observation'
),

hints as (
    select * from {{ ref('stg_reference__source_kind_hints') }}
),

-- each source kind behind an actual ('yearbook / census' for a derived value names both)
indicator_kinds as (
    select distinct indicator_code, trim(kind) as source_kind
    from actuals, unnest(string_split(source_kind, '/')) as k(kind)
),

indicator_hints as (
    select k.indicator_code, string_agg(distinct h.hint_zh, '、' order by h.hint_zh) as hint_zh
    from indicator_kinds as k
    join hints as h on h.source_kind = k.source_kind and h.is_statistical
    group by k.indicator_code
),

open_requests as (
    -- template rows of the target whose year has no actual yet
    select r.*
    from {{ ref('stg_datacalls__requests') }} as r
    join targets as t on t.target_id = r.target_id
    where (r.year = t.target_year or (t.is_cumulative and r.year between t.period_start and t.period_end))
      and not exists (
          select 1 from actuals as a
          where a.region_code = t.region_code and a.indicator_code = t.indicator_code and a.year = r.year
      )
    qualify row_number() over (partition by r.target_id order by r.year, r.issued_at desc, r.template_file, r.row_number) = 1
)

select
    t.target_id,
    case
        when t.status <> 'insufficient_data' then 'evaluated'
        when q.request_id is not null then 'awaiting_datacall'
        else 'no_source_not_requested'
    end                                                          as evaluation_state,
    q.request_id                                                 as datacall_request_id,
    q.template_file                                              as datacall_template_file,
    q.sheet                                                      as datacall_template_sheet,
    q.row_number                                                 as datacall_template_row,
    q.year                                                       as datacall_year,
    coalesce(ih.hint_zh, dr.hint_zh)                             as data_source_hint,
    ih.hint_zh is null                                           as needs_department_report
from targets as t
left join open_requests as q on q.target_id = t.target_id
left join indicator_hints as ih on ih.indicator_code = t.indicator_code
left join hints as dr on dr.source_kind = 'department_report'

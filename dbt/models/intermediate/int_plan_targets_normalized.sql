-- Plan targets and baselines with canonical indicator codes and normalized units.
--   * indicator: printed label -> catalogue code via the label map (match type exact/related;
--     no mapping -> indicator_code null, match_type 'none', the label is kept verbatim)
--   * unit: printed unit -> canonical unit x multiplier (万人 -> persons x 10^4); a unit row
--     specific to the indicator wins over the generic one (菏泽 prints ㎡ for a per-capita area)
--   * cumulative [ ] values get the period they cover from ref cumulative_periods (a documented
--     assumption, not a constant here) and an annual-average equivalent
--   * relative targets (全省平均水平) point at the region whose value they mean
with cells as (
    select * from {{ ref('stg_plans__indicator_cells') }}
),

label_map as (
    select label_key, indicator_code, match_type
    from {{ ref('stg_reference__indicator_label_map') }}
    where source_scope = 'plan_table'
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

periods as (
    select * from {{ ref('stg_reference__cumulative_periods') }}
),

baselines as (
    select plan_id, table_ref, min(year) as baseline_year
    from cells
    where target_kind = 'baseline'
    group by plan_id, table_ref
),

mapped as (
    select
        cells.*,
        label_map.indicator_code,
        coalesce(label_map.match_type, 'none') as match_type
    from cells
    left join label_map using (label_key)
),

with_units as (
    select
        mapped.*,
        coalesce(specific.canonical_unit, generic.canonical_unit) as canonical_unit,
        coalesce(specific.multiplier, generic.multiplier)         as unit_multiplier
    from mapped
    left join units as specific
        on specific.unit_key = mapped.unit_key and specific.indicator_code = mapped.indicator_code
    left join units as generic
        on generic.unit_key = mapped.unit_key and generic.indicator_code is null
)

select
    md5(concat_ws('|', u.plan_id, u.table_ref, u.row_number, u.year))   as target_id,
    u.plan_id,
    u.region_code,
    'table'                                                              as source_kind,
    u.table_ref,
    u.table_caption,
    u.row_number,
    u.group_label,
    u.indicator_code,
    u.indicator_label,
    u.label_key,
    u.match_type,
    u.year,
    u.target_kind,
    b.baseline_year,
    u.value                                                              as value_original,
    u.unit_printed                                                       as unit_original,
    u.comparator,
    u.is_cumulative,
    case when u.is_cumulative then p.period_start end                    as period_start,
    case when u.is_cumulative then p.period_end end                      as period_end,
    u.value * u.unit_multiplier                                          as value_normalized,
    u.canonical_unit,
    u.unit_multiplier,
    case when u.is_cumulative
         then u.value * u.unit_multiplier / (p.period_end - p.period_start + 1)
    end                                                                  as annual_average_normalized,
    u.is_relative,
    u.relative_to,
    case u.relative_to
        when 'province_average' then r.province_code
        when 'national_average' then '000000'
    end                                                                  as relative_region_code,
    u.is_missing,
    u.source_file,
    u.source_sha256,
    u.line_number,
    u.cell_text,
    u.row_text,
    u.load_id,
    u.loaded_at
from with_units as u
left join baselines as b using (plan_id, table_ref)
left join regions as r on r.region_code = u.region_code
left join periods as p on p.plan_id = u.plan_id and p.target_year = u.year

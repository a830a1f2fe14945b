-- Plan targets and baselines with canonical indicator codes and normalized units.
--   * indicator: printed label -> catalogue code from the one mapping step, int_indicator_labels_mapped
--     (match type exact/related); a label no catalogue row maps becomes a plan-defined indicator
--     (match_type 'plan_defined'): code plan_<region_code>_<label_key> - stable across runs and file
--     renames, never equated across regions - with '_' || canonical unit appended when the region
--     prints the same label in two units; int_plan_indicators_defined lists them for dim_indicator
--   * a plan-defined indicator's unit is the unit printed with the target, normalized (ref units);
--     a printed unit ref units does not know is kept as printed (multiplier 1)
--   * unit: printed unit -> canonical unit x multiplier (万人 -> persons x 10^4); a unit row
--     specific to the indicator wins over the generic one (菏泽 prints ㎡ for a per-capita area);
--     no unit printed (empty or a dash: unit_key '') is the catalogue's ratio for a ratio indicator
--   * cumulative [ ] values cover the period the document states (the table's note "[ ]内为五年
--     累计数", a sentence's “十四五”期间); ref cumulative_periods holds the exceptions, with their
--     reasoning, and wins; plus an annual-average equivalent
--   * relative targets (全省平均水平) point at the region whose value they mean
with table_cells as (
    select
        plan_id, region_code,
        'table'                as source_kind,
        table_ref, table_caption, row_number,
        1                      as item_on_line,
        group_label, indicator_label, label_scope, label_key,
        unit_printed, unit_key, year, target_kind, cell_text, row_text,
        value, cast(null as double) as value_high, comparator,
        is_cumulative, period_start, period_end, is_relative, relative_to, is_missing,
        cast(null as varchar)  as direction_hint,
        is_binding, attributes,
        source_file, source_sha256, line_number, load_id, loaded_at
    from {{ ref('stg_plans__indicator_cells') }}
),

prose_targets as (
    -- prose / action-table targets: the subject is the label
    select
        plan_id, region_code,
        source_kind,
        table_ref, cast(null as varchar) as table_caption, cast(null as integer) as row_number,
        item_on_line,
        cast(null as varchar)  as group_label,
        subject                as indicator_label,
        label_scope,
        label_key,
        unit_printed, unit_key, year,
        'target'               as target_kind,
        clause                 as cell_text,
        sentence               as row_text,
        value, value_high, comparator,
        is_cumulative, period_start, period_end,
        false                  as is_relative,
        cast(null as varchar)  as relative_to,
        false                  as is_missing,
        direction_hint,
        cast(null as boolean)  as is_binding,
        cast(null as varchar)  as attributes,
        source_file, source_sha256, line_number, load_id, loaded_at
    from {{ ref('stg_plans__prose_targets') }}
),

cells as (
    select * from table_cells
    union all by name
    select * from prose_targets
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

catalogue as (
    select indicator_code, canonical_unit from {{ ref('stg_reference__indicators') }}
),

regions as (
    select * from {{ ref('stg_reference__regions') }}
),

periods as (
    select * from {{ ref('stg_reference__cumulative_periods') }}
),

baselines as (
    -- the baseline year of a plan: the first year column of its indicator table(s)
    select plan_id, min(year) as baseline_year
    from table_cells
    where target_kind = 'baseline'
    group by plan_id
),

mapped as (
    select
        cells.*,
        labels.indicator_code,
        coalesce(labels.match_type, 'none') as match_type
    from cells
    left join {{ ref('int_indicator_labels_mapped') }} as labels
        on labels.label_scope = cells.label_scope and labels.label_key = cells.label_key
        and labels.unit_key = cells.unit_key and labels.scope = 'n.a.'
),

with_units as (
    select
        mapped.*,
        coalesce(specific.canonical_unit, generic.canonical_unit, unprinted.canonical_unit) as canonical_unit,
        coalesce(specific.multiplier, generic.multiplier, unprinted.multiplier)             as unit_multiplier
    from mapped
    left join units as specific
        on specific.unit_key = mapped.unit_key and specific.indicator_code = mapped.indicator_code
    left join units as generic
        on generic.unit_key = mapped.unit_key and generic.indicator_code is null
    left join (select indicator_code, canonical_unit, 1.0 as multiplier from catalogue where canonical_unit = 'ratio') as unprinted
        on unprinted.indicator_code = mapped.indicator_code and mapped.unit_key = ''
),

plan_defined as (
    -- labels no catalogue row maps: the plan itself defines the indicator
    select
        with_units.* exclude (indicator_code, match_type, canonical_unit, unit_multiplier),
        case when indicator_code is null and unit_key <> ''
             then coalesce(canonical_unit, unit_printed) else canonical_unit end          as canonical_unit,
        case when indicator_code is null and unit_key <> ''
             then coalesce(unit_multiplier, 1.0) else unit_multiplier end                  as unit_multiplier,
        coalesce(indicator_code, 'plan_' || region_code || '_' || label_key)              as indicator_code_base,
        case when indicator_code is null then 'plan_defined' else match_type end          as match_type
    from with_units
),

coded as (
    select
        * exclude (indicator_code_base),
        case
            when match_type = 'plan_defined'
                 and count(distinct canonical_unit) over (partition by region_code, label_key, match_type) > 1
            then indicator_code_base || '_' || canonical_unit
            else indicator_code_base
        end                                                                               as indicator_code
    from plan_defined
)

select
    md5(concat_ws('|', u.plan_id, u.source_kind, u.line_number, u.item_on_line, u.year)) as target_id,
    u.plan_id,
    u.region_code,
    u.source_kind,
    u.table_ref,
    u.table_caption,
    u.row_number,
    u.item_on_line,
    u.group_label,
    u.indicator_code,
    u.indicator_label,
    u.label_key,
    u.match_type,
    u.year,
    u.target_kind,
    b.baseline_year,
    u.value                                                              as value_original,
    u.value_high                                                         as value_high_original,
    u.unit_printed                                                       as unit_original,
    u.comparator,
    u.is_cumulative,
    case when u.is_cumulative then coalesce(p.period_start, u.period_start) end as period_start,
    case when u.is_cumulative then coalesce(p.period_end, u.period_end) end     as period_end,
    u.value * u.unit_multiplier                                          as value_normalized,
    u.value_high * u.unit_multiplier                                     as value_high_normalized,
    u.canonical_unit,
    u.unit_multiplier,
    case when u.is_cumulative
         then u.value * u.unit_multiplier
              / (coalesce(p.period_end, u.period_end) - coalesce(p.period_start, u.period_start) + 1)
    end                                                                  as annual_average_normalized,
    u.is_relative,
    u.relative_to,
    case u.relative_to
        when 'province_average' then r.province_code
        when 'national_average' then '000000'
    end                                                                  as relative_region_code,
    u.is_missing,
    u.direction_hint,
    u.is_binding,
    u.attributes,
    u.source_file,
    u.source_sha256,
    u.line_number,
    u.cell_text,
    u.row_text,
    u.load_id,
    u.loaded_at
from coded as u
left join baselines as b using (plan_id)
left join regions as r on r.region_code = u.region_code
left join periods as p on p.plan_id = u.plan_id and p.target_year = u.year

-- One row per printed target (the plausible rows of int_plan_targets_checked, target_kind = 'target': the
-- rows of fct_plan_target), with everything the
-- progress assessment needs next to it: the indicator's direction, the resolved target value
-- (全省平均水平 → the province's value of the same indicator in the target year, never
-- invented), the baseline (the same plan's baseline row, else the nearest actual at/before
-- the baseline year), the latest actual up to the target year, the cumulative sum of annual
-- actuals over a [ ] period, and two warning flags. The status itself is computed in
-- int_target_progress_computed.

with thresholds as (
    -- factor above which a baseline looks like a cumulative figure (reference file, like every threshold)
    select max(case when parameter = 'cumulative_baseline_max_factor' then value end) as cumulative_baseline_max_factor
    from {{ ref('stg_reference__progress_thresholds') }}
),

targets as (
    select *
    from {{ ref('int_plan_targets_checked') }}
    where plausibility_issue is null
      and target_kind = 'target'
),

indicators as (
    select indicator_code, direction from {{ ref('int_indicators_listed') }}
),

-- actuals: observed or derived from observations; per region × indicator one scope group
-- (the whole region when it has any figure, else the urban districts 市辖区)
actuals_all as (
    select *
    from {{ ref('int_indicator_actuals_derived') }}
    where value_basis = 'observation'
),

scope_choice as (
    select region_code, indicator_code,
           min(case when scope_group = 'whole_region' then 0 else 1 end) as pick
    from actuals_all
    group by all
),

actuals as (
    select a.*
    from actuals_all a
    join scope_choice s
      on s.region_code = a.region_code
     and s.indicator_code = a.indicator_code
     and (case when a.scope_group = 'whole_region' then 0 else 1 end) = s.pick
),

plan_baselines as (
    select plan_id, region_code, indicator_code, year, value_normalized
    from {{ ref('int_plan_targets_checked') }}
    where is_usable and target_kind = 'baseline'
    qualify row_number() over (partition by plan_id, region_code, indicator_code order by year, line_number) = 1
),

-- every actual of a target's region × indicator up to the target year
target_actuals as (
    select
        t.target_id,
        t.baseline_year,
        a.year,
        a.value_normalized,
        a.scope_group,
        a.derivation,
        a.source_kind,
        a.source_file
    from targets t
    join actuals a
      on a.region_code = t.region_code
     and a.indicator_code = t.indicator_code
     and a.year <= t.year
),

baseline_from_actuals as (
    select target_id, year, value_normalized, derivation, source_file
    from target_actuals
    -- nearest at/before the baseline year, else the earliest after it
    qualify row_number() over (
        partition by target_id
        order by case when year <= baseline_year then 0 else 1 end,
                 case when year <= baseline_year then -year else year end
    ) = 1
),

latest_actual as (
    select target_id, year, value_normalized, scope_group, derivation, source_kind, source_file
    from target_actuals
    qualify row_number() over (partition by target_id order by year desc) = 1
),

-- relative targets: the province's value of the same indicator in the target year
province_target_year as (
    select t.target_id, a.value_normalized, a.year
    from targets t
    join actuals_all a
      on a.region_code = t.relative_region_code
     and a.indicator_code = t.indicator_code
     and a.year = t.year
     and a.scope_group = 'whole_region'
    where t.is_relative
),

province_latest as (
    select t.target_id, a.value_normalized, a.year
    from targets t
    join actuals_all a
      on a.region_code = t.relative_region_code
     and a.indicator_code = t.indicator_code
     and a.scope_group = 'whole_region'
    where t.is_relative
    qualify row_number() over (partition by t.target_id order by a.year desc) = 1
),

-- cumulative targets: annual actuals inside the period
cumulative as (
    select
        t.target_id,
        sum(a.value_normalized) as cumulative_actual_sum,
        count(a.year) as cumulative_years_observed,
        max(a.year) as cumulative_last_year
    from targets t
    join actuals a
      on a.region_code = t.region_code
     and a.indicator_code = t.indicator_code
     and a.year between t.period_start and t.period_end
    where t.is_cumulative
    group by t.target_id
),

cumulative_gaps as (
    select
        t.target_id,
        string_agg(cast(y.year as varchar), ', ' order by y.year) as cumulative_missing_years
    from targets t
    join cumulative c on c.target_id = t.target_id
    cross join lateral (select unnest(generate_series(t.period_start, c.cumulative_last_year)) as year) y
    where not exists (
        select 1 from actuals a
        where a.region_code = t.region_code
          and a.indicator_code = t.indicator_code
          and a.year = y.year
    )
    group by t.target_id
),

-- does any region have an actual of the indicator? (tells "no source reports it" from
-- "reported elsewhere, not for this region")
indicator_coverage as (
    select indicator_code, count(distinct region_code) as n_regions_with_actuals
    from actuals_all
    group by indicator_code
),

n_points as (
    select t.target_id, count(*) as n_actual_points
    from targets t
    join actuals a
      on a.region_code = t.region_code
     and a.indicator_code = t.indicator_code
     and a.year <= t.year
    group by t.target_id
)

select
    t.target_id,
    t.plan_id,
    t.region_code,
    t.indicator_code,
    t.indicator_label,
    t.match_type,
    t.source_kind,
    t.table_ref,
    t.year as target_year,
    t.target_kind,
    t.comparator,
    t.is_missing,
    t.value_normalized as target_value_printed,
    t.value_high_normalized as target_value_high,
    t.canonical_unit,
    t.is_cumulative,
    t.period_start,
    t.period_end,
    t.annual_average_normalized,
    t.is_relative,
    t.relative_to,
    t.relative_region_code,
    pty.value_normalized as relative_province_value,
    pl.value_normalized as relative_province_latest_value,
    pl.year as relative_province_latest_year,
    case when t.is_relative then pty.value_normalized else t.value_normalized end as target_value,
    coalesce(i.direction, 'neutral') as direction,
    t.baseline_year as plan_baseline_year,
    coalesce(pb.value_normalized, ba.value_normalized) as baseline_value,
    case when pb.value_normalized is not null then pb.year else ba.year end as baseline_year,
    case
        when pb.value_normalized is not null then 'plan baseline'
        when ba.value_normalized is not null then 'actual (' || ba.derivation || ', ' || ba.source_file || ')'
    end as baseline_source,
    la.value_normalized as latest_actual_value,
    la.year as latest_actual_year,
    la.scope_group as actual_scope_group,
    case when la.value_normalized is not null
         then la.derivation || ' — ' || la.source_kind || ': ' || la.source_file end as latest_actual_source,
    coalesce(np.n_actual_points, 0) as n_actual_points,
    coalesce(ic.n_regions_with_actuals, 0) as n_regions_with_actuals,
    c.cumulative_actual_sum,
    c.cumulative_years_observed,
    c.cumulative_last_year,
    cg.cumulative_missing_years,
    -- warnings
    coalesce(
        t.is_cumulative
        and coalesce(pb.value_normalized, ba.value_normalized) > th.cumulative_baseline_max_factor * t.annual_average_normalized,
        false
    ) as baseline_looks_cumulative,
    coalesce(
        not t.is_cumulative
        and not t.is_relative
        and (
            (i.direction = 'higher' and t.value_normalized < coalesce(pb.value_normalized, ba.value_normalized))
            or (i.direction = 'lower' and t.value_normalized > coalesce(pb.value_normalized, ba.value_normalized))
        ),
        false
    ) as target_against_direction,
    t.source_file,
    t.line_number,
    t.cell_text,
    t.row_text
from targets t
cross join thresholds th
left join indicators i on i.indicator_code = t.indicator_code
left join plan_baselines pb
  on pb.plan_id = t.plan_id
 and pb.region_code = t.region_code
 and pb.indicator_code = t.indicator_code
 and pb.year < t.year
left join baseline_from_actuals ba on ba.target_id = t.target_id
left join latest_actual la on la.target_id = t.target_id
left join province_target_year pty on pty.target_id = t.target_id
left join province_latest pl on pl.target_id = t.target_id
left join cumulative c on c.target_id = t.target_id
left join cumulative_gaps cg on cg.target_id = t.target_id
left join n_points np on np.target_id = t.target_id
left join indicator_coverage ic on ic.indicator_code = t.indicator_code

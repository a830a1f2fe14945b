-- Actuals of every region: the preferred observation per region × indicator × year × scope group,
-- plus indicators derived from their components (ref derivations: 城镇化率 = 城镇常住人口 / 常住人口
-- × 100, 城乡居民收入比 = 城镇 / 农村 人均可支配收入, 每千人医师 = 执业医师 / 常住人口 × 1000,
-- R&D 经费投入强度 = R&D 经费内部支出 / 地区生产总值 × 100). Observed wins over derived for the
-- same key unless the derivation's weakest component has a better source precedence than the
-- observation. A derived value outside its indicator's plausible range (the range rule of
-- int_plausibility_rules_resolved, as for observations) is never an actual: it is kept as
-- value_basis 'implausible_derivation' with its plausibility_issue and listed in fct_quarantine.
-- Every derived value is also reconciled with the stated value of the same key where one
-- exists (the plan's own prose statement, an observation, or the plan's own baseline):
-- relative gap beyond derived_tolerance_relative → differs_from_stated.
-- A second basis, 'plan_baseline', derives the same ratios from the plans' printed baselines
-- (e.g. 濮阳 2020: 33643 / 14881); those rows are for reconciliation only and are never
-- used as actuals (value_basis = 'plan_baseline').

with thresholds as (
    select
        max(case when parameter = 'derived_tolerance_relative' then value end) as derived_tolerance_relative
    from {{ ref('stg_reference__progress_thresholds') }}
),

-- scope group: bulletins and census report the whole region ('n.a.'), yearbooks 全市 / 市辖区;
-- preferred is already one plausible value per region × indicator × year × scope group
-- (int_observations_checked: best source precedence, then the latest edition and load)
observed as (
    select
        observation_id,
        region_code,
        indicator_code,
        year,
        scope,
        case when scope = '市辖区' then 'urban_districts' else 'whole_region' end as scope_group,
        value_normalized,
        canonical_unit,
        source_kind,
        source_file,
        source_location,
        source_precedence
    from {{ ref('int_observations_checked') }}
    where preferred
),

-- the recipes: derived indicator = numerator / denominator × factor
recipes as (
    select r.*, 'derived: ' || {{ derivation_formula('r') }} as derivation
    from {{ ref('stg_reference__derivations') }} as r
),

catalogue as (
    select indicator_code, canonical_unit from {{ ref('stg_reference__indicators') }}
),

derived_from_observations as (
    select
        r.indicator_code,
        n.region_code,
        n.year,
        n.scope_group,
        n.scope,
        n.value_normalized / d.value_normalized * r.factor as derived_value,
        n.value_normalized as numerator_value,
        d.value_normalized as denominator_value,
        r.derivation,
        n.source_kind || ' / ' || d.source_kind as source_kind,
        n.source_file || ' / ' || d.source_file as source_file,
        coalesce(n.source_location, '') || ' / ' || coalesce(d.source_location, '') as source_location,
        'observation' as value_basis,
        -- a derived value is as trustworthy as its weakest component
        greatest(coalesce(n.source_precedence, 99), coalesce(d.source_precedence, 99)) as source_precedence
    from recipes r
    join observed n on n.indicator_code = r.numerator_code
    join observed d
      on d.indicator_code = r.denominator_code
     and d.region_code = n.region_code
     and d.year = n.year
     and d.scope_group = n.scope_group
    where d.value_normalized <> 0
),

plan_baselines as (
    select plan_id, region_code, indicator_code, year, value_normalized, source_file, line_number
    from {{ ref('int_plan_targets_checked') }}
    where is_usable and target_kind = 'baseline'
),

derived_from_plan_baselines as (
    select
        r.indicator_code,
        n.region_code,
        n.year,
        'whole_region' as scope_group,
        'n.a.' as scope,
        n.value_normalized / d.value_normalized * r.factor as derived_value,
        n.value_normalized as numerator_value,
        d.value_normalized as denominator_value,
        r.derivation || ' (printed plan baselines)' as derivation,
        'plan_baseline' as source_kind,
        n.source_file as source_file,
        'lines ' || n.line_number || ' / ' || d.line_number as source_location,
        'plan_baseline' as value_basis,
        cast(null as integer) as source_precedence
    from recipes r
    join plan_baselines n on n.indicator_code = r.numerator_code
    join plan_baselines d
      on d.indicator_code = r.denominator_code
     and d.plan_id = n.plan_id
     and d.region_code = n.region_code
     and d.year = n.year
    where d.value_normalized <> 0
),

derived as (
    select d.*, {{ plausibility_range_issue('d.derived_value', 'c.canonical_unit', 'pr') }} as plausibility_issue
    from (
        select * from derived_from_observations
        union all
        select * from derived_from_plan_baselines
    ) as d
    left join catalogue as c on c.indicator_code = d.indicator_code
    left join {{ ref('int_plausibility_rules_resolved') }} as pr
        on pr.rule_key = d.indicator_code and pr.canonical_unit = c.canonical_unit
),

-- what the sources state for the same key, in order of trust for a derived row: the same plan
-- document's own statement (for a row derived from that plan's printed baselines: 濮阳's
-- "城乡居民收入比缩小到 2.26" against 33643 / 14881), else the preferred observation, else the
-- plan's printed baseline
stated as (
    select region_code, indicator_code, year, scope_group, value_normalized as stated_value,
           'observation (' || source_kind || ')' as stated_source, source_file as stated_file, 1 as stated_rank
    from observed
    union all
    select region_code, indicator_code, year, 'whole_region', value_normalized,
           'plan statement (' || source_file || ' ' || source_location || ')', source_file, 0
    from {{ ref('int_observations_checked') }}
    where source_kind = 'plan_statement'
      and plausibility_issue is null
      and indicator_code is not null
      and value_normalized is not null
    union all
    select region_code, indicator_code, year, 'whole_region', value_normalized,
           'plan baseline (' || source_file || ' line ' || line_number || ')', source_file, 2
    from plan_baselines
),

derived_reconciled as (
    select
        dv.*,
        s.stated_value,
        s.stated_source,
        abs(dv.derived_value - s.stated_value) / nullif(abs(s.stated_value), 0) as derived_vs_stated_rel_gap
    from derived dv
    left join stated s
      on s.region_code = dv.region_code
     and s.indicator_code = dv.indicator_code
     and s.year = dv.year
     and s.scope_group = dv.scope_group
     and (s.stated_rank <> 0 or (dv.value_basis = 'plan_baseline' and s.stated_file = dv.source_file))
    qualify row_number() over (
        partition by dv.value_basis, dv.region_code, dv.indicator_code, dv.year, dv.scope_group, dv.source_file
        order by s.stated_rank nulls last, s.stated_source
    ) = 1
),

-- the one rule between an observation and a derivation of the same key: the derivation is the
-- actual only when it is plausible and nothing as good is observed (source precedence of its
-- weakest component vs the observation's), e.g. census counts 1884758 / 3772088 over a plan's
-- "城镇化率达到 49.97%"
derived_choice as (
    select
        dr.*,
        dr.plausibility_issue is null and not exists (
            select 1 from observed o
            where o.region_code = dr.region_code
              and o.indicator_code = dr.indicator_code
              and o.year = dr.year
              and o.scope_group = dr.scope_group
              and coalesce(o.source_precedence, 99) <= dr.source_precedence
        ) as derived_wins
    from derived_reconciled dr
    where dr.value_basis = 'observation'
),

observed_rows as (
    select
        o.region_code,
        o.indicator_code,
        o.year,
        o.scope,
        o.scope_group,
        'observation' as value_basis,
        o.value_normalized,
        o.canonical_unit,
        'observed' as derivation,
        o.observation_id,
        o.source_kind,
        o.source_file,
        o.source_location,
        dr.derived_value,
        dr.derivation as derivation_available,
        o.value_normalized as stated_value,
        'observation (' || o.source_kind || ')' as stated_source,
        dr.derived_vs_stated_rel_gap,
        cast(null as varchar) as plausibility_issue
    from observed o
    left join derived_choice dr
      on dr.region_code = o.region_code
     and dr.indicator_code = o.indicator_code
     and dr.year = o.year
     and dr.scope_group = o.scope_group
    -- an observation that gives way to a derivation only reconciles it
    where not coalesce(dr.derived_wins, false)
),

derived_rows as (
    -- derived from observations where the derivation wins (derived_choice); an implausible one as
    -- 'implausible_derivation'; derived from plan baselines always (reconciliation rows,
    -- value_basis = 'plan_baseline')
    select
        dr.region_code,
        dr.indicator_code,
        dr.year,
        dr.scope,
        dr.scope_group,
        case when dr.value_basis = 'observation' and dr.plausibility_issue is not null
             then 'implausible_derivation' else dr.value_basis end as value_basis,
        dr.derived_value as value_normalized,
        c.canonical_unit,
        dr.derivation,
        null as observation_id,
        dr.source_kind,
        dr.source_file,
        dr.source_location,
        dr.derived_value,
        dr.derivation as derivation_available,
        dr.stated_value,
        dr.stated_source,
        dr.derived_vs_stated_rel_gap,
        dr.plausibility_issue
    from derived_reconciled dr
    left join catalogue c on c.indicator_code = dr.indicator_code
    left join derived_choice ch
      on dr.value_basis = 'observation'
     and ch.region_code = dr.region_code
     and ch.indicator_code = dr.indicator_code
     and ch.year = dr.year
     and ch.scope_group = dr.scope_group
    where dr.value_basis = 'plan_baseline' or ch.derived_wins or dr.plausibility_issue is not null
),

unioned as (
    select * from observed_rows
    union all
    select * from derived_rows
)

select
    -- source_file: two plan documents of one city each give their own baseline-derived row
    md5(concat_ws('|', u.value_basis, u.region_code, u.indicator_code, u.year, u.scope_group, u.source_file)) as actual_id,
    u.region_code,
    u.indicator_code,
    u.year,
    u.scope,
    u.scope_group,
    u.value_basis,
    u.value_normalized,
    u.canonical_unit,
    u.derivation,
    u.observation_id,
    u.source_kind,
    u.source_file,
    u.source_location,
    u.derived_value,
    u.derivation_available,
    -- the stated value is only a cross-check where it did not come from the same derivation
    case when u.derived_value is not null and u.stated_value is not null then u.stated_value end as stated_value,
    case when u.derived_value is not null and u.stated_value is not null then u.stated_source end as stated_source,
    u.derived_vs_stated_rel_gap,
    case
        when u.derived_value is null then 'not_derived'
        when u.stated_value is null then 'no_stated_value'
        when u.derived_vs_stated_rel_gap > t.derived_tolerance_relative then 'differs_beyond_rounding'
        else 'reconciled'
    end as reconciliation_status,
    coalesce(u.derived_vs_stated_rel_gap > t.derived_tolerance_relative, false) as differs_from_stated,
    u.plausibility_issue
from unioned u
cross join thresholds t

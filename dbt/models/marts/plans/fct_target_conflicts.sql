-- Targets that disagree: the same region × indicator × year printed with different values in
-- different places of a plan (indicator table 专栏1 vs action table 专栏13–18 vs prose).
-- One row per conflicting printed target, so both provenances are kept side by side.
with targets as (
    select *
    from {{ ref('int_plan_targets_checked') }}
    where is_usable and target_kind = 'target'
),

groups as (
    select
        region_code,
        indicator_code,
        year,
        count(*) as n_targets,
        count(distinct value_normalized) as n_distinct_values,
        count(distinct comparator) as n_distinct_comparators,
        -- ordered, so that two runs over the same inputs publish the same text
        string_agg(distinct comparator || ' ' || cast(value_normalized as varchar) || ' (' || source_kind
                   || coalesce(' ' || table_ref, '') || ')', '; '
                   order by comparator || ' ' || cast(value_normalized as varchar) || ' (' || source_kind
                   || coalesce(' ' || table_ref, '') || ')') as all_values
    from targets
    group by all
    having count(distinct value_normalized) > 1
)

select
    md5(g.region_code || '|' || g.indicator_code || '|' || g.year) as conflict_id,
    t.target_id,
    g.region_code,
    g.indicator_code,
    g.year,
    t.plan_id,
    t.source_kind,
    t.table_ref,
    t.comparator,
    t.value_normalized,
    t.canonical_unit,
    g.n_targets,
    g.n_distinct_values,
    g.all_values,
    t.indicator_label,
    t.source_file,
    t.line_number,
    t.cell_text,
    t.row_text
from groups g
join targets t
  on t.region_code = g.region_code
 and t.indicator_code = g.indicator_code
 and t.year = g.year

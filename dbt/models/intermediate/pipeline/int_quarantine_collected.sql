-- Rejected input, never silently dropped: file, location, reason and the verbatim text.
--   stage 'load':         what a loader could not read (raw.quarantine)
--   stage 'plausibility': values that were read but fail a plausibility rule (range or jump,
--                         raw/reference/plausibility_rules.csv) - observations from
--                         int_observations_checked, plan baselines/targets from int_plan_targets_checked
--                         (asset is the loader that landed them), and values derived from two
--                         plausible observations that fall outside their indicator's range
--                         (int_indicator_actuals_derived, value_basis implausible_derivation).
select
    load_id, asset, 'load' as stage, source_kind, source_file, source_sha256, location, reason, verbatim, quarantined_at
from {{ ref('stg_pipeline__quarantine') }}

union all

select
    load_id,
    loader_asset                             as asset,
    'plausibility'                           as stage,
    source_kind,
    source_file,
    source_sha256,
    source_location                          as location,
    plausibility_issue                       as reason,
    verbatim,
    loaded_at                                as quarantined_at
from {{ ref('int_observations_checked') }}
where plausibility_issue is not null

union all

select
    load_id,
    case source_kind when 'table' then 'raw/plan_indicator_cells' else 'raw/plan_prose_targets' end as asset,
    'plausibility'                           as stage,
    'plan_' || source_kind                   as source_kind,
    source_file,
    source_sha256,
    'line ' || line_number || ' (' || coalesce(table_ref || ', ', '') || year || ')' as location,
    plausibility_issue                       as reason,
    cell_text                                as verbatim,
    loaded_at                                as quarantined_at
from {{ ref('int_plan_targets_checked') }}
where plausibility_issue is not null

union all

select
    cast(null as varchar)                    as load_id,
    'intermediate/int_indicator_actuals_derived' as asset,
    'plausibility'                           as stage,
    'derived'                                as source_kind,
    source_file,
    cast(null as varchar)                    as source_sha256,
    region_code || ' ' || indicator_code || ' ' || year || ' (' || scope_group || '): ' || source_location as location,
    plausibility_issue                       as reason,
    derivation || ' = ' || {{ fmt_number('value_normalized') }} as verbatim,
    cast(null as timestamp)                  as quarantined_at
from {{ ref('int_indicator_actuals_derived') }}
where value_basis = 'implausible_derivation'

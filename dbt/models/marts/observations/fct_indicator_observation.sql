-- Observed values (actuals) of every source for every region, long format: the plausible ones
-- (int_observations_checked; implausible values are in fct_quarantine instead). indicator_key is
-- the catalogue code, or one 'unmapped:<section>/<label> [<unit>]' key per printed column
-- (int_observations_normalized).
select
    observation_id,
    region_code,
    indicator_key,
    indicator_code,
    indicator_label_raw,
    year,
    scope,
    value_raw,
    unit_raw,
    value,
    value_normalized,
    canonical_unit,
    unit_multiplier,
    population_basis,
    preferred,
    derivation,
    source_precedence,
    n_sources_for_key,
    source_kind,
    source_file,
    source_sha256,
    source_location,
    verbatim,
    also_in,
    edition,
    load_id,
    loaded_at
from {{ ref('int_observations_checked') }}
where plausibility_issue is null
  and (indicator_code is not null or value is not null)

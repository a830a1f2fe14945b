{{ config(meta={"dagster": {"ref": {"name": "fct_plan_target"}}}) }}
-- A mapped, non-missing plan value must be normalized to its indicator's canonical unit;
-- otherwise the units reference (raw/reference/units.csv) lacks a conversion.
select f.source_file, f.line_number, f.cell_text, f.target_id, f.indicator_code, f.unit_original, f.canonical_unit,
       i.canonical_unit as catalogue_unit
from {{ ref('fct_plan_target') }} as f
join {{ ref('dim_indicator') }} as i using (indicator_code)
where not f.is_missing
  and f.canonical_unit is distinct from i.canonical_unit

{#- The common columns of every raw.*_observations table (dagster_project/sources/common/provenance.py
    OBSERVATION_SCHEMA + the loader's unit_key/label_key), renamed and cast the same way. What the
    source printed: the indicator code is given in int_indicator_labels_mapped. -#}
{% macro observation_columns() -%}
    source_kind,
    source_file,
    source_sha256,
    source_location,
    verbatim,
    region_name_raw,
    region_code,
    cast(year as integer)      as year,
    coalesce(scope, 'n.a.')    as scope,
    indicator_label_raw,
    label_scope,
    label_key,
    unit_raw,
    coalesce(unit_key, '')     as unit_key,
    value_raw,
    cast(value as double)      as value,
    load_id,
    loaded_at
{%- endmacro %}

{#- A derivation of ref derivations (joined as `recipe`) in words: 'urban_resident_population /
    resident_population × 100' (no factor when it is 1). -#}
{% macro derivation_formula(recipe) -%}
    {{ recipe }}.numerator_code || ' / ' || {{ recipe }}.denominator_code
    || case when {{ recipe }}.factor <> 1 then ' × ' || {{ fmt_number(recipe ~ '.factor') }} else '' end
{%- endmacro %}

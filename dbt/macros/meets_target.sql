{#- Whether `value` satisfies the row's target with its comparator (= reads as ≥ / ≤ by the indicator's
    direction, ≈ and a neutral direction within approx_tolerance_relative); null without a value or target.
    The row must have comparator, target_value, target_value_high, direction and approx_tolerance_relative.
    One rule for the status of an observed value (int_target_progress_computed) and of a projected one
    (mart_target_projection). -#}
{% macro meets_target(value) -%}
    case
        when {{ value }} is null or target_value is null then null
        when comparator = '≈' then abs({{ value }} - target_value) <= approx_tolerance_relative * abs(target_value)
        when comparator = 'between' then {{ value }} between target_value and coalesce(target_value_high, target_value)
        when comparator = '>' then {{ value }} > target_value
        when comparator = '≥' then {{ value }} >= target_value
        when comparator = '<' then {{ value }} < target_value
        when comparator = '≤' then {{ value }} <= target_value
        when direction = 'higher' then {{ value }} >= target_value
        when direction = 'lower' then {{ value }} <= target_value
        else abs({{ value }} - target_value) <= approx_tolerance_relative * abs(target_value)
    end
{%- endmacro %}

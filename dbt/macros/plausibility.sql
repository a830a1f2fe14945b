{#- A number as people print it: 6239, 43400000, 62.39 (no trailing .0, no exponent below 1e15). -#}
{% macro fmt_number(expr) -%}
    printf('%.15g', {{ expr }})
{%- endmacro %}

{#- The range rule: why `value` is outside the bounds of the rule joined as `rule`
    (int_plausibility_rules_resolved), or null when it is inside or there is no bound. -#}
{% macro plausibility_range_issue(value, unit, rule) -%}
    case
        when {{ value }} < {{ rule }}.min_value or {{ value }} > {{ rule }}.max_value then
            'range: ' || {{ fmt_number(value) }} || ' ' || coalesce({{ unit }}, '')
            || case when {{ value }} < {{ rule }}.min_value
                    then ' is below the minimum ' || {{ fmt_number(rule ~ '.min_value') }}
                    else ' is above the maximum ' || {{ fmt_number(rule ~ '.max_value') }} end
            || ' ' || coalesce({{ unit }}, '')
            || ' (plausibility_rules.csv, ' || {{ rule }}.rule_name || ': ' || {{ rule }}.why || ')'
    end
{%- endmacro %}

{#- The jump rule over `points` (observations in range, with their rule's max_jump_factor and
    max_year_gap), each judged against the others: one row per outlier, i.e. a value whose ratio
    (larger / smaller) to every one of its references exceeds max_jump_factor, given at least two
    references, or one that is a better-ranked source for the same key. References: the other values
    of the same region × indicator × scope group in the same year and in the two nearest other years
    on each side, at most max_year_gap years away. Zero only compares with zero. -#}
{% macro jump_outliers(points) %}
    with series_years as (
        select distinct region_code, indicator_code, scope_group, year, max_year_gap
        from {{ points }}
        where max_jump_factor is not null
    ),

    -- a year's candidate reference years: each year within max_year_gap of it, so that the join below
    -- is on the year too (joined on the series alone, every two years of a series would be paired
    -- first: years², 200,000 pairs on a series of 450 years)
    candidate_years as (
        select *, year + unnest(range(-max_year_gap, max_year_gap + 1)) as candidate_year
        from series_years
    ),

    reference_years as (
        select region_code, indicator_code, scope_group, year, year as ref_year
        from series_years
        union all
        select a.region_code, a.indicator_code, a.scope_group, a.year, b.year as ref_year
        from candidate_years as a
        join series_years as b
            on b.region_code = a.region_code and b.indicator_code = a.indicator_code
            and b.scope_group = a.scope_group and b.year = a.candidate_year and b.year <> a.year
        qualify row_number() over (
            partition by a.region_code, a.indicator_code, a.scope_group, a.year, sign(b.year - a.year)
            order by abs(b.year - a.year)
        ) <= 2
    ),

    -- the values of each point's reference years (materialized: joined to the points on the year too,
    -- so no plan can pair every two years of a series first - that join grows with years², ~10x
    -- the rows on a series of 47 years)
    reference_values as materialized (
        select
            y.region_code, y.indicator_code, y.scope_group, y.year,
            r.observation_id                                                     as ref_id,
            r.value_normalized                                                   as ref_value,
            r.year                                                               as ref_year,
            r.source_precedence                                                  as ref_precedence,
            r.source_kind || ' ' || r.source_file || ' ' || r.source_location    as ref_source
        from reference_years as y
        join {{ points }} as r
            on r.region_code = y.region_code and r.indicator_code = y.indicator_code
            and r.scope_group = y.scope_group and r.year = y.ref_year
    ),

    comparisons as (
        select
            p.observation_id,
            p.year,
            p.source_precedence,
            p.max_jump_factor,
            r.ref_value,
            r.ref_year,
            r.ref_precedence,
            r.ref_source,
            case
                when least(p.value_normalized, r.ref_value) > 0
                    then greatest(p.value_normalized, r.ref_value) / least(p.value_normalized, r.ref_value)
                when p.value_normalized = r.ref_value then 1.0
            end                                                                  as ratio
        from {{ points }} as p
        join reference_values as r
            on r.region_code = p.region_code and r.indicator_code = p.indicator_code
            and r.scope_group = p.scope_group and r.year = p.year
            and r.ref_id <> p.observation_id
    )

    -- the closest reference: smallest ratio, then nearest year, then source (deterministic)
    select
        observation_id,
        count(*)                                                           as n_references,
        min(ratio)                                                         as min_ratio,
        arg_min(ref_value, (ratio, abs(ref_year - year), ref_source))      as closest_value,
        arg_min(ref_year, (ratio, abs(ref_year - year), ref_source))       as closest_year,
        arg_min(ref_source, (ratio, abs(ref_year - year), ref_source))     as closest_source
    from comparisons
    where ratio is not null
    group by observation_id
    having count(*) filter (where ratio <= max_jump_factor) = 0
       and (count(*) >= 2 or bool_and(ref_year = year and ref_precedence < source_precedence))
{% endmacro %}

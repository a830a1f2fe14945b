-- Every observed value of every source in one shape (derivation: 'stated' unless the source says the
-- value is a bulletin's revision or a previous-year value derived from a printed change), with its unit normalized to the
-- catalogue's canonical unit (indicator-specific unit rows first), its scope group and the
-- precedence of its source kind (ref source_precedence). The plausibility rules and the
-- `preferred` flag come next, in int_observations_checked.
--   * observation_id: md5 of source kind, the file's sha256 (not its name: a renamed file keeps its
--     ids), location, printed label and year. The same bytes under a second file name are the same
--     document: its rows get the same ids and only the first file name's rows are kept (both files
--     stay listed in the load log / mart_load_summary).
--   * one bulletin in two files (an HTML page and the PDF or Word file of the same bulletin: the same
--     bulletin_key, read from the title - title kind, region, year - never from the file name): a
--     figure both files print with the same value for the same region × indicator × year × scope is
--     one observation. The row of the first file is kept - HTML, then Word, then PDF (the text as
--     published before the text reconstructed from a page layout), then by file name - and also_in
--     names the other files' places ('<file> <location>'). Where the files differ on a figure, both
--     rows stay: two sources of one key, a visible conflict (n_sources_for_key = 2), one preferred.
--   * indicator_key: the catalogue code, or for a value the mapping does not know one key per
--     printed column: 'unmapped:' + the yearbook's section header where it has one (table number,
--     bracketed parts and spaces dropped: '2-37 在校学生数(二) （人）' → 在校学生数) + '/' + the
--     normalized label + ' [' + canonical unit (the printed unit when no unit row knows it) + ']',
--     e.g. 'unmapped:在校学生数/普通小学 [persons]' next to 'unmapped:专任教师数/普通小学 [persons]'.
--   * department_report rows (data-call returns, int_department_reports_matched) carry the indicator code of
--     their template row's hidden id and are normalized with the unit and multiplier of the plan target they
--     answer (the unit the template printed); their datacall_issue (stale template) is judged in
--     int_observations_checked.
{%- set sources = [
    ('stg_yearbooks__observations', 'raw/yearbook_observations'),
    ('stg_census__observations', 'raw/census_observations'),
    ('stg_bulletins__html_observations', 'raw/bulletin_observations'),
    ('stg_bulletins__facts', 'raw/bulletin_facts'),
    ('stg_plans__stated_values', 'raw/plan_stated_values'),
    ('int_department_reports_matched', 'raw/department_report_observations'),
] %}
-- loader_asset: the Dagster asset that landed the row (for the load summary)
with unioned as (
    {%- for model, asset in sources %}
    select *, '{{ asset }}' as loader_asset from {{ ref(model) }}
    {%- if not loop.last %}
    union all by name{% endif %}
    {%- endfor %}
),

-- the printed label's catalogue code and a unit the source does not print (a yearbook header without
-- unit, the census files): from the one mapping step, int_indicator_labels_mapped
labelled as (
    select
        u.* exclude (indicator_code) replace (
            coalesce(u.unit_raw, l.assumed_unit)                                   as unit_raw,
            coalesce(nullif(u.unit_key, ''), l.assumed_unit_key, '')               as unit_key,
            case when u.unit_raw is null and l.assumed_unit is not null then 'mapping' else u.unit_source end as unit_source
        ),
        coalesce(u.indicator_code, l.indicator_code)                               as indicator_code
    from unioned as u
    left join {{ ref('int_indicator_labels_mapped') }} as l
        on l.label_scope = u.label_scope and l.label_key = u.label_key and l.unit_key = u.unit_key and l.scope = u.scope
),

units as (
    select * from {{ ref('stg_reference__units') }}
),

normalized as (
    select
        u.*,
        coalesce(u.target_canonical_unit, specific.canonical_unit, generic.canonical_unit)  as canonical_unit,
        coalesce(u.target_unit_multiplier, specific.multiplier, generic.multiplier)          as unit_multiplier,
        u.value * coalesce(u.target_unit_multiplier, specific.multiplier, generic.multiplier) as value_normalized,
        -- whole-city figures of bulletins and census (scope n.a.) compete with the yearbook's 全市
        case when u.scope = '市辖区' then '市辖区' else '全市' end as scope_group
    from labelled as u
    left join units as specific
        on specific.unit_key = u.unit_key and specific.indicator_code = u.indicator_code
    left join units as generic
        on generic.unit_key = u.unit_key and generic.indicator_code is null
),

-- the section name of a yearbook header, computed once per distinct header
sections as (
    select
        header_section,
        regexp_replace(regexp_replace(regexp_replace(
            header_section, '^\s*[0-9]+-[0-9]+\s*', ''), '[(（][^)）]*[)）]', '', 'g'), '\s', '', 'g') as section_name
    from (select distinct header_section from unioned where header_section is not null)
),

keyed as (
    select
        md5(concat_ws('|', source_kind, source_sha256, source_location, indicator_label_raw, year)) as observation_id,
        coalesce(
            indicator_code,
            'unmapped:'
            || coalesce(nullif(nullif(s.section_name, ''), label_key) || '/', '')
            || label_key
            || ' [' || coalesce(canonical_unit, nullif(unit_key, ''), 'no unit') || ']'
        ) as indicator_key,
        n.*
    from normalized as n
    left join sections as s using (header_section)
),

-- the same bytes under a second file name: only the first file name's rows are kept (two rows of one
-- file with the same id stay both, and the unique test on observation_id names them)
first_file as (
    select observation_id, min(source_file) as source_file
    from keyed
    group by observation_id
),

one_copy as (
    select k.*
    from keyed as k
    semi join first_file as f on f.observation_id = k.observation_id and f.source_file = k.source_file
),

-- the same figure of one bulletin in several files: which file's row is kept
bulletin_copies as (
    select
        observation_id, source_file, source_location, bulletin_key, region_code, indicator_key, year, scope, value_normalized,
        first_value(source_file) over (
            partition by bulletin_key, region_code, indicator_key, year, scope, value_normalized
            order by case document_format when 'html' then 1 when 'docx' then 2 else 3 end, source_file
        ) as kept_file
    from one_copy
    where bulletin_key is not null and value_normalized is not null
),

also_in as (
    select
        kept_file as source_file, bulletin_key, region_code, indicator_key, year, scope, value_normalized,
        string_agg(source_file || ' ' || source_location, '; ' order by source_file, source_location) as also_in
    from bulletin_copies
    where source_file <> kept_file
    group by all
)

select
    o.* replace (coalesce(o.derivation, 'stated') as derivation),
    a.also_in,
    p.precedence as source_precedence
from one_copy as o
anti join bulletin_copies as c on c.observation_id = o.observation_id and c.source_file <> c.kept_file
left join also_in as a
    on a.source_file = o.source_file and a.bulletin_key = o.bulletin_key and a.region_code = o.region_code
    and a.indicator_key = o.indicator_key and a.year = o.year and a.scope = o.scope
    and a.value_normalized = o.value_normalized
left join {{ ref('stg_reference__source_precedence') }} as p using (source_kind)

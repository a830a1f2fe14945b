"""Dagster assets that land source files in the build database's ``raw`` schema.

One asset per source kind; each parses with its ingest module, writes one raw table,
replaces its own rows of ``raw.quarantine`` and records per-file counts in
``raw.load_log``. The load id of every row is the Dagster run id.
"""

from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, asset, multi_asset

from dagster_project import config
from dagster_project.ingest.common import QuarantineRow, SourceError, file_sha256, normalize_label, normalize_text
from dagster_project.ingest.plan_tables import CELL_COLUMNS, parse_plan_tables
from dagster_project.ingest.reference import REFERENCE_DIR, read_reference, reference_files
from dagster_project.warehouse import build_connection, log_loads, replace_quarantine, replace_table

RAW = ["raw"]


def _key(column: str, fn=normalize_text) -> pl.Expr:
    """A normalized matching key of a printed text column (labels, units)."""
    return pl.col(column).fill_null("").map_elements(fn, return_dtype=pl.Utf8)


def land(
    context: AssetExecutionContext,
    table: str,
    frames: list[pl.DataFrame],
    quarantine: list[QuarantineRow],
    per_file: list[dict],
    empty_schema: dict | None = None,
) -> MaterializeResult:
    """Write one raw table + quarantine + load log in the run's build file."""
    load_id = context.run_id
    df = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=empty_schema or {})
    asset_name = context.asset_key.to_user_string()
    with build_connection(context.run_id) as con:
        n = replace_table(con, table, df, load_id)
        nq = replace_quarantine(con, asset_name, quarantine, load_id)
        log_loads(con, asset_name, load_id, per_file)
    for q in quarantine:
        context.log.warning(f"quarantined: {q.source_file} {q.location}: {q.reason}")
    return MaterializeResult(
        metadata={
            "rows": n,
            "quarantined": nq,
            "files": MetadataValue.md("\n".join(f"- {f['source_file']}: {f.get('rows_loaded', 0)} rows, {f.get('rows_quarantined', 0)} quarantined" for f in per_file) or "(none)"),
            "load_id": load_id,
        }
    )


@multi_asset(
    specs=[
        AssetSpec(AssetKey(RAW + [f"ref_{name}"]), group_name="raw", description=f"raw/reference/{name}.csv (curated reference data)")
        for name in reference_files(REFERENCE_DIR)
    ],
    name="raw_reference",
)
def raw_reference(context: AssetExecutionContext):
    """Curated reference CSVs (raw/reference) → raw.ref_* tables, read by dbt staging."""
    with build_connection(context.run_id) as con:
        for name in reference_files(REFERENCE_DIR):
            df = read_reference(name)
            if name == "indicator_label_map":
                df = df.with_columns(_key("label_printed", normalize_label).alias("label_key"))
            if name == "units":
                df = df.with_columns(_key("unit_printed").alias("unit_key"))
            n = replace_table(con, f"ref_{name}", df, context.run_id)
            yield MaterializeResult(asset_key=AssetKey(RAW + [f"ref_{name}"]), metadata={"rows": n})


def land_files(context, table, files, parse, frame, empty_schema=None, extra_tables=None) -> MaterializeResult:
    """Parse each file with ``parse(path) -> result``, take ``frame(result, path)`` as its rows
    and land them all in ``raw.<table>`` (plus quarantine, load log and extra tables named
    ``{table_name: result_attribute}``). Any failure of one file -- a SourceError, but also an
    unexpected exception of the parser, MemoryError included -- quarantines that file as a whole
    (reason with the exception type) and is logged; the other files still land and the quality
    gates decide about publishing."""
    frames, quarantine, per_file, extras = [], [], [], {}
    for path in files:
        sha = ""
        try:
            sha = file_sha256(path)
            result = parse(path)
            rows = frame(result, path)
            file_extras = {name: getattr(result, attr) for name, attr in (extra_tables or {}).items()}
        except Exception as exc:  # noqa: BLE001 - one file's failure is that file's quarantine
            if isinstance(exc, SourceError):
                location, reason = exc.location or "file", exc.reason
            else:
                location, reason = "file", f"parser failed with {type(exc).__name__}" + (f": {exc}" if str(exc) else "")
            quarantine.append(QuarantineRow(table, path.name, sha, location, reason, ""))
            per_file.append({"source_file": path.name, "source_sha256": sha, "rows_loaded": 0, "rows_quarantined": 1})
            context.log.error(f"{path.name}: file quarantined ({location}): {reason}")
            continue
        frames.append(rows)
        quarantine.extend(result.quarantine)
        for name, df in file_extras.items():
            extras.setdefault(name, []).append(df)
        per_file.append({"source_file": path.name, "source_sha256": sha, "rows_loaded": rows.height, "rows_quarantined": len(result.quarantine)})
        context.log.info(f"{path.name}: {rows.height} rows, {len(result.quarantine)} quarantined; {getattr(result, 'summary', '') or getattr(result, 'tables', '')}")
    if not files:
        context.log.warning(f"{table}: no source files found in {[str(d) for d in config.source_dirs()]}; landing an empty table")
    out = land(context, table, frames, quarantine, per_file, empty_schema)
    if extras:
        with build_connection(context.run_id) as con:
            for name, dfs in extras.items():
                replace_table(con, name, pl.concat(dfs, how="diagonal_relaxed"), context.run_id)
    return out


def _one_file_per_plan(rows):
    """A ``land_files`` frame: ``rows(result)``, unless an earlier file of this run was the same
    plan (same plan id, read from the content: plan_identity) -- e.g. a draft and its final
    version, or a renamed copy with other bytes: then this file is quarantined as a whole."""
    seen: dict[str, Path] = {}

    def frame(result, path):
        first = seen.setdefault(result.plan_id, path)
        if first != path:
            raise SourceError(path.name, None, f"same plan as {first.name} (plan id {result.plan_id!r}): "
                              "two versions of one plan cannot both be read; keep one")
        return rows(result)

    return frame


@asset(
    key=AssetKey(RAW + ["plan_indicator_cells"]),
    group_name="raw",
    description="Indicator tables (专栏1 …) found in every plan document → one row per printed cell with provenance.",
)
def raw_plan_indicator_cells(context: AssetExecutionContext) -> MaterializeResult:
    plans = config.find_source_files("plans", ("*.md",))
    if not plans:
        raise SourceError(str(config.RAW_DIR / "plans"), None, "no plan documents found")
    return land_files(context, "plan_indicator_cells", plans, parse_plan_tables, _one_file_per_plan(lambda r: r.cells), CELL_COLUMNS)


@asset(
    key=AssetKey(RAW + ["plan_prose_targets"]),
    group_name="raw",
    description="Numeric targets in the plans' prose and action tables (专栏13–18) → one row per target with the verbatim clause.",
)
def raw_plan_prose_targets(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.prose_targets import extract_prose_targets

    def rows(result):
        return result.targets.with_columns(
            pl.lit(result.plan_id).alias("plan_id"),
            pl.int_range(1, pl.len() + 1).over("line_number").alias("item_on_line"),
            _key("subject", normalize_label).alias("label_key"),
            _key("unit").alias("unit_key"),
        )

    return land_files(context, "plan_prose_targets", config.find_source_files("plans", ("*.md",)), extract_prose_targets,
                      _one_file_per_plan(rows))


# ---------------------------------------------------------------------------
# Actuals: yearbooks, census, bulletins → raw.*_observations (one long shape)
# ---------------------------------------------------------------------------


def _observation_files_result(context, table, files, parse, empty_schema, extra_tables=None):
    """Land observation files: the common long shape plus the unit and label matching keys."""
    return land_files(
        context, table, files, parse,
        lambda r, _path: r.observations.with_columns(
            _key("unit_raw").alias("unit_key"), _key("indicator_label_raw", normalize_label).alias("label_key")
        ),
        {**empty_schema, "unit_key": pl.Utf8, "label_key": pl.Utf8},
        extra_tables,
    )


@asset(
    key=AssetKey(RAW + ["plan_stated_values"]),
    group_name="raw",
    description=(
        "What the plans' prose states about years before the plan period (e.g. 濮阳 2020 城乡居民收入比 2.26) "
        "→ observations (source_kind plan_statement) with the verbatim sentence, for reconciliation and monitoring."
    ),
)
def raw_plan_stated_values(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.prose_targets import extract_stated_values
    from dagster_project.ingest.yearbooks import OBSERVATION_POLARS_SCHEMA

    plans = config.find_source_files("plans", ("*.md",))
    return _observation_files_result(context, "plan_stated_values", plans, extract_stated_values, OBSERVATION_POLARS_SCHEMA)


@asset(
    key=AssetKey(RAW + ["yearbook_observations"]),
    group_name="raw",
    description=(
        "China City Statistical Yearbook editions (any *.xlsx under <source dir>/yearbooks/): every city × column cell, "
        "columns matched by header label + unit through raw/reference/yearbook_columns.csv; unknown headers land "
        "unmapped and are listed in raw.yearbook_unmapped_headers."
    ),
)
def raw_yearbook_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.yearbooks import UNMAPPED_SCHEMA, YEARBOOK_OBSERVATION_SCHEMA, parse_yearbook

    files = config.find_source_files("yearbooks", ("*.xlsx", "*.xls"))
    with build_connection(context.run_id) as con:  # emptied first: stays empty when no file lands
        replace_table(con, "yearbook_unmapped_headers", pl.DataFrame(schema=UNMAPPED_SCHEMA), context.run_id)
    return _observation_files_result(
        context, "yearbook_observations", files, parse_yearbook, YEARBOOK_OBSERVATION_SCHEMA,
        extra_tables={"yearbook_unmapped_headers": "unmapped_headers"},
    )


@asset(
    key=AssetKey(RAW + ["census_observations"]),
    group_name="raw",
    description="2010/2020 census population by prefecture city (CSV) and 2020 by county (xlsx) under <source dir>/census/.",
)
def raw_census_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.census import parse_census_city, parse_census_county
    from dagster_project.ingest.yearbooks import OBSERVATION_POLARS_SCHEMA

    files = config.find_source_files("census", ("*.csv", "*.xlsx"))

    def parse(path):
        return parse_census_city(path) if path.suffix.lower() == ".csv" else parse_census_county(path)

    return _observation_files_result(context, "census_observations", files, parse, {**OBSERVATION_POLARS_SCHEMA, "region_level": pl.Utf8})


@asset(
    key=AssetKey(RAW + ["bulletin_observations"]),
    group_name="raw",
    description="Headline figures of statistical bulletins (HTML under <source dir>/bulletins/), each with its sentence.",
)
def raw_bulletin_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.bulletins import parse_bulletin_html
    from dagster_project.ingest.yearbooks import OBSERVATION_POLARS_SCHEMA

    files = config.find_source_files("bulletins", ("*.html", "*.htm"))
    return _observation_files_result(context, "bulletin_observations", files, parse_bulletin_html, OBSERVATION_POLARS_SCHEMA)


@asset(
    key=AssetKey(RAW + ["bulletin_facts"]),
    group_name="raw",
    description="raw/bulletins/bulletin_facts.csv: figures of 濮阳, 菏泽, 河南省, 山东省 bulletins with their sources.",
)
def raw_bulletin_facts(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.bulletins import parse_bulletin_facts
    from dagster_project.ingest.yearbooks import OBSERVATION_POLARS_SCHEMA

    files = config.find_source_files("bulletins", ("*.csv",))
    return _observation_files_result(context, "bulletin_facts", files, parse_bulletin_facts, OBSERVATION_POLARS_SCHEMA)


LOADERS = [
    AssetKey(RAW + ["plan_indicator_cells"]),
    AssetKey(RAW + ["plan_prose_targets"]),
    AssetKey(RAW + ["plan_stated_values"]),
    AssetKey(RAW + ["yearbook_observations"]),
    AssetKey(RAW + ["census_observations"]),
    AssetKey(RAW + ["bulletin_observations"]),
    AssetKey(RAW + ["bulletin_facts"]),
]


@multi_asset(
    specs=[
        AssetSpec(AssetKey(RAW + ["quarantine"]), deps=LOADERS, group_name="raw", description="Every rejected row/cell/file of every loader, with file, location and reason."),
        AssetSpec(AssetKey(RAW + ["load_log"]), deps=LOADERS, group_name="raw", description="Rows loaded and quarantined per loader and file, per load id."),
    ],
    name="raw_load_ledger",
)
def raw_load_ledger(context: AssetExecutionContext):
    """Make sure the ledger tables exist (even when no loader ran in this run) and report them."""
    from dagster_project.warehouse import LOAD_LOG_DDL, QUARANTINE_DDL

    with build_connection(context.run_id) as con:
        con.execute(QUARANTINE_DDL)
        con.execute(LOAD_LOG_DDL)
        per_file = con.execute(
            "select asset, source_file, rows_loaded, rows_quarantined from raw.load_log order by asset, source_file"
        ).fetchall()
        nq = con.execute("select count(*) from raw.quarantine").fetchone()[0]
    table = "\n".join(f"| {a} | {f} | {n} | {q} |" for a, f, n, q in per_file)
    yield MaterializeResult(asset_key=AssetKey(RAW + ["quarantine"]), metadata={"rows": nq})
    yield MaterializeResult(
        asset_key=AssetKey(RAW + ["load_log"]),
        metadata={"files": MetadataValue.md("| asset | file | rows | quarantined |\n|---|---|---|---|\n" + table)},
    )

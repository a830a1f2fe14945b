"""Dagster assets that land source files in the build database's ``raw`` schema.

One asset per source kind; each parses with its ingest module, writes one raw table,
replaces its own rows of ``raw.quarantine`` and records per-file counts in
``raw.load_log``. The load id of every row is the Dagster run id.
"""

import tempfile
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, asset, multi_asset

from dagster_project import config
from dagster_project.ingest.common import (
    OBSERVATION_SCHEMA,
    QuarantineRow,
    SourceError,
    file_sha256,
    normalize_label,
    normalize_text,
    quarantine_summary,
)
from dagster_project import warehouse as warehouse_module
from dagster_project.ingest.parallel import Parsing
from dagster_project.ingest.parse_cache import ParseCache, inputs_digest
from dagster_project.ingest.plan_tables import CELL_COLUMNS, parse_plan_tables
from dagster_project.ingest.reference import read_reference, reference_files
from dagster_project.warehouse import (
    landed_inputs,
    log_loads,
    record_inputs,
    replace_quarantine,
    replace_table,
    replace_table_from_parquet,
)

RAW = ["raw"]
WAREHOUSE = {"warehouse"}  # every asset here writes into the run's build file (resources.WarehouseResource)
LANDING_CODE = (__file__, warehouse_module.__file__)  # what turns parse results into raw rows (inputs_digest)
REFERENCE_LEDGER = "ref_*"  # meta.raw_inputs row of the reference tables, landed together
PLAN_TABLE_SCOPE = "plan_table"  # source_scope of indicator-table labels in raw/reference/indicator_label_map.csv


def _key(column: str, fn=normalize_text) -> pl.Expr:
    """A normalized matching key of a printed text column (labels, units): ``fn`` runs once per
    distinct text (a yearbook repeats each of its few hundred labels on every city's row)."""

    def per_distinct(texts: pl.Series) -> pl.Series:
        distinct = texts.unique().to_list()
        return texts.replace_strict(distinct, [fn(t) for t in distinct], return_dtype=pl.Utf8)

    return pl.col(column).fill_null("").map_batches(per_distinct, return_dtype=pl.Utf8)


def _with_keys(df: pl.DataFrame, label: str, unit: str) -> pl.DataFrame:
    """``label_key`` and ``unit_key``: what dbt matches against the label map and units.csv."""
    return df.with_columns(_key(label, normalize_label).alias("label_key"), _key(unit).alias("unit_key"))


def _unchanged(context: AssetExecutionContext, key: str, inputs: str, tables: list[str]) -> tuple[str, dict[str, int]] | None:
    """When the build already holds ``raw.<tables>`` landed from these very inputs (``inputs_digest``,
    recorded under ``key``) and the warehouse resource is incremental: (that load id, rows per table),
    and they are not landed again, so their rows keep their load id and dbt sees unchanged sources
    (``assets.dbt``). Otherwise None."""
    warehouse = context.resources.warehouse
    if not warehouse.incremental:
        return None
    with warehouse.build_connection(context.run.run_id) as con:
        landed = landed_inputs(con, key, tables)
        if landed is None or landed[0] != inputs:
            return None
        rows = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
    context.log.info(f"{key}: inputs unchanged since load {landed[1]}: not landed again ({sum(rows.values())} rows kept)")
    return landed[1], rows


def _kept(load_id: str, rows: int, asset_key: AssetKey | None = None) -> MaterializeResult:
    return MaterializeResult(asset_key=asset_key, metadata={"rows": rows, "landed": False, "load_id": load_id})


def land(
    context: AssetExecutionContext,
    table: str,
    parquet_files: list[Path],
    quarantine: list[QuarantineRow],
    per_file: list[dict],
    empty_schema: dict | None = None,
    inputs: str | None = None,
) -> MaterializeResult:
    """Write one raw table (from one Parquet file per landed source file) + quarantine + load log in the
    run's build file, and record ``inputs`` (None when a file failed unexpectedly: try again next run)."""
    load_id = context.run.run_id
    asset_name = context.asset_key.to_user_string()
    with context.resources.warehouse.build_connection(context.run.run_id) as con:
        if parquet_files:
            n = replace_table_from_parquet(con, table, parquet_files, load_id)
        else:
            n = replace_table(con, table, pl.DataFrame(schema=empty_schema or {}), load_id)
        nq = replace_quarantine(con, asset_name, quarantine, load_id)
        log_loads(con, asset_name, load_id, per_file)
        record_inputs(con, table, inputs, load_id)
    if quarantine:
        context.log.warning(quarantine_summary(quarantine))
    return MaterializeResult(
        metadata={
            "rows": n,
            "quarantined": nq,
            "files": MetadataValue.md("\n".join(f"- {f['source_file']}: {f.get('rows_loaded', 0)} rows, {f.get('rows_quarantined', 0)} quarantined" for f in per_file) or "(none)"),
            "landed": True,
            "load_id": load_id,
        }
    )


@multi_asset(
    specs=[
        AssetSpec(AssetKey(RAW + [f"ref_{name}"]), group_name="raw", description=f"raw/reference/{name}.csv (curated reference data)")
        for name in reference_files()
    ],
    name="raw_reference",
    required_resource_keys=WAREHOUSE,
)
def raw_reference(context: AssetExecutionContext):
    """Curated reference CSVs (raw/reference) → raw.ref_* tables, read by dbt staging. Not landed again
    when neither the reference data nor the ingest code changed (``_unchanged``)."""
    tables = [f"ref_{name}" for name in reference_files()]
    inputs = inputs_digest("reference", None, [(t, "") for t in tables], code=LANDING_CODE)
    if (kept := _unchanged(context, REFERENCE_LEDGER, inputs, tables)) is not None:
        for t in tables:
            yield _kept(kept[0], kept[1][t], AssetKey(RAW + [t]))
        return
    with context.resources.warehouse.build_connection(context.run.run_id) as con:
        for name in reference_files():
            df = read_reference(name)
            if name == "indicator_label_map":
                df = _with_keys(df, "label_printed", "unit").with_columns(_key("assumed_unit").alias("assumed_unit_key"))
            if name == "units":
                df = df.with_columns(_key("unit_printed").alias("unit_key"))
            n = replace_table(con, f"ref_{name}", df, context.run.run_id)
            yield MaterializeResult(asset_key=AssetKey(RAW + [f"ref_{name}"]), metadata={"rows": n, "landed": True})
        record_inputs(con, REFERENCE_LEDGER, inputs, context.run.run_id)


def land_files(context, table, files, parse, frame, empty_schema=None, cache_dir: Path | None = None) -> MaterializeResult:
    """Land ``files`` in ``raw.<table>`` (plus quarantine and load log): each parsed by :func:`parse_files`,
    its rows spooled to a Parquet file, the table then written from them by DuckDB. Nothing is parsed or
    written when the table was landed from the same inputs before (:func:`_unchanged`)."""
    shas = [_sha256_or_none(path) for path in files]
    inputs = inputs_digest(table, parse, [(p.name, sha or "unreadable") for p, sha in zip(files, shas)], code=LANDING_CODE)
    if (kept := _unchanged(context, table, inputs, [table])) is not None:
        return _kept(kept[0], kept[1][table])
    layout = context.resources.warehouse.layout
    layout.build.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".landing-{table}-", dir=layout.build.parent) as spool:
        parquet_files: list[Path] = []

        def sink(rows: pl.DataFrame) -> None:
            parquet_files.append(Path(spool) / f"{len(parquet_files):06d}.parquet")
            rows.write_parquet(parquet_files[-1])

        quarantine, per_file, retry = parse_files(context.log, table, files, parse, frame, sink, cache_dir)
        if not files:
            context.log.warning(f"{table}: no source files found in {[str(d) for d in config.source_dirs()]}; landing an empty table")
        return land(context, table, parquet_files, quarantine, per_file, empty_schema, None if retry else inputs)


def _sha256_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None  # parse_files hashes it again and quarantines it with the reason


def parse_files(log, table, files, parse, frame, sink, cache_dir: Path | None = None):
    """Parse each file with ``parse(path) -> result`` and hand ``frame(result, path)``, its rows, to
    ``sink``; returns (quarantine rows, per-file counts, whether a file failed unexpectedly). Any
    failure of one file -- a SourceError, but also an unexpected exception of the parser, MemoryError
    included -- quarantines that file as a whole (reason with the exception type) and is logged; the
    other files still land and the quality gates decide about publishing. With ``cache_dir``, a file
    whose name, bytes, parser code and reference data are unchanged since an earlier run is not parsed
    again: its result comes from the :class:`ParseCache` (``frame`` still runs on it) and only landed
    files are cached. Many files to parse are parsed ahead in worker processes (:class:`Parsing`)."""
    cache = ParseCache(cache_dir, table, parse, log) if cache_dir is not None else None
    quarantine, per_file, unexpected = [], [], False
    shas = [_sha256_or_none(path) for path in files]
    pending = [p for p, sha in zip(files, shas) if sha is not None and not (cache and cache.holds(p, sha))]
    with Parsing(parse, pending, log) as parsing:
        for path, sha in zip(files, shas):
            unexpected |= _parse_one(log, table, path, sha, cache, parsing, frame, sink, quarantine, per_file)
    if cache:
        cache.finish()
    return quarantine, per_file, unexpected


def _parse_one(log, table, path, sha, cache, parsing, frame, sink, quarantine, per_file) -> bool:
    """One file of :func:`parse_files` (its rows to ``sink``, its counts and quarantine rows appended);
    True when it failed unexpectedly (not a SourceError)."""
    try:
        sha = sha or file_sha256(path)
        cached = cache.get(path, sha) if cache else None
        parsed, result = cached is None, cached if cached is not None else parsing.result(path)
        rows = frame(result, path)
    except Exception as exc:  # noqa: BLE001 - one file's failure is that file's quarantine
        expected = isinstance(exc, SourceError)
        location, reason = (exc.location or "file", exc.reason) if expected else (
            "file", f"parser failed with {type(exc).__name__}" + (f": {exc}" if str(exc) else ""))
        quarantine.append(QuarantineRow(table, path.name, sha or "", location, reason, ""))
        per_file.append({"source_file": path.name, "source_sha256": sha or "", "rows_loaded": 0, "rows_quarantined": 1})
        log.error(f"{path.name}: file quarantined ({location}): {reason}")
        return not expected
    if cache and parsed:
        cache.put(path, sha, result)
    sink(rows)
    quarantine.extend(result.quarantine)
    per_file.append({"source_file": path.name, "source_sha256": sha, "rows_loaded": rows.height, "rows_quarantined": len(result.quarantine)})
    log.info(f"{path.name}: {rows.height} rows, {len(result.quarantine)} quarantined{'' if parsed else ' (parse cached)'}; "
             f"{getattr(result, 'summary', '') or getattr(result, 'tables', '')}")
    return False


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
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["plan_indicator_cells"]),
    group_name="raw",
    description="Indicator tables (专栏1 …) found in every plan document → one row per printed cell with provenance.",
)
def raw_plan_indicator_cells(context: AssetExecutionContext) -> MaterializeResult:
    plans = config.find_source_files("plans", ("*.md",))
    if not plans:
        raise SourceError(str(config.RAW_DIR / "plans"), None, "no plan documents found")
    return land_files(context, "plan_indicator_cells", plans, parse_plan_tables,
                      _one_file_per_plan(lambda r: r.cells.with_columns(pl.lit(PLAN_TABLE_SCOPE).alias("label_scope"))),
                      {**CELL_COLUMNS, "label_scope": pl.Utf8}, cache_dir=context.resources.warehouse.parse_cache_dir)


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["plan_prose_targets"]),
    group_name="raw",
    description="Numeric targets in the plans' prose and action tables (专栏13–18) → one row per target with the verbatim clause.",
)
def raw_plan_prose_targets(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.prose_targets import extract_prose_targets

    def rows(result):
        return _with_keys(result.targets, "subject", "unit").with_columns(
            pl.lit(result.plan_id).alias("plan_id"),
            pl.int_range(1, pl.len() + 1).over("line_number").alias("item_on_line"),
        )

    return land_files(context, "plan_prose_targets", config.find_source_files("plans", ("*.md",)), extract_prose_targets,
                      _one_file_per_plan(rows), cache_dir=context.resources.warehouse.parse_cache_dir)


# ---------------------------------------------------------------------------
# Actuals: yearbooks, census, bulletins → raw.*_observations (one long shape)
# ---------------------------------------------------------------------------


def _observation_files_result(context, table, files, parse, empty_schema):
    """Land observation files: the common long shape plus the unit and label matching keys."""
    return land_files(
        context, table, files, parse,
        lambda r, _path: _with_keys(r.observations, "indicator_label_raw", "unit_raw"),
        {**empty_schema, "label_key": pl.Utf8, "unit_key": pl.Utf8},
        cache_dir=context.resources.warehouse.parse_cache_dir,
    )


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["plan_stated_values"]),
    group_name="raw",
    description=(
        "What the plans' prose states about years before the plan period (e.g. 濮阳 2020 城乡居民收入比 2.26) "
        "→ observations (source_kind plan_statement) with the verbatim sentence, for reconciliation and monitoring."
    ),
)
def raw_plan_stated_values(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.prose_targets import extract_stated_values

    plans = config.find_source_files("plans", ("*.md",))
    return _observation_files_result(context, "plan_stated_values", plans, extract_stated_values, OBSERVATION_SCHEMA)


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["yearbook_observations"]),
    group_name="raw",
    description=(
        "China City Statistical Yearbook editions (any *.xlsx under <source dir>/yearbooks/): every city × column cell "
        "with its header's label, unit and scope as printed (matched to an indicator in dbt through "
        "raw/reference/indicator_label_map.csv, never by position; unmapped headers are listed in "
        "intermediate.int_indicator_labels_mapped)."
    ),
)
def raw_yearbook_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.yearbooks import YEARBOOK_OBSERVATION_SCHEMA, parse_yearbook

    files = config.find_source_files("yearbooks", ("*.xlsx", "*.xls"))
    return _observation_files_result(context, "yearbook_observations", files, parse_yearbook, YEARBOOK_OBSERVATION_SCHEMA)


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["census_observations"]),
    group_name="raw",
    description="2010/2020 census population by prefecture city (CSV) and 2020 by county (xlsx) under <source dir>/census/.",
)
def raw_census_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.census import CENSUS_EXTRA_SCHEMA, parse_census_city, parse_census_county

    files = config.find_source_files("census", ("*.csv", "*.xlsx"))

    def parse(path):
        return parse_census_city(path) if path.suffix.lower() == ".csv" else parse_census_county(path)

    return _observation_files_result(context, "census_observations", files, parse, {**OBSERVATION_SCHEMA, **CENSUS_EXTRA_SCHEMA})


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["bulletin_observations"]),
    group_name="raw",
    description="Headline figures of statistical bulletins (HTML under <source dir>/bulletins/), each with its sentence.",
)
def raw_bulletin_observations(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.bulletins import parse_bulletin_html

    files = config.find_source_files("bulletins", ("*.html", "*.htm"))
    return _observation_files_result(context, "bulletin_observations", files, parse_bulletin_html, OBSERVATION_SCHEMA)


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["bulletin_facts"]),
    group_name="raw",
    description="raw/bulletins/bulletin_facts.csv: figures of 濮阳, 菏泽, 河南省, 山东省 bulletins with their sources.",
)
def raw_bulletin_facts(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.ingest.bulletin_facts import parse_bulletin_facts

    files = config.find_source_files("bulletins", ("*.csv",))
    return _observation_files_result(context, "bulletin_facts", files, parse_bulletin_facts, OBSERVATION_SCHEMA)


LOADERS = [AssetKey(RAW + [t]) for t in (
    "plan_indicator_cells", "plan_prose_targets", "plan_stated_values", "yearbook_observations", "census_observations",
    "bulletin_observations", "bulletin_facts",
    "datacall_requests", "department_report_observations",  # dagster_project/sources/datacalls/assets.py
)]


@multi_asset(
    specs=[
        AssetSpec(AssetKey(RAW + ["quarantine"]), deps=LOADERS, group_name="raw", description="Every rejected row/cell/file of every loader, with file, location and reason."),
        AssetSpec(AssetKey(RAW + ["load_log"]), deps=LOADERS, group_name="raw", description="Rows loaded and quarantined per loader and file, per load id."),
    ],
    name="raw_load_ledger",
    required_resource_keys=WAREHOUSE,
)
def raw_load_ledger(context: AssetExecutionContext):
    """Make sure the ledger tables exist (even when no loader ran in this run) and report them."""
    from dagster_project.warehouse import LOAD_LOG_DDL, QUARANTINE_DDL

    with context.resources.warehouse.build_connection(context.run.run_id) as con:
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

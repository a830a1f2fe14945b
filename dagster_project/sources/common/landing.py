"""How every source kind's asset lands its files in the build database's ``raw`` schema.

An asset (one folder per source kind under ``dagster_project/sources/``) finds its files and calls
:func:`land_files` with its parser: each file is parsed (in worker processes when there are many,
:mod:`~dagster_project.sources.common.parallel`; from the parse cache when unchanged,
:mod:`~dagster_project.sources.common.parse_cache`), its rows spooled to Parquet, and one raw table
written from them, the asset's own rows of ``raw.quarantine`` replaced and per-file counts recorded
in ``raw.load_log`` (:mod:`~dagster_project.sources.common.raw_tables`). The load id of every row is
the Dagster run id. Nothing is landed again when the inputs are unchanged (:func:`_unchanged`).
"""

import tempfile
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue

from dagster_project.common import config
from dagster_project.common.files import file_sha256
from dagster_project.common.text import normalize_label, normalize_text
from dagster_project.sources.common import raw_tables
from dagster_project.sources.common.parallel import Parsing
from dagster_project.sources.common.parse_cache import ParseCache, inputs_digest
from dagster_project.sources.common.provenance import QuarantineRow, SourceError, quarantine_summary
from dagster_project.sources.common.raw_tables import (
    landed_inputs,
    log_loads,
    record_inputs,
    replace_quarantine,
    replace_table,
    replace_table_from_parquet,
)

RAW = ["raw"]
WAREHOUSE = {"warehouse"}  # every source asset writes into the run's build file (common.resource.WarehouseResource)
# what turns parse results into raw rows (inputs_digest); each asset adds its own module (``code=``)
LANDING_CODE = (__file__, raw_tables.__file__)


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
            "files": MetadataValue.md("\n".join(f"- {f['source_file']}: {f.get('rows_loaded', 0)} rows, {f.get('rows_quarantined', 0)} quarantined{f.get('coverage', '')}" for f in per_file) or "(none)"),
            "landed": True,
            "load_id": load_id,
        }
    )


def land_files(context, table, files, parse, frame, empty_schema=None, cache_dir: Path | None = None,
               code: tuple[str, ...] = ()) -> MaterializeResult:
    """Land ``files`` in ``raw.<table>`` (plus quarantine and load log): each parsed by :func:`parse_files`,
    its rows spooled to a Parquet file, the table then written from them by DuckDB. Nothing is parsed or
    written when the table was landed from the same inputs before (:func:`_unchanged`). ``code``: the
    calling asset's module file(s), hashed into the inputs digest with :data:`LANDING_CODE`."""
    shas = [_sha256_or_none(path) for path in files]
    inputs = inputs_digest(table, parse, [(p.name, sha or "unreadable") for p, sha in zip(files, shas)], code=LANDING_CODE + tuple(code))
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
    per_file.append({"source_file": path.name, "source_sha256": sha, "rows_loaded": rows.height, "rows_quarantined": len(result.quarantine),
                     "coverage": getattr(result, "coverage", "")})  # a parser's coverage counts, e.g. a bulletin's
    log.info(f"{path.name}: {rows.height} rows, {len(result.quarantine)} quarantined{'' if parsed else ' (parse cached)'}; "
             f"{getattr(result, 'summary', '') or getattr(result, 'tables', '')}")
    return False


def _observation_files_result(context, table, files, parse, empty_schema, code: tuple[str, ...] = ()):
    """Land observation files: the common long shape plus the unit and label matching keys."""
    return land_files(
        context, table, files, parse,
        lambda r, _path: _with_keys(r.observations, "indicator_label_raw", "unit_raw"),
        {**empty_schema, "label_key": pl.Utf8, "unit_key": pl.Utf8},
        cache_dir=context.resources.warehouse.parse_cache_dir, code=code,
    )

"""The plan documents' assets: their indicator tables (``raw.plan_indicator_cells``), the numeric targets
of their prose and action tables (``raw.plan_prose_targets``) and what their prose states about past
years (``raw.plan_stated_values``). A second file of a plan already read in this run is quarantined."""

from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.common import config
from dagster_project.sources.common.landing import RAW, WAREHOUSE, _with_keys, land_files
from dagster_project.sources.common.provenance import OBSERVATION_SCHEMA, SourceError
from dagster_project.sources.plans.reader import PLAN_PATTERNS, parse_plan_file_tables
from dagster_project.sources.plans.tables import CELL_COLUMNS

PLAN_TABLE_SCOPE = "plan_table"  # source_scope of indicator-table labels in raw/reference/indicator_label_map.csv
CODE = (__file__,)  # hashed into the inputs digest of these assets' tables (the frames below make their rows)


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
    plans = config.find_source_files("plans", PLAN_PATTERNS)
    if not plans:
        raise SourceError(str(config.RAW_DIR / "plans"), None, "no plan documents found")
    return land_files(context, "plan_indicator_cells", plans, parse_plan_file_tables,
                      _one_file_per_plan(lambda r: r.cells.with_columns(pl.lit(PLAN_TABLE_SCOPE).alias("label_scope"))),
                      {**CELL_COLUMNS, "label_scope": pl.Utf8}, cache_dir=context.resources.warehouse.parse_cache_dir, code=CODE)


@asset(
    required_resource_keys=WAREHOUSE,
    key=AssetKey(RAW + ["plan_prose_targets"]),
    group_name="raw",
    description="Numeric targets in the plans' prose and action tables (专栏13–18) → one row per target with the verbatim clause.",
)
def raw_plan_prose_targets(context: AssetExecutionContext) -> MaterializeResult:
    from dagster_project.sources.plans.reader import extract_plan_file_targets

    def rows(result):
        return _with_keys(result.targets, "subject", "unit").with_columns(
            pl.lit(result.plan_id).alias("plan_id"),
            pl.int_range(1, pl.len() + 1).over("line_number").alias("item_on_line"),
        )

    return land_files(context, "plan_prose_targets", config.find_source_files("plans", PLAN_PATTERNS), extract_plan_file_targets,
                      _one_file_per_plan(rows), cache_dir=context.resources.warehouse.parse_cache_dir, code=CODE)


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
    from dagster_project.sources.plans.reader import extract_plan_file_stated_values as parse

    return land_files(context, "plan_stated_values", config.find_source_files("plans", PLAN_PATTERNS), parse,
                      _one_file_per_plan(lambda r: _with_keys(r.observations, "indicator_label_raw", "unit_raw")),
                      {**OBSERVATION_SCHEMA, "label_key": pl.Utf8, "unit_key": pl.Utf8},
                      cache_dir=context.resources.warehouse.parse_cache_dir, code=CODE)

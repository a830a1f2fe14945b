"""One blocking Dagster asset check per GX suite in expectations/.

A suite's outcome is a function of the suite file, the validating code and the tables it reads (its ``table`` and those its
``$query`` value sets name). In an incremental run, when a suite file and the digests of those tables
(:func:`dagster_project.transform.build_state.table_digest`) equal the ones of a validation recorded in the
build file (``meta.gx_validations``, published with the warehouse), that outcome is reported again
instead of validating the same rows again; the Data Docs keep that validation's page.
"""

import hashlib
import importlib.metadata
import json
import re
from pathlib import Path

import duckdb
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from dagster_project.common.resource import WarehouseResource
from dagster_project.common.warehouse import meta_table
from dagster_project.quality import batches as quality_batches
from dagster_project.quality import suites as quality
from dagster_project.transform import build_state

VALIDATIONS_DDL = """
create table if not exists meta.gx_validations (suite varchar, inputs_sha256 varchar, outcome json, run_id varchar, validated_at timestamp)"""
QUERY_TABLE = re.compile(r"\b(?:from|join)\s+([A-Za-z_]\w*\.[A-Za-z_]\w*)", re.IGNORECASE)


def suite_tables(suite: dict) -> list[str]:
    """The tables a suite reads: its ``table`` and every ``schema.table`` after from/join in a ``$query``."""
    queries = [v["$query"] for e in suite["expectations"] for v in e.get("kwargs", {}).values() if isinstance(v, dict) and "$query" in v]
    return sorted({suite["table"], *(m.group(1) for q in queries for m in QUERY_TABLE.finditer(q))})


def validation_inputs(con: duckdb.DuckDBPyConnection, suite_path, suite: dict) -> str:
    """sha256 of what the outcome depends on: the suite file, the validating code (quality/suites.py,
    quality/batches.py, GX's version) and the digest of every table the suite reads."""
    h = hashlib.sha256(suite_path.read_bytes())
    for module in (quality, quality_batches):
        h.update(Path(module.__file__).read_bytes())
    h.update(importlib.metadata.version("great_expectations").encode())
    for table in suite_tables(suite):
        h.update(f"\0{table}\0{build_state.table_digest(con, table)}".encode())
    return h.hexdigest()


def _validate(warehouse: WarehouseResource, run_id: str, suite_path) -> tuple[quality.SuiteOutcome, str | None]:
    """(outcome, run id of the validation it repeats, or None when validated now)."""
    layout, suite = warehouse.layout, quality.load_suite(suite_path)
    with duckdb.connect(str(layout.build)) as con:
        inputs = validation_inputs(con, suite_path, suite)
        meta_table(con, VALIDATIONS_DDL)
        before = con.execute("select outcome, run_id from meta.gx_validations where suite = ? and inputs_sha256 = ?",
                             [suite["name"], inputs]).fetchone()
    if before is not None and warehouse.incremental:
        return quality.SuiteOutcome(**json.loads(before[0])), before[1]
    outcome = quality.validate(suite, layout.build, docs_dir=layout.data_docs)
    with duckdb.connect(str(layout.build)) as con:
        con.execute("delete from meta.gx_validations where suite = ?", [suite["name"]])
        con.execute("insert into meta.gx_validations values (?, ?, ?, ?, ?)",
                    [suite["name"], inputs, json.dumps(outcome.__dict__, ensure_ascii=False), run_id, build_state.now_utc()])
    return outcome, None


def _make_check(suite_path):
    suite = quality.load_suite(suite_path)
    severity = AssetCheckSeverity.WARN if suite.get("severity", "ERROR").upper() == "WARN" else AssetCheckSeverity.ERROR

    @asset_check(
        asset=AssetKey(suite["asset_key"]),
        name=f"gx_{suite['name']}",
        blocking=severity == AssetCheckSeverity.ERROR,
        description=f"Great Expectations suite expectations/{suite_path.name}: {suite.get('description', '')}",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        outcome, repeated = _validate(warehouse, context.run.run_id, suite_path)
        if repeated:
            context.log.info(f"{suite_path.name} and the tables it reads are unchanged since run {repeated}'s validation")
        if outcome.success:
            context.log.info(outcome.summary())
        elif severity == AssetCheckSeverity.WARN:
            context.log.warning(outcome.summary())
        else:
            context.log.error(outcome.summary())
        return AssetCheckResult(
            passed=outcome.success,
            severity=severity,
            metadata={
                "rows": outcome.row_count,
                "expectations": outcome.evaluated,
                "failed": MetadataValue.json(outcome.failed),
                "data_docs": str(warehouse.layout.data_docs / "index.html"),
                "validated_by_run": repeated or context.run.run_id,
            },
        )

    return _check


gx_checks = [_make_check(p) for p in quality.suite_files()]

"""One blocking Dagster asset check per GX suite in expectations/."""


from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from dagster_project import quality
from dagster_project.resources import WarehouseResource


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
        layout = warehouse.layout
        outcome = quality.validate(quality.load_suite(suite_path), layout.build, docs_dir=layout.data_docs)
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
                "data_docs": str(layout.data_docs / "index.html"),
            },
        )

    return _check


gx_checks = [_make_check(p) for p in quality.suite_files()]

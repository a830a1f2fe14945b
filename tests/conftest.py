import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "raw" / "plans"
PUYANG = PLANS / "puyang_new_urbanization_plan_2021_2035_draft.md"
HEZE = PLANS / "heze_new_urbanization_and_urban_rural_integration_plan_2035.md"


def source_dirs() -> list[Path]:
    """The configured source directories besides the repository's raw/ (config.source_dirs: URBAN_SOURCE_DIRS,
    default ../shared next to the repo)."""
    from dagster_project.common import config

    return [d for d in config.source_dirs() if d != config.RAW_DIR]


def shared_dir() -> Path | None:
    """The directory holding the files that must not be committed (../shared by default)."""
    for c in source_dirs():
        if (c / "yearbooks").is_dir() or (c / "census").is_dir():
            return c.resolve()
    return None


def shared_file(relative: str) -> Path:
    """A file from the source directories; skips the test when none is configured/present."""
    dirs = [d for d in source_dirs() if d.is_dir()]
    if not dirs:
        pytest.skip(f"shared source directory not found ({os.pathsep.join(map(str, source_dirs()))})")
    for d in dirs:
        if (d / relative).is_file():
            return d / relative
    raise AssertionError(f"{relative} not found in {[str(d) for d in dirs]}")


@pytest.fixture
def shared() -> Path:
    d = shared_dir()
    if d is None:
        pytest.skip("shared source directory (../shared or URBAN_SOURCE_DIRS) not available")
    return d


@pytest.fixture(scope="session")
def nightly_run(tmp_path_factory):
    """One nightly run into a temporary published warehouse, shared by the end-to-end modules
    (a run takes most of a minute). Yields (published path, the MonkeyPatch that set
    URBAN_WAREHOUSE_PATH, the run's ephemeral Dagster instance, the run's result)."""
    from dagster import DagsterInstance

    from dagster_project.cli.nightly import execute_nightly

    d = tmp_path_factory.mktemp("warehouse")
    mp = pytest.MonkeyPatch()
    mp.setenv("URBAN_WAREHOUSE_PATH", str(d / "indicators.duckdb"))
    instance = DagsterInstance.ephemeral()
    result, published = execute_nightly(instance)
    assert result.success and published
    yield d / "indicators.duckdb", mp, instance, result
    mp.undo()


@pytest.fixture(scope="session")
def nightly_warehouse(nightly_run):
    """(published path, the MonkeyPatch that set URBAN_WAREHOUSE_PATH) of :func:`nightly_run`, so a
    test can run the job again against the same published file."""
    return nightly_run[:2]



def with_codes(observations, scope: str):
    """A parser's observations with the indicator code the label map gives their printed label in
    ``scope`` (bulletin, census_city …): a lookup by normalized label, which is all dbt's mapping
    step (int_indicator_labels_mapped) does for a scope without unit- or scope-specific rows. For
    tests that select a parser's figures by indicator; the mapping itself is tested at the marts."""
    import polars as pl

    from dagster_project.common.text import normalize_label
    from dagster_project.common.reference import label_rows

    codes = {r["label_key"]: r["indicator_code"] for r in label_rows(scope)}
    return observations.with_columns(
        pl.col("indicator_label_raw").map_elements(lambda s: codes.get(normalize_label(s)), return_dtype=pl.Utf8)
        .alias("indicator_code"))

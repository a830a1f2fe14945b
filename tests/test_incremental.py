"""Incremental runs (issue 11): a run lands, rebuilds and validates only what changed since the published
warehouse (dagster_project/transform/build_state.py), and publishes the same marts a full run would."""

import json
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from dagster_project.transform import build_state
from dagster_project.transform.project import dbt_project
from dagster_project.cli.nightly import execute_nightly

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from compare_marts import compare  # noqa: E402

MANIFEST = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
BULLETINS = "source.urban_warehouse.bulletins.bulletin_observations"
MODEL = "model.urban_warehouse."


# ---------------------------------------------------------------------------
# digests and the plan, on the real dbt manifest
# ---------------------------------------------------------------------------


def test_table_digest_follows_every_row_and_ignores_order():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.t as select * from (values (1, 'a'), (2, 'b')) v(n, s)")
    digest = build_state.table_digest(con, "raw.t")
    con.execute("create or replace table raw.t as select * from (values (2, 'b'), (1, 'a')) v(n, s)")
    assert build_state.table_digest(con, "raw.t") == digest  # same rows, other order
    for change in ("update raw.t set s = 'c' where n = 2", "insert into raw.t values (1, 'a')", "delete from raw.t where n = 1"):
        con.execute("create or replace table raw.t as select * from (values (1, 'a'), (2, 'b')) v(n, s)")
        con.execute(change)
        assert build_state.table_digest(con, "raw.t") != digest, change
    assert build_state.table_digest(con, "raw.gone") == "missing"


def digests(**changed) -> dict[str, str]:
    state = {build_state.PROJECT: "p", **{uid: "d" for uid in MANIFEST["sources"]}}
    return {**state, **changed}


def test_plan_rebuilds_everything_without_a_state_or_after_a_project_change():
    assert build_state.plan(MANIFEST, digests(), {}).rebuild_all
    plan = build_state.plan(MANIFEST, digests(**{build_state.PROJECT: "q"}), digests())
    assert plan.rebuild_all and plan.keep == frozenset()
    assert plan.describe(MANIFEST) == "every model rebuilt: the dbt project changed"


def test_plan_keeps_the_models_no_changed_source_reaches():
    models = {uid for uid in MANIFEST["nodes"] if uid.startswith("model.")}
    assert build_state.plan(MANIFEST, digests(), digests()).keep == models  # nothing changed: dbt does not run
    plan = build_state.plan(MANIFEST, digests(**{BULLETINS: "e"}), digests())
    assert not plan.rebuild_all and plan.changed_sources == (BULLETINS,)
    # the plans' own models do not read bulletins; every observation model and what reads it does
    for kept in ("stg_plans__indicator_cells", "stg_plans__prose_targets", "stg_reference__regions", "stg_yearbooks__observations"):
        assert MODEL + kept in plan.keep, kept
    for rebuilt in ("stg_bulletins__html_observations", "int_observations_checked", "fct_indicator_observation", "mart_target_progress"):
        assert MODEL + rebuilt not in plan.keep, rebuilt
    assert plan.describe(MANIFEST) == f"changed sources: raw.bulletin_observations; {len(plan.keep)} model(s) kept as built before"


# ---------------------------------------------------------------------------
# the nightly, three times over one published warehouse
# ---------------------------------------------------------------------------


def materializations(result) -> dict[str, dict]:
    return {ev.asset_key.to_user_string(): {k: v.value for k, v in ev.event_specific_data.materialization.metadata.items()}
            for ev in result.get_asset_materialization_events()}


def check_metadata(result) -> dict[str, dict]:
    return {e.event_specific_data.check_name: {k: v.value for k, v in e.event_specific_data.metadata.items()}
            for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}


def run(monkeypatch, wh: Path, sources: Path, full: bool = False):
    monkeypatch.setenv("URBAN_WAREHOUSE_PATH", str(wh))
    monkeypatch.setenv("URBAN_SOURCE_DIRS", str(sources))
    result, published = execute_nightly(DagsterInstance.ephemeral(), full=full)
    assert result.success and published
    return result


@pytest.fixture
def sources(shared, tmp_path) -> Path:
    copy = tmp_path / "shared"
    shutil.copytree(shared, copy)
    return copy


def test_an_unchanged_run_keeps_everything_and_a_changed_bulletin_rebuilds_what_it_reaches(
        nightly_warehouse, sources, tmp_path, monkeypatch):
    published, _ = nightly_warehouse
    with duckdb.connect(str(published), read_only=True) as con:
        first_run = con.execute("select run_id from meta.published").fetchone()[0]
    wh = tmp_path / "incremental" / "indicators.duckdb"
    wh.parent.mkdir()
    shutil.copy2(published, wh)

    # 1. the same sources: nothing landed, no model rebuilt, every GX outcome the one validated before
    unchanged = run(monkeypatch, wh, sources)
    again = materializations(unchanged)
    raw = {k: m for k, m in again.items() if k.startswith("raw/") and "landed" in m}
    assert len(raw) > 7 and not any(m["landed"] for m in raw.values())
    assert again["raw/yearbook_observations"]["load_id"] == first_run
    models = {k: m for k, m in again.items() if k.split("/")[0] in ("staging", "intermediate", "marts")}
    assert len(models) == len([u for u in MANIFEST["nodes"] if u.startswith(MODEL)])
    assert all(m["rebuilt"] is False for m in models.values())
    assert [n for n in check_metadata(unchanged) if not n.startswith("gx_")] == []  # dbt did not run: no dbt test either
    assert {n: c["validated_by_run"] for n, c in check_metadata(unchanged).items() if n.startswith("gx_")} == {
        "gx_fct_indicator_observation": first_run, "gx_fct_plan_target": first_run, "gx_plan_target_warnings": first_run}

    # 2. one bulletin fewer: only that raw table (and its ledger) lands; dbt rebuilds what reads it
    gone = sources / "bulletins" / "aksu_2025_statistical_bulletin.html"
    gone.unlink()
    changed = run(monkeypatch, wh, sources)
    m = materializations(changed)
    assert m["raw/bulletin_observations"]["landed"] is True and m["raw/yearbook_observations"]["landed"] is False
    assert m["staging/stg_plans__indicator_cells"]["rebuilt"] is False
    assert "rebuilt" not in m["marts/fct_indicator_observation"]  # built by dbt in this run
    assert check_metadata(changed)["gx_fct_indicator_observation"]["validated_by_run"] == changed.run_id

    # 2b. the yearbook sensor's job (a subset of the models) builds what it selected and leaves the state
    from dagster_project.definitions import defs

    with duckdb.connect(str(wh), read_only=True) as con:
        state = con.execute("select item, digest, recorded_by from meta.dbt_state order by item").fetchall()
    refresh = defs.resolve_job_def("yearbook_refresh").execute_in_process(instance=DagsterInstance.ephemeral())
    assert refresh.success
    m = materializations(refresh)
    assert "marts/fct_indicator_observation" in m and "staging/stg_plans__prose_targets" not in m
    assert not any("rebuilt" in v for v in m.values())
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select item, digest, recorded_by from meta.dbt_state order by item").fetchall() == state

    # 3. a full run over the same sources publishes exactly the same marts
    full = tmp_path / "full" / "indicators.duckdb"
    full.parent.mkdir()
    shutil.copy2(published, full)
    m = materializations(run(monkeypatch, full, sources, full=True))
    assert m["raw/yearbook_observations"]["landed"] is True and "rebuilt" not in m["staging/stg_plans__indicator_cells"]
    for schema in ("marts", "intermediate"):
        diffs = [d for d in compare(str(full), str(wh), schema=schema) if not d.same]
        assert diffs == [], schema
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_indicator_observation where source_file = ?", [gone.name]).fetchone()[0] == 0


def test_a_file_that_failed_unexpectedly_makes_the_loader_land_again_next_run(tmp_path):
    """A SourceError is a property of the file (same bytes, same error next run); any other exception
    (MemoryError, a parser bug) may not be: parse_files flags it and land_files then records no inputs
    digest, so the next run parses again instead of keeping the table."""
    import logging

    from dagster_project.sources.common.landing import parse_files
    from dagster_project.sources.common.provenance import SourceError

    f = tmp_path / "a.md"
    f.write_text("x", encoding="utf-8")
    for exc, unexpected in ((SourceError("a.md", "line 1", "no table"), False), (MemoryError(), True)):
        def parse(_path, exc=exc):
            raise exc

        quarantine, per_file, flagged = parse_files(logging.getLogger("t"), "t", [f], parse, None, [].append)
        assert flagged is unexpected
        assert [(q.source_file, q.location) for q in quarantine] == [("a.md", "line 1" if not unexpected else "file")]
        assert per_file[0]["rows_loaded"] == 0

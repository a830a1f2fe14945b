"""The one Definitions object loads, and wires jobs, schedule and gates as intended."""

import duckdb
import pytest
from dagster import AssetKey

from dagster_project.quality import suites as quality
from dagster_project.definitions import defs, nightly_job, nightly_schedule


def test_definitions_load_and_resolve():
    repo = defs.get_repository_def()
    keys = repo.asset_graph.get_all_asset_keys()
    for k in (["raw", "plan_indicator_cells"], ["raw", "ref_regions"], ["marts", "fct_plan_target"], ["published_warehouse"]):
        assert AssetKey(k) in keys, k


def test_nightly_schedule_is_0200_shanghai():
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "Asia/Shanghai"
    assert nightly_schedule.job_name == nightly_job.name == "nightly"


def test_single_writer_executor():
    job = defs.resolve_job_def("nightly")
    assert job.executor_def.name == "in_process"
    assert job.tags.get("warehouse/writer") == "duckdb"


def test_every_gx_suite_is_a_blocking_check_on_an_existing_asset():
    keys = defs.get_repository_def().asset_graph.get_all_asset_keys()
    suites = quality.suite_files()
    assert suites, "no GX suites in expectations/"
    all_specs = [s for cd in defs.asset_checks for s in cd.check_specs]
    for path in suites:
        suite = quality.load_suite(path)
        spec = next(s for s in all_specs if s.name == f"gx_{suite['name']}")
        assert spec.asset_key in keys, f"{path.name} targets {spec.asset_key}, which is not an asset"
        assert spec.blocking == (suite.get("severity", "ERROR") == "ERROR")


def test_publish_waits_for_the_gated_marts():
    graph = defs.get_repository_def().asset_graph
    parents = graph.get(AssetKey(["published_warehouse"])).parent_keys
    assert AssetKey(["marts", "fct_plan_target"]) in parents


def test_yearbook_sensor_refreshes_only_yearbook_dependents(tmp_path, monkeypatch):
    from dagster import build_sensor_context

    from dagster_project.sources.yearbooks.sensor import yearbook_files_sensor

    job = defs.resolve_job_def("yearbook_refresh")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert "raw/yearbook_observations" in keys and "marts/fct_indicator_observation" in keys and "published_warehouse" in keys
    assert "raw/plan_indicator_cells" not in keys and "raw/census_observations" not in keys

    src = tmp_path / "src"
    (src / "yearbooks").mkdir(parents=True)
    monkeypatch.setenv("URBAN_SOURCE_DIRS", str(src))
    ctx = build_sensor_context(cursor=None)
    first = yearbook_files_sensor(ctx)
    assert first.__class__.__name__ == "SkipReason"  # nothing there yet
    book = src / "yearbooks" / "new_edition.xlsx"
    book.write_bytes(b"not really a workbook, but a new file")
    ctx = build_sensor_context(cursor=None)
    req = yearbook_files_sensor(ctx)
    assert req.__class__.__name__ == "RunRequest" and "new_edition.xlsx" in req.tags["yearbook/changed"]
    again = yearbook_files_sensor(build_sensor_context(cursor=ctx.cursor))
    assert again.__class__.__name__ == "SkipReason"
    book.write_bytes(b"changed bytes")
    changed = yearbook_files_sensor(build_sensor_context(cursor=ctx.cursor))
    assert changed.__class__.__name__ == "RunRequest"


def test_every_asset_and_check_that_touches_the_warehouse_gets_the_resource_from_one_env_var(monkeypatch, tmp_path):
    from dagster_project.common import config
    from dagster_project.publish.resource import PublishingWarehouseResource as WarehouseResource

    repo = defs.get_repository_def()
    needs = {key.to_user_string() for node in repo.assets_defs_by_key.values() if "warehouse" in node.required_resource_keys
             for key in node.keys}
    for key in ("raw/yearbook_observations", "raw/ref_regions", "raw/quarantine", "marts/fct_plan_target",
                "published_warehouse", "dashboard", "docs"):
        assert key in needs, key
    from dagster_project.quality.checks import gx_checks

    assert [c for c in gx_checks if "warehouse" in c.required_resource_keys] == gx_checks and len(gx_checks) == len(quality.suite_files())
    resource = defs.resources["warehouse"]
    assert resource.path.env_var_name == config.WAREHOUSE_ENV  # an EnvVar, resolved when a run starts
    layout = WarehouseResource(path=str(tmp_path / "w.duckdb")).layout
    assert (layout.build.name, layout.exports.parent, layout.parse_cache) == ("w.duckdb.build", tmp_path, tmp_path / "cache" / "parsed")
    resource = WarehouseResource(path=str(tmp_path / "w.duckdb"))
    assert resource.dbt_args() == ["--vars", '{"warehouse_file": "%s"}' % layout.build]
    with resource.build_connection("r1") as con:
        con.execute("create schema marts; create table marts.t as select 42 as x")
    resource.publish("r1")
    with resource.connect_readonly() as con:
        assert con.execute("select x from marts.t").fetchall() == [(42,)]
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("create table marts.u as select 1")


def test_the_manifest_fingerprint_follows_the_dbt_vars():
    from dagster_project.transform.project import dbt_project_digest
    from dagster_project.common.resource import dbt_vars

    a = dbt_project_digest(*dbt_vars(config_build("a")))
    assert a == dbt_project_digest(*dbt_vars(config_build("a"))) != dbt_project_digest(*dbt_vars(config_build("b")))


def config_build(name):
    from dagster_project.common import config

    return config.layout(f"/tmp/{name}.duckdb").build

"""The `urban` command line, every command once, as installed (subprocesses, no terminal), against a
small warehouse that `urban run` itself builds over the committed sources (tests/small_warehouse.py)."""

import csv
import json
import re
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from dagster_project.common.warehouse import connect_readonly, published_run_id
from small_warehouse import URBAN, small_warehouse

THIRD_PLAN = Path(__file__).parent / "fixtures" / "third_style_plan.md"
COMMANDS = ["run", "status", "query", "export", "docs", "serve"]
CDN_TAG = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"', re.I)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return small_warehouse(tmp_path_factory)


def sql(wh, query):
    with connect_readonly(wh.path) as con:
        return con.execute(query).fetchall()


def test_every_command_has_help():
    top = subprocess.run([str(URBAN), "--help"], capture_output=True, text=True, check=True).stdout
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", top, re.M), name
        done = subprocess.run([str(URBAN), name, "--help"], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.startswith(f"Usage: urban {name}"), (name, done.stderr)


def test_run_prints_stages_and_a_summary_and_logs_everything_to_a_file(wh):
    assert wh.code == 0, wh.stdout[-3000:] + wh.stderr[-3000:]
    out = wh.stdout
    assert "\x1b[" not in out and wh.stderr == ""  # no colour codes without a terminal; nothing on stderr
    assert len(out.splitlines()) < 90, out  # the old console: one line per Dagster event (~750)
    run_id = published_run_id(wh.path)
    assert f"published: yes — nightly run {run_id} published {wh.path}" in out
    for stage in ("ingest sources", "dbt build + tests", "quality gates (GX)", "publish", "dashboard", "docs"):
        assert re.search(rf"^{re.escape(stage)}\s+(\d+)/\1\s+done\s", out, re.M), stage
    # rows per source = raw.load_log of the published file, e.g. the committed bulletin facts CSV
    facts = sql(wh, "select sum(rows_loaded), sum(rows_quarantined) from raw.load_log where asset = 'raw/bulletin_facts'")[0]
    with open("raw/bulletins/bulletin_facts.csv", encoding="utf-8", newline="") as fh:
        assert facts[0] + facts[1] == sum(1 for _ in csv.DictReader(fh))
    assert re.search(rf"│ bulletin_facts\s+│\s+1 │\s+{facts[0]:,} │\s+{facts[1]:,} │\s+0 │", out)  # 0 implausible
    # the warning suite fails on the plans' own rows (濮阳 prints a five-year total as a baseline)
    assert re.search(r"│ GX suite │\s+2 │\s+1 │\s+0 │", out)
    assert "warned: GX suite gx_plan_target_warnings on marts/mart_target_progress" in out
    assert "baseline_looks_cumulative" in out and "puyang_new_urbanization_plan_2021_2035_draft.md" in out
    log = next((wh.path.parent / "logs").glob(f"run-*-{run_id[:8]}.log")).read_text(encoding="utf-8")
    assert f"log: {wh.path.parent / 'logs'}" in out
    assert "STEP_START" in log and re.search(r"START sql table model marts\.", log)  # dbt's lines: log only
    assert "STEP_START" not in out and "START sql table model" not in out
    last = json.loads((wh.path.parent / "logs" / "last_run.json").read_text(encoding="utf-8"))
    assert last["run_id"] == run_id and last["exit_code"] == 0 and last["published"] is True
    assert ("this run: 25 raw table(s) landed, 0 kept (inputs unchanged); 55 dbt model(s) built, 0 kept (no upstream "
            "change); 3 GX suite(s) validated, 0 outcome(s) reused (tables unchanged); 14 mart export(s) written, 0 kept "
            "(rows unchanged)\n") in out


def test_run_again_with_nothing_changed_says_what_it_kept(wh, tmp_path):
    copy = tmp_path / "indicators.duckdb"
    shutil.copy2(wh.path, copy)
    shutil.copytree(wh.path.parent / "exports", tmp_path / "exports")
    done = wh.urban("--warehouse", str(copy), "run")
    assert done.returncode == 0, done.stdout[-3000:]
    assert ("this run: 0 raw table(s) landed, 25 kept (inputs unchanged); 0 dbt model(s) built, 55 kept (no upstream "
            "change); 0 GX suite(s) validated, 3 outcome(s) reused (tables unchanged); 0 mart export(s) written, 14 kept "
            "(rows unchanged); `urban run --full` does it all") in done.stdout
    assert re.search(r"│ dbt test │\s+0 │\s+0 │\s+0 │", done.stdout) and re.search(r"│ GX suite │\s+2 │\s+1 │\s+0 │", done.stdout)


def test_run_publishes_exports_with_dictionary_and_freshness_stamp(wh):
    exports = wh.path.parent / "exports"
    marts = [r[0] for r in sql(wh, "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
    for t in marts:
        assert (exports / f"{t}.parquet").is_file() and (exports / f"{t}.csv").is_file(), t
    rows = {t: n for t, n in json.loads((exports / "manifest.json").read_text(encoding="utf-8"))["rows"].items()}
    with open(exports / "mart_target_progress.csv", encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == rows["mart_target_progress"] > 0
    with open(exports / "data_dictionary.csv", encoding="utf-8", newline="") as fh:
        dictionary = list(csv.DictReader(fh))
    columns = sql(wh, "select table_name, column_name, data_type from information_schema.columns where table_schema = 'marts'")
    assert {(r["table_name"], r["column_name"], r["data_type"]) for r in dictionary} == set(columns)
    assert [r for r in dictionary if not r["description"]] == []  # every exported column is described
    period = next(r for r in dictionary if (r["table_name"], r["column_name"]) == ("mart_city_comparison", "period"))
    assert period["data_type"] == "DATE" and "time axis" in period["description"]
    assert "| `status_reason_zh` | VARCHAR | no |" in (exports / "data_dictionary.md").read_text(encoding="utf-8")
    with open(exports / "published.csv", encoding="utf-8", newline="") as fh:
        assert next(csv.DictReader(fh))["run_id"] == published_run_id(wh.path)
    book = CalamineWorkbook.from_path(str(exports / "marts.xlsx"))
    assert {"README", "published", "data_dictionary", "mart_target_progress"} <= set(book.sheet_names)
    sheet = book.get_sheet_by_name("mart_target_progress").to_python()
    assert len(sheet) - 1 == rows["mart_target_progress"] and "status_reason_zh" in sheet[0]


def test_status_tells_freshness_and_the_last_run(wh):
    done = wh.urban("status")
    assert done.returncode == 0, done.stderr
    run_id = published_run_id(wh.path)
    assert f"run        {run_id}" in done.stdout and "min ago" in done.stdout
    loaded, quarantined = sql(wh, "select sum(rows_loaded), sum(rows_quarantined) from marts.mart_load_summary")[0]
    assert f"loaded     {loaded:,} rows from" in done.stdout and f"{quarantined:,} rows quarantined" in done.stdout
    assert re.search(r"checks\s+\d+ passed, 1 warned, 0 failed", done.stdout)
    assert "  work       this run: 25 raw table(s) landed, 0 kept (inputs unchanged); 55 dbt model(s) built" in done.stdout
    stale = wh.urban("status", "--max-age-hours", "0")
    assert stale.returncode == 1 and "stale: published more than 0.0 h ago" in stale.stdout
    missing = wh.urban("--warehouse", str(wh.path.parent / "none.duckdb"), "status")
    assert missing.returncode == 1 and "published warehouse: none at" in missing.stdout


def test_query_reads_read_only_as_table_csv_and_json(wh):
    q = "select region_code, region_name from marts.dim_region where region_code in ('410900', '371700') order by 1"
    as_csv = wh.urban("query", q, "--format", "csv")
    assert as_csv.stdout == "region_code,region_name\n371700,菏泽市\n410900,濮阳市\n", as_csv.stderr
    as_json = json.loads(wh.urban("query", q, "--format", "json").stdout)
    assert as_json == [{"region_code": "371700", "region_name": "菏泽市"}, {"region_code": "410900", "region_name": "濮阳市"}]
    table = wh.urban("query", "select region_code from marts.dim_region order by 1", "--limit", "2").stdout
    assert "110000" in table and "2 rows shown; more exist" in table
    refused = wh.urban("query", "create table marts.x as select 1")
    assert refused.returncode == 1 and "read-only" in refused.stderr


def test_export_writes_the_chosen_formats_with_dictionary(wh, tmp_path):
    done = wh.urban("export", str(tmp_path / "out"), "--table", "mart_city_comparison", "--format", "csv", "--format", "xlsx")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["data_dictionary.csv", "data_dictionary.md", "mart_city_comparison.csv", "marts.xlsx",
                     "published.csv", "published.parquet"]
    assert all(n in done.stdout for n in names)
    with open(tmp_path / "out" / "mart_city_comparison.csv", encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.DictReader(fh)) == sql(wh, "select count(*) from marts.mart_city_comparison")[0][0]
    unknown = wh.urban("export", str(tmp_path / "x"), "--table", "no_such_mart")
    assert unknown.returncode == 1 and "no such mart: no_such_mart" in unknown.stderr


def test_docs_are_built_offline_and_linked_from_one_index(wh):
    done = wh.urban("docs")
    assert done.returncode == 0, done.stderr
    docs = wh.path.parent / "docs"
    assert str(docs / "index.html") in done.stdout
    index = (docs / "index.html").read_text(encoding="utf-8")
    for href in ("dbt/index.html", "../data_docs/index.html", "../site/index.html", "../exports/data_dictionary.md"):
        assert f'href="{href}"' in index and (docs / href).exists(), href
    assert "(not built yet)" not in index and published_run_id(wh.path) in index
    dbt_docs = (docs / "dbt" / "index.html").read_text(encoding="utf-8")
    assert "Urbanization indicator warehouse" in dbt_docs  # the overview docs block, not dbt's 'Welcome!'
    assert "1:1 with raw.bulletin_facts" in dbt_docs  # a staging model's description
    data_docs = wh.path.parent / "data_docs"
    gx_index = (data_docs / "index.html").read_text(encoding="utf-8")
    for suite in ("fct_indicator_observation", "fct_plan_target", "plan_target_warnings"):  # every suite, not the last
        assert f"validations/{suite}/" in gx_index.replace("\\/", "/"), suite
    pages = [docs / "index.html", docs / "dbt" / "index.html", *data_docs.rglob("*.html")]
    assert [(p.name, m.group(0)) for p in pages for m in CDN_TAG.finditer(p.read_text(encoding="utf-8"))] == []
    assert (data_docs / "static" / "vendor" / "bootstrap.min.css").is_file()


def test_dbt_docs_are_rebuilt_only_when_the_project_or_the_published_schema_changes(wh, tmp_path):
    from dagster_project.common import config
    from dagster_project.publish.docs_site import build_dbt_docs, dbt_docs_fingerprint

    copy = tmp_path / "indicators.duckdb"
    shutil.copy2(wh.path, copy)
    layout = config.layout(copy)
    page = build_dbt_docs(layout)
    built = page.stat().st_mtime_ns
    assert build_dbt_docs(layout).stat().st_mtime_ns == built  # same inputs: the page is kept
    before = dbt_docs_fingerprint(copy)
    import duckdb

    with duckdb.connect(str(copy)) as con:  # the published schema changes (a column's description)
        con.execute("comment on column marts.fct_plan_target.target_id is 'changed'")
    assert dbt_docs_fingerprint(copy) != before
    assert build_dbt_docs(layout).stat().st_mtime_ns != built
    assert "changed" in page.read_text(encoding="utf-8")


def test_serve_is_read_only_on_localhost(wh):
    # Ctrl-C in a terminal: SIGINT handled as by default, even when this test runs in a background job
    # (`sh -c '... &'` starts it with SIGINT ignored, which its children would inherit)
    p = subprocess.Popen([str(URBAN), "serve", "--port", "0"], env=wh.env, stdout=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url = re.search(r"serving (http://127\.0\.0\.1:\d+/)", p.stdout.readline()).group(1)
        with urllib.request.urlopen(url) as r:  # / redirects to the docs index
            assert r.url == url + "docs/index.html" and "dbt docs" in r.read().decode("utf-8")
        with urllib.request.urlopen(url + "site/index.html") as r:
            assert r.status == 200 and r.read()  # (read: a response left unread resets the server's connection)
        for path, method, code in (("indicators.duckdb", "GET", 404), ("docs/index.html", "POST", 501), ("docs/../indicators.duckdb", "GET", 404)):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(urllib.request.Request(url + path, method=method, data=b"" if method == "POST" else None))
            assert e.value.code == code, path
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=10) == 0


def test_run_that_fails_a_blocking_check_says_what_and_keeps_the_published_warehouse(wh, tmp_path):
    """A third plan whose 城镇化率 row prints a unit no unit row knows (个/台) fails a blocking check:
    `urban run` exits 1, names the check, says which stages did not run, publishes nothing."""
    shutil.copy2(wh.path, tmp_path / "indicators.duckdb")
    row = "| 人口城镇化 | １ | 常住人口城镇化率 | ％ |"
    text = THIRD_PLAN.read_text(encoding="utf-8")
    assert row in text
    (tmp_path / "sources" / "plans").mkdir(parents=True)
    (tmp_path / "sources" / "plans" / "bad_unit.md").write_text(text.replace(row, row.replace("％", "个/台")), encoding="utf-8")
    env = dict(wh.env, URBAN_WAREHOUSE_PATH=str(tmp_path / "indicators.duckdb"),
               URBAN_SOURCE_DIRS=str(tmp_path / "sources"), DAGSTER_HOME=str(tmp_path))
    before = published_run_id(tmp_path / "indicators.duckdb")
    done = subprocess.run([str(URBAN), "run"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, done.stdout[-3000:]
    # the dbt test that every normalized unit is the catalogue's fails before the GX gates run
    assert re.search(r"^dbt build \+ tests\s+\d+/\d+\s+failed", done.stdout, re.M)
    assert re.search(r"│ dbt test │\s+\d+ │\s+0 │\s+1 │", done.stdout)
    assert "FAILED: dbt test assert_plan_target_units_match_catalogue on marts/fct_plan_target" in done.stdout
    for stage in ("quality gates (GX)", "publish", "dashboard", "docs"):
        assert re.search(rf"^{re.escape(stage)}\s+0/\d+\s+not run", done.stdout, re.M), stage
    assert "Not executing" not in done.stdout and "\x1b[" not in done.stdout
    assert re.search(r"│ plan_indicator_cells\s+│\s+3 │", done.stdout)  # the third plan was loaded
    assert re.search(rf"published: NO — nightly run \S+ did NOT publish: dbt_models: .*assert_plan_target_units_match_catalogue.*"
                     rf"\n.*left as it was \(run {before}\)", done.stdout)
    assert published_run_id(tmp_path / "indicators.duckdb") == before
    status = subprocess.run([str(URBAN), "status"], env=env, capture_output=True, text=True, timeout=120)
    assert "exit code 1" in status.stdout and "FAILED: dbt test assert_plan_target_units_match_catalogue" in status.stdout

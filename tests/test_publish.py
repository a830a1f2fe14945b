"""Publishing: the published warehouse and its Parquet exports change together, completely, or
not at all. Generated inputs only: small build files made here, and nightly runs over the
committed sources (URBAN_SOURCE_DIRS empty). Every warehouse path contains a ' (quote)."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from dagster_project.common import config
from dagster_project.publish.exports import MANIFEST
from dagster_project.publish.atomic import (
    PublishRefused,
    publish,
)
from dagster_project.common.warehouse import (
    build_connection,
    connect_readonly,
    prepare_build,
    published_run_id,
)

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
# run in a child process before its publish: kill -9 itself right before the build file is
# renamed (marts exported, build file checkpointed; the last fsync before os.replace)
KILL_BEFORE_RENAME = (
    "import os, signal\nfrom dagster_project.common import config, warehouse as w\n_fsync = w._fsync\n"
    "w._fsync = lambda p: os.kill(os.getpid(), signal.SIGKILL) if p == config.layout().build else _fsync(p)\n"
)
# kill -9 right after the rename, before the exports are swapped in
KILL_AFTER_RENAME = (
    "import os, signal\nfrom dagster_project.common import warehouse as w\n_settle = w.settle_exports\n"
    "w.settle_exports = lambda layout, current=None: os.kill(os.getpid(), signal.SIGKILL) if current else _settle(layout, current)\n"
)
# kill -9 in the middle of the exports swap: old exports set aside, new ones not yet in place
KILL_MID_SWAP = (
    "import os, signal\n_replace = os.replace\n"
    "os.replace = lambda s, d: os.kill(os.getpid(), signal.SIGKILL) if '.new-' in os.path.basename(s) else _replace(s, d)\n"
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(d: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in sorted(d.iterdir())} if d.is_dir() else {}


def manifest(wh: Path) -> dict:
    return json.loads((wh.parent / "exports" / MANIFEST).read_text(encoding="utf-8"))


def leftovers(wh: Path) -> list[str]:
    """Whatever a run may leave next to the published file besides the file, its exports, docs
    (dbt docs, GX context and Data Docs), the dashboard (a symlink onto its .site-<id> directory),
    the caches (parsed files, dbt's target directory)."""
    kept = {wh.name, "exports", "data_docs", "dagster_home", "docs", "gx", "site", "logs", "cache"}
    site = wh.parent / "site"
    current = site.resolve().name if site.is_symlink() else None
    return sorted(p.name for p in wh.parent.iterdir() if p.name not in kept and p.name != current)


def read_in_new_process(wh: Path, sql: str):
    """What a reader starting now (another process) sees."""
    code = "import duckdb, json, sys\ncon = duckdb.connect(sys.argv[1], read_only=True)\nprint(json.dumps(con.execute(sys.argv[2]).fetchall()))"
    return json.loads(subprocess.run([PY, "-c", code, str(wh), sql], capture_output=True, text=True, check=True).stdout)


@contextmanager
def writer_process(wh: Path, sql: str = "select 1"):
    """Another process holding ``wh`` open read-write (after running ``sql``) until the block ends;
    then it is killed (-9)."""
    code = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\ncon.execute(sys.argv[2])\nprint('held', flush=True)\ntime.sleep(300)"
    p = subprocess.Popen([PY, "-c", code, str(wh), sql], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "held\n"
        yield p
    finally:
        p.kill()
        p.wait()


# ---------------------------------------------------------------------------
# publish() on generated build files (fast)
# ---------------------------------------------------------------------------


@pytest.fixture
def wh(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "it's a warehouse"
    d.mkdir()
    monkeypatch.setenv("URBAN_WAREHOUSE_PATH", str(d / "indicators.duckdb"))
    return d / "indicators.duckdb"


def make_build(run_id: str, n: int) -> None:
    """This run's build file with one mart holding 1..n."""
    with build_connection(config.layout(), run_id) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.numbers as select range as n from range(1, {n + 1})")


def publish_in_child(run_id: str, prelude: str) -> int:
    """publish(run_id) in a child process that runs ``prelude`` first; its return code."""
    code = prelude + f"from dagster_project.common import config\nfrom dagster_project.publish.atomic import publish\npublish(config.layout(), {run_id!r})\n"
    return subprocess.run([PY, "-c", code], cwd=ROOT).returncode


def test_publish_exports_the_build_file_with_a_manifest_of_the_run(wh):
    for run_id, n in (("r1", 3), ("r2", 5)):
        make_build(run_id, n)
        done = publish(config.layout(), run_id)
        assert done["path"] == wh and done["rows"] == {"numbers": n}
        m = manifest(wh)
        with connect_readonly(wh) as con:
            assert con.execute("select run_id, published_at from meta.published").fetchone() == (run_id, done["published_at"])
            parquet = str(wh.parent / "exports" / "numbers.parquet")
            assert con.execute("select sum(n) from read_parquet(?)", [parquet]).fetchone() == (n * (n + 1) // 2,)
        assert {k: m[k] for k in ("run_id", "published_at", "rows", "kept")} == {
            "run_id": run_id, "published_at": done["published_at"].isoformat(), "rows": {"numbers": n}, "kept": []}
        assert m["digests"]["numbers"].startswith(f"{n}:")  # row count : sum of row hashes
        assert m["files"] == {f: (wh.parent / "exports" / f).stat().st_size for f in ("numbers.parquet", "numbers.csv")}
        assert leftovers(wh) == []
        assert sorted(tree(wh.parent / "exports")) == [  # exports.write_exports: CSV, XLSX, dictionary, stamp
            "data_dictionary.csv", "data_dictionary.md", MANIFEST, "marts.xlsx", "numbers.csv", "numbers.parquet",
            "published.csv", "published.parquet"]
        assert "Files: `<table>.parquet`, `<table>.csv`; tables of at most 100,000 rows as sheets of `marts.xlsx`" in (
            wh.parent / "exports" / "data_dictionary.md").read_text(encoding="utf-8")


def test_publish_keeps_the_export_files_of_marts_whose_rows_are_unchanged(wh):
    exports = wh.parent / "exports"

    def build(run_id: str, n: int, letters: str) -> None:
        make_build(run_id, n)
        with build_connection(config.layout(), run_id) as con:
            con.execute("create or replace table marts.letters as select unnest(?) as letter", [list(letters)])

    build("r1", 3, "a")
    assert publish(config.layout(), "r1")["exports_kept"] == set()
    inode = (exports / "numbers.csv").stat().st_ino
    build("r2", 3, "ab")  # numbers unchanged, letters changed
    assert publish(config.layout(), "r2")["exports_kept"] == {"numbers"}
    assert manifest(wh)["kept"] == ["numbers"] and manifest(wh)["run_id"] == "r2"
    assert (exports / "numbers.csv").stat().st_ino == inode  # the same file, linked into the new exports
    assert (exports / "numbers.csv").read_text() == "n\n1\n2\n3\n" and (exports / "letters.csv").read_text() == "letter\na\nb\n"
    with open(exports / "numbers.csv", "a") as fh:  # someone edited a published export
        fh.write("4\n")
    build("r3", 3, "ab")
    assert publish(config.layout(), "r3")["exports_kept"] == {"letters"}  # numbers.csv no longer has its size
    assert (exports / "numbers.csv").read_text() == "n\n1\n2\n3\n"
    build("r4", 3, "ab")
    assert publish(config.layout(), "r4", reuse_exports=False)["exports_kept"] == set()  # urban run --full
    assert (exports / "letters.csv").read_text() == "letter\na\nb\n" and leftovers(wh) == []
    (exports / MANIFEST).write_text("not json", encoding="utf-8")
    build("r5", 3, "ab")
    assert publish(config.layout(), "r5")["exports_kept"] == set() and manifest(wh)["kept"] == []


def test_a_reader_keeps_its_snapshot_across_a_publish_and_a_new_reader_sees_the_new_one(wh):
    make_build("r1", 3)
    publish(config.layout(), "r1")
    reader = connect_readonly(wh)  # an analyst's open session
    try:
        make_build("r2", 5)
        publish(config.layout(), "r2")
        sql = "select run_id, (select count(*) from marts.numbers) from meta.published"
        assert reader.execute(sql).fetchall() == [("r1", 3)]
        assert read_in_new_process(wh, sql) == [["r2", 5]]
    finally:
        reader.close()


def test_publish_refuses_while_another_process_holds_the_published_file_read_write(wh):
    make_build("r1", 3)
    publish(config.layout(), "r1")
    before, exports_before = sha(wh), tree(wh.parent / "exports")
    make_build("r2", 5)
    with writer_process(wh), pytest.raises(PublishRefused, match="another process holds the published file .* read-write") as refused:
        publish(config.layout(), "r2")
    assert str(wh) in str(refused.value)
    assert (sha(wh), tree(wh.parent / "exports")) == (before, exports_before)
    assert published_run_id(wh) == "r1"
    assert leftovers(wh) == [wh.name + ".build"]  # the refused run's build, still its own
    publish(config.layout(), "r2")  # once the writer is gone the same build publishes
    assert published_run_id(wh) == manifest(wh)["run_id"] == "r2"


def test_publish_refuses_next_to_a_wal_a_killed_writer_left(wh):
    make_build("r1", 3)
    publish(config.layout(), "r1")
    before = sha(wh)
    with writer_process(wh, "create table main.scribble as select 1"):
        pass  # written, then killed: its WAL stays next to the published file
    make_build("r2", 5)
    with pytest.raises(PublishRefused, match=r"indicators\.duckdb\.wal exists"):
        publish(config.layout(), "r2")
    assert sha(wh) == before and published_run_id(wh) == "r1" and manifest(wh)["run_id"] == "r1"


@pytest.mark.parametrize(
    "prelude, left",
    [
        (KILL_BEFORE_RENAME, ["exports.new-r2", "indicators.duckdb.build"]),
        (KILL_AFTER_RENAME, ["exports.new-r2"]),
        (KILL_MID_SWAP, ["exports.new-r2", "exports.old-r2"]),
    ],
    ids=["before_rename", "after_rename", "mid_swap"],
)
def test_publish_killed_at_any_point_is_settled_by_the_next_run(wh, prelude, left):
    make_build("r1", 3)
    publish(config.layout(), "r1")
    before, exports_before = sha(wh), tree(wh.parent / "exports")
    make_build("r2", 5)
    assert publish_in_child("r2", prelude) == -signal.SIGKILL
    assert leftovers(wh) == left
    renamed = "indicators.duckdb.build" not in left  # the rename is the commit point
    if renamed:
        assert published_run_id(wh) == "r2"
        assert tree(wh.parent / "exports") == (exports_before if "exports.old-r2" not in left else {})
    else:
        assert (sha(wh), published_run_id(wh), tree(wh.parent / "exports")) == (before, "r1", exports_before)
    prepare_build(config.layout(), "r3")  # the first thing the next run does
    assert manifest(wh)["run_id"] == published_run_id(wh) == ("r2" if renamed else "r1")
    assert manifest(wh)["rows"] == {"numbers": 5 if renamed else 3}
    assert leftovers(wh) == ["indicators.duckdb.build"]
    make_build("r3", 7)
    publish(config.layout(), "r3")
    assert manifest(wh)["run_id"] == published_run_id(wh) == "r3" and leftovers(wh) == []


# ---------------------------------------------------------------------------
# The nightly job as a process: kill -9 at every stage (slow: a run takes ~25 s)
# ---------------------------------------------------------------------------

# a line of the run's output at which the stage is under way
STAGE_LINES = {
    "ingest": r'STEP_START - Started execution of step "raw_reference"',
    "dbt": r"START sql table model marts\.",
    "checks": r'STEP_START - Started execution of step "\w+_gx_\w+"',
}


def nightly(wh: Path, kill_at: str | None = None, prelude: str = "", args: tuple[str, ...] = ()) -> tuple[int, str]:
    """Run the nightly as ``python -m dagster_project.cli.nightly [args]`` does (after ``prelude``) into ``wh``
    over the committed sources only; kill -9 its process group (the run and its dbt child) when
    a line of its output matches ``kill_at``. Returns (exit code, output)."""
    env = dict(
        os.environ, URBAN_WAREHOUSE_PATH=str(wh), URBAN_SOURCE_DIRS="", PYTHONUNBUFFERED="1",
        DAGSTER_HOME=str(wh.parent / "dagster_home"),
    )
    (wh.parent / "dagster_home").mkdir(exist_ok=True)
    code = prelude + f"import sys\nfrom dagster_project.cli.nightly import main\nsys.exit(main({list(args)!r}))\n"
    p = subprocess.Popen([PY, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    out = []
    try:
        for line in p.stdout:
            out.append(line)
            if kill_at and re.search(kill_at, line):
                os.killpg(p.pid, signal.SIGKILL)
                break
        out.append(p.stdout.read())
        return p.wait(timeout=300), "".join(out)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def content_hashes(wh: Path) -> dict[str, tuple[int, str]]:
    """(rows, md5 of the sorted rows) of every marts table, leaving out load ids and timestamps."""
    with connect_readonly(wh) as con:
        columns = con.execute(
            "select table_name, column_name, column_name = 'load_id' or data_type like 'TIMESTAMP%' "
            "from information_schema.columns where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
        assert {c for _, c, run_specific in columns if run_specific} == {"load_id", "loaded_at", "quarantined_at"}
        kept: dict[str, list[str]] = {}
        for t, c, run_specific in columns:
            kept.setdefault(t, []).extend([] if run_specific else [f'"{c}"'])
        return {
            t: con.execute(
                f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), '')) "
                f'from (select cast(row({", ".join(cols)}) as varchar) r from marts."{t}")'
            ).fetchone()
            for t, cols in kept.items()
        }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """One nightly run publishing a warehouse (and its exports) to copy from."""
    wh = tmp_path_factory.mktemp("baseline") / "it's" / "indicators.duckdb"
    wh.parent.mkdir()
    code, out = nightly(wh)
    assert code == 0 and f"published {wh}" in out, out[-3000:]
    return wh


def copy_of(baseline: Path, tmp_path: Path) -> Path:
    wh = tmp_path / "it's" / baseline.name
    wh.parent.mkdir()
    shutil.copy2(baseline, wh)
    shutil.copytree(baseline.parent / "exports", wh.parent / "exports")
    return wh


def test_nightly_killed_at_each_stage_leaves_the_published_warehouse_and_the_next_run_publishes(baseline, tmp_path):
    wh = copy_of(baseline, tmp_path)
    before, exports_before, run_before = sha(wh), tree(wh.parent / "exports"), published_run_id(wh)
    timings = {}
    for stage, prelude, kill_at in [
        *((s, "", line) for s, line in STAGE_LINES.items()),
        ("publish", KILL_BEFORE_RENAME, None),  # inside publish(): exported, checkpointed, not renamed
    ]:
        t0 = time.monotonic()
        # --full: the same inputs again would otherwise skip the stages (dbt, the gates) to be killed in
        code, out = nightly(wh, kill_at=kill_at, prelude=prelude, args=("--full",))
        timings[stage] = round(time.monotonic() - t0, 1)
        assert code == -signal.SIGKILL, (stage, out[-3000:])
        assert sha(wh) == before, stage
        assert published_run_id(wh) == run_before and tree(wh.parent / "exports") == exports_before, stage
    t0 = time.monotonic()
    code, out = nightly(wh)  # no clean-up in between
    timings["next run"] = round(time.monotonic() - t0, 1)
    print("seconds per run:", timings)
    assert code == 0, out[-3000:]
    run_id = re.search(r"nightly run (\S+) published", out).group(1)
    assert published_run_id(wh) == manifest(wh)["run_id"] == run_id != run_before
    assert leftovers(wh) == []
    # two runs over the same inputs (the baseline's and this one) publish the same content
    assert content_hashes(wh) == content_hashes(baseline)


def test_nightly_refuses_to_publish_while_another_process_holds_the_file_read_write(baseline, tmp_path):
    wh = copy_of(baseline, tmp_path)
    before, exports_before = sha(wh), tree(wh.parent / "exports")
    with writer_process(wh):
        code, out = nightly(wh)
    assert code == 1
    assert "did NOT publish: published_warehouse: " in out, out[-3000:]
    assert f"PublishRefused: another process holds the published file {wh} read-write" in out
    assert f"{wh} left as it was" in out
    assert (sha(wh), tree(wh.parent / "exports")) == (before, exports_before)

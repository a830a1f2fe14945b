"""dagster_project.process: the heap settled after loading, the fast exit of a command."""

import gc
import subprocess
import sys
import textwrap

import pytest

from dagster_project import process


def _child(body: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(body)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (True, 1)])
def test_exit_code_of_sys_exit_values(code, status):
    assert process.exit_code(code) == status


def test_exit_code_of_a_message_prints_it(capsys):
    assert process.exit_code("no warehouse at /x") == 1
    assert capsys.readouterr().err == "no warehouse at /x\n"


def test_exit_now_runs_atexit_handlers_flushes_and_keeps_the_status(tmp_path):
    marker = tmp_path / "atexit.txt"
    done = _child(f"""
        import atexit, sys
        from pathlib import Path
        from dagster_project import process
        atexit.register(lambda: Path({str(marker)!r}).write_text("ran"))
        sys.stdout.write("buffered, no newline")
        sys.stderr.write("to stderr")
        process.exit_now(7)
        print("never reached")
    """)
    assert done.returncode == 7
    assert done.stdout == "buffered, no newline"
    assert done.stderr == "to stderr"
    assert marker.read_text() == "ran"


def test_exit_now_with_duckdb_loaded_prints_no_leak_report():
    """The reason for os._exit: a heap frozen before a normal exit makes DuckDB's bindings report
    leaks on stderr (shown here too, so that the test fails if that stops being true and the
    module docstring needs rewriting)."""
    body = """
        import gc, duckdb
        con = duckdb.connect()
        types = [con.sql("select 1 as x").types for _ in range(3)]
        from dagster_project import process
        {end}
    """
    fast = _child(body.format(end="process.exit_now(0)"))
    frozen = _child(body.format(end="gc.freeze()"))
    assert (fast.returncode, fast.stderr) == (0, "")
    assert frozen.returncode == 0 and "nanobind: leaked" in frozen.stderr


def test_settle_heap_freezes_the_survivors_and_raises_the_youngest_threshold():
    before = gc.get_threshold()
    try:
        gc.unfreeze()
        process.settle_heap()
        assert gc.get_freeze_count() > 10_000  # (pytest, duckdb, polars, dagster_project already imported)
        assert gc.get_threshold() == (process.YOUNGEST_GENERATION_THRESHOLD, *before[1:])
        frozen = gc.get_freeze_count()
        garbage = [[]]
        garbage[0].append(garbage)  # a reference cycle, frozen by the next call
        process.settle_heap()
        del garbage
        process.settle_heap()  # a later call unfreezes first: the cycle is collected, not kept for good
        assert gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_settled_process_that_exits_normally_prints_no_leak_report():
    """settle_heap froze the heap; a process ending without exit_now (pytest, a script) unfreezes it
    at exit, else DuckDB's bindings would report their objects as leaked."""
    done = _child("""
        import duckdb
        con = duckdb.connect()
        types = [con.sql("select 1 as x").types for _ in range(3)]
        from dagster_project import process
        process.settle_heap()
        process.settle_heap()
    """)
    assert (done.returncode, done.stderr) == (0, "")

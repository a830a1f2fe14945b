"""dagster_project.common.process: the fast exit of a command."""

import subprocess
import sys
import textwrap

import pytest

from dagster_project.common import process


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
        from dagster_project.common import process
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
        from dagster_project.common import process
        {end}
    """
    fast = _child(body.format(end="process.exit_now(0)"))
    frozen = _child(body.format(end="gc.freeze()"))
    assert (fast.returncode, fast.stderr) == (0, "")
    assert frozen.returncode == 0 and "nanobind: leaked" in frozen.stderr

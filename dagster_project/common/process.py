"""How a process that runs the nightly job spends its time at the edges: how it ends, and imports
started ahead while it waits on something else.

Running the nightly imports Dagster, dagster-dbt (with much of dbt-core), Polars, DuckDB and Great
Expectations: about 490,000 objects that live as long as the process. While the interpreter shuts
down, CPython's cyclic collector walks all of them once more before freeing them one by one: in a
``--full`` nightly on today's data, 1.6-1.9 s between the run's last line and the process's end
(BENCHMARKS.md, "Analysis").

:func:`exit_now`, at the end of a command: run the ``atexit`` handlers (log files flushed,
temporary directories removed, ...), flush stdout and stderr, then end the process without tearing
its heap down (``os._exit``). Freezing the heap (``gc.freeze``) before a normal exit would skip the
last collection too, but DuckDB's bindings (nanobind) then print every object of theirs still
referenced at shutdown as a leak on stderr. (Freezing the heap once the definitions were loaded,
to shorten the collections during the run, was tried: 2.3 s of collections became 0.9 s in a
profile, but the run as a whole took the same 26.8 s, so it was not kept.)
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading


def exit_code(code: object) -> int:
    """The status a process ends with for ``sys.exit(code)``: None is 0, an int itself; anything
    else (a message) is printed to stderr and ends it with 1, as the interpreter does."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def exit_now(code: object) -> None:
    """End this process with ``sys.exit(code)``'s status, after the ``atexit`` handlers and with
    stdout and stderr flushed, without the interpreter's shutdown (module docstring). Only for the
    end of a command-line process: nothing after it runs."""
    status = exit_code(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed or replaced: nothing left to write
            pass
    os._exit(status)


def import_gx_in_background() -> threading.Thread:
    """Import great_expectations (~2.5 s of Python) in a thread, for a caller that is about to wait
    on something else (the dbt step waits on its dbt process): the gates then start without paying
    for it. Python's import lock makes a later ``import great_expectations`` wait for this one."""
    thread = threading.Thread(target=importlib.import_module, args=("great_expectations",), daemon=True, name="import-gx")
    thread.start()
    return thread

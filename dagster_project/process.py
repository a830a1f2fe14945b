"""How a process that runs the nightly job treats Python's garbage collector, and how it ends.

Loading the definitions imports Dagster, dagster-dbt (with much of dbt-core), Polars and DuckDB:
about 270,000 objects that live as long as the process (490,000 once the GX gates have imported
Great Expectations). CPython's cyclic collector walks all of them again at every full collection,
and once more while the interpreter shuts down. In a ``--full`` nightly on today's data that was
2.3 s of collections during the run and 1.6 s between the run's last line and the process's end
(BENCHMARKS.md, "Nightly vs bare dbt").

- :func:`settle_heap`, once the definitions are loaded (at the end of ``definitions.py``): collect
  once, freeze what survives (``gc.freeze``: still alive, never walked again) and let the youngest
  generation grow to 10,000 objects (CPython's default: 700) before a collection, so that the run's
  short-lived objects are collected in fewer passes. A process that ends normally unfreezes its
  heap first (an ``atexit`` handler), for the reason below.
- :func:`exit_now`, at the end of a command: run the ``atexit`` handlers (log files flushed,
  temporary directories removed, ...), flush stdout and stderr, then end the process without tearing
  its heap down object by object (``os._exit``). Freezing the heap before a normal exit would skip
  the last collection too, but DuckDB's bindings (nanobind) then print every object of theirs still
  referenced at shutdown as a leak on stderr.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

YOUNGEST_GENERATION_THRESHOLD = 10_000
_unfreeze_at_exit = False


def settle_heap() -> None:
    """Collect, freeze the surviving objects, raise the youngest generation's threshold (module
    docstring). Called again in the same process (tests run many nightlies), what an earlier call froze
    is unfrozen first, so that whatever of it has become garbage since is collected."""
    global _unfreeze_at_exit
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, older, oldest)
    if not _unfreeze_at_exit:
        atexit.register(gc.unfreeze)
        _unfreeze_at_exit = True


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

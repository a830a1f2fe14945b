"""A large table's row batches validated on more than one core (used by :func:`dagster_project.quality.suites.validate`).

GX validates a batch in Python, on one core: ~2.4 s per 500,000 rows of ``fct_indicator_observation``,
173 s of the national x100 nightly (28.6 M rows) while the machine's other core waited. Here a
table's batches are ranges of its ``rowid`` (``batches.rowid_ranges``: the table order),
validated by the run's process and ``n`` worker processes, each reading its own batches from the
database file (read-only; DuckDB reads a rowid range without scanning the rest). Nothing but a range
goes to a worker: sending it the batch itself (an Arrow table of ~180 MB, pickled) made two
processes slower than one. The workers always have two batches each to do; the run's process takes
the next batch whenever it is free (the first one always: its result carries the batch's meta), so
a worker that is still starting leaves more to it. Workers are ``spawn``-ed (the run's process has
threads) and import Great Expectations when they start (~2.5 s). A result comes back pickled
(counts and at most ``MAX_ROWS_REPORTED`` rows per expectation) and the results are handed back in
batch order, so what ``batches.merged`` makes of them (counts summed, the first unexpected
rows in table order) is what one process gives.

A worker that dies (killed, out of memory) breaks the pool: its batches, and every later one, are
then validated in this process. Workers are only started for ``MIN_BATCHES`` batches or more: fewer
are validated as soon here as with a worker that first has to start.
"""

from __future__ import annotations

import gc
import importlib
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dagster_project.common import config

# from 5 batches on: a worker starts (spawn, GX import, its first batch) in ~4 s, the time of almost two
# batches here; on x10's observation table (6 batches) the row batches took 9.6 s instead of 13.5 s
MIN_BATCHES = 5
WORKERS_ENV = "URBAN_GX_WORKERS"  # optional: processes validating batches, this one included (default: the cores; 1 = none)


class RowBatches:
    """:meth:`results`: ``here(item)`` of each of ``items``, in order, computed either in this process
    or as ``work(*args, item)`` in a worker process (``work``: a module-level function, which the
    worker imports by name). Use as a context manager."""

    def __init__(self, here: Callable[[Any], Any], work: Callable[..., Any], args: tuple, items: list,
                 log: logging.Logger | None = None):
        self.here, self.work, self.args, self.items = here, work, args, list(items)
        self.log = log or logging.getLogger(__name__)
        self.pool: ProcessPoolExecutor | None = None
        n = min(config.worker_processes(WORKERS_ENV) - 1, len(self.items) - 1)  # worker processes besides this one
        if len(self.items) >= MIN_BATCHES and n >= 1:
            self.pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=importlib.import_module, initargs=("great_expectations",))
            self.window = 2 * n
            self.log.info(f"validating {len(self.items)} batches in this process and {n} worker process(es)")

    def __enter__(self) -> "RowBatches":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _here(self, item: Any) -> Any:
        result = self.here(item)
        gc.collect()  # GX's objects of the batch (reference cycles) hold its DataFrame: freed before the next
        return result

    def _settle(self, item: Any, future: Future) -> Any:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            if self.pool is not None:
                self.log.warning(f"a GX worker died ({exc}); its batches and the rest are validated in this process")
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
            return self._here(item)

    def results(self) -> list[Any]:
        """Each item's result, in the items' order. The workers always have up to ``window`` items
        queued; this process takes the next item whenever it is free (so a worker that is still
        starting, or slower, leaves more to this one), and the first item itself (its result carries
        the batch's meta)."""
        done: dict[int, Any] = {}
        pending: dict[int, Future] = {}
        todo = deque(range(len(self.items)))
        while todo or pending:
            mine = todo.popleft() if todo else None
            while self.pool is not None and todo and len(pending) < self.window:
                i = todo.popleft()
                pending[i] = self.pool.submit(self.work, *self.args, self.items[i])
            if mine is not None:
                done[mine] = self._here(self.items[mine])
                finished = [i for i, f in pending.items() if f.done()]
            else:
                ready = wait(pending.values(), return_when=FIRST_COMPLETED).done
                finished = [i for i, f in pending.items() if f in ready]
            for i in finished:
                done[i] = self._settle(self.items[i], pending.pop(i))
            if self.pool is None:  # (a dead worker: what it had is done here)
                for i in list(pending):
                    done[i] = self._settle(self.items[i], pending.pop(i))
        return [done[i] for i in range(len(self.items))]

"""Parse the files a loader has to parse in worker processes, one per core, in the loader's order
(issue 11: a cold run or a new batch of editions spends most of its ingest time in the parsers,
one workbook at a time, on one of the machine's cores).

:class:`Parsing` is used by ``sources.common.landing.parse_files``: it is given the files that the parse
cache does not hold, hands them to a pool of ``spawn``-ed processes (never ``fork``: the run's
process has threads, e.g. the background import of GX, whose locks a forked child would inherit
held) and gives each result back when the loader reaches that file, so the loader still spools,
quarantines and logs one file at a time, in order. At most ``2 x workers`` results wait at any time
(a national set of editions would not fit in memory as parse results). A worker hands its result
back as the parse cache stores one (its DataFrames as Parquet files in a scratch directory, the rest
as a small document: ``parse_cache.write_result``), not pickled through the pipe: a yearbook's
result pickles to ~36 MB, and receiving those one after another took as long as parsing. A parser's exception comes
back as that file's exception (SourceError included), so a bad file is quarantined exactly as when
parsed in-process. A worker that dies (killed, out of memory) breaks the pool: that file and every
later one are then parsed in this process instead.

A pool is only started when it pays: at least ``MIN_FILES`` files and ``MIN_BYTES`` to parse, more
than one core, and a parser that another process can import by name (a module-level function; a
closure is parsed here). A worker starts by importing the run's main module (``spawn``: the nightly's
imports dagster), ~0.8 s before its first result. Measured on this 2-core machine: the 50 bulletins
(4 MB) 1.5 s in-process, 2.0 s with 2 workers; the 6 yearbook editions (2.2 MB) 2.4 s either way;
18 editions 6.9 s in-process, 5.3 s with 2 workers (a national set: hundreds of editions).
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import tempfile
import uuid
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable

from dagster_project.common import config
from dagster_project.sources.common.parse_cache import read_result, write_result

MIN_FILES = 4
MIN_BYTES = 16 * 2**20  # fewer bytes to parse are parsed sooner here than a worker has started
WORKERS_ENV = "URBAN_PARSE_WORKERS"  # optional: the number of worker processes (default: the cores; 1 = none)


def _parse_to_files(parse: Callable[[Path], Any], path: Path, scratch: Path) -> tuple[Any, Path | None]:
    """In a worker: ``parse(path)`` written to a new directory under ``scratch``: (document, directory);
    a result the parse cache cannot write is sent back itself (pickled): (result, None)."""
    result = parse(path)
    directory = scratch / uuid.uuid4().hex
    try:
        return write_result(result, directory), directory
    except Exception:  # noqa: BLE001 - not a failure of the file: it travels the slow way
        shutil.rmtree(directory, ignore_errors=True)
        return result, None


def _size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def importable(parse: Callable) -> bool:
    """A function another process finds by module and name (what pickle sends)."""
    return "<" not in getattr(parse, "__qualname__", "<") and getattr(parse, "__module__", None) not in (None, "__main__")


class Parsing:
    """``result(path)``: ``parse(path)``, computed ahead in worker processes for ``pending`` (in the
    order they will be asked for) when that pays, else computed now. Use as a context manager."""

    def __init__(self, parse: Callable[[Path], Any], pending: list[Path], log: logging.Logger | None = None):
        self.parse, self.log = parse, log or logging.getLogger(__name__)
        self.queue: deque[Path] = deque()
        self.ahead: dict[Path, Future] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.scratch: Path | None = None
        n = min(config.worker_processes(WORKERS_ENV), len(pending))
        if len(pending) >= MIN_FILES and n > 1 and importable(parse) and _size(pending) >= MIN_BYTES:
            self.scratch = Path(tempfile.mkdtemp(prefix="urban-parse-"))
            self.pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"))
            self.queue.extend(pending)
            self.window = 2 * n
            self.log.info(f"parsing {len(pending)} files in {n} worker processes")

    def __enter__(self) -> "Parsing":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _fill(self) -> None:
        while self.pool is not None and self.queue and len(self.ahead) < self.window:
            path = self.queue.popleft()
            self.ahead[path] = self.pool.submit(_parse_to_files, self.parse, path, self.scratch)

    def result(self, path: Path) -> Any:
        self._fill()
        future = self.ahead.pop(path, None)
        if future is None:
            return self.parse(path)
        try:
            doc, directory = future.result()
            if directory is None:
                return doc
            try:
                return read_result(doc, directory)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
        except BrokenProcessPool as exc:
            self.log.warning(f"{path.name}: a parse worker died ({exc}); this file and the rest are parsed in this process")
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool, self.ahead = None, {}
            self.queue.clear()
            return self.parse(path)
        finally:
            self._fill()

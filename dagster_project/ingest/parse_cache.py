"""A content-hash cache of parse results: a run re-parses only the files whose bytes or parser changed.

An entry is keyed by (table, file name, file sha256, fingerprint). The fingerprint hashes everything
that can change what a parser returns: the source of every module under ``dagster_project/ingest/``
and ``dagster_project/sources/`` (recursively) and of the module defining the ``parse`` callable (plus its name), every
``raw/reference/*.csv`` (and the ingest limits file), the polars and Python versions. It is
computed once per process. The file name is part of the key because parsers write it into every row.

What is kept is the parser's *result object* (``parse(path)``), not the rows ``land_files`` makes of
it: a ``frame`` callable may carry state across the files of one run (``_one_file_per_plan``
quarantines a second file with an already seen plan id), so it must run on a cached result exactly
as on a fresh one. An entry is the directory ``<cache>/<table>/<key>/``: every DataFrame of the
result as ``f<n>.parquet`` and ``result.json`` with everything else (quarantine rows, summary,
scalars; nested dataclasses of ``dagster_project.ingest`` by class name, rebuilt field by field
without running ``__init__``; only such classes are ever imported). A type it cannot store exactly
raises ``TypeError`` and the file is simply not cached.

An entry is written into a temporary directory that is renamed into place (``os.replace``), so a
killed run leaves no half entry; an unreadable or inconsistent entry is logged, removed and
counted as a miss (the file is parsed again), never an error. Only files that landed are put
(a file that failed is tried again next run). :meth:`ParseCache.finish` removes the table's
entries this run did not use, so the cache holds one entry per current file of each table.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import polars as pl

from dagster_project import config
from dagster_project.ingest import reference

INGEST_DIR = Path(__file__).resolve().parent
SOURCES_DIR = INGEST_DIR.parent / "sources"  # the readers of the new layout (sources/plans/ …)
INGEST_PACKAGE = __package__  # dagster_project.ingest: the only classes an entry may name
ENTRY_FILE = "result.json"
TMP_PREFIX = ".tmp-"
STALE_TMP_SECONDS = 3600  # a temporary directory this old was left by a killed run


def _digest(h, label: str, path: Path) -> None:
    h.update(f"\0{label}\0".encode())
    h.update(hashlib.sha256(path.read_bytes()).digest())


@functools.lru_cache(maxsize=None)
def base_fingerprint(reference_dir: Path, limits_file: Path) -> str:
    """Ingest code, reference data, polars and Python: hashed once per process (per reference dir)."""
    h = hashlib.sha256(f"polars {pl.__version__}\0python {sys.version}".encode())
    for path in sorted(INGEST_DIR.rglob("*.py")):
        _digest(h, f"ingest/{path.relative_to(INGEST_DIR).as_posix()}", path)
    for path in sorted(SOURCES_DIR.rglob("*.py")):
        _digest(h, f"sources/{path.relative_to(SOURCES_DIR).as_posix()}", path)
    for path in sorted(set(reference_dir.glob("*.csv")) | {limits_file}):
        _digest(h, f"reference/{path.name}", path)
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def _module_digest(file: Path) -> str:
    h = hashlib.sha256()
    _digest(h, "parse module", file)
    return h.hexdigest()


def fingerprint(parse: Callable) -> str:
    """The fingerprint of everything ``parse`` depends on (see the module doc)."""
    h = hashlib.sha256(base_fingerprint(reference.REFERENCE_DIR, config.INGEST_LIMITS_FILE).encode())
    h.update(f"\0{parse.__module__}.{parse.__qualname__}\0".encode())
    file = getattr(sys.modules.get(parse.__module__), "__file__", None)
    if file and not Path(file).resolve().is_relative_to(INGEST_DIR):  # e.g. a dispatching closure in assets/
        h.update(_module_digest(Path(file).resolve()).encode())
    return h.hexdigest()


def inputs_digest(table: str, parse: Callable | None, files: list[tuple[str, str]], code: tuple[str | Path, ...]) -> str:
    """What a raw table is landed from: the table name, the parser's :func:`fingerprint` (no parser: the
    ingest code and reference data alone), the landing ``code`` files and every source file's (name,
    sha256) in landing order. Equal digests mean landing again would write the same rows."""
    base = fingerprint(parse) if parse else base_fingerprint(reference.REFERENCE_DIR, config.INGEST_LIMITS_FILE)
    h = hashlib.sha256(f"{table}\0{base}".encode())
    for file in code:
        h.update(_module_digest(Path(file).resolve()).encode())
    for name, sha in files:
        h.update(f"\0{name}\0{sha}".encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Result <-> JSON + Parquet (every non-scalar is a one-key dict naming its type)
# ---------------------------------------------------------------------------


def _encode(value: Any, frames: list[pl.DataFrame]) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, pl.DataFrame):
        frames.append(value)
        return {"frame": f"f{len(frames) - 1}.parquet"}
    if type(value) in (list, tuple):
        return {type(value).__name__: [_encode(v, frames) for v in value]}
    if type(value) is dict:
        return {"dict": [[_encode(k, frames), _encode(v, frames)] for k, v in value.items()]}
    cls = type(value)
    if dataclasses.is_dataclass(value) and cls.__module__.startswith(INGEST_PACKAGE + "."):
        fields = {f.name: _encode(getattr(value, f.name), frames) for f in dataclasses.fields(value)}
        return {"dataclass": [f"{cls.__module__}:{cls.__qualname__}", fields]}
    raise TypeError(f"a {cls.__module__}.{cls.__qualname__} cannot be stored in the parse cache")


def _decode(value: Any, entry: Path) -> Any:
    if not isinstance(value, dict):
        return value
    (tag, body), = value.items()
    if tag == "frame":
        if Path(body).name != body:
            raise ValueError(f"bad frame file name {body!r}")
        return pl.read_parquet(entry / body)
    if tag in ("list", "tuple"):
        items = [_decode(v, entry) for v in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        return {_decode(k, entry): _decode(v, entry) for k, v in body}
    if tag == "dataclass":
        name, fields = body
        module, _, qualname = name.partition(":")
        if not module.startswith(INGEST_PACKAGE + "."):
            raise ValueError(f"class {name!r} is not part of {INGEST_PACKAGE}")
        cls = functools.reduce(getattr, qualname.split("."), importlib.import_module(module))
        if not dataclasses.is_dataclass(cls) or set(fields) != {f.name for f in dataclasses.fields(cls)}:
            raise ValueError(f"{name} has other fields now")
        obj = object.__new__(cls)
        for key, v in fields.items():
            object.__setattr__(obj, key, _decode(v, entry))  # object.__setattr__: frozen dataclasses too
        return obj
    raise ValueError(f"unknown tag {tag!r}")


def write_result(result: Any, directory: Path) -> Any:
    """``result`` as a JSON-able document, its DataFrames written to ``directory`` (created) as
    ``f<n>.parquet``; :func:`read_result` turns both back into an equal result."""
    frames: list[pl.DataFrame] = []
    doc = _encode(result, frames)
    directory.mkdir(parents=True)
    for i, df in enumerate(frames):
        df.write_parquet(directory / f"f{i}.parquet")
    return doc


def read_result(doc: Any, directory: Path) -> Any:
    """The result :func:`write_result` wrote as ``doc`` and the Parquet files in ``directory``."""
    return _decode(doc, directory)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class ParseCache:
    """The cache of one table in one run: ``get`` before parsing, ``put`` after the file landed,
    ``finish`` at the end (logs hits vs parsed, removes entries this run did not use)."""

    def __init__(self, directory: Path, table: str, parse: Callable, log: logging.Logger | None = None):
        self.dir = Path(directory) / table
        self.table = table
        self.fingerprint = fingerprint(parse)
        self.log = log or logging.getLogger(__name__)
        self.used: set[str] = set()
        self.hits = self.parsed = 0

    def _key(self, path: Path, sha: str) -> str:
        """The entry name of this file's bytes; marks it used by this run (kept by :meth:`prune`)."""
        key = hashlib.sha256(f"{self.table}\0{path.name}\0{sha}\0{self.fingerprint}".encode()).hexdigest()
        self.used.add(key)
        return key

    def _header(self, path: Path, sha: str) -> dict:
        return {"table": self.table, "file": path.name, "sha256": sha, "fingerprint": self.fingerprint}

    def holds(self, path: Path, sha: str) -> bool:
        """Whether an entry for this file's bytes exists (``get`` may still find it damaged: then the
        file is parsed after all)."""
        return (self.dir / self._key(path, sha)).exists()

    def get(self, path: Path, sha: str) -> Any | None:
        """The cached parse result of this file's bytes, or None (then parse it; counted as parsed)."""
        entry = self.dir / self._key(path, sha)
        if entry.exists():
            try:
                doc = json.loads((entry / ENTRY_FILE).read_text(encoding="utf-8"))
                if doc.get("header") != self._header(path, sha):
                    raise ValueError(f"entry is for {doc.get('header')}")
                result = read_result(doc["result"], entry)
                self.hits += 1
                return result
            except Exception as exc:  # noqa: BLE001 - any damage means: parse again
                self.log.warning(f"parse cache: {path.name}: unreadable entry {entry} "
                                 f"({type(exc).__name__}: {exc}); removed, parsing the file again")
                _remove(entry)
        self.parsed += 1
        return None

    def put(self, path: Path, sha: str, result: Any) -> None:
        """Store ``result`` (the parse of ``path`` whose bytes have ``sha``); a failure is logged, never raised."""
        entry = self.dir / self._key(path, sha)
        tmp = self.dir / f"{TMP_PREFIX}{entry.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            doc = {"header": self._header(path, sha), "result": write_result(result, tmp)}
            (tmp / ENTRY_FILE).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, entry)
        except Exception as exc:  # noqa: BLE001 - the cache must never fail a load
            if not entry.is_dir():  # (a concurrent run that stored the same entry first is fine)
                self.log.warning(f"parse cache: {path.name}: not cached ({type(exc).__name__}: {exc})")
        finally:
            if tmp.exists():
                _remove(tmp)

    def prune(self) -> int:
        """Remove this table's entries not used in this run (changed or vanished files, older code or
        reference data) and temporary directories of killed runs; returns how many."""
        removed = 0
        for child in self.dir.iterdir() if self.dir.is_dir() else ():
            if child.name in self.used:
                continue
            if child.name.startswith(TMP_PREFIX) and time.time() - child.lstat().st_mtime < STALE_TMP_SECONDS:
                continue  # maybe another run writing right now
            _remove(child)
            removed += 1
        return removed

    def finish(self) -> None:
        removed = self.prune()
        self.log.info(f"{self.table}: parse cache: {self.hits} file(s) from cache, {self.parsed} parsed, "
                      f"{removed} unused entr{'y' if removed == 1 else 'ies'} removed ({self.dir})")


def same_result(a: Any, b: Any) -> bool:
    """Whether two parse results are equal, DataFrames included (values and dtypes): what the tests
    and benchmarks/bench_parse_cache.py check a cached result against."""
    fa: list[pl.DataFrame] = []
    fb: list[pl.DataFrame] = []
    return _encode(a, fa) == _encode(b, fb) and all(x.schema == y.schema and x.equals(y) for x, y in zip(fa, fb))

"""Configuration: where the warehouse lives and where source files are read from.

Environment variables (the only knobs):

``URBAN_WAREHOUSE_PATH``
    The *published* DuckDB file, read by analysts and BI tools (default
    ``warehouse/indicators.duckdb``), read here only (:func:`warehouse_path`, and Dagster's
    ``EnvVar`` in the warehouse resource). Every other path is derived from it
    (:class:`WarehouseLayout`): runs build into ``<path>.build`` and only the publish step
    renames that file onto ``<path>``; dbt is told which file to write (``--vars``) by the
    resource, so ``dbt/profiles.yml`` repeats neither the default nor the suffix.
``URBAN_SOURCE_DIRS``
    Extra source directories (``os.pathsep``-separated) holding the files that must not
    be committed: ``yearbooks/``, ``census/``, ``bulletins/*.html`` / ``*.pdf`` / ``*.docx`` (and optionally more
    ``plans/``). Default: ``../shared`` next to the project, if it exists. The repository's
    own ``raw/`` is always searched first.
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # dagster_project/common/config.py -> the repository
RAW_DIR = PROJECT_ROOT / "raw"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

WAREHOUSE_ENV = "URBAN_WAREHOUSE_PATH"
SOURCE_DIRS_ENV = "URBAN_SOURCE_DIRS"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "indicators.duckdb"
BUILD_SUFFIX = ".build"
INGEST_LIMITS_FILE = RAW_DIR / "reference" / "ingest_limits.csv"

log = logging.getLogger(__name__)


FULL_RUN_HELP = ("Land every source, rebuild every dbt model and run every GX suite, even those whose inputs are "
                 "unchanged since the published warehouse (by default a run skips them: dagster_project/transform/build_state.py).")

def warehouse_path() -> Path:
    """Absolute path of the published warehouse file: the one place ``URBAN_WAREHOUSE_PATH`` and its
    default are read (Dagster's ``EnvVar`` reads the same variable once :func:`export_env` has run)."""
    return Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE).expanduser().resolve()


@dataclass(frozen=True)
class WarehouseLayout:
    """Every file and directory the pipeline writes, derived from the published file alone."""

    published: Path

    @property
    def build(self) -> Path:
        """The file a run writes into (never read by consumers); renamed onto ``published``."""
        return self.published.with_name(self.published.name + BUILD_SUFFIX)

    def _beside(self, name: str) -> Path:
        return self.published.parent / name

    exports = property(lambda self: self._beside("exports"), doc="Parquet/CSV/XLSX exports of the marts")
    data_docs = property(lambda self: self._beside("data_docs"), doc="GX Data Docs site")
    docs = property(lambda self: self._beside("docs"), doc="the documentation site")
    site = property(lambda self: self._beside("site"), doc="dashboard and reports")
    logs = property(lambda self: self._beside("logs"), doc="`urban` run logs")
    parse_cache = property(lambda self: self._beside("cache") / "parsed", doc="parsed source files by content hash")
    dbt_target = property(lambda self: self._beside("cache") / "dbt", doc="dbt's target/ for this warehouse (partial parsing)")


def layout(published: str | Path | None = None) -> WarehouseLayout:
    """The layout around ``published`` (default: :func:`warehouse_path`)."""
    return WarehouseLayout(Path(published).expanduser().resolve() if published else warehouse_path())


def export_env() -> None:
    """Put the resolved warehouse path (the default when unset) into the environment, so that
    ``EnvVar(URBAN_WAREHOUSE_PATH)`` of the Dagster resource resolves in this process and its children."""
    os.environ[WAREHOUSE_ENV] = str(warehouse_path())


def worker_processes(env: str) -> int:
    """How many processes a step that can use several may use: the environment variable ``env`` when
    set (at least 1), else the machine's cores (``URBAN_PARSE_WORKERS``, ``URBAN_GX_WORKERS``)."""
    configured = os.environ.get(env)
    return max(1, int(configured)) if configured else (os.cpu_count() or 1)


def source_dirs() -> list[Path]:
    """raw/ first, then the configured extra directories that exist."""
    env = os.environ.get(SOURCE_DIRS_ENV)
    extra = [Path(p).expanduser() for p in env.split(os.pathsep) if p] if env is not None else [PROJECT_ROOT.parent / "shared"]
    dirs = [RAW_DIR] + [p.resolve() for p in extra if p.exists()]
    seen, out = set(), []
    for d in dirs:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def find_source_files(subdir: str, patterns: tuple[str, ...]) -> list[Path]:
    """Files matching ``patterns`` under ``<dir>/<subdir>/`` (recursively) in every source
    directory. A file present in several directories with identical bytes counts once
    (raw/ wins); same name with different bytes is kept twice (both are evidence).

    A symlink whose target lies outside its source directory is never followed: it is
    skipped with a warning. A file that cannot even be hashed (unreadable) is still
    returned, so that its loader quarantines it by name."""
    from dagster_project.common.files import file_sha256

    found: dict[tuple[str, str], Path] = {}
    for d in source_dirs():
        root, base = d.resolve(), d / subdir
        if not base.is_dir():
            continue
        for pattern in patterns:
            for p in sorted(base.rglob(pattern)):
                if not p.is_file() or p.name.startswith(("~$", ".")):
                    continue
                if not p.resolve().is_relative_to(root):
                    log.warning("skipped %s: it links to %s, outside the source directory %s", p, p.resolve(), root)
                    continue
                try:
                    key = (p.name, file_sha256(p))
                except OSError:
                    key = (p.name, str(p))
                found.setdefault(key, p)
    return sorted(found.values(), key=lambda p: (p.name, str(p)))


@lru_cache(maxsize=1)
def ingest_limits() -> dict[str, int]:
    """limit_name -> value from raw/reference/ingest_limits.csv: the one place that says how
    large a source file, an unzipped workbook and a sheet may be before it is refused."""
    with open(INGEST_LIMITS_FILE, encoding="utf-8", newline="") as fh:
        return {row["limit_name"]: int(row["value"]) for row in csv.DictReader(fh)}

"""The dbt project and the dbt resource (key ``dbt``).

This module loads no dbt manifest, so ``python -m dagster_project.transform.project`` can build it (the
set-up scripts do): ``dbt parse`` with the same ``--vars`` the nightly passes, which keeps dbt's
partial parsing valid for the nightly.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from dagster_project.common import config
from dagster_project.common.resource import dbt_vars

# The dbt next to this Python (the project's virtualenv), whatever PATH says: `dagster dev` started as
# `.venv/bin/dagster dev` runs its code server with this Python but keeps the caller's PATH.
_venv_dbt = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_venv_dbt) if _venv_dbt.exists() else (shutil.which("dbt") or "dbt")
dbt_project = DbtProject(project_dir=config.DBT_PROJECT_DIR, profiles_dir=config.DBT_PROJECT_DIR)


class DbtResource(DbtCliResource):
    """dagster-dbt's ``DbtCliResource`` without two start-up costs that buy nothing here, ~5 s before
    each dbt process starts: asking the dbt executable for its version (a subprocess, when the executable
    is this virtualenv's dbt-core, whose version is importable), and building an in-process dbt adapter,
    which dagster-dbt uses only for ``fetch_row_counts`` / ``fetch_column_metadata`` (not requested:
    the marts' row counts are in exports/manifest.json and the data dictionary)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == _venv_dbt:
            from dbt.version import __version__

            return version.parse(__version__)
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    return DbtResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


DBT_PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")  # what dbt parses


def dbt_project_digest(*extra: str) -> str:
    """sha256 of the dbt project's files, dbt's version and ``extra``: what a manifest (or a docs page)
    built from this project depends on."""
    from dbt.version import __version__ as dbt_version

    h = hashlib.sha256("\0".join((f"dbt {dbt_version}", *extra)).encode())
    roots = [config.DBT_PROJECT_DIR / name for name in DBT_PROJECT_INPUTS]
    for f in sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*")) if p.is_file()):
        h.update(f"\0{f.relative_to(config.DBT_PROJECT_DIR).as_posix()}\0".encode() + f.read_bytes())
    return h.hexdigest()


def parse_manifest() -> Path:
    """``dbt parse`` into the project's target/ with the vars of the configured warehouse's build file;
    skipped when the manifest there was parsed from the same project files and vars."""
    args = ["parse", "--quiet", *dbt_vars(config.layout().build)]
    stamp = dbt_project.manifest_path.with_name("manifest.fingerprint")
    digest = dbt_project_digest(*args)
    if not (dbt_project.manifest_path.exists() and stamp.exists() and stamp.read_text() == digest):
        stamp.unlink(missing_ok=True)
        dbt_resource().cli(args, target_path=dbt_project.target_path).wait()
        stamp.write_text(digest)
    return dbt_project.manifest_path


if __name__ == "__main__":
    print(parse_manifest())

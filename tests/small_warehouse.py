"""One small warehouse for the command-line and BI tests: `urban run` as a person runs it (the
installed entry point, a subprocess, no terminal), over the committed sources only
(URBAN_SOURCE_DIRS empty), into a temporary directory. Built once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

URBAN = Path(sys.executable).parent / "urban"  # installed by pyproject.toml [project.scripts]
_built: dict[str, "SmallWarehouse"] = {}


@dataclass
class SmallWarehouse:
    path: Path  # the published file
    env: dict  # the environment `urban` ran with
    code: int
    stdout: str
    stderr: str

    def urban(self, *args: str, timeout: int = 300, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([str(URBAN), *args], env=self.env, capture_output=True, text=True, timeout=timeout, **kwargs)


def small_warehouse(tmp_path_factory) -> SmallWarehouse:
    if "it" not in _built:
        d = tmp_path_factory.mktemp("urban_run")
        env = dict(os.environ, URBAN_WAREHOUSE_PATH=str(d / "indicators.duckdb"), URBAN_SOURCE_DIRS="",
                   DAGSTER_HOME=str(d / "dagster_home"), COLUMNS="120")
        env.pop("NO_COLOR", None)
        (d / "dagster_home").mkdir()
        done = subprocess.run([str(URBAN), "run"], env=env, capture_output=True, text=True, timeout=900)
        _built["it"] = SmallWarehouse(d / "indicators.duckdb", env, done.returncode, done.stdout, done.stderr)
    return _built["it"]

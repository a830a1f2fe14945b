"""The package's layers are enforced, not described: `lint-imports` checks the contracts of
[tool.importlinter] in pyproject.toml (stages cli → definitions → serving → publish → quality →
transform → sources → common; source kinds independent; no import cycle), and fails on an upward
import planted into a copy of the package."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")  # the virtualenv's


def lint_imports(package_parent: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the repository's contracts, importing ``dagster_project`` from ``package_parent``."""
    return subprocess.run(
        [LINT_IMPORTS, str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=cwd, env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin", "COLUMNS": "300"},  # (no wrapped lines)
        capture_output=True, text=True, timeout=120,
    )


def test_the_package_keeps_its_layer_contracts(tmp_path):
    done = lint_imports(ROOT, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for contract in ("Pipeline stages: each imports only the stages below it KEPT",
                     "Source kinds are independent of each other KEPT",
                     "Within sources: the source kinds use sources.common, never the reverse KEPT",
                     "No import cycle between sibling modules KEPT"):
        assert contract in done.stdout
    assert "0 broken" in done.stdout


def planted_copy(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package (code only) with ``line`` appended to ``module`` (a path under dagster_project/)."""
    copy = tmp_path / "code"
    shutil.copytree(ROOT / "dagster_project", copy / "dagster_project",
                    ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    target = copy / "dagster_project" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")
    return copy


def test_an_upward_import_breaks_the_stages_contract(tmp_path):
    copy = planted_copy(tmp_path, "sources/common/provenance.py", "import dagster_project.cli")
    done = lint_imports(copy, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Pipeline stages: each imports only the stages below it BROKEN" in done.stdout
    assert "dagster_project.sources is not allowed to import dagster_project.cli:" in done.stdout
    assert "- dagster_project.sources.common.provenance -> dagster_project.cli (l." in done.stdout
    assert "No import cycle between sibling modules BROKEN" in done.stdout


def test_one_source_kind_importing_another_breaks_their_independence(tmp_path):
    copy = planted_copy(tmp_path, "sources/census/parser.py", "from dagster_project.sources.bulletins.html import decode_html")
    done = lint_imports(copy, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Pipeline stages: each imports only the stages below it KEPT" in done.stdout
    assert "Source kinds are independent of each other BROKEN" in done.stdout
    assert "- dagster_project.sources.census.parser -> dagster_project.sources.bulletins.html (l." in done.stdout

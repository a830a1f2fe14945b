import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "raw" / "plans"
PUYANG = PLANS / "puyang_new_urbanization_plan_2021_2035_draft.md"
HEZE = PLANS / "heze_new_urbanization_and_urban_rural_integration_plan_2035.md"


def shared_dir() -> Path | None:
    """The directory holding the files that must not be committed (../shared by default)."""
    env = os.environ.get("URBAN_SOURCE_DIRS")
    candidates = [Path(p) for p in env.split(os.pathsep) if p] if env else [ROOT.parent / "shared"]
    for c in candidates:
        if (c / "yearbooks").is_dir() or (c / "census").is_dir():
            return c.resolve()
    return None


@pytest.fixture
def shared() -> Path:
    d = shared_dir()
    if d is None:
        pytest.skip("shared source directory (../shared or URBAN_SOURCE_DIRS) not available")
    return d

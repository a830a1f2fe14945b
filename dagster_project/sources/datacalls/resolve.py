"""What only the whole set of returns can tell (stub)."""
from __future__ import annotations

import polars as pl

from dagster_project.sources.datacalls.schema import RETURN_SCHEMA


def resolve_returns(results):
    frames = [r.rows for r in results]
    rows = pl.concat(frames) if frames else pl.DataFrame(schema=RETURN_SCHEMA)
    return rows, [], {}

"""Filled returns (<source dir>/datacalls/*.xlsx) → department_report observations (stub)."""
from __future__ import annotations

from dagster_project.ingest.common import SourceError


def parse_return(path):
    raise SourceError(path.name, None, "not implemented")

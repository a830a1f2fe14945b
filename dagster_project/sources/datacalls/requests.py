"""Issued templates (<warehouse dir>/datacalls/issued/*.xlsx) → raw.datacall_requests: one row per
template row, so the nightly knows what was requested, when, and in which file and row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.common.cells import cell_text
from dagster_project.sources.datacalls.layout import INDEX, request_id
from dagster_project.sources.datacalls.reader import issued_at, read_template
from dagster_project.sources.datacalls.schema import REQUEST_SCHEMA


@dataclass
class RequestsResult:
    rows: pl.DataFrame
    quarantine: list = field(default_factory=list)
    summary: str = ""


def parse_issued_template(path: Path) -> RequestsResult:
    """Every row of an issued template; an issued template is written by this project, so any
    inconsistency (a hidden id not matching its row) fails the whole file."""
    t = read_template(path)
    out = {k: [] for k in REQUEST_SCHEMA}
    for sheet in t.sheets:
        for row_number, cells in sheet.rows:
            ids = {k: cell_text(cells[INDEX[k]]).strip() for k in ("request_id", "plan_id", "target_id", "indicator_code", "year")}
            if ids["request_id"] != request_id(ids["plan_id"], ids["target_id"], int(float(ids["year"] or 0))):
                raise SourceError(path.name, f"{sheet.name}!row {row_number}", "hidden request_id does not match its row")
            values = {**ids, "year": int(float(ids["year"])), "region_code": t.meta["region_code"],
                      "responsible_unit": sheet.responsible_unit, "template_file": path.name, "template_sha256": t.sha256,
                      "sheet": sheet.name, "row_number": row_number, "issued_at": issued_at(t), "plan_digest": t.meta["plan_digest"]}
            for k in out:
                out[k].append(values[k])
    rows = pl.DataFrame(out, schema=REQUEST_SCHEMA)
    return RequestsResult(rows, [], f"{rows.height} requests of plan {t.plan_id}")

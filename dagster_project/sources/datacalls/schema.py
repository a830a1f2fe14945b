"""The raw shapes of the data call: issued template rows (raw.datacall_requests) and returned values
(raw.department_report_observations, the common observation shape plus the row's hidden ids and the
return's provenance)."""

from __future__ import annotations

import polars as pl

from dagster_project.sources.common.provenance import OBSERVATION_SCHEMA

SOURCE_KIND = "department_report"
LABEL_SCOPE = "department_report"  # no label-map rows: the indicator code comes from the row's hidden id
REQUESTS_TABLE = "datacall_requests"
RETURNS_TABLE = "department_report_observations"

REQUEST_SCHEMA: dict[str, pl.DataType] = {
    "request_id": pl.Utf8,
    "plan_id": pl.Utf8,
    "target_id": pl.Utf8,
    "region_code": pl.Utf8,
    "indicator_code": pl.Utf8,
    "year": pl.Int64,
    "responsible_unit": pl.Utf8,
    "template_file": pl.Utf8,
    "template_sha256": pl.Utf8,
    "sheet": pl.Utf8,
    "row_number": pl.Int64,
    "issued_at": pl.Datetime("us"),
    "plan_digest": pl.Utf8,
}

RETURN_EXTRA_SCHEMA: dict[str, pl.DataType] = {
    "label_key": pl.Utf8,
    "unit_key": pl.Utf8,
    "indicator_code": pl.Utf8,
    "request_id": pl.Utf8,
    "plan_id": pl.Utf8,
    "target_id": pl.Utf8,
    "plan_digest": pl.Utf8,
    "template_target_value": pl.Float64,
    "sheet": pl.Utf8,
    "cell": pl.Utf8,
    "reporting_unit": pl.Utf8,
    "reporter": pl.Utf8,
    "reported_on": pl.Date,
}
RETURN_SCHEMA: dict[str, pl.DataType] = {**OBSERVATION_SCHEMA, **RETURN_EXTRA_SCHEMA}

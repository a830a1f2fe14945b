"""Bulletin facts CSV (``bulletin_facts.csv``): figures compiled from statistical bulletins, one a
row with its source. Codes are validated against regions.csv (and against the printed region
name); labels land as printed (label_scope 'bulletin', mapped in dbt like every label); a bad row
goes to quarantine with file, row and reason."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dagster_project.sources.bulletins.html import LABEL_SCOPE, BulletinResult
from dagster_project.sources.common.provenance import (
    ObservationRows,
    QuarantineRow,
    SourceError,
)
from dagster_project.common.files import file_sha256
from dagster_project.common.text import normalize_text
from dagster_project.sources.common.cells import parse_number
from dagster_project.sources.common.source_files import csv_records, decode_text, read_source_bytes
from dagster_project.common.reference import read_reference

FACTS_KIND = "bulletin_facts"

FACTS_COLUMNS = ("region_code", "region_name", "year", "indicator_label", "value", "unit")


def parse_bulletin_facts(path: str | Path) -> BulletinResult:
    """``bulletin_facts.csv``: one figure a row -> observations (source_location 'row N').

    Row numbers count the header as row 1 (as a spreadsheet shows the file). Quarantined:
    unknown region code, a region name that names another region, a year or value that
    is not a number, an empty label. Labels land as printed (a label the bulletin vocabulary
    does not know lands unmapped, see int_indicator_labels_mapped).
    """
    path = Path(path)
    sha = file_sha256(path)
    reader = csv.DictReader(io.StringIO(decode_text(read_source_bytes(path, FACTS_KIND), path.name), newline=""))
    records = csv_records(reader, path.name)
    missing = [c for c in FACTS_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(path.name, "row 1", f"missing column(s) {missing}")
    regions = {r["region_code"]: r for r in read_reference("regions").iter_rows(named=True)}
    obs = ObservationRows(FACTS_KIND, path.name, sha, LABEL_SCOPE)
    quarantine: list[QuarantineRow] = []
    rows = 0
    for n, row in enumerate(records, start=2):
        rows += 1
        verbatim = ",".join((row.get(c) or "") for c in reader.fieldnames)
        reason = _facts_row_problem(row, regions)
        if reason:
            quarantine.append(QuarantineRow(FACTS_KIND, path.name, sha, f"row {n}", reason, verbatim))
            continue
        obs.add(source_location=f"row {n}", verbatim=verbatim, region_name_raw=row["region_name"],
                region_code=row["region_code"].strip(), year=int(parse_number(row["year"])),
                indicator_label_raw=row["indicator_label"], unit_raw=row["unit"], value_raw=row["value"],
                value=parse_number(row["value"]))
    df = obs.frame()
    summary = {"file": path.name, "rows": rows, "observations": df.height, "quarantined": len(quarantine)}
    return BulletinResult(df, quarantine, summary)


def _facts_row_problem(row: dict, regions: dict[str, dict]) -> str | None:
    code = (row.get("region_code") or "").strip()
    region = regions.get(code)
    if region is None:
        return f"region code {code!r} is not in regions.csv (GB/T 2260)"
    name = normalize_text(row.get("region_name") or "")
    if name and name != normalize_text(region["region_name"]):
        return f"region name {row['region_name']!r} does not match code {code} ({region['region_name']})"
    year = parse_number(row.get("year") or "")
    if year is None or not year.is_integer() or not 1949 <= year <= 2100:
        return f"year is not a calendar year: {row.get('year')!r}"
    if parse_number(row.get("value") or "") is None:
        return f"value is not a number: {row.get('value')!r}"
    if not (row.get("indicator_label") or "").strip():
        return "indicator_label is empty"
    return None

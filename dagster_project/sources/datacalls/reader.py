"""Reading a data-call workbook (an issued template or a filled return) with the guarded workbook reader
(ingest.source_files.read_workbook: size budget, zip-bomb and sheet-extent checks before python-calamine)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.common.cells import cell_text
from dagster_project.common.files import file_sha256
from dagster_project.sources.common.source_files import read_workbook
from dagster_project.sources.datacalls.layout import (
    FIRST_DATA_ROW,
    FORMAT_VERSION,
    HEADER_ROW,
    HEADERS,
    INSTRUCTIONS_SHEET,
    MARKER,
    META_SHEET,
    REPORT_DATE_LABEL,
    REPORTING_UNIT_LABEL,
)

LIMITS_KIND = "datacall"  # max_file_bytes_datacall in raw/reference/ingest_limits.csv


@dataclass
class DataSheet:
    name: str
    responsible_unit: str | None
    rows: list[tuple[int, list]]  # (Excel row number, cells) of every non-empty row below the header


@dataclass
class Template:
    path: Path
    sha256: str
    meta: dict[str, str]
    sheets: list[DataSheet]
    reporting_unit: str | None = None  # the instruction sheet's 填报单位 cell
    report_date: dt.date | None = None  # its 填报日期 cell, else the workbook's modified date
    report_date_source: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def plan_id(self) -> str:
        return self.meta["plan_id"]


def _text(value) -> str:
    return cell_text(value).strip()


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value).replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-"))) if text else None
    except ValueError:
        return None


def _modified(data: bytes) -> dt.date | None:
    """dcterms:modified (else created) of the workbook's document properties (docProps/core.xml)."""
    try:
        root = ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    found = {e.tag.rpartition("}")[2]: (e.text or "").strip() for e in root}
    for key in ("modified", "created"):
        try:
            return dt.datetime.fromisoformat(found.get(key, "").replace("Z", "+00:00")).date()
        except ValueError:
            continue
    return None


def read_template(path: str | Path) -> Template:
    """A workbook written by `urban datacall` (filled in or not); SourceError (the whole file is quarantined)
    when it is not one: no marker sheet, another format version, a data sheet without the header row."""
    path = Path(path)
    grids = read_workbook(path, LIMITS_KIND)
    meta_grid = grids.get(META_SHEET)
    if not meta_grid or not meta_grid[0] or _text(meta_grid[0][0]) != MARKER:
        raise SourceError(path.name, None, f"not a data-call template of this warehouse (no sheet {META_SHEET} "
                          f"with {MARKER!r} in A1): fill in the template `urban datacall` wrote, do not copy its rows "
                          "into another workbook")
    meta = {_text(r[0]): _text(r[1]) for r in meta_grid[1:] if len(r) >= 2 and _text(r[0])}
    if meta.get("format_version") != FORMAT_VERSION:
        raise SourceError(path.name, f"sheet {META_SHEET}", f"template format {meta.get('format_version')!r}, "
                          f"this warehouse reads format {FORMAT_VERSION!r}")
    for key in ("plan_id", "plan_digest", "region_code", "issued_at", "data_sheets"):
        if not meta.get(key):
            raise SourceError(path.name, f"sheet {META_SHEET}", f"the template's {key} is missing (sheet {META_SHEET} was edited)")
    sheets = []
    for name in meta["data_sheets"].split("|"):
        grid = grids.get(name)
        if grid is None:
            raise SourceError(path.name, f"sheet {name}", "data sheet missing (renamed or deleted)")
        header = [_text(v) for v in (grid[HEADER_ROW - 1] if len(grid) >= HEADER_ROW else [])][: len(HEADERS)]
        if header != HEADERS:
            raise SourceError(path.name, f"sheet {name} row {HEADER_ROW}", f"header changed: {header} (expected {HEADERS})")
        rows = [(i + 1, list(r) + [None] * (len(HEADERS) - len(r)))
                for i, r in enumerate(grid) if i + 1 >= FIRST_DATA_ROW and any(_text(v) for v in r)]
        sheets.append(DataSheet(name, meta.get(f"unit:{name}") or None, rows))
    data = path.read_bytes()
    template = Template(path, file_sha256(path), meta, sheets)
    for row in grids.get(INSTRUCTIONS_SHEET, []):
        label, value = (_text(row[0]), row[1]) if len(row) >= 2 else ("", None)
        if label == REPORTING_UNIT_LABEL and _text(value):
            template.reporting_unit = _text(value)
        elif label == REPORT_DATE_LABEL and _text(value):
            template.report_date = _as_date(value)
            template.report_date_source = f"{INSTRUCTIONS_SHEET} {REPORT_DATE_LABEL}"
            if template.report_date is None:
                template.errors.append(f"{REPORT_DATE_LABEL} {_text(value)!r} is not a date (e.g. 2026-12-20)")
    if template.report_date is None:
        template.report_date, template.report_date_source = _modified(data), "workbook properties (modified)"
    return template


def issued_at(template: Template) -> dt.datetime:
    return dt.datetime.fromisoformat(template.meta["issued_at"])

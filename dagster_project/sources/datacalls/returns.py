"""One filled return (<source dir>/datacalls/*.xlsx) → department_report observations: each filled 填报值
cell becomes an observation with the row's hidden ids and the cell, reporting unit, reporter and date;
everything a person can get wrong in a row is a quarantine row naming the cell and the reason (never a
number). Whether a later return supersedes this one, and conflicts between returns, are decided over
the whole set (resolve.py); plausibility and stale targets in dbt (int_observations_checked)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dagster_project.sources.common.provenance import QuarantineRow
from dagster_project.sources.common.cells import cell_text, column_letter, parse_number
from dagster_project.common.text import normalize_label, normalize_text
from dagster_project.sources.datacalls.layout import INDEX, request_id
from dagster_project.sources.datacalls.reader import read_template
from dagster_project.sources.datacalls.schema import LABEL_SCOPE, RETURN_SCHEMA, SOURCE_KIND

NO_UNIT = "无单位"  # what the template prints in 单位 when the plan prints no unit
_NUMBER_THEN_TEXT = re.compile(r"^([+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+))(.+)$")
_TEXT_THEN_NUMBER = re.compile(r"^(\D+?)([+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+))$")
_APPROXIMATE = ("约", "左右", "以上", "以下", "多", "余", "近", "超", "不足", "~", "-", "至")


@dataclass
class ReturnResult:
    rows: pl.DataFrame
    quarantine: list[QuarantineRow] = field(default_factory=list)
    file: str = ""
    plan_id: str = ""
    reporting_unit: str | None = None  # the unit the whole return is from (填报单位, else its rows' one 数据来源单位)
    reported_on: dt.date | None = None
    summary: str = ""


def read_value(value, unit: str) -> tuple[float | None, str | None]:
    """(the number typed into a 填报值 cell, None) or (None, why it is not one). A number stored as text
    ('38', '1,234') is a number; a unit typed with it ('38%', '3800套', '38 %') is refused, never stripped."""
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, (int, float)):
        return float(value), None
    if isinstance(value, (dt.date, dt.datetime)):
        return None, f"a date ({value}) in the value cell, not a number"
    text = cell_text(value).strip()
    number = parse_number(text)
    if number is not None:
        return number, None
    t = normalize_text(text)
    m = _NUMBER_THEN_TEXT.match(t) or _TEXT_THEN_NUMBER.match(t)
    if m:
        extra = m.group(2) if m.re is _NUMBER_THEN_TEXT else m.group(1)
        if not any(ch.isdigit() for ch in extra) and not any(w in extra for w in _APPROXIMATE):
            return None, f"unit typed into the value cell ({text!r}); the unit is {unit} (column 单位): type the number only"
    return None, f"text in the value cell: {text!r} is not a number; type digits only (e.g. 38.5), in the unit {unit} (column 单位)"


def parse_return(path: Path) -> ReturnResult:
    t = read_template(path)
    plan_id, digest = t.meta["plan_id"], t.meta["plan_digest"]
    start, end = (int(y) for y in t.meta.get("plan_period", "0-9999").split("-"))
    out = {k: [] for k in RETURN_SCHEMA}
    quarantine: list[QuarantineRow] = []

    def reject(cell: str, reason: str, verbatim: str) -> None:
        quarantine.append(QuarantineRow(SOURCE_KIND, path.name, t.sha256, cell, reason, verbatim))

    for problem in t.errors:
        reject("填报说明", problem, "")
    units: set[str] = set()
    for sheet in t.sheets:
        for row_number, cells in sheet.rows:
            raw = cells[INDEX["value"]]
            if cell_text(raw).strip() == "":
                continue  # not filled: nothing reported
            cell = f"{sheet.name}!{column_letter(INDEX['value'] + 1)}{row_number}"
            text = lambda key: cell_text(cells[INDEX[key]]).strip()  # noqa: E731
            unit = text("unit")
            verbatim = f"{text('indicator')} {text('year_label')}: {cell_text(raw)}"
            ids = {k: text(k) for k in ("request_id", "plan_id", "target_id", "indicator_code", "region_code", "year", "plan_digest")}
            year = int(float(ids["year"])) if re.fullmatch(r"\d{4}(\.0)?", ids["year"]) else None
            if not ids["request_id"] or not ids["target_id"] or year is None or ids["request_id"] != request_id(ids["plan_id"], ids["target_id"], year):
                reject(cell, "hidden id changed or deleted: the row's request_id does not match its hidden plan_id/target_id/year "
                       "(do not edit the hidden columns; fill in a fresh template)", verbatim)
                continue
            if ids["plan_id"] != plan_id:
                reject(cell, f"row of another plan's template: its hidden plan_id is {ids['plan_id']!r}, this file is the template "
                       f"of {plan_id!r}; values go into their own plan's template", verbatim)
                continue
            if ids["plan_digest"] != digest:
                reject(cell, f"row does not belong to this template: it was written from other targets (plan_digest "
                       f"{ids['plan_digest']}, this file's is {digest}); it was copied from another template", verbatim)
                continue
            if not start <= year <= end:
                reject(cell, f"year {year} outside the plan's period {start}-{end}", verbatim)
                continue
            value, problem = read_value(raw, unit)
            if problem:
                reject(cell, problem, verbatim)
                continue
            reporting_unit = text("reporting_unit") or t.reporting_unit
            units.add(reporting_unit or "")
            row = {
                "source_kind": SOURCE_KIND, "source_file": path.name, "source_sha256": t.sha256, "source_location": cell,
                "verbatim": verbatim, "region_name_raw": None, "region_code": ids["region_code"], "year": year, "scope": "n.a.",
                "label_scope": LABEL_SCOPE, "indicator_label_raw": text("indicator"), "unit_raw": None if unit == NO_UNIT else unit,
                "value_raw": cell_text(raw), "value": value, "label_key": normalize_label(text("indicator")),
                "unit_key": "" if unit == NO_UNIT else normalize_text(unit), "indicator_code": ids["indicator_code"] or None,
                "request_id": ids["request_id"], "plan_id": plan_id, "target_id": ids["target_id"], "plan_digest": digest,
                "template_target_value": parse_number(text("target_value")), "sheet": sheet.name, "cell": cell,
                "reporting_unit": reporting_unit, "reporter": text("reporter") or None, "reported_on": t.report_date,
            }
            for k in out:
                out[k].append(row[k])
    rows = pl.DataFrame(out, schema=RETURN_SCHEMA)
    unit = t.reporting_unit or (next(iter(units)) if len(units) == 1 and "" not in units else None)
    return ReturnResult(rows, quarantine, path.name, plan_id, unit, t.report_date,
                        f"return of {plan_id} from {unit or 'an unnamed unit'} dated {t.report_date} ({t.report_date_source})")

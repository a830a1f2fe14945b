"""The layout of a data-call template: the one place the writer (template.py) and the readers
(requests.py, returns.py) take sheet names, columns and the marker of this project's templates from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

RETURN_TO = "规划编制/监测部门（发展改革委规划科）"  # where returns go unless `urban datacall --return-to` says otherwise

MARKER = "urban-datacall-template"  # A1 of the hidden sheet META_SHEET: a template of this project
FORMAT_VERSION = "1"
META_SHEET = "_datacall"  # very hidden: key (column A) -> value (column B)
INSTRUCTIONS_SHEET = "填报说明"
DATA_SHEET = "填报"  # the one data sheet (or one per responsible unit with --by-unit)
HEADER_ROW = 1
FIRST_DATA_ROW = 2

# the fill-in block of the instruction sheet: label in column A, the unlocked cell in column B
REPORTING_UNIT_LABEL = "填报单位"
REPORT_DATE_LABEL = "填报日期"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: float
    fill_in: bool = False  # unlocked for the department
    hidden: bool = False  # a stable id: hidden and locked


COLUMNS: tuple[Column, ...] = (
    Column("序号", "seq", 6),
    Column("指标", "indicator", 28),
    Column("定义/备注", "definition", 48),
    Column("单位", "unit", 10),
    Column("基期值", "baseline_value", 10),
    Column("基期年", "baseline_year", 8),
    Column("目标值", "target_value", 10),
    Column("目标年", "target_year", 8),
    Column("已有最新值", "latest_value", 11),
    Column("最新值来源", "latest_source", 24),
    Column("填报年份", "year_label", 9),
    Column("填报值", "value", 12, fill_in=True),
    Column("数据来源单位", "reporting_unit", 20, fill_in=True),
    Column("填报人", "reporter", 12, fill_in=True),
    Column("备注", "note", 24, fill_in=True),
    Column("request_id", "request_id", 18, hidden=True),
    Column("plan_id", "plan_id", 18, hidden=True),
    Column("target_id", "target_id", 18, hidden=True),
    Column("indicator_code", "indicator_code", 18, hidden=True),
    Column("region_code", "region_code", 10, hidden=True),
    Column("year", "year", 8, hidden=True),
    Column("plan_digest", "plan_digest", 18, hidden=True),
)
HEADERS = [c.header for c in COLUMNS]
INDEX = {c.key: i for i, c in enumerate(COLUMNS)}  # 0-based column of each key
HIDDEN_KEYS = [c.key for c in COLUMNS if c.hidden]


def request_id(plan_id: str, target_id: str, year: int) -> str:
    """The hidden stable id of a template row: first 16 hex digits of sha256('plan_id|target_id|year')."""
    return hashlib.sha256(f"{plan_id}|{target_id}|{int(year)}".encode("utf-8")).hexdigest()[:16]


def plan_digest(targets: list[tuple]) -> str:
    """A digest of a plan's targets (target_id, indicator code, target year, target value as text), order-free:
    a template whose digest differs from the current plan's was written from other targets (stale)."""
    lines = sorted("|".join("" if v is None else str(v) for v in t) for t in targets)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]

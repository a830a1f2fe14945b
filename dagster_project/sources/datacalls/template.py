"""Writing a data-call template (XLSX, openpyxl): the instruction sheet 填报说明, one data sheet (or one per
responsible unit), the hidden id columns, decimal validation on 填报值, protection with only the fill-in
cells unlocked, and the very hidden sheet that marks it as this project's template (layout.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dagster_project.sources.datacalls.layout import (
    COLUMNS,
    DATA_SHEET,
    FIRST_DATA_ROW,
    FORMAT_VERSION,
    HEADER_ROW,
    INDEX,
    INSTRUCTIONS_SHEET,
    MARKER,
    META_SHEET,
    REPORT_DATE_LABEL,
    REPORTING_UNIT_LABEL,
    RETURN_TO,
)
from dagster_project.sources.datacalls.plan_rows import Plan

SHEET_PASSWORD = "datacall"  # protection against accidental edits, not a secret
FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells to fill in
HEAD = PatternFill("solid", fgColor="D9E1F2")
VALIDATION_ERROR = "填报值只能填写数字（可带小数），不要填写单位、文字或“约”“左右”等；单位见“单位”列。"


def instructions(plan: Plan, year: int, deadline: str, return_to: str) -> list[str]:
    return [
        f"{plan.region_name}数据填报表（{year}年）",
        "",
        f"规划：{plan.plan_id}",
        f"填报年份：{year}年（本表列出规划中{year}年目标尚无实际值的指标；累计目标按年度逐年填报）。",
        "填写什么：在各数据表黄色的“填报值”列填写该指标在“填报年份”列所示年份的实际值；并填写“数据来源单位”、“填报人”，需要说明的写在“备注”。",
        "单位：数值必须按“单位”列印出的单位填写（例如单位为 % 时填 38.5，单位为 万人 时填 12.3），不要换算成其他单位。",
        "只填数字：“填报值”只能填写阿拉伯数字（可带小数点），不要填写单位（如“38%”“3800套”）、文字（如“约38”“三千八”）或区间；无法提供的数据请留空并在“备注”说明原因。",
        "不要修改：灰色表头、指标、单位、基期值、目标值等已锁定的单元格，以及隐藏列（request_id 等编号，用于自动识别）；不要增删行、不要重命名或删除工作表。",
        "本表为系统生成的模板，请直接在本文件中填写并以 .xlsx 格式保存，不要复制到其他表格。",
        f"报送方式：请于 {deadline} 前将填好的文件报送至 {return_to}。",
        "同一单位重复报送时，以填报日期较晚的文件为准，较早的文件将被替代。",
        "",
        "填报信息（请填写）：",
    ]


def _unit_sheets(plan: Plan, by_unit: bool) -> list[tuple[str, str | None, list[dict]]]:
    """(sheet name, responsible unit, rows): one sheet, or one per responsible unit the plan names."""
    if not (by_unit and plan.responsible_units):
        return [(DATA_SHEET, None, plan.rows)]
    groups: dict[str, list[dict]] = {}
    for row in plan.rows:
        groups.setdefault(row["responsible_unit"] or "未明确责任单位", []).append(row)
    out, used = [], set()
    for unit, rows in groups.items():
        name = re.sub(r"[\[\]:*?/\\]", "", unit)[:28] or DATA_SHEET
        while name in used or name in (INSTRUCTIONS_SHEET, META_SHEET):
            name = name[:26] + f"_{len(used)}"
        used.add(name)
        out.append((name, unit, rows))
    return out


def _data_sheet(wb: Workbook, name: str, rows: list[dict]) -> None:
    ws = wb.create_sheet(name)
    for c, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, c, col.header)
        cell.font, cell.fill = Font(bold=True), (FILL if col.fill_in else HEAD)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = col.width
        ws.column_dimensions[letter].hidden = col.hidden
    for i, row in enumerate(rows):
        r = FIRST_DATA_ROW + i
        for c, col in enumerate(COLUMNS, start=1):
            value = i + 1 if col.key == "seq" else row.get(col.key)
            cell = ws.cell(r, c, None if col.fill_in else value)
            if col.fill_in:
                cell.protection, cell.fill = Protection(locked=False), FILL
            if col.key == "definition":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if rows:
        value_col = get_column_letter(INDEX["value"] + 1)
        dv = DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True,
                            showErrorMessage=True, errorTitle="填报值必须是数字", error=VALIDATION_ERROR,
                            showInputMessage=True, promptTitle="填报值", prompt="按“单位”列的单位填写数字")
        dv.add(f"{value_col}{FIRST_DATA_ROW}:{value_col}{FIRST_DATA_ROW + len(rows) - 1}")
        ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, INDEX["indicator"] + 2)  # header row and 序号/指标 stay in view
    ws.protection.sheet, ws.protection.password = True, SHEET_PASSWORD
    ws.protection.formatColumns = False  # column widths may be changed (hidden columns stay hidden only by convention)


def write_template(plan: Plan, year: int, out: Path, *, by_unit: bool = False, deadline: str | None = None,
                   return_to: str = RETURN_TO, issued_at: dt.datetime | None = None) -> Path:
    """The template of ``plan`` for ``year`` written to ``out``; returns ``out``."""
    issued_at = issued_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    deadline = deadline or f"{year + 1}年1月31日"
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    lines = instructions(plan, year, deadline, return_to)
    for r, text in enumerate(lines, start=1):
        ws.cell(r, 1, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    for offset, label in enumerate((REPORTING_UNIT_LABEL, REPORT_DATE_LABEL), start=len(lines) + 1):
        ws.cell(offset, 1, label).font = Font(bold=True)
        cell = ws.cell(offset, 2)
        cell.protection, cell.fill = Protection(locked=False), FILL
        if label == REPORT_DATE_LABEL:
            cell.number_format = "yyyy-mm-dd"
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True, showErrorMessage=True,
                                errorTitle="填报日期", error="请填写日期，例如 2026-12-20")
            dv.add(cell.coordinate)
            ws.add_data_validation(dv)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 110, 30
    ws.protection.sheet, ws.protection.password = True, SHEET_PASSWORD
    sheets = _unit_sheets(plan, by_unit)
    for name, _unit, rows in sheets:
        _data_sheet(wb, name, rows)
    meta = wb.create_sheet(META_SHEET)
    meta["A1"] = MARKER
    entries = {"format_version": FORMAT_VERSION, "plan_id": plan.plan_id, "region_code": plan.region_code,
               "plan_digest": plan.digest, "plan_period": f"{plan.period[0]}-{plan.period[1]}", "year": str(year),
               "issued_at": issued_at.isoformat(sep=" "), "data_sheets": "|".join(n for n, _u, _r in sheets),
               **{f"unit:{n}": u for n, u, _r in sheets if u}}
    for r, (k, v) in enumerate(entries.items(), start=2):
        meta.cell(r, 1, k), meta.cell(r, 2, v)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet, meta.protection.password = True, SHEET_PASSWORD
    wb.properties.creator, wb.properties.title = "urban datacall", f"{plan.plan_id} {year} 数据填报"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    wb.save(tmp)
    tmp.replace(out)
    return out


def template_name(plan: Plan, year: int, unit: str | None = None) -> str:
    return f"datacall_{plan.region_code}_{year}" + (f"_{unit}" if unit else "") + ".xlsx"

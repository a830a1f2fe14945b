"""Filling a data-call template the way a department does (openpyxl, values typed into cells), for
tests/test_datacall.py: correct values in some rows and one row of each mistake kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from dagster_project.sources.datacalls.layout import DATA_SHEET, FIRST_DATA_ROW, INDEX, INSTRUCTIONS_SHEET, request_id


def col(key: str) -> int:
    return INDEX[key] + 1


def rows_by_label(ws) -> dict[str, int]:
    """indicator label (as printed in 指标) -> Excel row."""
    return {ws.cell(r, col("indicator")).value: r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, col("indicator")).value}


def fill(template: Path, out: Path, values: dict[str, object], *, unit: str, date: dt.date, reporter: str = "张三",
         edits=None) -> Path:
    """``values``: indicator label -> what is typed into 填报值; ``edits(ws, rows)`` makes the other mistakes."""
    wb = load_workbook(template)
    ws = wb[DATA_SHEET]
    rows = rows_by_label(ws)
    for label, value in values.items():
        r = rows[label]
        ws.cell(r, col("value"), value)
        ws.cell(r, col("reporting_unit"), unit)
        ws.cell(r, col("reporter"), reporter)
    if edits:
        edits(ws, rows)
    info = wb[INSTRUCTIONS_SHEET]
    for r in range(1, info.max_row + 1):
        if info.cell(r, 1).value == "填报单位":
            info.cell(r, 2, unit)
        if info.cell(r, 1).value == "填报日期":
            info.cell(r, 2, dt.datetime.combine(date, dt.time()))
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def rehide(ws, r: int, **ids) -> None:
    """Change hidden ids of row ``r`` consistently (request_id recomputed), as a copied row would carry them."""
    for k, v in ids.items():
        ws.cell(r, col(k), v)
    ws.cell(r, col("request_id"), request_id(ws.cell(r, col("plan_id")).value, ws.cell(r, col("target_id")).value,
                                             int(ws.cell(r, col("year")).value)))


PUYANG_UNIT = "濮阳市住房和城乡建设局"
PUYANG_OK = {  # correct values: non-cumulative 2025 targets that are the only target of their indicator
    "城市生活污水集中收集率": 68.5,
    "污水资源化利用率": 26.1,
    "养老机构护理型养老床位占比": 57,
    "中心城区建成区海绵城市达标面积": "60.2",  # a number stored as text is a number
    "中心城区公共供水普及率": 98.2,
}
PUYANG_MISTAKES = {
    "义务教育专任教师中本科以上学历比例": "约76",
    "全市九年义务教育巩固率": "98%",
    "街道建有综合性养老服务中心（机构）": "91 %",
    "市级以上农业产业化龙头企业": "二百三",
    "公共资源利用率": 96,  # hidden request_id overwritten
    "农产品加工转化率": 73,  # hidden plan_id of another plan
    "县城公共供水普及率": 91,  # hidden year outside the plan period
    "县城管道燃气普及率": 750,  # implausible percentage (plausibility_rules.csv, unit %)
    "新增通信基站共享率": 100,  # stale: the template's 目标值 is not the plan's
    "可渗透地面面积比例": 41,  # conflicts with the second return
}


def puyang_returns(template: Path, src: Path, other_plan_id: str) -> list[Path]:
    """Three 濮阳 returns: the housing bureau's (correct rows + one of each mistake), an earlier return of the
    same bureau (superseded) and the water bureau's, which reports 可渗透地面面积比例 differently (conflict)."""

    def mistakes(ws, rows):
        ws.cell(rows["公共资源利用率"], col("request_id"), "0123456789abcdef")
        rehide(ws, rows["农产品加工转化率"], plan_id=other_plan_id)
        rehide(ws, rows["县城公共供水普及率"], year=2040)
        ws.cell(rows["新增通信基站共享率"], col("target_value"), 90)

    d = src / "datacalls"
    return [
        fill(template, d / "puyang_zjj_2025.xlsx", {**PUYANG_OK, **PUYANG_MISTAKES}, unit=PUYANG_UNIT,
             date=dt.date(2026, 12, 20), edits=mistakes),
        fill(template, d / "puyang_zjj_2025_first.xlsx", {"城市生活污水集中收集率": 50, "污水资源化利用率": 20},
             unit=PUYANG_UNIT, date=dt.date(2026, 12, 10)),
        fill(template, d / "puyang_slj_2025.xlsx", {"可渗透地面面积比例": 43}, unit="濮阳市水利局", date=dt.date(2026, 12, 18)),
    ]


HEZE_OK = {"学前教育毛入园率": 91.5, "智慧社区试点数量": 12, "普惠性幼儿园覆盖率": 88}
HEZE_MISTAKES = {"养老机构医养结合服务覆盖率": "约90"}


def heze_returns(template: Path, src: Path) -> list[Path]:
    return [fill(template, src / "datacalls" / "heze_2025.xlsx", {**HEZE_OK, **HEZE_MISTAKES}, unit="菏泽市卫生健康委员会",
                 date=dt.date(2026, 12, 21), reporter="李四")]

"""The data-call template and return reader without a warehouse: a plan's rows written by template.py,
filled with openpyxl, read back by the nightly's reader (returns.py) and the issued-template reader."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

import datacall_fill as fill
from dagster_project.sources.datacalls.layout import DATA_SHEET, request_id
from dagster_project.sources.datacalls.plan_rows import Plan
from dagster_project.sources.datacalls.requests import parse_issued_template
from dagster_project.sources.datacalls.returns import parse_return
from dagster_project.sources.datacalls.template import write_template

PLAN = "999900-某市新型城镇化规划(2021-2035年)"


def _row(target: str, label: str, unit: str, target_value, unit_resp=None, year=2025, digest="d1"):
    return {"request_id": request_id(PLAN, target, year), "plan_id": PLAN, "target_id": target, "indicator_code": f"plan_999900_{label}",
            "region_code": "999900", "year": year, "plan_digest": digest, "responsible_unit": unit_resp, "indicator": label,
            "definition": f"到 2025 年，{label}达到 {target_value}{unit}", "unit": unit, "baseline_value": None, "baseline_year": None,
            "target_value": target_value, "target_year": 2025, "latest_value": None, "latest_source": "无（仓库中尚无实际值）",
            "year_label": year}


@pytest.fixture
def plan() -> Plan:
    p = Plan(PLAN, "999900", "某市", "d1", (2021, 2035))
    p.rows = [_row("t1", "保障性租赁住房", "套", 3800, "市住建局"), _row("t2", "公共供水普及率", "%", 97, "市水利局"),
              _row("t3", "养老床位占比", "%", 55, "市民政局")]
    p.responsible_units = True
    return p


def test_by_unit_writes_one_sheet_per_responsible_unit(plan, tmp_path):
    path = write_template(plan, 2025, tmp_path / "t.xlsx", by_unit=True, issued_at=dt.datetime(2026, 12, 1, 9, 0))
    wb = load_workbook(path)
    assert wb.sheetnames == ["填报说明", "市住建局", "市水利局", "市民政局", "_datacall"]
    issued = parse_issued_template(path).rows
    assert issued.select("sheet", "responsible_unit", "row_number", "year").rows() == [
        ("市住建局", "市住建局", 2, 2025), ("市水利局", "市水利局", 2, 2025), ("市民政局", "市民政局", 2, 2025)]
    assert issued["issued_at"].to_list() == [dt.datetime(2026, 12, 1, 9, 0)] * 3


def test_a_row_from_another_version_of_the_template_and_a_changed_year(plan, tmp_path):
    path = write_template(plan, 2025, tmp_path / "t.xlsx")

    def edits(ws, rows):
        fill.rehide(ws, rows["公共供水普及率"], plan_digest="another")  # copied from another version of the template
        ws.cell(rows["养老床位占比"], fill.col("year"), 2024)  # hidden year edited alone: the request_id no longer matches

    out = fill.fill(path, tmp_path / "return.xlsx", {"保障性租赁住房": 3650, "公共供水普及率": 96.5, "养老床位占比": 56},
                    unit="市住建局", date=dt.date(2026, 12, 20), edits=edits)
    result = parse_return(out)
    assert result.rows.select("indicator_code", "year", "value", "cell", "unit_raw", "reporting_unit", "reporter", "reported_on").rows() == [
        ("plan_999900_保障性租赁住房", 2025, 3650.0, "填报!L2", "套", "市住建局", "张三", dt.date(2026, 12, 20))]
    assert [(q.location, q.reason) for q in result.quarantine] == [
        ("填报!L3", "row does not belong to this template: it was written from other targets (plan_digest another, this file's "
                   "is d1); it was copied from another template"),
        ("填报!L4", "hidden id changed or deleted: the row's request_id does not match its hidden plan_id/target_id/year "
                   "(do not edit the hidden columns; fill in a fresh template)"),
    ]
    assert result.reporting_unit == "市住建局" and result.plan_id == PLAN


def test_an_unfilled_template_reports_nothing_and_its_date_comes_from_the_workbook(plan, tmp_path):
    path = write_template(plan, 2025, tmp_path / "t.xlsx")
    result = parse_return(path)
    assert result.rows.height == 0 and result.quarantine == []
    assert result.reported_on == load_workbook(path).properties.modified.date()
    wb = load_workbook(path)
    assert wb[DATA_SHEET].max_row == 4


def test_import_files_a_return_in_a_writable_source_dir_never_in_raw(tmp_path, monkeypatch):
    """`urban datacall import` without --to: datacalls/ of the first configured source directory that can be
    written; the repository's raw/ (committed sources) and a directory laid read-only are never written."""
    import click

    from dagster_project.cli.datacall import _returns_dir
    from dagster_project.common import config

    shared, office = tmp_path / "shared", tmp_path / "office"
    shared.mkdir()
    office.mkdir()
    shared.chmod(0o555)
    try:
        monkeypatch.setenv(config.SOURCE_DIRS_ENV, f"{shared}:{office}")
        assert _returns_dir("datacalls") == office.resolve() / "datacalls"
        monkeypatch.setenv(config.SOURCE_DIRS_ENV, str(shared))
        with pytest.raises(click.ClickException, match="no writable source directory"):
            _returns_dir("datacalls")
    finally:
        shared.chmod(0o755)

import pytest

from dagster_project.common.text import normalize_text
from dagster_project.sources.common.cells import parse_cell, parse_number, split_label_unit


@pytest.mark.parametrize(
    "text, value, comparator, cumulative, relative, missing",
    [
        ("49.97", 49.97, "=", False, False, False),
        ("[21]", 21.0, "=", True, False, False),
        ("［40］", 40.0, "=", True, False, False),  # full-width brackets
        (">5", 5.0, ">", False, False, False),
        ("<5.5", 5.5, "<", False, False, False),
        ("≥70", 70.0, "≥", False, False, False),
        ("６０以上", 60.0, "≥", False, False, False),  # full-width digits + word comparator
        ("2.2左右", 2.2, "≈", False, False, False),
        ("5.5以內", 5.5, "≤", False, False, False),  # traditional 內
        ("全省平均水平", None, "=", False, True, False),
        ("-", None, None, False, False, True),
    ],
)
def test_parse_cell(text, value, comparator, cumulative, relative, missing):
    cv = parse_cell(text)
    assert cv.error is None
    assert cv.value == value
    assert cv.comparator == comparator
    assert cv.is_cumulative is cumulative
    assert cv.is_relative is relative
    assert cv.is_missing is missing


@pytest.mark.parametrize("text", ["abc", "约", "60%%", ">>5", "1.2.3", "5以上以下"])
def test_parse_cell_rejects_non_numbers(text):
    cv = parse_cell(text)
    assert cv.value is None
    assert cv.error


def test_parse_number_and_normalize():
    assert parse_number("２ ０ ２ ５") == 2025.0
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("") is None
    assert normalize_text("5G用 户普及率") == "5G用户普及率"
    assert normalize_text("達到") == "达到"


def test_split_label_unit():
    assert split_label_unit("常住人口城镇化率（%）") == ("常住人口城镇化率", "%")
    assert split_label_unit("研究与试验发展（R&D）经费投入强度（%）") == ("研究与试验发展（R&D）经费投入强度", "%")
    assert split_label_unit("城市人均体育活动场地面积(平方米/人)") == ("城市人均体育活动场地面积", "平方米/人")
    assert split_label_unit("投运5G基站数量") == ("投运5G基站数量", None)


def test_empty_cell_is_not_a_printed_dash():
    assert parse_cell("").error and not parse_cell("").is_missing
    assert parse_cell("—").is_missing

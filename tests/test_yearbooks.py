"""China City Statistical Yearbook parser: real editions, a relabelled/reordered copy, unknown headers.
The parser emits every cell with its header's label, unit and scope as printed; which indicator a
header is (raw/reference/indicator_label_map.csv, source_scope yearbook) is decided in dbt and
checked at the marts (tests/test_mapping_one_place.py)."""

from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl
import pytest

from dagster_project.sources.common.provenance import OBSERVATION_COLUMNS
from dagster_project.common.text import normalize_label, normalize_text
from dagster_project.common.reference import label_rows
from dagster_project.sources.yearbooks.parser import (
    YEARBOOK_EXTRA_SCHEMA,
    parse_yearbook,
    parse_yearbook_grid,
    parse_yearbook_value,
    read_workbook,
)
from dagster_project.sources.yearbooks.layout import split_zh_en

from tests.conftest import shared_file

EDITIONS = [2019, 2020, 2021, 2022, 2023]
PUYANG, HEZE = "410900", "371700"


# ---------------------------------------------------------------------------
# Shared data dir (URBAN_SOURCE_DIRS, default <repo>/../shared)
# ---------------------------------------------------------------------------


def yearbook_path(edition: int) -> Path:
    return shared_file(f"yearbooks/ccsy/china_city_statistical_yearbook_{edition}_prefecture.xlsx")


@lru_cache(maxsize=None)
def parsed(edition: int):
    return parse_yearbook(yearbook_path(edition))


def labelled(df: pl.DataFrame, label: str) -> pl.DataFrame:
    """The rows of a header label, however its spaces, line breaks and brackets are printed."""
    return df.filter(pl.col("indicator_label_raw").map_elements(normalize_label, return_dtype=pl.Utf8) == normalize_label(label))


def facts(result, region_code: str, label: str) -> dict[str, float]:
    df = labelled(result.observations, label).filter(pl.col("region_code") == region_code)
    return dict(zip(df["scope"].to_list(), df["value"].to_list()))


# ---------------------------------------------------------------------------
# A minimal xlsx writer (no openpyxl/xlsxwriter in the environment): inline strings
# and numbers, one worksheet part per sheet; python-calamine reads it like any xlsx.
# ---------------------------------------------------------------------------


def _col_letter(n: int) -> str:
    s = ""
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> None:
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_tags = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel_ns}"><sheets>{sheet_tags}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{rel_ns}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>",
        )
        for i, grid in enumerate(sheets.values(), 1):
            rows = []
            for r, row in enumerate(grid, 1):
                cells = []
                for c, value in enumerate(row, 1):
                    ref = f"{_col_letter(c)}{r}"
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
                    elif value not in (None, ""):
                        cells.append(
                            f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'
                        )
                if cells:
                    rows.append(f'<row r="{r}">{"".join(cells)}</row>')
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet {ns}><sheetData>{"".join(rows)}</sheetData></worksheet>')


# ---------------------------------------------------------------------------
# Real editions
# ---------------------------------------------------------------------------


def test_observation_shape_and_extra_columns():
    obs = parsed(2019).observations
    assert obs.columns == OBSERVATION_COLUMNS + list(YEARBOOK_EXTRA_SCHEMA)
    assert obs["source_file"].unique().to_list() == ["china_city_statistical_yearbook_2019_prefecture.xlsx"]
    assert obs["region_code"].null_count() == 0
    assert set(obs["scope"].unique()) <= {"全市", "市辖区", "n.a."}


def test_2019_edition_puyang_registered_population_435():
    result = parsed(2019)
    assert result.summary["data_year"] == 2018
    assert facts(result, PUYANG, "年末户籍人口")["全市"] == 435.0
    row = labelled(result.observations, "年末户籍人口").filter(
        (pl.col("region_code") == PUYANG) & (pl.col("scope") == "全市")
    ).row(0, named=True)
    assert row["year"] == 2018 and row["edition"] == 2019
    assert (row["unit_raw"], row["unit_source"], row["verbatim"]) == ("万人", "header", "435")
    assert row["indicator_label_raw"] == "年末户籍人口" and row["population_basis"] == "registered"
    assert (row["label_scope"], row["source_location"]) == ("yearbook", "sheet Data cell C173 (row 173, column 3)")
    assert not any("常住" in label for label in result.observations["indicator_label_raw"].unique())


def test_2021_edition_resident_and_urban_population():
    result = parsed(2021)
    assert result.summary["data_year"] == 2020
    assert facts(result, PUYANG, "常住人口") == {"全市": 377.0, "市辖区": 97.0}
    assert facts(result, PUYANG, "城镇常住人口") == {"全市": 189.0, "市辖区": 83.0}
    # 菏泽: the file prints only the 全市 figures, the 市辖区 cells are empty
    assert facts(result, HEZE, "常住人口") == {"全市": 880.0}
    assert facts(result, HEZE, "城镇常住人口") == {"全市": 446.0}
    pop = result.observations.filter(pl.col("indicator_label_raw").is_in(["常住人口", "城镇常住人口"]))
    assert set(pop["population_basis"].unique()) == {"resident"}
    # the header prints no unit: none is emitted (the mapping row's assumed 万人 is applied in dbt)
    assert pop["unit_raw"].null_count() == pop["unit_source"].null_count() == pop.height
    assert not any("户籍" in label for label in result.observations["indicator_label_raw"].unique())


def test_registered_and_resident_never_merged():
    """The basis read from a header (户籍 / 常住) is the one its mapping row states."""
    rows = [r for r in label_rows("yearbook") if r["population_basis"]]
    assert {r["indicator_code"] for r in rows} == {"registered_population", "urban_registered_population",
                                                   "resident_population", "urban_resident_population", "urbanization_rate"}
    checked = 0
    for edition in EDITIONS:
        for r in rows:
            sub = labelled(parsed(edition).observations, r["label_printed"])
            assert set(sub["population_basis"].unique()) <= {r["population_basis"]}, (edition, r["label_printed"])
            checked += sub.height
    assert checked > 5 * 290
    assert facts(parsed(2022), PUYANG, "城镇户籍人口")["全市"] == 137.0


def test_heze_found_under_both_spellings():
    spellings = {}
    for edition in EDITIONS:
        obs = parsed(edition).observations.filter(pl.col("region_code") == HEZE)
        assert obs.height > 0, edition
        spellings[edition] = obs["region_name_raw"].str.strip_chars().unique().to_list()
    assert spellings[2019] == ["荷泽市"] and spellings[2022] == ["荷泽市"]
    assert spellings[2020] == ["菏泽市"] and spellings[2023] == ["菏泽市"]
    assert facts(parsed(2019), HEZE, "年末户籍人口")["全市"] == 1025.0


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_city_row_lands_or_is_quarantined(edition):
    result = parsed(edition)
    s = result.summary
    row_quarantine = [q for q in result.quarantine if " cell " not in q.location]
    assert s["city_rows_seen"] == s["city_rows_landed"] + len(row_quarantine)
    assert 290 <= s["city_rows_landed"] <= 300
    assert result.observations["region_code"].n_unique() == s["city_rows_landed"]
    assert s["province_rows"] == 27
    for q in result.quarantine:
        assert q.source_file.endswith(".xlsx") and q.location.startswith("sheet ") and q.reason
    # every resolved column is listed once in the headers, with or without values
    assert result.headers.height == s["columns"] == result.headers["column_number"].n_unique()
    assert set(result.headers["label_scope"]) == {"yearbook"}


def test_unmatched_city_and_bad_cells_go_to_quarantine():
    q2019 = parsed(2019).quarantine
    laiwu = [q for q in q2019 if q.verbatim.startswith("莱芜市")]
    assert len(laiwu) == 1 and "matches no prefecture" in laiwu[0].reason and laiwu[0].location == "sheet Data row 158"
    q2022 = {q.verbatim: q for q in parsed(2022).quarantine}
    assert "4846,48" in q2022 and "not a number" in q2022["4846,48"].reason
    assert q2022["4846,48"].location.startswith("sheet Sheet1 cell BK233")
    assert "那曲市" in q2022 and "no values" in q2022["那曲市"].reason
    # OCR typos resolved through region_aliases.csv
    codes_2019 = set(parsed(2019).observations["region_code"])
    assert {"370400", "411100", "430700", "460400", "540600", "500100"} <= codes_2019


def test_summary_counts_empty_cells_and_columns():
    s = parsed(2021).summary
    assert s["file"] == "china_city_statistical_yearbook_2021_prefecture.xlsx"
    assert s["empty_cells"] > 0 and s["columns"] == parsed(2021).headers.height >= 15
    assert s["observations"] == parsed(2021).observations.height
    assert s["quarantined"] == len(parsed(2021).quarantine)


def test_units_kept_as_printed():
    # GDP in 万元 (2019 edition) and 亿元 (later); which indicators each edition maps: at the marts
    assert labelled(parsed(2019).observations, "地区生产总值(当年价格)")["unit_raw"].unique().to_list() == ["万元"]
    assert labelled(parsed(2021).observations, "地区生产总值(当年价格)")["unit_raw"].unique().to_list() == ["亿元"]
    # the 2021 edition has no post/telecom table
    assert labelled(parsed(2021).observations, "移动电话年末用户数").height == 0
    assert labelled(parsed(2023).observations, "移动电话年末用户数")["unit_raw"].unique().to_list() == ["万户"]


def test_cell_value_parsing():
    assert parse_yearbook_value(435.0) == (435.0, None)
    assert parse_yearbook_value("27") == (27.0, None)
    assert parse_yearbook_value("1,234.5") == (1234.5, None)
    assert parse_yearbook_value("") == (None, None)
    assert parse_yearbook_value("-") == (None, None)
    for bad in ("4846,48", "1 1.44", "X940", "().13"):
        value, error = parse_yearbook_value(bad)
        assert value is None and "not a number" in error


def test_split_bilingual_header_cell():
    assert split_zh_en("年末户籍人口 （万人）  Household Registered Population （10 000 persons）") == (
        "年末户籍人口 （万人）", "Household Registered Population （10 000 persons）")
    assert split_zh_en("自然增长率(‰) Natural Growth Rate(‰)") == ("自然增长率(‰)", "Natural Growth Rate(‰)")
    assert split_zh_en("Volume of Sulphur Dioxide Emission") == ("", "Volume of Sulphur Dioxide Emission")


# ---------------------------------------------------------------------------
# A modified copy: sections reordered, a 全市/市辖区 pair swapped, labels relabelled,
# an advertisement sheet in front, a misleading file name.
# ---------------------------------------------------------------------------


def _layout(grid):
    title = next(i for i, row in enumerate(grid) if "地级以上城市数据" in str(row[0]))
    header_end = next(i for i, row in enumerate(grid) if str(row[0]).strip() == "北京市")
    width = max(len(row) for row in grid)
    grid = [list(row) + [""] * (width - len(row)) for row in grid]
    starts = [c for c in range(2, width) if str(grid[title][c]).strip()]
    blocks = [list(range(s, e)) for s, e in zip(starts, starts[1:] + [width])]
    return grid, header_end, blocks


def _relabel(text):
    """Extra spaces, line breaks and full-width brackets in a header label."""
    if not isinstance(text, str) or not text.strip():
        return text
    t = text.replace("(", "（").replace(")", "）")
    t = re.sub(r"([\u4e00-\u9fff])([\u4e00-\u9fff])", r"\1 \2", t, count=1)  # a stray space
    t = re.sub(r"([\u4e00-\u9fff]{2})([\u4e00-\u9fff])", r"\1\n\2", t, count=1)  # a line break
    return "  " + t + " "


def modified_grid(grid):
    grid, header_end, blocks = _layout(grid)
    # swap the 全市/市辖区 data and scope cells of the first pair (the label stays on the left)
    first = blocks[0]
    a, b = first[0], first[1]
    for r in range(header_end - 1, len(grid)):
        if r == header_end - 1 or r >= header_end:
            grid[r][a], grid[r][b] = grid[r][b], grid[r][a]
    order = [0, 1] + [c for block in reversed(blocks) for c in block]
    out = []
    for r, row in enumerate(grid):
        new = [row[c] for c in order]
        if r < header_end:
            new = [new[0]] + [_relabel(v) if i >= 2 else v for i, v in enumerate(new[1:], 1)]
        else:
            name = str(new[0])
            new[0] = "\u3000 " + name.strip().replace("菏泽", "荷泽")
        out.append(new)
    return out


def _all_facts(result):
    """Every value with its label and unit as matching keys (the copy scatters spaces in labels and unit cells)."""
    return {(r["region_code"], r["year"], r["scope"], normalize_label(r["indicator_label_raw"]), normalize_text(r["unit_raw"]),
             r["value"]) for r in result.observations.iter_rows(named=True)}


@pytest.mark.parametrize("edition", [2021, 2019])
def test_modified_copy_gives_the_same_facts(tmp_path, edition):
    original = parsed(edition)
    sheets = read_workbook(yearbook_path(edition))
    data_sheet = original.summary["sheet_name"]
    copy = tmp_path / "copy_of_an_edition_1999.xlsx"
    write_xlsx(copy, {"更多数据，尽在【某某数据网】": [["广告 advertisement"]],
                      "数据": modified_grid(sheets[data_sheet])})
    result = parse_yearbook(copy)
    assert result.summary["sheet_name"] == "数据"
    assert result.summary["data_year"] == edition - 1
    assert _all_facts(result) == _all_facts(original)
    assert result.summary["city_rows_landed"] == original.summary["city_rows_landed"]
    assert result.headers.height == original.headers.height
    if edition == 2021:
        assert facts(result, PUYANG, "常住人口") == {"全市": 377.0, "市辖区": 97.0}
        assert facts(result, PUYANG, "城镇常住人口")["全市"] == 189.0
        assert facts(result, HEZE, "常住人口") == {"全市": 880.0}
        assert facts(result, HEZE, "城镇常住人口") == {"全市": 446.0}
        # columns moved: 常住人口 no longer sits in column C
        loc = labelled(result.observations, "常住人口").filter(pl.col("region_code") == PUYANG)["column_number"].to_list()
        assert loc and 3 not in loc
    else:
        assert facts(result, PUYANG, "年末户籍人口")["全市"] == 435.0


def test_modified_copy_header_text_really_differs(tmp_path):
    sheets = read_workbook(yearbook_path(2021))
    grid = modified_grid(sheets["Sheet1"])
    header_text = " ".join(str(c) for row in grid[:6] for c in row)
    assert "常 住\n人口" in header_text or "常 住人\n口" in header_text
    assert "（平方公里）" in header_text and "(平方公里)" not in header_text


# ---------------------------------------------------------------------------
# Unknown headers
# ---------------------------------------------------------------------------


def test_unknown_header_lands_with_its_printed_label():
    sheets = read_workbook(yearbook_path(2021))
    grid = [list(row) for row in sheets["Sheet1"]]
    r, c = next((r, c) for r in range(5) for c, v in enumerate(grid[r]) if str(v).startswith("建成区绿化覆盖率"))
    grid[r][c] = "建成区绿化覆盖率（新口径） (%) Green Covered Area, new definition (%)"
    result = parse_yearbook_grid(grid, source_file="edited.xlsx", source_sha256="0" * 64, sheet_name="Sheet1")
    header = result.headers.filter(pl.col("column_number") == c + 1)
    assert header.select("file", "label", "unit", "scope").row(0) == ("edited.xlsx", "建成区绿化覆盖率（新口径）", "%", "市辖区")
    cells = result.observations.filter(pl.col("column_number") == c + 1)
    assert cells.height >= 280
    assert cells["indicator_label_raw"].unique().to_list() == ["建成区绿化覆盖率（新口径）"]
    puyang = cells.filter(pl.col("region_code") == PUYANG).row(0, named=True)
    assert puyang["value"] == facts(parsed(2021), PUYANG, "建成区绿化覆盖率")["市辖区"]

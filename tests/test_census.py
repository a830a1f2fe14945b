"""Census parser: city CSV (2010, 2020) and county workbook (2020). The parser emits each figure
under its column name and census year (the census_city / census_county rows of the label map);
the indicator codes they become are checked at the mart level (tests/test_mapping_one_place.py)."""

from __future__ import annotations

import csv
from functools import lru_cache

import polars as pl
import pytest

from dagster_project.sources.census.parser import CENSUS_EXTRA_SCHEMA, parse_census_city, parse_census_county
from dagster_project.sources.common.provenance import OBSERVATION_COLUMNS, SourceError
from dagster_project.common.reference import label_rows

from tests.conftest import shared_file

PUYANG = "410900"
CITY_CSV = "census/census_city_2010-2020_v1.csv"
COUNTY_XLSX = "census/census_county_2020_v1.xlsx"


@lru_cache(maxsize=1)
def city():
    return parse_census_city(shared_file(CITY_CSV))


@lru_cache(maxsize=1)
def county():
    return parse_census_county(shared_file(COUNTY_XLSX))


def value(result, region_code: str, column: str, year: int) -> float:
    df = result.observations.filter(
        (pl.col("region_code") == region_code) & (pl.col("indicator_label_raw") == column) & (pl.col("year") == year)
    )
    assert df.height == 1, (region_code, column, year, df.height)
    return df["value"][0]


def test_shape_and_labels():
    obs = city().observations
    assert obs.columns == OBSERVATION_COLUMNS + list(CENSUS_EXTRA_SCHEMA)
    assert set(obs["indicator_label_raw"].unique()) == {
        "popu_2020", "popu_urban_2020", "popu_rural_2020", "popu_2010", "popu_urban_2010", "popu_rural_2010"}
    assert set(obs.filter(pl.col("indicator_label_raw").str.ends_with("2010"))["year"].unique()) == {2010}
    assert set(obs.filter(pl.col("indicator_label_raw").str.ends_with("2020"))["year"].unique()) == {2020}
    assert set(obs["label_scope"].unique()) == {"census_city"} and set(county().observations["label_scope"]) == {"census_county"}
    # the files print no unit: the mapping row's assumed unit (人) is applied in dbt
    assert set(obs["scope"].unique()) == {"n.a."} and obs["unit_raw"].null_count() == obs.height
    assert obs["region_code"].null_count() == 0


def test_puyang_2020_urbanization_rate_from_parsed_values():
    urban = value(city(), PUYANG, "popu_urban_2020", 2020)
    total = value(city(), PUYANG, "popu_2020", 2020)
    assert (urban, total) == (1884758.0, 3772088.0)
    assert round(100 * urban / total, 2) == 49.97
    assert value(city(), PUYANG, "popu_rural_2020", 2020) == 1887330.0
    assert value(city(), PUYANG, "popu_2010", 2010) == 3598740.0
    row = city().observations.filter(
        (pl.col("region_code") == PUYANG) & (pl.col("indicator_label_raw") == "popu_2020") & (pl.col("year") == 2020)
    ).row(0, named=True)
    assert row["source_location"] == "line 159 column popu_2020" and row["verbatim"] == "3772088"
    assert row["region_name_raw"] == "濮阳市" and row["source_file"] == "census_city_2010-2020_v1.csv"


def test_city_file_quarantines_codes_outside_regions_csv():
    s = city().summary
    assert s["rows_seen"] == s["rows_landed"] + s["rows_quarantined"]
    reasons = {q.verbatim.split(",")[0]: q for q in city().quarantine}
    assert set(reasons) == {"香港特别行政区", "澳门特别行政区"}
    assert reasons["香港特别行政区"].location == "line 369"
    assert "810000" in reasons["香港特别行政区"].reason and "regions.csv" in reasons["香港特别行政区"].reason


def test_county_file_levels_and_values():
    result = county()
    assert result.summary["rows_landed"] == 3312
    assert value(result, PUYANG, "人口数_合计", 2020) == 3772088.0
    assert value(result, PUYANG, "城镇人口", 2020) == 1884758.0
    assert value(result, "410902", "人口数_合计", 2020) == 607028.0  # 华龙区
    levels = result.observations.filter(pl.col("region_code") == "410902")["region_level"].unique().to_list()
    assert levels == ["county"]
    na = [q for q in result.quarantine if q.verbatim.startswith("NA,")]
    assert len(na) == result.summary["rows_quarantined"] == 46
    assert na[0].location == "sheet 七普（年鉴） row 2" and "'NA'" in na[0].reason


def test_city_and_county_files_agree_for_2020():
    code = {r["label_printed"]: r["indicator_code"] for scope in ("census_city", "census_county") for r in label_rows(scope)}
    a, b = (r.observations.with_columns(pl.col("indicator_label_raw").replace_strict(code).alias("indicator_code"))
            .select("region_code", "year", "indicator_code", "value") for r in (city(), county()))
    joined = a.join(b, on=["region_code", "year", "indicator_code"], suffix="_county")
    assert joined.height > 900
    assert joined.filter(pl.col("value") != pl.col("value_county")).height / joined.height < 0.05


def test_columns_found_by_name_and_bad_rows_quarantined(tmp_path):
    src = shared_file(CITY_CSV)
    with open(src, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    order = list(reversed(range(len(header))))  # every column moved
    puyang = next(r for r in body if r[1] == PUYANG)
    bad_value = list(puyang)
    bad_value[1] = "371700"
    bad_value[0] = "菏泽市"
    bad_value[header.index("province_code")] = "370000"
    bad_value[header.index("popu_urban_2020")] = "约4百万"
    unknown = list(puyang)
    unknown[1] = "419999"
    path = tmp_path / "census_copy.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        for r in [header, puyang, bad_value, unknown]:
            w.writerow([r[i] for i in order])
    result = parse_census_city(path)
    assert value(result, PUYANG, "popu_urban_2020", 2020) == 1884758.0
    assert value(result, PUYANG, "popu_2020", 2020) == 3772088.0
    by_loc = {q.location: q for q in result.quarantine}
    assert "line 3 column popu_urban_2020" in by_loc and "not a number" in by_loc["line 3 column popu_urban_2020"].reason
    assert "419999" in by_loc["line 4"].reason
    # the rest of the bad-value row still lands
    assert value(result, "371700", "popu_2020", 2020) == 3772088.0


def test_missing_column_is_a_source_error(tmp_path):
    path = tmp_path / "no_urban.csv"
    path.write_text("city,city_code,province_code,popu_2020\n濮阳市,410900,410000,3772088\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"no_urban.csv, line 1: missing column\(s\)"):
        parse_census_city(path)

"""Curated reference data (raw/reference/*.csv): read by Python here and loaded into
DuckDB (schema raw, tables ref_*) so that dbt reads the very same rows."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import polars as pl

from dagster_project.common.text import normalize_label, normalize_text

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "raw" / "reference"


def reference_files() -> dict[str, Path]:
    """name (file stem) -> path for every reference CSV of REFERENCE_DIR (read when called, so a
    test can point REFERENCE_DIR at a modified copy)."""
    return {p.stem: p for p in sorted(REFERENCE_DIR.glob("*.csv"))}


def read_reference(name: str) -> pl.DataFrame:
    """Read one reference CSV with every column as text (codes keep leading zeros)."""
    return pl.read_csv(REFERENCE_DIR / f"{name}.csv", infer_schema=False)


class RegionLookup:
    """Map a printed region name (with stray spaces, typos, short forms) to a GB/T 2260 code.

    Resolution order: exact name → alias table (raw/reference/region_aliases.csv, e.g.
    荷泽市 → 371700) → name without its administrative suffix (菏泽 → 菏泽市), always
    restricted to the requested levels (and province, when given) so that a county named
    like a city never shadows the city.
    """

    def __init__(self, regions: pl.DataFrame, aliases: pl.DataFrame | None = None):
        self.regions = regions
        self._by_name: dict[tuple[str, str], list[dict]] = {}
        for row in regions.iter_rows(named=True):
            for key in self._keys(row["region_name"]):
                self._by_name.setdefault((key, row["level"]), []).append(row)
        self._alias: dict[str, str] = {}
        if aliases is not None:
            for row in aliases.iter_rows(named=True):
                self._alias[normalize_text(row["alias"])] = row["region_code"]
        self._by_code = {r["region_code"]: r for r in regions.iter_rows(named=True)}

    @staticmethod
    def _keys(name: str) -> list[str]:
        n = normalize_text(name)
        keys = [n]
        for suffix in ("市", "县", "区", "省", "自治州", "地区", "盟"):
            if n.endswith(suffix) and len(n) > len(suffix) + 1:
                keys.append(n[: -len(suffix)])
                break
        return keys

    def get(self, code: str) -> dict | None:
        return self._by_code.get(code)

    def code_for(self, name: str, levels=("prefecture",), province_code: str | None = None) -> str | None:
        n = normalize_text(name)
        if not n:
            return None
        if n in self._alias:
            code = self._alias[n]
            row = self._by_code.get(code)
            if row and row["level"] in levels and (province_code is None or row["province_code"] == province_code):
                return code
        for key in self._keys(n):
            for level in levels:
                hits = [
                    r for r in self._by_name.get((key, level), [])
                    if province_code is None or r["province_code"] == province_code
                ]
                if len(hits) == 1:
                    return hits[0]["region_code"]
        return None


@lru_cache(maxsize=1)
def region_lookup() -> RegionLookup:
    aliases = read_reference("region_aliases") if "region_aliases" in reference_files() else None
    return RegionLookup(read_reference("regions"), aliases)


def label_rows(scope: str) -> list[dict]:
    """The rows of the one label mapping file, raw/reference/indicator_label_map.csv, of one
    ``source_scope`` (yearbook, census_city, census_county, bulletin, plan_table, prose), each with
    its normalized ``label_key``.

    A printed label becomes a catalogue code in one step only, in dbt (int_indicator_labels_mapped).
    Python reads these rows where a reader needs its vocabulary to do its job at all: the bulletin
    reader searches a page for these labels (and reads the units of their indicators), the census
    reader reads these columns (and their census year)."""
    df = read_reference("indicator_label_map").filter(pl.col("source_scope") == scope)
    return [{**r, "label_key": normalize_label(r["label_printed"])} for r in df.iter_rows(named=True)]

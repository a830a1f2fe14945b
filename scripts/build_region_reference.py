"""Regenerate raw/reference/regions.csv from the 2020 census county table.

The region table is curated reference data committed to the repository; this script is
how it was made (and how to remake it when a newer census/GB-T 2260 table arrives):

    python scripts/build_region_reference.py ../shared/census/census_county_2020_v1.xlsx

Levels follow GB/T 2260: XX0000 province, XXXX00 prefecture, anything else county-level
(县, 县级市, 市辖区 and the statistical 功能区 codes 71-79 that the census also lists).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from python_calamine import CalamineWorkbook

OUT = Path(__file__).resolve().parents[1] / "raw" / "reference" / "regions.csv"


def main(src: str) -> None:
    rows = CalamineWorkbook.from_path(src).get_sheet_by_index(0).to_python()
    header = [str(h) for h in rows[0]]
    i_code, i_prov, i_city, i_cty = (header.index(h) for h in ("区划代码", "省", "市", "区县"))
    out: dict[str, dict] = {}
    for r in rows[1:]:
        raw_code = r[i_code]
        if raw_code in ("NA", None, ""):
            continue
        code = f"{int(float(raw_code)):06d}"
        prov, city, county = (str(r[i]).strip() for i in (i_prov, i_city, i_cty))
        if code.endswith("0000"):
            level, name, parent = "province", prov, None
        elif code.endswith("00"):
            level, name, parent = "prefecture", city, code[:2] + "0000"
        else:
            if county in ("市辖区",):
                continue  # an aggregate line, not a region
            level, name, parent = "county", county, code[:4] + "00"
        out[code] = {
            "region_code": code,
            "region_name": name,
            "level": level,
            "parent_code": parent or "",
            "province_code": code[:2] + "0000",
        }
    # municipalities directly under the central government have no XXXX00 line of their own
    # in some editions: make sure every county's parent exists.
    for code, row in list(out.items()):
        if row["parent_code"] and row["parent_code"] not in out and row["level"] == "county":
            prov = out.get(row["province_code"])
            row["parent_code"] = row["province_code"] if prov else ""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["region_code", "region_name", "level", "parent_code", "province_code"])
        w.writeheader()
        for code in sorted(out):
            w.writerow(out[code])
    print(f"wrote {len(out)} regions to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/census/census_county_2020_v1.xlsx")

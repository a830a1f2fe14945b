"""How many targets of marts.mart_target_progress end in which status, and why: counts per
region × status × reason class, for one warehouse or side by side for two (before / after).
The reason class is read from the start of status_reason (the wording of
int_target_progress_computed); a status other than insufficient_data is its own class.

    .venv/bin/python scripts/target_coverage.py BEFORE.duckdb [AFTER.duckdb]
"""

from __future__ import annotations

import sys

import duckdb

# (start of status_reason, reason class), first match wins
REASON_CLASSES = (
    ("label '", "label not mapped to the catalogue"),
    ("the target cell is printed as '-'", "no target value printed"),
    ("province value for", "province value of the target year missing"),
    ("the target has no numeric value", "no target value printed"),
    ("no source in the warehouse reports", "no source reports the indicator"),
    ("no actual for", "no actual for this region"),
    ("no annual actual for", "cumulative: no annual actual in the period"),
    ("annual actuals for", "cumulative: annual actuals missing"),
    ("no baseline", "no baseline"),
    ("fewer than two points", "fewer than two points"),
)


def reason_class(status: str, reason: str) -> str:
    if status != "insufficient_data":
        return status
    return next((cls for prefix, cls in REASON_CLASSES if reason.startswith(prefix)), "other: " + reason[:60])


def counts(path: str) -> dict[tuple[str, str, str], int]:
    with duckdb.connect(path, read_only=True) as con:
        rows = con.execute("select region_code, status, status_reason from marts.mart_target_progress").fetchall()
    out: dict[tuple[str, str, str], int] = {}
    for region, status, reason in rows:
        key = (region, status, reason_class(status, reason))
        out[key] = out.get(key, 0) + 1
    return out


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    tables = [counts(p) for p in argv]
    keys = sorted(set().union(*tables))
    print("region  status               reason class" + "".join(f"{h:>8}" for h in ("before", "after")[: len(tables)]))
    for key in keys:
        print(f"{key[0]:7} {key[1]:20} {key[2]:45}" + "".join(f"{t.get(key, 0):8}" for t in tables))
    for region in sorted({k[0] for k in keys}):
        print(f"{region:7} {'total':20} {'insufficient_data / all':45}" + "".join(
            f"{sum(n for k, n in t.items() if k[0] == region and k[1] == 'insufficient_data'):>4}/"
            f"{sum(n for k, n in t.items() if k[0] == region):<3}" for t in tables))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

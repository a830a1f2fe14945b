"""What only the whole set of returns can tell: a re-submitted return (same plan and same reporting
unit, later date) supersedes the earlier one -- whose values are then quarantined with the reason
"superseded by <file>" --, and one request reported with different values by two returns (or two rows)
is a conflict: every one of those values is quarantined, none is published."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dagster_project.sources.common.provenance import QuarantineRow
from dagster_project.sources.datacalls.schema import RETURN_SCHEMA, SOURCE_KIND


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def resolve_returns(results: list) -> tuple[pl.DataFrame, list[QuarantineRow], dict[str, tuple[int, int]]]:
    """(the rows to land, the quarantine rows this adds, per file: (rows kept, rows quarantined in total))."""
    quarantine: list[QuarantineRow] = []
    counts = {r.file: [r.rows.height, len(r.quarantine)] for r in results}
    kept: list[pl.DataFrame] = []
    latest: dict[tuple[str, str], object] = {}
    for r in results:  # the latest return of each plan × reporting unit (by date, then file name)
        if r.reporting_unit:
            key = (r.plan_id, r.reporting_unit)
            best = latest.get(key)
            if best is None or (r.reported_on or dt.date.min, r.file) > (best.reported_on or dt.date.min, best.file):
                latest[key] = r
    for r in results:
        winner = latest.get((r.plan_id, r.reporting_unit)) if r.reporting_unit else None
        if winner is not None and winner is not r:
            reason = (f"superseded by {winner.file} (a later return of {r.reporting_unit} for the same plan, dated "
                      f"{winner.reported_on}; this one is dated {r.reported_on})")
            for row in r.rows.iter_rows(named=True):
                quarantine.append(QuarantineRow(SOURCE_KIND, r.file, row["source_sha256"], row["cell"], reason, row["verbatim"]))
            counts[r.file] = [0, counts[r.file][1] + r.rows.height]
            continue
        kept.append(r.rows)
    rows = pl.concat(kept) if kept else pl.DataFrame(schema=RETURN_SCHEMA)
    values = rows.group_by("request_id").agg(pl.col("value").n_unique().alias("n_values"))
    conflicting = set(values.filter(pl.col("n_values") > 1)["request_id"].to_list())
    if conflicting:
        clash = rows.filter(pl.col("request_id").is_in(list(conflicting))).sort("source_file", "cell")
        for rid, group in clash.group_by("request_id", maintain_order=True):
            reported = "; ".join(f"{_fmt(v)} in {f} {c}" for v, f, c in group.select("value", "source_file", "cell").iter_rows())
            reason = (f"conflicting reports of one request ({group['indicator_label_raw'][0]}, {group['year'][0]}): {reported}; "
                      "none is published until one return is corrected or withdrawn")
            for row in group.iter_rows(named=True):
                quarantine.append(QuarantineRow(SOURCE_KIND, row["source_file"], row["source_sha256"], row["cell"], reason, row["verbatim"]))
                counts[row["source_file"]][0] -= 1
                counts[row["source_file"]][1] += 1
        rows = rows.filter(~pl.col("request_id").is_in(list(conflicting)))
    return rows, quarantine, {f: (k, q) for f, (k, q) in counts.items()}

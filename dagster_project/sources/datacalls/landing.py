"""Landing the returns: each file is read on its own (returns.parse_return, through the common
parse_files machinery, which quarantines a file that cannot be read at all), then what only the set of
returns can tell is decided (resolve.py): a later return of the same unit and plan supersedes an earlier
one, and one request reported with different values in two returns is a conflict."""

from __future__ import annotations

import tempfile
from pathlib import Path


from dagster_project.sources.common.landing import LANDING_CODE, _unchanged, _sha256_or_none, land, parse_files
from dagster_project.sources.common.parse_cache import inputs_digest
from dagster_project.sources.datacalls.schema import RETURNS_TABLE


def land_returns(context, files: list[Path], schema: dict):
    from dagster_project.sources.datacalls.resolve import resolve_returns
    from dagster_project.sources.datacalls.returns import parse_return

    shas = [_sha256_or_none(p) for p in files]
    inputs = inputs_digest(RETURNS_TABLE, parse_return, [(p.name, s or "unreadable") for p, s in zip(files, shas)], code=LANDING_CODE)
    if (kept := _unchanged(context, RETURNS_TABLE, inputs, [RETURNS_TABLE])) is not None:
        from dagster_project.sources.common.landing import _kept

        return _kept(kept[0], kept[1][RETURNS_TABLE])
    results: dict[str, object] = {}

    def frame(result, path):
        results[path.name] = result
        return result.rows

    quarantine, per_file, retry = parse_files(context.log, RETURNS_TABLE, files, parse_return, frame, lambda _rows: None)
    rows, more_quarantine, counts = resolve_returns(list(results.values()))
    for f in per_file:  # the rows each file kept after resolving, and its rows quarantined in total
        if f["source_file"] in counts:
            f["rows_loaded"], f["rows_quarantined"] = counts[f["source_file"]]
    layout = context.resources.warehouse.layout
    layout.build.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".landing-{RETURNS_TABLE}-", dir=layout.build.parent) as spool:
        parquet = []
        if rows.height:
            parquet.append(Path(spool) / "returns.parquet")
            rows.select(list(schema)).write_parquet(parquet[0])
        return land(context, RETURNS_TABLE, parquet, quarantine + more_quarantine, per_file, schema, None if retry else inputs)

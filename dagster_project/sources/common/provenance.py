"""Provenance and errors shared by every source kind's parser.

Everything a parser needs to attach provenance to a row, to report a bad row or file to quarantine
(with file, place and reason), and the one long shape every source of *actuals* lands in, so that
the source-specific modules (one folder per source kind) only hold what is specific to their source.
Text normalisation is :mod:`dagster_project.common.text`, file hashes :mod:`dagster_project.common.files`,
printed numbers and cells :mod:`dagster_project.sources.common.cells`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# ---------------------------------------------------------------------------
# Errors and quarantine
# ---------------------------------------------------------------------------


class SourceError(ValueError):
    """A source file (or a part of it) cannot be parsed.

    The message always names the file, the location (line / sheet-row-column) and the reason.
    """

    def __init__(self, file: str, location: str | int | None, reason: str):
        self.file = str(file)
        self.location = None if location is None else str(location)
        self.reason = reason
        where = f"{self.file}" + (f", {self._loc_label()}" if self.location else "")
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # rebuilt from its parts when it comes back from a parse worker (ingest.parallel)
        return type(self), (self.file, self.location, self.reason)

    def _loc_label(self) -> str:
        return f"line {self.location}" if str(self.location).isdigit() else str(self.location)


@dataclass
class QuarantineRow:
    """One rejected piece of input, kept so it never silently disappears."""

    source_kind: str  # e.g. 'plan_table', 'yearbook', 'census', 'bulletin_html'
    source_file: str
    source_sha256: str
    location: str  # 'line 152' or 'sheet X row 12 col 7'
    reason: str
    verbatim: str

    def as_dict(self) -> dict:
        return {
            "source_kind": self.source_kind,
            "source_file": self.source_file,
            "source_sha256": self.source_sha256,
            "location": self.location,
            "reason": self.reason,
            "verbatim": self.verbatim,
        }


QUARANTINE_COLUMNS = ["source_kind", "source_file", "source_sha256", "location", "reason", "verbatim"]
QUARANTINE_EXAMPLES = 3  # rows named per file in a loader's warning


def quarantine_summary(rows: list[QuarantineRow], examples: int = QUARANTINE_EXAMPLES) -> str:
    """A loader's one warning about its quarantined rows, however many: the count per file and the
    first ``examples`` rows of each (place and reason); all of them are in raw.quarantine. (One
    Dagster event per row cost ~8 ms each in a persistent instance's event log, and flooded it.)"""
    by_file: dict[str, list[QuarantineRow]] = {}
    for q in rows:
        by_file.setdefault(q.source_file, []).append(q)
    lines = [f"quarantined {len(rows):,} row(s) of {len(by_file):,} file(s); every one is in raw.quarantine:"]
    for source_file, quarantined in by_file.items():
        lines.append(f"{source_file}: {len(quarantined):,}")
        lines += [f"  {q.location}: {q.reason}" for q in quarantined[:examples]]
        if len(quarantined) > examples:
            lines.append(f"  ... and {len(quarantined) - examples:,} more")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The one long shape every source of *actuals* lands in (raw.*_observations)
# ---------------------------------------------------------------------------

# What the source printed and where, never what it means: the printed label becomes a catalogue
# indicator code in one step in dbt (int_indicator_labels_mapped), through the rows of
# raw/reference/indicator_label_map.csv whose source_scope is the observation's label_scope.
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "source_kind": pl.Utf8,          # yearbook | census | bulletin_html | bulletin_document | bulletin_facts | plan_statement
    "source_file": pl.Utf8,          # file name (no directory: directories are configuration)
    "source_sha256": pl.Utf8,
    "source_location": pl.Utf8,      # 'sheet S cell C12 (row R, column C)' | 'line N' | 'row N'
    "verbatim": pl.Utf8,             # the cell text or the sentence the number was read from
    "region_name_raw": pl.Utf8,
    "region_code": pl.Utf8,          # GB/T 2260, null only in quarantine
    "year": pl.Int64,
    "scope": pl.Utf8,                # 全市 | 市辖区 | n.a.
    "label_scope": pl.Utf8,          # the label map's source_scope the label belongs to (yearbook, census_city, bulletin, prose …)
    "indicator_label_raw": pl.Utf8,  # the label as printed (a bulletin: the vocabulary entry that found the figure)
    "unit_raw": pl.Utf8,             # the unit as printed, null when none is
    "value_raw": pl.Utf8,
    "value": pl.Float64,
}
OBSERVATION_COLUMNS = list(OBSERVATION_SCHEMA)


class ObservationRows:
    """One file's observations, collected row by row in :data:`OBSERVATION_SCHEMA` (plus the
    source's own ``extra_schema`` columns). What is the same for every row of the file is given
    once; a row names only its own values, and a column no schema knows is an error."""

    def __init__(self, source_kind: str, source_file: str, source_sha256: str, label_scope: str,
                 extra_schema: dict[str, pl.DataType] | None = None):
        self.schema = {**OBSERVATION_SCHEMA, **(extra_schema or {})}
        self.file_values = {"source_kind": source_kind, "source_file": source_file, "source_sha256": source_sha256,
                            "label_scope": label_scope, "scope": "n.a."}
        self.columns: dict[str, list] = {name: [] for name in self.schema}

    def add(self, **values) -> None:
        unknown = set(values) - set(self.schema)
        if unknown:
            raise KeyError(f"not an observation column: {sorted(unknown)}")
        row = {**self.file_values, **values}
        for name, column in self.columns.items():
            column.append(row.get(name))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.columns, schema=self.schema)

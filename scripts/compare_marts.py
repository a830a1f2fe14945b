"""Compare the tables of one schema in two warehouse files: row counts and an order-independent
content hash per table, over the columns both files have, leaving out the columns that change
with every run (load ids and timestamps). For a table whose hash differs it counts the rows
only in one file (EXCEPT ALL over the compared columns) and can print a few of them.

    .venv/bin/python scripts/compare_marts.py BEFORE.duckdb AFTER.duckdb
    .venv/bin/python scripts/compare_marts.py BEFORE.duckdb AFTER.duckdb --schema intermediate \
        --ignore fct_indicator_observation.observation_id --show 3

Exit code 0 when every table of the schema is identical in both files, 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field

import duckdb

# columns whose values change with every run, whatever the content
VOLATILE = re.compile(r"^(load_id|run_id|loaded_at|quarantined_at|published_at)$")


@dataclass
class TableDiff:
    table: str
    rows: tuple[int | None, int | None]
    same: bool
    only_before: int = 0
    only_after: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    samples: tuple[list, list] = field(default_factory=lambda: ([], []))

    def line(self) -> str:
        before, after = ("-" if n is None else f"{n:,}" for n in self.rows)
        if self.same:
            return f"{self.table:34} {before:>10} {after:>10}  identical"
        parts = []
        if self.rows[0] is None or self.rows[1] is None:
            parts.append("only in " + ("after" if self.rows[0] is None else "before"))
        else:
            parts.append(f"{self.only_before:,} row(s) only before, {self.only_after:,} only after")
        if self.columns_added:
            parts.append("columns added: " + ", ".join(self.columns_added))
        if self.columns_removed:
            parts.append("columns removed: " + ", ".join(self.columns_removed))
        return f"{self.table:34} {before:>10} {after:>10}  DIFFERS: " + "; ".join(parts)


def _columns(con: duckdb.DuckDBPyConnection, db: str, schema: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = ? order by table_name, ordinal_position",
        [db, schema],
    ).fetchall():
        out.setdefault(table, []).append(column)
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compare(before: str, after: str, schema: str = "marts", ignore: tuple[str, ...] = (), show: int = 0) -> list[TableDiff]:
    """One TableDiff per table of ``schema`` in either file; ``ignore`` holds extra
    ``table.column`` (or ``column``) names left out of the comparison."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {duckdb_str(before)} as b (read_only)")
        con.execute(f"attach {duckdb_str(after)} as a (read_only)")
        cols_b, cols_a = _columns(con, "b", schema), _columns(con, "a", schema)
        diffs = []
        for table in sorted(set(cols_b) | set(cols_a)):
            rows = tuple(
                con.execute(f"select count(*) from {db}.{schema}.{_q(table)}").fetchone()[0] if table in cols else None
                for db, cols in (("b", cols_b), ("a", cols_a))
            )
            if table not in cols_b or table not in cols_a:
                diffs.append(TableDiff(table, rows, same=False))
                continue
            skip = {c.split(".", 1)[-1] for c in ignore if "." not in c or c.split(".", 1)[0] == table}
            common = [c for c in cols_b[table] if c in cols_a[table] and not VOLATILE.match(c) and c not in skip]
            d = TableDiff(
                table, rows, same=False,
                columns_added=[c for c in cols_a[table] if c not in cols_b[table]],
                columns_removed=[c for c in cols_b[table] if c not in cols_a[table]],
            )
            select = ", ".join(_q(c) for c in common)
            hashes = [
                con.execute(f"select coalesce(sum(hash({select})::hugeint), 0) from {db}.{schema}.{_q(table)}").fetchone()[0]
                for db in ("b", "a")
            ]
            d.same = hashes[0] == hashes[1] and rows[0] == rows[1] and not d.columns_added and not d.columns_removed
            if hashes[0] != hashes[1] or rows[0] != rows[1]:
                for attr, x, y, i in (("only_before", "b", "a", 0), ("only_after", "a", "b", 1)):
                    sql = f"select {select} from {x}.{schema}.{_q(table)} except all select {select} from {y}.{schema}.{_q(table)}"
                    setattr(d, attr, con.execute(f"select count(*) from ({sql})").fetchone()[0])
                    if show:
                        d.samples[i].extend(con.execute(f"select * from ({sql}) order by all limit {int(show)}").fetchall())
            diffs.append(d)
        return diffs
    finally:
        con.close()


def duckdb_str(path: str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--schema", default="marts")
    p.add_argument("--ignore", action="append", default=[], help="table.column (or column) to leave out; repeatable")
    p.add_argument("--show", type=int, default=0, help="print up to N differing rows per side")
    args = p.parse_args(argv)
    diffs = compare(args.before, args.after, args.schema, tuple(args.ignore), args.show)
    print(f"{'table':34} {'before':>10} {'after':>10}")
    for d in diffs:
        print(d.line())
        for label, sample in zip(("-", "+"), d.samples):
            for row in sample:
                print(f"    {label} {row}")
    return 0 if all(d.same for d in diffs) else 1


if __name__ == "__main__":
    sys.exit(main())

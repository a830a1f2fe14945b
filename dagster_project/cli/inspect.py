"""`urban status`, `urban query`, `urban export`: read the published warehouse, never write it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import click
import duckdb
from rich.table import Table

from dagster_project.common import config
from dagster_project.cli.common import age, console, last_run, published_summary

TABLE_ROWS = 50  # rows `query` shows as a table unless --limit says otherwise


@click.command()
@click.option("--max-age-hours", type=float, help="Exit 1 when the published warehouse is older than this.")
def status(max_age_hours: float | None) -> None:
    """The published warehouse (run id, when, how fresh, rows loaded and quarantined) and the last
    `urban run` (published or not and why, checks passed / warned / failed, what it built and what it
    kept from the published build - e.g. GX outcomes reused because their tables were unchanged -, log file).
    Exit code 1 when nothing is published (or it is older than --max-age-hours)."""
    out = console()
    path = config.warehouse_path()
    try:
        pub = published_summary(path)
    except duckdb.Error as e:
        raise click.ClickException(f"{path} cannot be read: {str(e).splitlines()[0]}") from e
    if pub is None:
        out.print(f"published warehouse: none at {path}")
    else:
        out.print(f"published warehouse: {path} ({pub['bytes'] / 1e6:.1f} MB)\n"
                  f"  run        {pub['run_id']}\n"
                  f"  published  {pub['published_at']:%Y-%m-%d %H:%M:%S} UTC ({age(pub['published_at'])})\n"
                  f"  loaded     {pub['rows_loaded']:,} rows from {pub['files']:,} files, "
                  f"{pub['rows_quarantined']:,} rows quarantined")
    last = last_run()
    if last is None:
        out.print("last run: no `urban run` recorded in " + str(path.parent / "logs"))
    else:
        checks = last["checks"]
        counted = {word: sum(1 for c in checks if test(c)) for word, test in (
            ("passed", lambda c: c["passed"]),
            ("warned", lambda c: not c["passed"] and c["severity"] == "WARN"),
            ("failed", lambda c: not c["passed"] and c["severity"] != "WARN"),
        )}
        out.print(f"last run: {last['run_id']} started {last['started_at']} ({last['seconds']} s), "
                  f"exit code {last['exit_code']}\n  {last['message']}\n"
                  f"  checks     {counted['passed']} passed, {counted['warned']} warned, {counted['failed']} failed", markup=False)
        for c in (c for c in checks if not c["passed"]):
            out.print(f"    {'warned' if c['severity'] == 'WARN' else 'FAILED'}: {c['kind']} {c['check']} on {c['asset']}")
        if last.get("work"):  # what the run did and what it kept from the published build (incremental)
            out.print(f"  work       {last['work']}", markup=False)
        out.print(f"  log        {last['log']}")
    if pub is None:
        raise SystemExit(1)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if max_age_hours is not None and pub["published_at"] < now - dt.timedelta(hours=max_age_hours):
        out.print(f"stale: published more than {max_age_hours} h ago")
        raise SystemExit(1)


@click.command()
@click.argument("sql")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", type=int, help=f"At most this many rows (a table shows {TABLE_ROWS} unless told).")
def query(sql: str, fmt: str, limit: int | None) -> None:
    """Run SQL against the published warehouse, opened read-only (writes are refused).
    Tables are schema-qualified: marts.mart_target_progress, marts.fct_plan_target, …
    SQL '-' reads the statement from standard input."""
    from dagster_project.common.warehouse import connect_readonly

    path = config.warehouse_path()
    if not path.exists():
        raise click.ClickException(f"no published warehouse at {path}: run `urban run` first")
    sql = sys.stdin.read() if sql == "-" else sql
    with connect_readonly(path) as con:
        try:
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description or []]
            shown = limit if limit is not None else TABLE_ROWS if fmt == "table" else None
            rows = cur.fetchmany(shown + 1) if shown is not None else cur.fetchall()
        except duckdb.Error as e:
            raise click.ClickException(str(e)) from e
    more = shown is not None and len(rows) > shown
    rows = rows[:shown] if more else rows
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False, indent=1, default=str))
    else:
        table = Table(*columns)
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        out = console()
        out.print(table)
        out.print(f"{len(rows)} rows" + (f" shown; more exist (--limit N or --format csv for all)" if more else ""))


@click.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "formats", type=click.Choice(["parquet", "csv", "xlsx"]), multiple=True,
              help="Repeatable; default: all three.")
@click.option("--table", "tables", multiple=True, help="A mart name (repeatable); default: every mart.")
def export(dest: Path, formats: tuple[str, ...], tables: tuple[str, ...]) -> None:
    """Export marts of the published warehouse (read-only) into DEST: <table>.parquet / .csv,
    marts.xlsx (tables small enough for a sheet), data_dictionary.csv / .md and the freshness stamp
    published.csv / .parquet. The nightly run publishes the same files in <warehouse dir>/exports/."""
    from dagster_project.publish.exports import write_exports
    from dagster_project.publish.atomic import EXPORT_SCHEMA
    from dagster_project.common.warehouse import _open_current

    path = config.warehouse_path()
    if not path.exists():
        raise click.ClickException(f"no published warehouse at {path}: run `urban run` first")
    with _open_current(path) as con:
        marts = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? order by 1", [EXPORT_SCHEMA]).fetchall()]
        unknown = sorted(set(tables) - set(marts))
        if unknown:
            raise click.ClickException(f"no such mart: {', '.join(unknown)} (marts: {', '.join(marts)})")
        counts = {t: con.execute(f'select count(*) from {EXPORT_SCHEMA}."{t}"').fetchone()[0] for t in tables or marts}
        dest.mkdir(parents=True, exist_ok=True)
        write_exports(con, dest, EXPORT_SCHEMA, counts, formats or ("parquet", "csv", "xlsx"))
    table = Table("file", "bytes", title=str(dest), title_justify="left")
    for f in sorted(dest.iterdir()):
        table.add_row(f.name, f"{f.stat().st_size:,}")
    console().print(table)

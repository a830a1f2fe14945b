"""`urban datacall`: the yearly data call (数据填报).

    urban datacall 濮阳 --year 2025 [--by-unit] [--out FILE]   write the template(s) of a plan (from the published warehouse)
    urban datacall import return.xlsx [--to DIR]             check a filled return and put it where the nightly reads it
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from dagster_project.common import config
from dagster_project.cli.common import console
from dagster_project.sources.datacalls.layout import RETURN_TO


class _DefaultIssue(click.Group):
    """`urban datacall <plan>` issues a template; `urban datacall import FILE` imports a return."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["issue", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultIssue, context_settings={"help_option_names": ["-h", "--help"]})
def datacall() -> None:
    """The yearly data call: `urban datacall <plan id | region code | city>` writes the XLSX template of the
    targets still lacking an actual; `urban datacall import FILE` checks a filled return and files it for
    the next `urban run`."""


@datacall.command("issue")
@click.argument("which")
@click.option("--year", type=int, help="The year to report (default: last year).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the template here (one plan only).")
@click.option("--by-unit", is_flag=True, help="One sheet per responsible unit when the plan names them.")
@click.option("--deadline", help="报送截止日期 printed in the instructions (default: 31 January of the next year).")
@click.option("--return-to", default=RETURN_TO, show_default=True, help="Where returns are sent (printed).")
def issue(which: str, year: int | None, out: Path | None, by_unit: bool, deadline: str | None, return_to: str) -> None:
    """Write the template of each plan WHICH names into <warehouse dir>/datacalls/issued/ (the nightly lands
    it as the requests it made) and to --out."""
    import datetime as dt

    from dagster_project.sources.datacalls.assets import issued_dir
    from dagster_project.sources.datacalls.plan_rows import plan_requests, resolve_plans
    from dagster_project.sources.datacalls.template import template_name, write_template
    from dagster_project.common.warehouse import _open_current

    path = config.warehouse_path()
    if not path.exists():
        raise click.ClickException(f"no published warehouse at {path}: run `urban run` first")
    year = year or dt.date.today().year - 1
    with _open_current(path) as con:
        plan_ids = resolve_plans(con, which)
        if not plan_ids:
            raise click.ClickException(f"no plan matches {which!r} (a plan id, a region code or a city name)")
        if out and len(plan_ids) > 1:
            raise click.ClickException(f"{which!r} matches {len(plan_ids)} plans; --out needs one: {plan_ids}")
        plans = [plan_requests(con, p, year) for p in plan_ids]
    o = console()
    for plan in plans:
        if by_unit and not plan.responsible_units:
            o.print(f"{plan.plan_id}: the plan names no responsible unit for its targets: one sheet")
        issued = write_template(plan, year, issued_dir(path) / template_name(plan, year), by_unit=by_unit,
                                deadline=deadline, return_to=return_to)
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(issued, out)
        o.print(f"{plan.plan_id}: {len(plan.rows)} rows to fill for {year} → {out or issued}"
                + (f" (issued copy: {issued})" if out else ""))


@datacall.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to file it in (default: datacalls/ of the first writable directory of URBAN_SOURCE_DIRS).")
def import_return(file: Path, to: Path | None) -> None:
    """Check FILE is a template of this warehouse, copy it into the directory the nightly reads returns
    from, and say what the next nightly will do with each filled row (the nightly's own reader)."""
    from dagster_project.sources.common.provenance import SourceError
    from dagster_project.sources.datacalls.assets import RETURNS_SUBDIR
    from dagster_project.sources.datacalls.returns import parse_return

    try:
        result = parse_return(file)
    except SourceError as e:
        raise click.ClickException(f"{file} is not accepted: {e}") from e
    dest_dir = to or _returns_dir(RETURNS_SUBDIR)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / file.name
    if dest.resolve() != file.resolve():
        shutil.copyfile(file, dest)
    o = console()
    o.print(f"{file.name}: {result.summary}; filed as {dest}")
    kept, quarantine = _with_other_returns(dest_dir, dest, result)
    o.print(f"  {kept} value(s) will be loaded as department_report observations "
            "(then held to the plausibility rules and checked against the plan's current targets)")
    for q in quarantine:
        o.print(f"  quarantined {q.location}: {q.reason}")
    if not result.rows.height and not result.quarantine:
        o.print("  no 填报值 is filled in")


def _returns_dir(subdir: str) -> Path:
    """``<dir>/<subdir>`` of the first configured source directory (URBAN_SOURCE_DIRS) that can be written:
    never the repository's own raw/ (its committed sources), never a read-only data directory."""
    import os

    for d in config.source_dirs():
        # write bits too: a directory laid read-only (r-x) stays untouched even for root, whom os.access lets write
        if d.resolve() != config.RAW_DIR.resolve() and os.access(d, os.W_OK) and d.stat().st_mode & 0o222:
            return d / subdir
    raise click.ClickException(
        f"no writable source directory to file the return in ({config.SOURCE_DIRS_ENV}: "
        f"{[str(d) for d in config.source_dirs()[1:]] or 'none'}): point {config.SOURCE_DIRS_ENV} at the office's "
        "data directory, or pass --to DIR (a datacalls/ folder of a source directory)")


def _with_other_returns(dest_dir: Path, dest: Path, result) -> tuple[int, list]:
    """This return's values kept and its quarantine rows once the returns already filed in ``dest_dir`` are
    taken into account (a later return of the same unit supersedes; a different value for the same request
    conflicts): the nightly's own rules (resolve.py)."""
    from dagster_project.sources.common.provenance import SourceError
    from dagster_project.sources.datacalls.resolve import resolve_returns
    from dagster_project.sources.datacalls.returns import parse_return

    others = []
    for p in sorted(dest_dir.glob("*.xlsx")):
        if p.resolve() != dest.resolve() and not p.name.startswith(("~$", ".")):
            try:
                others.append(parse_return(p))
            except SourceError:
                continue  # that file is quarantined as a whole by the nightly
    result.file = dest.name
    rows, more, counts = resolve_returns([result, *others])
    mine = [q for q in result.quarantine + more if q.source_file == dest.name]
    return counts[dest.name][0], mine

"""What the commands share: the console, the logs directory, reading the published file."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from rich.console import Console

from dagster_project.common import config

LAST_RUN = "last_run.json"


def console() -> Console:
    """Colour and live progress only on a terminal; plain 120-column text otherwise (logs, CI).
    Bound to the standard output of now, so that redirecting sys.stdout later (`urban run` sends
    what libraries print to its log file) does not redirect the console."""
    c = Console(file=sys.stdout, highlight=False, soft_wrap=True)  # lines with paths stay whole (grep-able)
    return c if c.is_terminal else Console(file=sys.stdout, highlight=False, soft_wrap=True, width=120)


def logs_dir() -> Path:
    return config.layout().logs


def last_run() -> dict | None:
    path = logs_dir() / LAST_RUN
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def age(ts: dt.datetime) -> str:
    """'3 h 12 min ago' for a naive UTC timestamp."""
    minutes = int((dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - ts).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min ago"
    return f"{minutes // (24 * 60)} days ago"


def published_summary(path: Path | None = None) -> dict | None:
    """run id, published_at and mart row counts of the published file (read-only), None when absent."""
    from dagster_project.common.warehouse import _open_current

    path = path or config.warehouse_path()
    if not path.exists():
        return None
    with _open_current(path) as con:
        run_id, published_at = con.execute("select run_id, published_at from meta.published").fetchone()
        loads = con.execute(
            "select count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) from marts.mart_load_summary"
        ).fetchone()
    return {"run_id": run_id, "published_at": published_at, "files": loads[0], "rows_loaded": loads[1],
            "rows_quarantined": loads[2], "bytes": path.stat().st_size}

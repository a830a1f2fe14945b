"""The documentation next to the published warehouse, readable offline (no CDN, no server):

* ``<warehouse dir>/docs/index.html``: one page linking everything below, with the freshness stamp
  and the list of marts;
* ``<warehouse dir>/docs/dbt/index.html``: dbt docs of the published warehouse
  (``dbt docs generate --static``: one self-contained file, catalog read through the read-only
  ``published`` target);
* ``<warehouse dir>/data_docs/index.html``: Great Expectations Data Docs (every suite's latest
  validation), whose CDN stylesheets and scripts :func:`make_offline` replaces with the copies in
  ``dagster_project/quality/static/vendor/`` (listed in its ``vendor.csv``);
* ``<warehouse dir>/site/index.html``: the dashboard (asset ``dashboard``);
* ``<warehouse dir>/exports/data_dictionary.md`` / ``.csv``: the data dictionary of the exports.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import subprocess
import tempfile
from pathlib import Path

from dagster_project.common import config
from dagster_project.common.config import WarehouseLayout
from dagster_project.quality.data_docs import make_offline

def dbt_docs_fingerprint(published: Path) -> str:
    """What dbt's static docs page depends on: the dbt project (files and dbt's version), this module
    (it patches the page), and the published file's tables and columns with their types and comments
    (dbt-duckdb's catalog has no row counts or other statistics, so new data alone changes nothing)."""
    from dagster_project.transform.project import dbt_project_digest

    h = hashlib.sha256(dbt_project_digest().encode())
    h.update(Path(__file__).read_bytes())
    from dagster_project.common.warehouse import connect_readonly

    with connect_readonly(published) as con:
        h.update(repr(con.execute(
            "select t.schema_name, t.table_name, t.comment, c.column_name, c.data_type, c.comment "
            "from duckdb_tables() t join duckdb_columns() c using (database_name, schema_name, table_name) "
            "where t.database_name = current_database() order by all"
        ).fetchall()).encode())
    return h.hexdigest()


def build_dbt_docs(layout: WarehouseLayout) -> Path:
    """dbt docs of the published warehouse into docs/dbt/index.html (replaced atomically). Skipped
    when the page there was built from the same inputs (:func:`dbt_docs_fingerprint`)."""
    from dagster_project.transform.project import DBT_EXECUTABLE
    from dagster_project.common.resource import dbt_vars

    published = layout.published
    if not published.exists():
        raise FileNotFoundError(f"no published warehouse at {published}: run `urban run` first")
    out = layout.docs / "dbt" / "index.html"
    stamp = out.with_name("fingerprint.txt")
    fingerprint = dbt_docs_fingerprint(published)
    if out.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == fingerprint:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [DBT_EXECUTABLE, "docs", "generate", "--static", "--target", "published", "--target-path", tmp,
               "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR), *dbt_vars(published)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"dbt docs generate failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
        staged = out.with_name("index.html.new")
        page = (Path(tmp) / "static_index.html").read_text(encoding="utf-8")
        # two slips of dbt's page that make the browser request what does not exist: "{{ getIcon(…) }}"
        # in an SVG <use xlink:href> before AngularJS fills it in (ng-attr- sets it once interpolated),
        # and an unbuilt "${require(…favicon.ico)}" icon link (an empty inline icon instead)
        page = page.replace('xlink:href="{{', 'ng-attr-xlink:href="{{')
        page = page.replace("href=\"${require('./assets/favicons/favicon.ico')}\"", 'href="data:,"')
        staged.write_text(page, encoding="utf-8")
        stamp.unlink(missing_ok=True)  # no moment where a stamp vouches for a page it did not describe
        os.replace(staged, out)
        stamp.write_text(fingerprint, encoding="utf-8")
    return out


def _link(href: str, label: str, what: str, base: Path) -> str:
    exists = (base / href).exists()
    note = "" if exists else ' <em class="missing">(not built yet)</em>'
    return f'<li><a href="{html.escape(href)}">{html.escape(label)}</a>{note}: {html.escape(what)}</li>'


def build_index(layout: WarehouseLayout) -> Path:
    """docs/index.html: links to dashboard, dbt docs, Data Docs, exports and data dictionary, the
    freshness stamp and every exported mart with its rows and description."""
    out_dir = layout.docs
    out_dir.mkdir(parents=True, exist_ok=True)
    exports = layout.exports
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8")) if (exports / "manifest.json").exists() else {}
    described = {}
    if (exports / "data_dictionary.csv").exists():
        with open(exports / "data_dictionary.csv", encoding="utf-8", newline="") as fh:
            described = {r["table_name"]: r["table_description"] for r in csv.DictReader(fh)}
    links = "\n".join([
        _link("../site/index.html", "Dashboard", "targets vs actuals per city, reports per city", out_dir),
        _link("dbt/index.html", "dbt docs", "every model (staging → intermediate → marts), columns, lineage", out_dir),
        _link("../data_docs/index.html", "Great Expectations Data Docs", "the latest validation of every quality suite", out_dir),
        _link("../exports/data_dictionary.md", "Data dictionary", "every exported column with type and description (also .csv)", out_dir),
        _link("../exports/marts.xlsx", "Spreadsheet", "the marts as sheets of one workbook (CSV and Parquet next to it)", out_dir),
    ])
    rows = "\n".join(
        f"<tr><td><code>marts.{html.escape(t)}</code></td><td class=n>{n:,}</td><td>{html.escape(described.get(t, ''))}</td></tr>"
        for t, n in sorted(manifest.get("rows", {}).items())
    )
    stamp = (f"Published run <code>{html.escape(manifest['run_id'])}</code> at {html.escape(manifest['published_at'])} UTC"
             if manifest else "Nothing published yet.")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Urbanization indicator warehouse: documentation</title>
<style>
body {{ font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; color: #1d2733; }}
h1 {{ font-size: 1.6rem; }} a {{ color: #0b5cad; }} .missing {{ color: #a33; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border-bottom: 1px solid #dde3ea; padding: .35rem .5rem; text-align: left; vertical-align: top; }}
td.n {{ text-align: right; white-space: nowrap; }} code {{ background: #f2f4f7; padding: 0 .2rem; }}
</style></head><body>
<h1>Urbanization indicator warehouse</h1>
<p>{stamp}.</p>
<ul>
{links}
</ul>
<h2>Published marts</h2>
<table><thead><tr><th>table</th><th>rows</th><th>what</th></tr></thead><tbody>
{rows}
</tbody></table>
</body></html>
"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")
    return out_dir / "index.html"


def build_docs(layout: WarehouseLayout) -> dict[str, Path]:
    """dbt docs, offline Data Docs and the index page of ``layout``; returns where each is."""
    dbt_docs = build_dbt_docs(layout)
    if layout.data_docs.exists():
        make_offline(layout.data_docs)
    return {
        "index": build_index(layout),
        "dbt": dbt_docs,
        "data_docs": layout.data_docs / "index.html",
        "dashboard": layout.site / "index.html",
        "data_dictionary": layout.exports / "data_dictionary.md",
    }

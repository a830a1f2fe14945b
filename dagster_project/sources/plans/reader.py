"""One entry point per plan table of ``raw``, whatever the plan's file format.

``PLAN_PATTERNS``: the plan files the loaders take from ``<source dir>/plans/``: converted text
(``*.md``), saved web pages (``*.html``, ``*.htm``), Word files (``*.docx``) and PDF files with a text
layer (``*.pdf``: the page lines of ``sources/common/documents.py``, re-joined into paragraphs; a PDF
has no table structure, so its indicator table is not read and the cells loader quarantines it with
"no indicator table found", while its prose targets land).

* ``*.md``: the text readers as they are (``ingest.plan_tables``, ``ingest.prose_targets``).
* anything else: the file becomes a :class:`document.PlanDocument` (:mod:`.html_plan`,
  :mod:`.docx_tables`); its text (one line per paragraph, table rows as pipe rows) gives the plan's
  identity and its prose targets and stated values, with the document's own line numbers and
  locations; its tables go through :mod:`.table_grid` (the same cell logic as the markdown tables).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dagster_project.sources.common.provenance import SourceError
from dagster_project.common.files import file_sha256
from dagster_project.sources.plans.identity import plan_identity
from dagster_project.sources.plans.tables import CELL_COLUMNS, SOURCE_KIND, PlanTablesResult, parse_plan_tables
from dagster_project.sources.plans.prose_targets import ProseTargetsResult, extract_prose_targets, extract_stated_values
from dagster_project.sources.plans.document import PlanDocument, document_tables, document_text

PLAN_PATTERNS = ("*.md", "*.html", "*.htm", "*.docx", "*.pdf")


def read_plan_document(path: Path) -> PlanDocument | None:
    """The document of a plan that is not a text file; None for a text (markdown) plan."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        from dagster_project.sources.plans.html_plan import read_html_plan

        return read_html_plan(path)
    if suffix == ".docx":
        from dagster_project.sources.plans.docx_tables import docx_document

        return docx_document(path)
    if suffix == ".pdf":
        from dagster_project.sources.common.documents import read_document
        from dagster_project.sources.plans.document import document_from_text_blocks

        return document_from_text_blocks([(text, location) for location, text in read_document(path, "plan").blocks])
    return None


def parse_plan_file_tables(path: str | Path) -> PlanTablesResult:
    """Every indicator table of one plan file of any format (raw.plan_indicator_cells)."""
    path = Path(path)
    doc = read_plan_document(path)
    if doc is None:
        return parse_plan_tables(path)
    text = document_text(doc)
    plan = plan_identity(text.lines, path.name)
    sha = file_sha256(path)
    rows, quarantine, tables = document_tables(doc, text, plan, path.name, sha, SOURCE_KIND)
    if not tables:
        raise SourceError(path.name, None, "no indicator table found (a table whose header has 指标 and at least two year columns)")
    return PlanTablesResult(plan.plan_id, plan.city_code, path.name, sha, pl.DataFrame(rows, schema=CELL_COLUMNS),
                            quarantine, tables)


def extract_plan_file_targets(path: str | Path) -> ProseTargetsResult:
    """The prose and action-table targets of one plan file of any format (raw.plan_prose_targets)."""
    path = Path(path)
    doc = read_plan_document(path)
    return extract_prose_targets(path, None if doc is None else document_text(doc))


def extract_plan_file_stated_values(path: str | Path) -> ProseTargetsResult:
    """What one plan file of any format states about past years (raw.plan_stated_values)."""
    path = Path(path)
    doc = read_plan_document(path)
    return extract_stated_values(path, None if doc is None else document_text(doc))

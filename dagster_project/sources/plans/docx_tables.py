"""A plan as a Word file (.docx) → :class:`document.PlanDocument`, read with python-docx.

* Tables: python-docx gives each row's cells with merged cells *repeated* (a horizontally merged
  cell — gridSpan — and a vertically merged one — vMerge — return the same cell in every grid
  position they cover), which is exactly the expanded grid the shared table logic takes
  (:mod:`.table_grid`): "类别" merged over three rows repeats its text in each, "目标值" merged over
  two columns repeats over both. A nested table's text stays inside its cell.
* Paragraphs: every body paragraph in document order, between the tables, is a block located
  ``paragraph N`` (1-based among the body's paragraphs); Word heading styles ("Heading 1", "标题 1")
  and the document title style are headings. A DOCX has no lines: the reported ``line_number`` of
  a block or row is its position in :func:`document.document_text`.
  (The PDF/DOCX text reader ``sources/common/documents.py`` gives blocks with ``page N line M``; its
  blocks can replace these paragraphs — the tables stay this module's.)
* A file that is not a readable DOCX (not a zip, a zip bomb, no word/document.xml) is a SourceError naming it.
"""

from __future__ import annotations

import io

import re
from pathlib import Path

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.plans.document import Block, PlanDocument, Table

DOCX_KIND = "plan"  # size budget: max_file_bytes_plan (raw/reference/ingest_limits.csv)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def table_rows(table) -> list[list[str]]:
    """The rows of a python-docx table as an expanded grid of strings (merged cells repeated)."""
    rows = [[_clean(cell.text) for cell in row.cells] for row in table.rows]
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _is_heading(paragraph) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.lower().startswith(("heading", "title")) or name.startswith(("标题",))


def docx_document(path: str | Path) -> PlanDocument:
    """Paragraphs and tables of a DOCX plan in document order (see module doc)."""
    import docx
    from docx.table import Table as DocxTable

    from dagster_project.sources.common.source_files import check_zip_archive, read_source_bytes

    path = Path(path)
    data = read_source_bytes(path, DOCX_KIND)
    check_zip_archive(data, path.name, "docx", "max_docx_uncompressed_bytes")  # damaged archive, zip bomb
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises PackageNotFoundError, KeyError, BadZipFile …
        raise SourceError(path.name, None, f"not a readable DOCX file: {type(exc).__name__}: {exc}") from exc
    doc = PlanDocument()
    n_par = n_tab = 0
    for item in document.iter_inner_content():
        if isinstance(item, DocxTable):
            n_tab += 1
            rows = table_rows(item)
            doc.items.append(Table(n_tab, rows, [None] * len(rows), None))
            continue
        n_par += 1
        if _clean(item.text):
            doc.items.append(Block(_clean(item.text), None, f"paragraph {n_par}", _is_heading(item)))
    return doc

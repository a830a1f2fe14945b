"""A plan that is not a text file — a saved web page, a Word or PDF file — as one format-neutral
document: an ordered list of text blocks and tables, each with its provenance.

* :class:`Block`: a paragraph (or heading) of text with its source line where the format has lines
  (HTML) and a location ("line 12", "paragraph 40", "page 3 line 7" from ``documents.py``).
* :class:`Table`: a table's rows with merged cells already expanded (a rowspan/colspan cell, or a
  DOCX merged cell, repeats its text in every grid position it covers), each row with its source line.

From it, :func:`document_text` makes the text the shared readers take: one line per block (a
heading as ``# …``), every table row as a pipe row (so an action table "行动 | 主要内容 | …" is read
like the markdown ones, and other tables are skipped by the prose reader), and per line its source
line number and location. :func:`document_tables` finds the indicator tables among the tables (a
multi-row header is joined: :func:`table_grid.header_from_rows`) and hands them to
:func:`table_grid.grid_cells`; a cell's ``source_location`` is ``table T row R col C`` (1-based, rows
counted from the table's first row, header rows included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dagster_project.sources.common.provenance import QuarantineRow, SourceError
from dagster_project.sources.plans.tables import NOTE_RE, _find_caption
from dagster_project.sources.plans.table_grid import Grid, GridRow, grid_cells, header_from_rows

_ZHUANLAN_RE = re.compile(r"专栏\s*(\d+)\s*[：:]?\s*(.*)")


@dataclass
class Block:
    text: str
    line_number: int | None
    location: str
    heading: bool = False


@dataclass
class Table:
    number: int  # 1-based, in document order
    rows: list[list[str]]  # expanded: every row has every column
    row_lines: list[int | None]  # source line of each row (None: the format has no lines)
    line_number: int | None
    caption: str | None = None  # printed in the table itself (<caption>)


@dataclass
class PlanDocument:
    items: list[Block | Table] = field(default_factory=list)
    whole_paragraphs: bool = True  # False: blocks are layout lines (PDF) that the prose reader re-joins


def document_from_text_blocks(blocks: list[tuple[str, str]], tables: list[Table] | None = None) -> PlanDocument:
    """A document from text blocks with their locations, e.g. the ``(text, "page 3 line 7")`` blocks of
    ``sources/common/documents.py`` for a PDF: lines of a page layout, which the prose reader re-joins
    into paragraphs (a line that does not end a sentence continues on the next one). ``tables`` (e.g.
    the DOCX tables of :mod:`.docx_tables`) follow the text."""
    items: list[Block | Table] = [Block(text, None, location) for text, location in blocks]
    return PlanDocument(items + list(tables or []), whole_paragraphs=False)


@dataclass
class PlanText:
    """The document as text lines for the line-based readers, with each line's provenance."""

    lines: list[str]
    line_numbers: list[int]  # reported line_number of each line
    locations: list[str]  # reported location of each line
    table_at: dict[int, int]  # table number -> index of its first line
    whole_paragraphs: bool = True  # each line is a whole paragraph (PDF lines would need re-joining)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("|", "｜")).strip()


def document_text(doc: PlanDocument) -> PlanText:
    lines: list[str] = []
    numbers: list[int] = []
    locations: list[str] = []
    table_at: dict[int, int] = {}
    for item in doc.items:
        if isinstance(item, Block):
            text = _one_line(item.text)
            if not text:
                continue
            lines.append(("# " if item.heading else "") + text)
            numbers.append(item.line_number if item.line_number is not None else len(lines))
            locations.append(item.location)
            continue
        table_at[item.number] = len(lines)
        if item.caption:
            lines.append(_one_line(item.caption))
            numbers.append(item.line_number if item.line_number is not None else len(lines))
            locations.append(f"table {item.number} caption")
        for r, (row, line) in enumerate(zip(item.rows, item.row_lines), start=1):
            lines.append("| " + " | ".join(_one_line(c) for c in row) + " |")
            numbers.append(line if line is not None else len(lines))
            locations.append(f"table {item.number} row {r}")
    return PlanText(lines, numbers, locations, table_at, doc.whole_paragraphs)


def document_tables(doc: PlanDocument, text: PlanText, plan, source_file: str, sha: str,
                    source_kind: str) -> tuple[list[dict], list[QuarantineRow], list[dict]]:
    """Cell rows, quarantine rows and table summaries of every indicator table of the document."""
    rows: list[dict] = []
    quarantine: list[QuarantineRow] = []
    tables: list[dict] = []
    used: set[str] = set()
    items = doc.items
    for pos, item in enumerate(items):
        if not isinstance(item, Table):
            continue
        found = header_from_rows(item.rows)
        if found is None:
            continue
        header, n_header = found
        where = f"table {item.number}"
        table_ref = caption = None
        if item.caption and (m := _ZHUANLAN_RE.search(item.caption)):
            table_ref, caption = f"专栏{int(m.group(1))}", m.group(2).strip() or None
        elif item.caption:
            caption = item.caption.strip()
        if table_ref is None:
            ref, cap = _find_caption(text.lines, text.table_at[item.number], used)
            table_ref, caption = ref, caption or cap
        table_ref = table_ref or f"table {item.number}"
        used.add(table_ref)
        note = None
        following = next((x for x in items[pos + 1:] if not (isinstance(x, Block) and not x.text.strip())), None)
        if isinstance(following, Block) and NOTE_RE.match(following.text):
            note = _one_line(following.text)
        body = [
            GridRow(row, line, f"{where} row {r}", " | ".join(row))
            for r, (row, line) in enumerate(zip(item.rows, item.row_lines), start=1)
            if r > n_header
        ]
        if not body:
            raise SourceError(source_file, where, f"indicator table {table_ref} has a header but no rows")
        grid = Grid(header, body, table_ref, caption, note, item.row_lines[0] if item.row_lines else None)
        got, q, summary = grid_cells(grid, plan, source_file, sha, source_kind)
        summary["location"] = where
        rows.extend(got)
        quarantine.extend(q)
        tables.append(summary)
    return rows, quarantine, tables

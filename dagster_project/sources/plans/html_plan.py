"""A plan saved as a web page (.html/.htm) → :class:`document.PlanDocument`.

* Bytes are decoded with the charset the page declares (``sources.common.html_text.decode_html``: BOM, then
  ``<meta charset>``, GB2312/GBK read as GB18030, else UTF-8); invalid bytes are a SourceError.
* The page is parsed by lxml's HTML parser (unclosed ``<p>``/``<td>`` as browsers close them); scripts,
  styles and comments are dropped. The ``<title>`` is the first block (it names the city and the plan
  on government pages), then the body in document order.
* A block element (p, div, li, h1–h6, …) without block children is one block; ``<br>`` splits it.
  Text directly inside a block that also has block children is a block of its own. h1–h6 are headings.
* A ``<table>`` that holds another table is layout: its cells are read as ordinary content. A table
  without nested tables is a data table: its rows (th and td) are expanded into a full grid — a cell
  with ``rowspan``/``colspan`` fills every position it covers (spans are capped at 1,000 rows and 100
  columns) — and its ``<caption>`` kept. Each block and row carries its source line (lxml's
  ``sourceline``); a table is numbered in document order (``table 3 row 5 col 2``).
"""

from __future__ import annotations

import re
from pathlib import Path

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.plans.document import Block, PlanDocument, Table

HTML_KIND = "plan"  # size budget: max_file_bytes_plan (raw/reference/ingest_limits.csv)
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote",
               "header", "footer", "center", "dd", "dt", "dl", "pre", "table", "tr", "td", "th", "tbody", "thead",
               "tfoot", "form", "main", "nav", "aside", "figure", "figcaption", "address", "body", "caption"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "select", "option", "iframe", "svg"}
_MAX_ROWSPAN, _MAX_COLSPAN = 1000, 100
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")


def _span(value: str | None, cap: int) -> int:
    try:
        n = int((value or "1").strip())
    except ValueError:
        return 1
    return min(max(n, 1), cap)


def _text(el) -> str:
    """Text of an inline element: <br> as a line break, whitespace runs as one space."""
    parts: list[str] = []

    def walk(e):
        if not isinstance(e.tag, str) or e.tag in _SKIP_TAGS:
            if e.tail:
                parts.append(e.tail)
            return
        if e.tag == "br":
            parts.append("\n")
        if e.text:
            parts.append(e.text)
        for c in e:
            walk(c)
        if e.tail and e is not el:
            parts.append(e.tail)

    walk(el)
    lines = [re.sub(r"[ \t\r\f\v\u00a0\u3000]+", " ", x).strip() for x in "".join(parts).split("\n")]
    return "\n".join(x for x in lines if x)


def _cell_text(el) -> str:
    return re.sub(r"\s+", " ", _text(el).replace("\n", "")).strip()


def _expand(table, number: int) -> Table:
    """The rows of a data table as a full grid (rowspan/colspan expanded)."""
    grid: dict[tuple[int, int], str] = {}
    lines: list[int | None] = []
    trs = [tr for tr in table.iter("tr")]
    for r, tr in enumerate(trs):
        lines.append(tr.sourceline)
        c = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                continue
            while (r, c) in grid:
                c += 1
            text = _cell_text(cell)
            rs, cs = _span(cell.get("rowspan"), _MAX_ROWSPAN), _span(cell.get("colspan"), _MAX_COLSPAN)
            for dr in range(rs):
                for dc in range(cs):
                    if r + dr < len(trs):
                        grid.setdefault((r + dr, c + dc), text)
            c += cs
    width = max((c for _, c in grid), default=-1) + 1
    rows = [[grid.get((r, c), "") for c in range(width)] for r in range(len(trs))]
    caption_el = next(iter(table.iter("caption")), None)
    caption = _cell_text(caption_el) if caption_el is not None else None
    return Table(number, rows, lines, table.sourceline, caption or None)


def _has_block_child(el) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCK_TAGS for d in el.iterdescendants())


def html_document(html: str) -> PlanDocument:
    """The blocks and tables of an HTML page (see module doc)."""
    import lxml.html

    html = _XML_DECL_RE.sub("", html, count=1)
    try:
        root = lxml.html.document_fromstring(html)
    except Exception as exc:  # lxml raises ParserError on an empty document
        raise SourceError("", None, f"not an HTML document: {exc}") from exc
    doc = PlanDocument()
    title = root.find(".//title")
    if title is not None and _cell_text(title):
        doc.items.append(Block(_cell_text(title), title.sourceline, f"line {title.sourceline}", heading=False))
    tables = 0

    def add_text(text: str, line: int | None, heading: bool) -> None:
        for part in text.split("\n"):
            if part.strip():
                doc.items.append(Block(part.strip(), line, f"line {line}", heading))

    def walk(el) -> None:
        nonlocal tables
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            return
        if el.tag == "table" and next(el.iterdescendants("table"), None) is None:
            tables += 1
            doc.items.append(_expand(el, tables))
            return
        if el.tag in _BLOCK_TAGS and not _has_block_child(el):
            add_text(_text(el), el.sourceline, el.tag in _HEADINGS)
            return
        # mixed content: the inline text between block children is a block of its own
        buf: list[str] = [el.text or ""]
        line = el.sourceline

        def flush() -> None:
            text = re.sub(r"[ \t\r\f\v\u00a0\u3000]+", " ", "".join(buf))
            add_text(text, line, False)
            buf.clear()

        for child in el:
            if isinstance(child.tag, str) and (child.tag in _BLOCK_TAGS or _has_block_child(child)):
                flush()
                walk(child)
                line = child.sourceline
            elif isinstance(child.tag, str) and child.tag not in _SKIP_TAGS:
                buf.append("\n" if child.tag == "br" else _text(child))
            buf.append(child.tail or "")
        flush()

    body = root.find("body")
    walk(body if body is not None else root)
    return doc


def read_html_plan(path: str | Path) -> PlanDocument:
    """Decode and parse one saved web page of a plan."""
    from dagster_project.sources.common.html_text import decode_html
    from dagster_project.sources.common.source_files import read_source_bytes

    path = Path(path)
    html, _charset = decode_html(read_source_bytes(path, HTML_KIND), path.name)
    try:
        return html_document(html)
    except SourceError as exc:
        raise SourceError(path.name, exc.location, exc.reason) from exc

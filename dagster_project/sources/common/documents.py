"""Text of PDF and Word documents as blocks with provenance, for the readers that already read
HTML and markdown (bulletins, plans): ``read_document(path, kind)`` -> :class:`DocumentText`,
whose ``blocks`` are ``(location, text)`` pairs like the HTML reader's ``(line, text)``:
``page 3 line 12`` (a PDF paragraph, where its first line is) or ``paragraph 41`` /
``table 2 row 3`` (a Word file).

Libraries, chosen for being maintained, installable from PyPI as wheels with nothing fetched
at run time, and permissively licensed:

* PDF: **pypdfium2** (Apache-2.0/BSD-3), the Python binding of PDFium, the PDF engine of
  Chromium. The wheel ships the pdfium binary, so no system library is needed; it reads the text
  layer with Unicode mapping and *per-character boxes*, which is what joining broken lines and
  recognising running headers needs (a plain-text dump loses the geometry). pdfplumber/pdfminer
  (pure Python) were the alternative: ~10-50x slower per page, and pypdf's text extraction
  gives no reliable line geometry. Releases follow Chromium's pdfium every few weeks.
* DOCX: **python-docx** (MIT), the standard reader of WordprocessingML; since 1.2 it walks the
  body's paragraphs and tables in document order (``iter_inner_content``).

PDF text is rebuilt from characters: characters are grouped into visual lines (a character
whose vertical middle leaves the line's band, or that moves back to the left, starts a new
line; a raised footnote mark stays on its line), lines are numbered top to bottom per page,
running headers and footers are dropped (see :func:`_margin_lines`), and lines are joined into
paragraphs with geometry measured on the document itself (its median line height, the typical
left and right edges of its text): a line continues on the next when it is full - it reaches the
right edge, or the next line's first number or word would not have fitted after it - and the next
line is not indented and follows closely (also across a page break). A line ending without
。；：！？ in mid-paragraph is joined that way; so is one ending with them, as the paragraph
goes on, unless a numbered heading (一、 （二） 3、 第四章) follows. A short line (a heading, a
caption, a paragraph's last line), an indented line (a paragraph's first) and a table row (a
gap wider than 2.5 line heights between two characters) always end a block. Nothing about any
one file is assumed. A PDF without any text (a scan) is refused: OCR is not available; an encrypted or
damaged file is refused with PDFium's reason. Sizes are held to ``max_file_bytes_<kind>`` and
a Word file's unzipped size to ``max_docx_uncompressed_bytes`` (raw/reference/ingest_limits.csv).
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.sources.common.provenance import SourceError
from dagster_project.sources.common.source_files import check_zip_archive, read_source_bytes

FORMATS = {".pdf": "pdf", ".docx": "docx"}
NO_TEXT_LAYER = "no text layer (scanned PDF?); OCR is not available"

# a line ending a sentence (also when a closing quote or bracket follows)
_SENTENCE_END = re.compile(r"[。！？；：!?;:][”’」』)）\]]*$")
# page numbers as printed in a header or footer: "- 3 -", "— 3 —", "第 3 页", "第3页 共12页", "3/12", "Page 3"
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－ ]*(?P<a>\d{1,4})[-—–－ ]*|第(?P<b>\d{1,4})页(?:,?共\d{1,4}页)?|(?P<c>\d{1,4})/\d{1,4}|page(?P<d>\d{1,4})(?:of\d{1,4})?)$",
    re.I)
# a numbered heading or list item: 一、 （二） (3) 4、 第五章 第6条
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+、|第[一二三四五六七八九十\d]+[章节条部分])")
_WORD_CHAR = re.compile(r"[0-9A-Za-z.%‰\-/]")
_UNMAPPED = re.compile(r"[\ufffd\ue000-\uf8ff\x00-\x08\x0e-\x1f]")
MARGIN_LINES = 2  # the top and bottom lines of a page that may be a running header / footer
MARGIN_SHARE = 0.15  # ... when they lie in this outer share of the page height
TABLE_GAP = 2.5  # a gap between two characters of a line wider than this many line heights: table columns


@dataclass
class DocumentText:
    """The text of one document: ``blocks`` of (location, text) in reading order, and counts."""

    file: str
    format: str  # 'pdf' | 'docx'
    blocks: list[tuple[str, str]]
    stats: dict = field(default_factory=dict)


def read_document(path: str | Path, kind: str) -> DocumentText:
    """Blocks of a .pdf or .docx file, its bytes held to ``max_file_bytes_<kind>_<format>``
    (``kind`` 'bulletin' -> ``max_file_bytes_bulletin_pdf``)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(path.name, None, f"not a PDF or Word (.docx) file: {path.suffix!r}")
    data = read_source_bytes(path, f"{kind}_{fmt}")
    return pdf_text(data, path.name) if fmt == "pdf" else docx_text(data, path.name)


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------


@dataclass
class _Line:
    page: int
    x0: float
    x1: float
    bottom: float
    top: float
    text: str = ""
    number: int = 0  # 1 = the topmost line of its page
    space: bool = False  # a gap (pdfium's generated space) before the next character
    gap: float = 0.0  # the widest gap between two characters: a wide one separates table columns
    lead: float = 0.0  # width of a leading number or word (it is never broken, so it may not fit above)
    leading: bool = False

    @property
    def height(self) -> float:
        return self.top - self.bottom


def _page_lines(textpage, page_no: int) -> list[_Line]:
    """Visual lines of one page in reading (content stream) order, numbered top to bottom."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    lines: list[_Line] = []
    cur: _Line | None = None
    last_x0 = last_x1 = 0.0
    for i in range(textpage.count_chars()):
        ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
        if pdfium_c.FPDFText_IsGenerated(textpage, i) or ch.isspace():
            if cur is not None and ch not in "\r\n":
                cur.space = True  # pdfium's own line breaks are not used: lines come from geometry
            continue
        try:  # the glyph's own box across, the font's line box up and down
            (x0, _, x1, _), (_, bottom, _, top) = textpage.get_charbox(i), textpage.get_charbox(i, loose=True)
        except pdfium.PdfiumError:
            continue
        middle = (bottom + top) / 2
        if cur is None or not (cur.bottom <= middle <= cur.top) or x0 < last_x0 - (top - bottom) / 2:
            cur = _Line(page_no, x0, x1, bottom, top)
            lines.append(cur)
        else:
            cur.gap = max(cur.gap, x0 - last_x1)
            cur.text += " " if cur.space else ""
        cur.text += ch
        if len(cur.text) == 1 or cur.leading:  # still in the line's first word?
            cur.leading = _WORD_CHAR.match(ch) is not None and not cur.text.endswith(" " + ch)
            cur.lead = x1 - cur.x0 if cur.leading else cur.lead
        cur.space, last_x0, last_x1 = False, x0, x1
        cur.x0, cur.x1 = min(cur.x0, x0), max(cur.x1, x1)
        cur.bottom, cur.top = min(cur.bottom, bottom), max(cur.top, top)
    for n, line in enumerate(sorted(lines, key=lambda ln: -ln.top), start=1):
        line.number = n
    return lines


def _page_number(text: str) -> int | None:
    m = _PAGE_NUMBER.match(re.sub(r"\s+", "", text))
    return int(next(g for g in m.groups() if g)) if m else None


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _margin_lines(pages: list[list[_Line]], heights: list[float]) -> set[int]:
    """ids of the lines that are running headers / footers: among the top and bottom
    ``MARGIN_LINES`` lines of a page lying in the outer ``MARGIN_SHARE`` of its height,
    a page number (a bare number only where it is the page's index plus the offset most pages
    share), or a text (digits aside) found there on at least half of the pages, at least two,
    after its first page."""
    candidates: dict[int, _Line] = {}
    for lines, height in zip(pages, heights):
        by_position = sorted(lines, key=lambda ln: -ln.top)
        for ln in by_position[:MARGIN_LINES] + by_position[-MARGIN_LINES:]:
            if ln.top > height * (1 - MARGIN_SHARE) or ln.bottom < height * MARGIN_SHARE:
                candidates[id(ln)] = ln
    offsets = Counter(n - ln.page for ln in candidates.values() if (n := _page_number(ln.text)) is not None)
    offset = offsets.most_common(1)[0][0] if offsets else None
    pages_with: dict[str, set[int]] = {}
    for ln in candidates.values():
        pages_with.setdefault(_shape(ln.text), set()).add(ln.page)
    # a repeated text is kept where it first occurs: a running header may repeat the document's title
    repeated = {s: min(p) for s, p in pages_with.items() if len(p) >= max(2, len(pages) / 2)}
    dropped = set()
    for key, ln in candidates.items():
        number, bare, shape = _page_number(ln.text), _shape(ln.text) == "#", _shape(ln.text)
        if (number is not None and (not bare or number - ln.page == offset)) or repeated.get(shape, ln.page) < ln.page:
            dropped.add(key)
    return dropped


def _joined(a: str, b: str) -> str:
    """Two pieces of one sentence: CJK text joins directly, Latin words and numbers with a space."""
    latin = a[-1:].isascii() and not a[-1:].isspace() and b[:1].isascii() and b[:1].isalnum()
    return a + (" " if latin else "") + b


def _paragraphs(lines: list[_Line]) -> list[tuple[str, str]]:
    """Blocks of the body lines (reading order, pages in turn) with the location of their first line."""
    if not lines:
        return []
    height = statistics.median(ln.height for ln in lines)
    text_lines = [ln for ln in lines if len(ln.text) >= 8]
    if len(text_lines) >= 4:
        right = statistics.quantiles([ln.x1 for ln in text_lines], n=4)[2]
        left = statistics.quantiles([ln.x0 for ln in text_lines], n=4)[0]
    else:
        right, left = max(ln.x1 for ln in lines), min(ln.x0 for ln in lines)
    blocks: list[tuple[str, str]] = []
    start, text = lines[0], lines[0].text
    for a, b in zip(lines, lines[1:]):
        near = b.page == a.page + 1 or (b.page == a.page and 0 < a.bottom - b.bottom <= 2.5 * height)
        columns = max(a.gap, b.gap) > TABLE_GAP * height  # a table row: never part of a paragraph
        full = right - a.x1 < max(1.5 * height, b.lead + 0.5 * height)  # b's first word did not fit on a
        heading = _SENTENCE_END.search(a.text) and _HEADING.match(b.text)  # a numbered heading after a full line
        if near and not columns and full and b.x0 <= left + 0.8 * height and not heading:
            text = _joined(text, b.text)
            continue
        blocks.append((f"page {start.page} line {start.number}", text))
        start, text = b, b.text
    blocks.append((f"page {start.page} line {start.number}", text))
    return blocks


def pdf_text(data: bytes, file: str) -> DocumentText:
    """Blocks of a PDF's text layer (see the module doc)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:  # encrypted, damaged, truncated, not a PDF
        raise SourceError(file, None, f"cannot open PDF: {exc}") from exc
    try:
        pages, heights = [], []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            pages.append([ln for ln in _page_lines(textpage, index + 1) if ln.text.strip()])
            heights.append(page.get_height())
            textpage.close()
            page.close()
    except pdfium.PdfiumError as exc:
        raise SourceError(file, f"page {len(pages) + 1}", f"cannot read the page: {exc}") from exc
    finally:
        pdf.close()
    chars = "".join(ln.text for lines in pages for ln in lines)
    if not chars.strip():
        raise SourceError(file, None, f"{NO_TEXT_LAYER} ({len(pages)} page(s), no character on any)")
    unmapped = len(_UNMAPPED.findall(chars))
    if unmapped > 0.05 * len(chars):
        raise SourceError(file, None, f"text layer without Unicode mapping: {unmapped:,} of {len(chars):,} "
                          "characters are unmapped glyphs; OCR is not available")
    margin = _margin_lines(pages, heights) if pages else set()
    body = [ln for lines in pages for ln in lines if id(ln) not in margin]
    blocks = _paragraphs(body)
    stats = {"pages": len(pages), "pages_without_text": sum(not lines for lines in pages),
             "lines": sum(map(len, pages)), "header_footer_lines_dropped": len(margin), "blocks": len(blocks)}
    return DocumentText(file, "pdf", blocks, stats)


# ---------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------


def docx_text(data: bytes, file: str) -> DocumentText:
    """Blocks of a Word file's body in document order: each paragraph with text
    (``paragraph N``: the Nth paragraph of the body, empty ones counted) and each table row, its
    cells joined with a space, a merged cell once (``table T row R``). Headers, footers and
    comments are not body text and are not read."""
    import docx
    from docx.table import Table

    check_zip_archive(data, file, "docx", "max_docx_uncompressed_bytes")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[tuple[str, str]] = []
        n_paragraphs = n_tables = 0
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                n_tables += 1
                for r, row in enumerate(item.rows, start=1):
                    cells = list({id(c._tc): c for c in row.cells}.values())  # a merged cell repeats
                    text = " ".join(t for c in cells if (t := " ".join(c.text.split())))
                    if text:
                        blocks.append((f"table {n_tables} row {r}", text))
            else:
                n_paragraphs += 1
                if item.text.strip():
                    blocks.append((f"paragraph {n_paragraphs}", item.text.strip()))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for a broken package
        raise SourceError(file, None, f"cannot read Word document: {type(exc).__name__}: {exc}") from exc
    stats = {"paragraphs": n_paragraphs, "tables": n_tables, "blocks": len(blocks)}
    return DocumentText(file, "docx", blocks, stats)

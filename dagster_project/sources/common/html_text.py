"""An HTML page as text, for every reader of saved web pages (bulletins, plans): the page decoded with
the charset it declares, and its text blocks, one per paragraph-like element, with the source line."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

from dagster_project.sources.common.provenance import SourceError

# ---------------------------------------------------------------------------
# HTML -> text blocks
# ---------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
               "table", "section", "article", "br", "title", "header", "footer", "option", "select", "blockquote"}
_SKIP_TAGS = {"script", "style", "noscript", "template"}


class _TextBlocks(HTMLParser):
    """Collects (source line, text) per block-level element; inline tags are joined."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._buf: list[str] = []
        self._line: int | None = None
        self._skip = 0

    def _flush(self):
        text = "".join(self._buf).strip()
        if text:
            self.blocks.append((self._line or 0, text))
        self._buf, self._line = [], None

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        if self._skip or not data.strip():
            if data and not self._skip and self._buf:
                self._buf.append(" ")
            return
        if self._line is None:
            self._line = self.getpos()[0]
        self._buf.append(data)

    def close(self):
        super().close()
        self._flush()


def html_blocks(html: str) -> list[tuple[int, str]]:
    parser = _TextBlocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


# ---------------------------------------------------------------------------
# Bytes -> text: the charset the page declares
# ---------------------------------------------------------------------------

_META_CHARSET_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# GB2312 and GBK pages routinely use characters of their superset; decode them as GB18030
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030"}


def decode_html(raw: bytes, source_file: str) -> tuple[str, str]:
    """(text, charset) of an HTML page: a BOM first, then the charset its <meta> declares
    (within the first 4 KB, as browsers look), else UTF-8. Bytes that are invalid in that
    charset are a SourceError naming the charset, line and byte offset."""
    declared = raw.startswith(codecs.BOM_UTF8)
    if declared:
        charset, raw = "utf-8", raw[len(codecs.BOM_UTF8):]
    else:
        m = _META_CHARSET_RE.search(raw[:4096])
        declared = m is not None
        charset = m.group(1).decode("ascii").lower() if m else "utf-8"
    try:
        codec = codecs.lookup(_SUPERSETS.get(charset, charset)).name
    except LookupError as exc:
        raise SourceError(source_file, None, f"declared charset {charset!r} is unknown") from exc
    try:
        return raw.decode(codec), charset
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        how = "declared" if declared else "assumed: no charset declared"
        raise SourceError(source_file, line, f"not valid {charset} ({how}) at byte {exc.start}: {exc.reason}") from exc

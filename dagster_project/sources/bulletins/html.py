"""Statistical bulletins (国民经济和社会发展统计公报): the HTML page (the facts CSV is
:mod:`dagster_project.sources.bulletins.facts`; whose figure it is, :mod:`.bulletin_regions`).

HTML (``parse_bulletin_html``): the page is reduced to text blocks with the stdlib
``html.parser`` (scripts/styles dropped, one block per paragraph-like element), blocks
are cut into sentences at 。, and headline figures are read with *phrase patterns* of
the usual bulletin wording ("全市生产总值X亿元", "年末常住人口X万人，其中城镇常住人口X万人",
"常住人口城镇化率为X%", "城镇居民人均可支配收入X元", "城镇新增就业人员X万人",
"执业（助理）医师X人"), so any
city's or province's bulletin in that wording works. Region and year come from the
document title ("濮阳市2025年…统计公报" or "2025年濮阳市…统计公报"). A sentence that
names another year before the figure ("经最终核实，2024年全市地区生产总值为2025.40亿元")
gives that year. A figure lands with the vocabulary label that found it (label_scope
'bulletin'); the label becomes an indicator code in dbt (int_indicator_labels_mapped), like
every printed label. A figure that matches a phrase but does not parse as a number goes to
quarantine with the sentence.

Every figure of the bulletin whose label is in the vocabulary is read (the vocabulary is the whole
catalogue's bulletin wording, not a list of headlines): which label occurrences state a LEVEL
(not a growth rate, not the base of a share, not a 其中 part, not another noun's figure) is decided
by :mod:`dagster_project.sources.bulletins.figures`; the sentence loop, previous-year values
(:mod:`dagster_project.sources.bulletins.prior_year`, column ``derivation``) and the per-file
coverage counts of the summary are in :mod:`dagster_project.sources.bulletins.reading`.
PDF and Word (``parse_bulletin_document``): the blocks of :mod:`dagster_project.sources.common.documents`
(``page 3 line 12``, ``paragraph 41``) go through the same title, sentence and figure reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dagster_project.common.files import file_sha256
from dagster_project.common.reference import RegionLookup, region_lookup
from dagster_project.common.text import normalize_text
from dagster_project.sources.bulletins.reading import EXTRA_SCHEMA, coverage_note, read_blocks
from dagster_project.sources.bulletins.regions import region_names
from dagster_project.sources.bulletins.sentence_figures import (  # noqa: F401 (the reader's vocabulary and sentences)
    LABEL_SCOPE,
    Label,
    extract_figures,
    split_sentences,
    unqualified_labels,
    vocabulary,
)
from dagster_project.sources.common.html_text import decode_html, html_blocks  # noqa: F401 (the page's text)
from dagster_project.sources.common.provenance import QuarantineRow, SourceError
from dagster_project.sources.common.source_files import read_source_bytes

HTML_KIND = "bulletin_html"
DOCUMENT_KIND = "bulletin_document"  # the same bulletin as a PDF or Word file
# derivation, the file's format and its bulletin (title kind, region, year): one bulletin in two files is one set (dbt)
BULLETIN_EXTRA_SCHEMA = EXTRA_SCHEMA

# "…2025年濮阳市国民经济和社会发展统计公报" / "濮阳市2025年国民经济与社会发展统计公报"
_BULLETIN = r"国民经济(?:和|与)社会发展统计公报"
TITLE_RES = (
    re.compile(rf"(?P<year>\d{{4}})年(?P<region>[\u4e00-\u9fff]{{2,12}}?){_BULLETIN}"),
    re.compile(rf"(?P<region>[\u4e00-\u9fff]{{2,12}}?)(?P<year>\d{{4}})年{_BULLETIN}"),
)

@dataclass
class BulletinResult:
    observations: pl.DataFrame
    quarantine: list[QuarantineRow]
    summary: dict

    @property
    def coverage(self) -> str:
        """The coverage counts for the load metadata (sentences with a number, figures read, unmapped)."""
        return coverage_note(self.summary)


# ---------------------------------------------------------------------------
# Title -> region and year
# ---------------------------------------------------------------------------

_TITLE_TAG_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_YEAR_RE = re.compile(r"(20\d{2}|19\d{2})年")


def find_title(blocks: list[tuple[str, str]]) -> tuple[str, str, int]:
    """(location, region name, year) from the first text naming '…YYYY年…统计公报'.

    Titles are often split over two elements ("昆明市2025年国民经济" / "和社会发展统计公报"),
    so each block is also read joined with the next one.
    """
    texts = [normalize_text(text) for _, text in blocks]
    candidates = list(zip(blocks, texts)) + [(b, t + nxt) for b, t, nxt in zip(blocks, texts, texts[1:])]
    for (location, _), text in candidates:
        for rx in TITLE_RES:
            m = rx.search(text)
            if m:
                return location, m.group("region"), int(m.group("year"))
    raise LookupError("no title '…YYYY年…国民经济和社会发展统计公报' found")


def find_quoted_title(html: str, lookup: RegionLookup) -> tuple[str, int] | None:
    """A news page that quotes a bulletin: (region name, year) when its <title> names exactly
    one prefecture-level region and a year ("2025年昆明全市常住人口874.4万…_昆明信息港")."""
    m = _TITLE_TAG_RE.search(html)
    if not m:
        return None
    title = normalize_text(re.sub(r"<[^>]+>", "", m.group(1)))
    year = _YEAR_RE.search(title)
    names = region_names(lookup).prefecture_names_in(title)
    if not year or len(set(names.values())) != 1:
        return None
    return max(names, key=len), int(year.group(1))


def _region_code(name: str, lookup: RegionLookup) -> str | None:
    """The prefecture (or province) a title names; words run into the name from the left
    ("正文克孜勒苏柯尔克孜自治州") are dropped, longest name first."""
    n = normalize_text(name)
    for i in range(len(n) - 1):
        code = lookup.code_for(n[i:], levels=("prefecture",)) or lookup.code_for(n[i:], levels=("province",))
        if code:
            return code
    return None


# ---------------------------------------------------------------------------
# HTML bulletin
# ---------------------------------------------------------------------------


def parse_bulletin_html_text(
    html: str, *, source_file: str, source_sha256: str, lookup: RegionLookup | None = None
) -> BulletinResult:
    """Parse bulletin HTML given as text (see :func:`parse_bulletin_html`)."""
    lookup = lookup or region_lookup()

    def quoted_title(exc: LookupError) -> tuple[str, int]:
        quoted = find_quoted_title(html, lookup)
        if quoted is None:
            raise SourceError(source_file, None, f"{exc}, and the page title names no single prefecture and year "
                              "(not a bulletin, nor a page quoting one)") from exc
        return quoted

    blocks = [(f"line {line}", text) for line, text in html_blocks(html)]
    return parse_bulletin_blocks(blocks, HTML_KIND, "html", source_file=source_file, source_sha256=source_sha256,
                                 lookup=lookup, quoted_title=quoted_title)


def parse_bulletin_blocks(blocks: list[tuple[str, str]], source_kind: str, document_format: str, *, source_file: str,
                          source_sha256: str, lookup: RegionLookup, quoted_title=None) -> BulletinResult:
    """The figures of a bulletin's text blocks [(location, text)], whatever file they came from:
    each sentence's location is the block's plus ``sentence K``. ``quoted_title(exc)`` gives
    (region name, year) when no bulletin title is found (a web page quoting a bulletin)."""
    title_kind = "bulletin"
    try:
        title_line, region_name, year = find_title(blocks)
    except LookupError as exc:
        if quoted_title is None:
            raise SourceError(source_file, None, str(exc)) from exc
        (region_name, year), title_line, title_kind = quoted_title(exc), "line 1", "quoted"
    region_code = _region_code(region_name, lookup)
    if region_code is None:
        raise SourceError(source_file, title_line, f"region {region_name!r} of the title is not in regions.csv")
    df, quarantine, counts = read_blocks(
        blocks, kind=source_kind, label_scope=LABEL_SCOPE, source_file=source_file, source_sha256=source_sha256,
        region_code=region_code, region_name=region_name, year=year, lookup=lookup,
        file_values=dict(document_format=document_format, bulletin_key=f"{title_kind} {region_code} {year}"))
    summary = {"file": source_file, "region_code": region_code, "region_name": region_name, "year": year,
               "title_line": title_line, "title_kind": title_kind, **counts, "observations": df.height,
               "quarantined": len(quarantine)}
    return BulletinResult(df, quarantine, summary)


def parse_bulletin_html(path: str | Path, lookup: RegionLookup | None = None) -> BulletinResult:
    """Headline figures of a statistical-bulletin HTML page, each with its sentence."""
    path = Path(path)
    html, charset = decode_html(read_source_bytes(path, HTML_KIND), path.name)
    result = parse_bulletin_html_text(html, source_file=path.name, source_sha256=file_sha256(path), lookup=lookup)
    result.summary["charset"] = charset
    return result


def parse_bulletin_document(path: str | Path, lookup: RegionLookup | None = None) -> BulletinResult:
    """Figures of a bulletin as a PDF (text layer) or Word (.docx) file (source kind ``bulletin_document``)."""
    from dagster_project.sources.common.documents import read_document

    document = read_document(path := Path(path), "bulletin")
    result = parse_bulletin_blocks(document.blocks, DOCUMENT_KIND, document.format, source_file=path.name,
                                   source_sha256=file_sha256(path), lookup=lookup or region_lookup())
    result.summary.update({f"document_{k}": v for k, v in document.stats.items()})
    return result


def parse_bulletin_file(path: str | Path, lookup: RegionLookup | None = None) -> BulletinResult:
    """A bulletin file of any format the loader reads: .html/.htm, .pdf, .docx."""
    if Path(path).suffix.lower() in (".html", ".htm"):
        return parse_bulletin_html(path, lookup)
    return parse_bulletin_document(path, lookup)

"""Statistical bulletins (国民经济和社会发展统计公报): the HTML page and the facts CSV.

HTML (``parse_bulletin_html``): the page is reduced to text blocks with the stdlib
``html.parser`` (scripts/styles dropped, one block per paragraph-like element), blocks
are cut into sentences at 。, and headline figures are read with *phrase patterns* of
the usual bulletin wording ("全市生产总值X亿元", "年末常住人口X万人，其中城镇常住人口X万人",
"常住人口城镇化率为X%", "城镇居民人均可支配收入X元", "城镇新增就业人员X万人",
"执业（助理）医师X人"), so any
city's or province's bulletin in that wording works. Region and year come from the
document title ("濮阳市2025年…统计公报" or "2025年濮阳市…统计公报"). A sentence that
names another year before the figure ("经最终核实，2024年全市地区生产总值为2025.40亿元")
gives that year. The printed label maps to an indicator code via
``label_map('bulletin')``; a figure that matches a phrase but does not parse as a number
goes to quarantine with the sentence.

Facts CSV (``parse_bulletin_facts``): one figure a row; codes validated against
regions.csv (and against the printed region name), labels mapped via
``label_map('bulletin')``; a bad row goes to quarantine with file, row and reason.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from dagster_project.ingest.common import (
    QuarantineRow,
    SourceError,
    file_sha256,
    normalize_label,
    normalize_text,
    parse_number,
)
from dagster_project.ingest.reference import RegionLookup, label_map, read_reference, region_lookup
from dagster_project.ingest.yearbooks import OBSERVATION_POLARS_SCHEMA

HTML_KIND = "bulletin_html"
FACTS_KIND = "bulletin_facts"

TITLE_RES = (
    re.compile(r"(?P<year>\d{4})年(?P<region>[\u4e00-\u9fff]{2,12}?)国民经济和社会发展统计公报"),
    re.compile(r"(?P<region>[\u4e00-\u9fff]{2,12}?)(?P<year>\d{4})年国民经济和社会发展统计公报"),
)

# ---------------------------------------------------------------------------
# Phrase patterns
# ---------------------------------------------------------------------------

_LINK = r"(?:为|达到|达|是|共|总计)?"
_VALUE = r"(?P<value>(?:约|近|超过)?[^，。；;、：:（）()\u4e00-\u9fff%]{1,20}?)"


@dataclass(frozen=True)
class Phrase:
    """A label as bulletins print it, followed by a number and one of its units."""

    name: str
    label: str  # regex; the matched text is the printed label looked up in label_map('bulletin')
    unit: str  # regex of the printed unit
    unit_raw: str | None = None  # stored unit when the printed one is not a unit word (1.89:1)

    def regex(self) -> re.Pattern:
        return re.compile(f"(?P<label>{self.label}){_LINK}{_VALUE}(?P<unit>{self.unit})")


PHRASES = (
    Phrase("gdp", r"(?<!人均)(?<!人均地区)(?:地区)?生产总值", r"亿元|万元"),
    Phrase("gdp_per_capita", r"人均(?:地区)?生产总值", r"元"),
    Phrase("resident_population", r"(?<!城镇)(?<!乡村)(?<!农村)常住人口", r"万人|人"),
    Phrase("urban_resident_population", r"城镇常住人口", r"万人|人"),
    Phrase("rural_resident_population", r"(?:乡村|农村)常住人口", r"万人|人"),
    Phrase("registered_population", r"户籍人口", r"万人|人"),
    Phrase("urbanization_rate", r"常住人口城镇化率", r"%"),
    Phrase("urban_disposable_income", r"城镇(?:常住)?居民人均可支配收入", r"元"),
    Phrase("rural_disposable_income", r"农村(?:常住)?居民人均可支配收入", r"元"),
    Phrase("urban_rural_income_ratio", r"城乡居民人均可支配收入比(?:值)?", r":1", unit_raw="ratio"),
    Phrase("urban_new_jobs", r"城镇新增就业(?:人员|人数)?", r"万人|人"),
    Phrase("urban_surveyed_unemployment", r"城镇调查失业率", r"%"),
    # "卫生技术人员 36078 人，其中执业(助理)医师 14187 人": the count behind 每千人医师
    Phrase("licensed_doctors", r"执业\(助理\)医师", r"万人|人"),
)

_YEAR_IN_TEXT = re.compile(r"(\d{4})年")


@dataclass
class BulletinResult:
    observations: pl.DataFrame
    quarantine: list[QuarantineRow]
    summary: dict


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


def split_sentences(text: str) -> list[str]:
    """Sentences ending with 。 (the ending kept); a trailing fragment counts as one."""
    parts = re.findall(r"[^。]+。?", text)
    return [" ".join(p.split()) for p in parts if p.strip()]


# ---------------------------------------------------------------------------
# Title -> region and year
# ---------------------------------------------------------------------------


def find_title(blocks: list[tuple[int, str]]) -> tuple[int, str, int]:
    """(line, region name, year) from the first text naming '…YYYY年…统计公报'."""
    for line, text in blocks:
        n = normalize_text(text)
        for rx in TITLE_RES:
            m = rx.search(n)
            if m:
                return line, m.group("region"), int(m.group("year"))
    raise LookupError("no title '…YYYY年…国民经济和社会发展统计公报' found")


def _region_code(name: str, lookup: RegionLookup) -> str | None:
    return lookup.code_for(name, levels=("prefecture",)) or lookup.code_for(name, levels=("province",))


# ---------------------------------------------------------------------------
# Shared output helpers
# ---------------------------------------------------------------------------


def _empty_obs() -> dict[str, list]:
    return {k: [] for k in OBSERVATION_POLARS_SCHEMA}


def _add(obs: dict[str, list], **values) -> None:
    for key in OBSERVATION_POLARS_SCHEMA:
        obs[key].append(values.get(key))


def _mapped(labels: dict[str, dict], label: str) -> str | None:
    row = labels.get(normalize_label(label))
    return row["indicator_code"] if row else None


# ---------------------------------------------------------------------------
# HTML bulletin
# ---------------------------------------------------------------------------


def extract_figures(sentence: str) -> list[dict]:
    """Every phrase match in one sentence: label, value text, unit, year mentioned before it."""
    text = normalize_text(sentence)
    found: list[dict] = []
    taken: list[tuple[int, int]] = []
    for phrase in PHRASES:
        for m in phrase.regex().finditer(text):
            span = m.span("label")
            if any(a <= span[0] < b for a, b in taken):
                continue
            years = _YEAR_IN_TEXT.findall(text[: m.start()])
            found.append({
                "phrase": phrase.name,
                "label": m.group("label"),
                "value_raw": m.group("value"),
                "unit": phrase.unit_raw or m.group("unit"),
                "year_in_text": int(years[-1]) if years else None,
                "start": m.start(),
            })
            taken.append(m.span())
    return sorted(found, key=lambda f: f["start"])


def parse_bulletin_html_text(
    html: str, *, source_file: str, source_sha256: str, lookup: RegionLookup | None = None
) -> BulletinResult:
    """Parse bulletin HTML given as text (see :func:`parse_bulletin_html`)."""
    lookup = lookup or region_lookup()
    blocks = html_blocks(html)
    try:
        title_line, region_name, year = find_title(blocks)
    except LookupError as exc:
        raise SourceError(source_file, None, str(exc)) from exc
    region_code = _region_code(region_name, lookup)
    if region_code is None:
        raise SourceError(source_file, title_line, f"region {region_name!r} of the title is not in regions.csv")
    labels = label_map("bulletin")
    obs = _empty_obs()
    quarantine: list[QuarantineRow] = []
    counts = dict(blocks=len(blocks), sentences=0, figures_matched=0)
    for line, text in blocks:
        for k, sentence in enumerate(split_sentences(text), start=1):
            counts["sentences"] += 1
            for fig in extract_figures(sentence):
                counts["figures_matched"] += 1
                location = f"line {line} sentence {k}"
                value = parse_number(fig["value_raw"])
                if value is None:
                    quarantine.append(QuarantineRow(
                        HTML_KIND, source_file, source_sha256, location,
                        f"figure for {fig['label']!r} is not a number: {fig['value_raw']!r}", sentence))
                    continue
                _add(obs, source_kind=HTML_KIND, source_file=source_file, source_sha256=source_sha256,
                     source_location=location, verbatim=sentence, region_name_raw=region_name,
                     region_code=region_code, year=fig["year_in_text"] or year, scope="n.a.",
                     indicator_label_raw=fig["label"], indicator_code=_mapped(labels, fig["label"]),
                     unit_raw=fig["unit"], value_raw=fig["value_raw"], value=value)
    df = pl.DataFrame(obs, schema=OBSERVATION_POLARS_SCHEMA)
    summary = {"file": source_file, "region_code": region_code, "region_name": region_name, "year": year,
               "title_line": title_line, **counts, "observations": df.height, "quarantined": len(quarantine)}
    return BulletinResult(df, quarantine, summary)


def parse_bulletin_html(path: str | Path, lookup: RegionLookup | None = None) -> BulletinResult:
    """Headline figures of a statistical-bulletin HTML page, each with its sentence."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        html = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(path.name, None, f"not valid UTF-8: {exc}") from exc
    return parse_bulletin_html_text(html, source_file=path.name, source_sha256=file_sha256(path), lookup=lookup)


# ---------------------------------------------------------------------------
# Bulletin facts CSV
# ---------------------------------------------------------------------------

FACTS_COLUMNS = ("region_code", "region_name", "year", "indicator_label", "value", "unit")


def parse_bulletin_facts(path: str | Path) -> BulletinResult:
    """``bulletin_facts.csv``: one figure a row -> observations (source_location 'row N').

    Row numbers count the header as row 1 (as a spreadsheet shows the file). Quarantined:
    unknown region code, a region name that names another region, a year or value that
    is not a number. A label missing from ``label_map('bulletin')`` lands with a null
    indicator code and is listed in the summary.
    """
    path = Path(path)
    sha = file_sha256(path)
    reader = csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""))
    missing = [c for c in FACTS_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(path.name, "row 1", f"missing column(s) {missing}")
    regions = {r["region_code"]: r for r in read_reference("regions").iter_rows(named=True)}
    labels = label_map("bulletin")
    obs = _empty_obs()
    quarantine: list[QuarantineRow] = []
    unmapped: set[str] = set()
    rows = 0
    for n, row in enumerate(reader, start=2):
        rows += 1
        verbatim = ",".join((row.get(c) or "") for c in reader.fieldnames)
        reason = _facts_row_problem(row, regions)
        if reason:
            quarantine.append(QuarantineRow(FACTS_KIND, path.name, sha, f"row {n}", reason, verbatim))
            continue
        code = _mapped(labels, row["indicator_label"])
        if code is None:
            unmapped.add(row["indicator_label"])
        _add(obs, source_kind=FACTS_KIND, source_file=path.name, source_sha256=sha, source_location=f"row {n}",
             verbatim=verbatim, region_name_raw=row["region_name"], region_code=row["region_code"].strip(),
             year=int(parse_number(row["year"])), scope="n.a.", indicator_label_raw=row["indicator_label"],
             indicator_code=code, unit_raw=row["unit"], value_raw=row["value"], value=parse_number(row["value"]))
    df = pl.DataFrame(obs, schema=OBSERVATION_POLARS_SCHEMA)
    summary = {"file": path.name, "rows": rows, "observations": df.height, "quarantined": len(quarantine),
               "unmapped_labels": sorted(unmapped)}
    return BulletinResult(df, quarantine, summary)


def _facts_row_problem(row: dict, regions: dict[str, dict]) -> str | None:
    code = (row.get("region_code") or "").strip()
    region = regions.get(code)
    if region is None:
        return f"region code {code!r} is not in regions.csv (GB/T 2260)"
    name = normalize_text(row.get("region_name") or "")
    if name and name != normalize_text(region["region_name"]):
        return f"region name {row['region_name']!r} does not match code {code} ({region['region_name']})"
    year = parse_number(row.get("year") or "")
    if year is None or not year.is_integer() or not 1949 <= year <= 2100:
        return f"year is not a calendar year: {row.get('year')!r}"
    if parse_number(row.get("value") or "") is None:
        return f"value is not a number: {row.get('value')!r}"
    if not (row.get("indicator_label") or "").strip():
        return "indicator_label is empty"
    return None

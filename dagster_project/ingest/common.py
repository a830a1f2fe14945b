"""Shared building blocks for every ingest module.

Everything a parser needs to attach provenance to a row, to read a number the way
Chinese plans and yearbooks print it, and to report a bad row to quarantine lives here,
so that the source-specific modules (one per source kind) only hold what is specific
to their source.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

# ---------------------------------------------------------------------------
# Files and provenance
# ---------------------------------------------------------------------------


_SHA256_SEEN: dict[tuple, str] = {}


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (the file is only read, never modified). A run asks for the same
    file's hash several times (finding the source files, the loader's inputs digest, the parser's
    provenance): it is computed once per file version, i.e. again whenever the file's inode, size,
    modification or change time differ from the last time it was hashed."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _SHA256_SEEN:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _SHA256_SEEN[key] = h.hexdigest()
    return _SHA256_SEEN[key]


class SourceError(ValueError):
    """A source file (or a part of it) cannot be parsed.

    The message always names the file, the location (line / sheet-row-column) and the reason.
    """

    def __init__(self, file: str, location: str | int | None, reason: str):
        self.file = str(file)
        self.location = None if location is None else str(location)
        self.reason = reason
        where = f"{self.file}" + (f", {self._loc_label()}" if self.location else "")
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):  # rebuilt from its parts when it comes back from a parse worker (ingest.parallel)
        return type(self), (self.file, self.location, self.reason)

    def _loc_label(self) -> str:
        return f"line {self.location}" if str(self.location).isdigit() else str(self.location)


@dataclass
class QuarantineRow:
    """One rejected piece of input, kept so it never silently disappears."""

    source_kind: str  # e.g. 'plan_table', 'yearbook', 'census', 'bulletin_html'
    source_file: str
    source_sha256: str
    location: str  # 'line 152' or 'sheet X row 12 col 7'
    reason: str
    verbatim: str

    def as_dict(self) -> dict:
        return {
            "source_kind": self.source_kind,
            "source_file": self.source_file,
            "source_sha256": self.source_sha256,
            "location": self.location,
            "reason": self.reason,
            "verbatim": self.verbatim,
        }


QUARANTINE_COLUMNS = ["source_kind", "source_file", "source_sha256", "location", "reason", "verbatim"]
QUARANTINE_EXAMPLES = 3  # rows named per file in a loader's warning


def quarantine_summary(rows: list[QuarantineRow], examples: int = QUARANTINE_EXAMPLES) -> str:
    """A loader's one warning about its quarantined rows, however many: the count per file and the
    first ``examples`` rows of each (place and reason); all of them are in raw.quarantine. (One
    Dagster event per row cost ~8 ms each in a persistent instance's event log, and flooded it.)"""
    by_file: dict[str, list[QuarantineRow]] = {}
    for q in rows:
        by_file.setdefault(q.source_file, []).append(q)
    lines = [f"quarantined {len(rows):,} row(s) of {len(by_file):,} file(s); every one is in raw.quarantine:"]
    for source_file, quarantined in by_file.items():
        lines.append(f"{source_file}: {len(quarantined):,}")
        lines += [f"  {q.location}: {q.reason}" for q in quarantined[:examples]]
        if len(quarantined) > examples:
            lines.append(f"  ... and {len(quarantined) - examples:,} more")
    return "\n".join(lines)

# ---------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------

# Traditional -> simplified (and a few comparator variants) for the characters that matter in
# labels and targets: the one table every parser uses through normalize_text.
_TRAD = str.maketrans(
    {
        "≦": "≤", "≧": "≥", "並": "并", "佔": "占", "來": "来", "個": "个", "値": "值", "傳": "传", "價": "价", "億": "亿",
        "內": "内", "創": "创", "劃": "划", "務": "务", "區": "区", "噸": "吨", "國": "国", "園": "园", "場": "场", "壓": "压",
        "實": "实", "將": "将", "屬": "属", "師": "师", "幣": "币", "廠": "厂", "張": "张", "從": "从", "戶": "户", "數": "数",
        "於": "于", "時": "时", "會": "会", "條": "条", "棟": "栋", "業": "业", "構": "构", "標": "标", "歲": "岁", "減": "减",
        "準": "准", "濟": "济", "為": "为", "爭": "争", "現": "现", "環": "环", "產": "产", "畝": "亩", "當": "当", "確": "确",
        "積": "积", "籌": "筹", "約": "约", "級": "级", "統": "统", "綠": "绿", "網": "网", "縣": "县", "縮": "缩", "總": "总",
        "續": "续", "臺": "台", "與": "与", "萬": "万", "蓋": "盖", "處": "处", "規": "规", "計": "计", "設": "设", "證": "证",
        "護": "护", "資": "资", "質": "质", "輛": "辆", "農": "农", "過": "过", "達": "达", "鄉": "乡", "醫": "医", "鎮": "镇",
        "長": "长", "門": "门", "開": "开", "間": "间", "雙": "双", "電": "电", "頃": "顷", "項": "项", "預": "预", "顯": "显",
        "養": "养", "體": "体", "麼": "么", "點": "点", "齊": "齐", "＝": "=",
    }
)


def normalize_text(s: str) -> str:
    """Canonical form for *matching* (never for storing verbatim text).

    NFKC folds full-width digits/letters/brackets/percent/comparators to ASCII, the
    common traditional characters are mapped to simplified, and all whitespace
    (spaces, ideographic spaces, line breaks inside labels) is removed, because the
    converted documents and spreadsheets scatter stray spaces inside words.
    """
    if s is None:
        return ""
    s = unicodedata.normalize("NFKC", str(s))
    s = s.translate(_TRAD)
    return re.sub(r"\s+", "", s)


def normalize_label(s: str) -> str:
    """Key used to look an indicator label up in a mapping file.

    Like :func:`normalize_text`, plus round/square bracket styles unified, and a
    trailing bracketed unit stripped is *not* done here (callers split units first).
    """
    s = normalize_text(s)
    return s.replace("【", "[").replace("】", "]").replace("“", '"').replace("”", '"')


# ---------------------------------------------------------------------------
# Numbers as printed
# ---------------------------------------------------------------------------


_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


def parse_number(text: str) -> float | None:
    """Parse a plain printed number ('49.97', '1,234', '２０２５', '1 2') or return None."""
    if text is None:
        return None
    t = normalize_text(text).replace(",", "")
    if not t or not _NUMBER_RE.match(t):
        return None
    return float(t)


@dataclass
class CellValue:
    """A table cell as printed, decomposed into its meaning."""

    verbatim: str
    value: float | None = None
    comparator: str | None = None
    is_cumulative: bool = False
    is_relative: bool = False
    relative_to: str | None = None  # e.g. 'province_average'
    is_missing: bool = False
    error: str | None = None
    extra: dict = field(default_factory=dict)


# Relative targets: phrase -> reference (kept small and explicit; extended via reference data)
RELATIVE_PHRASES = {
    "全省平均水平": "province_average",
    "全国平均水平": "national_average",
    "全省平均": "province_average",
    "全国平均": "national_average",
}

_MISSING_MARKS = {"-", "—", "–", "－", "--", "——"}  # an empty cell is NOT a printed dash


def parse_cell(text: str) -> CellValue:
    """Decompose one printed indicator-table cell.

    Handles: plain numbers; comparators before (>5, ≥70, 不低于 95) and after (60以上 → ≥,
    5.5以内 → ≤, 2.2左右 → ≈), combined by the one rule of :mod:`comparators` that prose
    targets follow too (a soft 达到 gives way, two hard ones must agree); cumulative values
    in square brackets ([21], >[5]); relative targets (全省平均水平, 不低于全省平均水平); the
    printed dash for "no value". Anything else is returned with ``error`` set and no value,
    so the caller can quarantine it instead of guessing a number.
    """
    from dagster_project.ingest.comparators import PREFIX_WORDS, POSTFIX_WORDS, combine

    cv = CellValue(verbatim=text if text is not None else "")
    t = normalize_text(text)
    if t in _MISSING_MARKS:
        cv.is_missing = True
        return cv

    def unbracket(s: str) -> str:  # cumulative: [21] or ［21］ (NFKC folds full-width brackets)
        m = re.fullmatch(r"\[(.+)\]", s)
        cv.is_cumulative = cv.is_cumulative or m is not None
        return m.group(1) if m else s

    t = unbracket(t)
    prefix = next((p for p in PREFIX_WORDS if t.startswith(p.word)), None)
    t = t[len(prefix.word):] if prefix else t
    postfix = next(((w, c) for w, c in POSTFIX_WORDS if t.endswith(w)), None)
    t = t[: -len(postfix[0])] if postfix else t
    comparator, conflict = combine(prefix, postfix[1] if postfix else None)
    if conflict:
        cv.error = f"{conflict} in cell {text!r}"
        return cv
    t = unbracket(t)  # the bracket may also sit inside the comparator: >[5]
    relative = next((ref for phrase, ref in RELATIVE_PHRASES.items() if normalize_text(phrase) == t), None)
    if relative:
        cv.is_relative, cv.relative_to, cv.comparator = True, relative, comparator
        return cv
    num = parse_number(t)
    if num is None:
        cv.error = f"not a number: {text!r}"
        return cv
    cv.value = num
    cv.comparator = comparator
    return cv


# ---------------------------------------------------------------------------
# Labels with units in brackets
# ---------------------------------------------------------------------------

_UNIT_SUFFIX_RE = re.compile(r"^(?P<label>.*?)[（(](?P<unit>[^（）()]*)[）)]\s*$")


def split_label_unit(text: str) -> tuple[str, str | None]:
    """'常住人口城镇化率（%）' -> ('常住人口城镇化率', '%'); a label without unit -> (label, None).

    Only a *trailing* bracket is a unit, and only when it looks like one (short, no
    Chinese words that are clearly part of the name such as 'R&D' or '助理').
    """
    s = (text or "").strip()
    m = _UNIT_SUFFIX_RE.match(s)
    if not m:
        return s, None
    unit = m.group("unit").strip()
    if not unit or len(normalize_text(unit)) > 8 or normalize_text(unit) in {"R&D", "助理"}:
        return s, None
    return m.group("label").strip(), unit


# ---------------------------------------------------------------------------
# Workbooks (yearbooks, the census county table)
# ---------------------------------------------------------------------------


def column_letter(column_number: int) -> str:
    """1 -> 'A', 27 -> 'AA' (Excel column letters)."""
    letters = ""
    n = column_number
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_text(value) -> str:
    """A cell as text, the way it reads in the sheet (15.0 -> '15', 4.07 -> '4.07')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# ---------------------------------------------------------------------------
# The one long shape every source of *actuals* lands in (raw.*_observations)
# ---------------------------------------------------------------------------

# What the source printed and where, never what it means: the printed label becomes a catalogue
# indicator code in one step in dbt (int_indicator_labels_mapped), through the rows of
# raw/reference/indicator_label_map.csv whose source_scope is the observation's label_scope.
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "source_kind": pl.Utf8,          # yearbook | census | bulletin_html | bulletin_document | bulletin_facts | plan_statement
    "source_file": pl.Utf8,          # file name (no directory: directories are configuration)
    "source_sha256": pl.Utf8,
    "source_location": pl.Utf8,      # 'sheet S cell C12 (row R, column C)' | 'line N' | 'row N'
    "verbatim": pl.Utf8,             # the cell text or the sentence the number was read from
    "region_name_raw": pl.Utf8,
    "region_code": pl.Utf8,          # GB/T 2260, null only in quarantine
    "year": pl.Int64,
    "scope": pl.Utf8,                # 全市 | 市辖区 | n.a.
    "label_scope": pl.Utf8,          # the label map's source_scope the label belongs to (yearbook, census_city, bulletin, prose …)
    "indicator_label_raw": pl.Utf8,  # the label as printed (a bulletin: the vocabulary entry that found the figure)
    "unit_raw": pl.Utf8,             # the unit as printed, null when none is
    "value_raw": pl.Utf8,
    "value": pl.Float64,
}
OBSERVATION_COLUMNS = list(OBSERVATION_SCHEMA)


class ObservationRows:
    """One file's observations, collected row by row in :data:`OBSERVATION_SCHEMA` (plus the
    source's own ``extra_schema`` columns). What is the same for every row of the file is given
    once; a row names only its own values, and a column no schema knows is an error."""

    def __init__(self, source_kind: str, source_file: str, source_sha256: str, label_scope: str,
                 extra_schema: dict[str, pl.DataType] | None = None):
        self.schema = {**OBSERVATION_SCHEMA, **(extra_schema or {})}
        self.file_values = {"source_kind": source_kind, "source_file": source_file, "source_sha256": source_sha256,
                            "label_scope": label_scope, "scope": "n.a."}
        self.columns: dict[str, list] = {name: [] for name in self.schema}

    def add(self, **values) -> None:
        unknown = set(values) - set(self.schema)
        if unknown:
            raise KeyError(f"not an observation column: {sorted(unknown)}")
        row = {**self.file_values, **values}
        for name, column in self.columns.items():
            column.append(row.get(name))

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.columns, schema=self.schema)

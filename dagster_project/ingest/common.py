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

# ---------------------------------------------------------------------------
# Files and provenance
# ---------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (the file is only read, never modified)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_text_lines(path: str | Path) -> list[str]:
    """Read a UTF-8 text document as lines (no trailing newline), tolerating a BOM.

    Line numbers used as provenance are 1-based indexes into this list, which is the
    same numbering as ``sed -n Np`` / any editor.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # pragma: no cover - message path tested via SourceError
        raise SourceError(str(path), None, f"not valid UTF-8 text: {exc}") from exc
    return text.splitlines()


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

COMPARATORS = ("=", ">", "≥", "<", "≤", "≈", "between")

_SYMBOL_COMPARATOR = {
    ">=": "≥", "≥": "≥", "⩾": "≥",
    "<=": "≤", "≤": "≤", "⩽": "≤",
    ">": ">", "<": "<",
    "≈": "≈", "~": "≈", "～": "≈",
    "=": "=",
}

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

    Handles: plain numbers; comparators before (>5, ≥70, <5.5) or as words after
    (60以上 → ≥, 5.5以内 → ≤, 2.2左右 → ≈); cumulative values in square brackets
    ([21]); relative targets (全省平均水平); the printed dash for "no value".
    Anything else is returned with ``error`` set and no value, so the caller can
    quarantine it instead of guessing a number.
    """
    cv = CellValue(verbatim=text if text is not None else "")
    t = normalize_text(text)
    if t in _MISSING_MARKS:
        cv.is_missing = True
        return cv
    for phrase, ref in RELATIVE_PHRASES.items():
        if normalize_text(phrase) == t or t in (f"达到{phrase}", f"{phrase}以上", f"不低于{phrase}"):
            cv.is_relative = True
            cv.relative_to = ref
            cv.comparator = "≥" if ("以上" in t or "不低于" in t) else "="
            return cv
    # cumulative: [21] or ［21］ (NFKC folds full-width brackets)
    m = re.fullmatch(r"\[(.+)\]", t)
    if m:
        cv.is_cumulative = True
        t = m.group(1)
    comparator = None
    m = re.match(r"^(>=|<=|≥|≤|⩾|⩽|>|<|≈|~|=)", t)
    if m:
        comparator = _SYMBOL_COMPARATOR[m.group(1)]
        t = t[m.end():]
    for word, comp in (("以上", "≥"), ("以下", "≤"), ("以内", "≤"), ("左右", "≈")):
        if t.endswith(word):
            if comparator is not None:
                cv.error = f"two comparators in cell {text!r}"
                return cv
            comparator = comp
            t = t[: -len(word)]
    # cumulative bracket may also sit inside the comparator: >[5]
    m = re.fullmatch(r"\[(.+)\]", t)
    if m:
        cv.is_cumulative = True
        t = m.group(1)
    num = parse_number(t)
    if num is None:
        cv.error = f"not a number: {text!r}"
        return cv
    cv.value = num
    cv.comparator = comparator or "="
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
# The one long shape every source of *actuals* lands in (raw.*_observations)
# ---------------------------------------------------------------------------

OBSERVATION_SCHEMA = {
    "source_kind": "str",        # yearbook | census | bulletin_html | bulletin_facts
    "source_file": "str",        # file name (no directory: directories are configuration)
    "source_sha256": "str",
    "source_location": "str",    # 'sheet S row R col C (header …)' | 'line N' | 'row N column X'
    "verbatim": "str",           # the cell text or the sentence the number was read from
    "region_name_raw": "str",
    "region_code": "str",        # GB/T 2260, null only in quarantine
    "year": "int",
    "scope": "str",              # 全市 | 市辖区 | n.a.
    "indicator_label_raw": "str",
    "indicator_code": "str",     # null when the label is not (yet) mapped: kept, reported as unmapped
    "unit_raw": "str",
    "value_raw": "str",
    "value": "float",
}
OBSERVATION_COLUMNS = list(OBSERVATION_SCHEMA)

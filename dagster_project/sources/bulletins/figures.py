"""Which label occurrences of a bulletin sentence are a LEVEL of that label's indicator, and how
much of a bulletin the vocabulary reads (coverage).

The bulletin reader (:mod:`dagster_project.sources.bulletins.html`) finds the printed labels of the
vocabulary (raw/reference/indicator_label_map.csv, scope ``bulletin``) followed by a number and a
unit its indicator may be printed in. These rules, generic for any bulletin, decide whether such an
occurrence states the level of the indicator at all:

* **a word of its own** - a label run into a longer noun is another quantity (发明专利授权 is not
  专利授权, 医院卫生技术人员 not 卫生技术人员, 5G移动电话用户 not 移动电话用户): the text before it
  ends with punctuation, an opener word (全市, 全年, 年末, 其中, 实现, 累计建成 …) or a name of the
  bulletin's region or one of its counties (whose figure it is decides bulletin_regions).
* **not a growth rate** - a label followed by 增长/下降/提高/比上年… states a change, never the level
  ("固定资产投资比上年增长5.2%" gives nothing).
* **not a share, not per head** - a label after 占 in its clause is the base of a share
  ("占一般公共预算收入的比重"), after 每 a per-capita figure (每万人拥有5G基站): neither is its level.
  A share is read only when the share itself is a label of the vocabulary.
* **其中 never replaces the total** - after 其中, an indicator that already has a figure in the sentence
  is a sub-item (its second occurrence is dropped).

Coverage (:func:`figure_shapes`): every ``<label><number><unit>`` shape of a sentence, where the unit is
one raw/reference/units.csv knows; the shapes the vocabulary did not read are listed as unmapped,
like unmapped yearbook columns, so coverage can be measured and grown by adding label rows.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dagster_project.common.text import normalize_text
from dagster_project.common.reference import RegionLookup, read_reference

# words after which a label starts a figure of its own ("全年全市地区生产总值", "其中城镇常住人口")
OPENERS = (
    "全市", "全区", "全州", "全盟", "全县", "全省", "全地区", "全自治区", "全旗", "城市", "全年", "当年", "本年",
    "今年", "年末", "年底", "其中", "共有", "拥有", "实有", "现有", "实现", "完成", "达到", "累计", "建成",
    "获得", "设有", "初步核算", "核算", "此外", "全市共", "年末共", "全年共", "合计", "总计", "共计", "另有",
)
_OPENER_RE = re.compile(r"(?:" + "|".join(sorted(map(re.escape, OPENERS), key=len, reverse=True))
                        + r"|\d{4}年|(?<!公)共|(?:年末|年底|全市|全区)有|各类|全部)$")
_TIME_OPENER_RE = re.compile(r"(?:全年|年末|年底|当年|本年|今年|\d{4}年(?:末|底)?|截至年底|截至年末)$")
_WORD_CHAR_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]$")
_PREVIOUS_YEAR_RE = re.compile(r"(?:上年|去年)末?$")  # "上年末常住人口": last year's figure, its year unprinted
_LAST_YEAR_RE = re.compile(r"(?<![比较])去年")
_CLAUSE_SPLIT_RE = re.compile(r"[,;:]")

# a label followed by a change word states a change, not the level
GROWTH_AFTER_RE = re.compile(
    r"\)?(?:\([^()]{0,15}\))*(?:比上年末?|比去年末?|较上年末?|比上年同期|同比|比年初)?"
    r"(?:增长|下降|提高|降低|增加|减少|上升|回落|增速|扩大|缩小|持平|增产|减产|分别增长|分别下降)")


@lru_cache(maxsize=512)
def _region_end_re(names: tuple[str, ...]) -> re.Pattern:
    alternation = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True) if n)
    return re.compile(f"(?:{alternation})$" if alternation else r"(?!)")


def region_words(region_code: str, lookup: RegionLookup) -> tuple[str, ...]:
    """The names of the bulletin's region and of its counties, full and short, as printed."""
    from dagster_project.sources.bulletins.regions import region_names

    names = region_names(lookup)
    own = [n for n, c in names.prefectures.items() if c == region_code]
    own += [n for n, c in getattr(lookup, "_alias", {}).items() if c == region_code]
    own += [n + "地区" for n in own if not n.endswith("地区")]  # "全年巴州地区实现…"
    counties = list(names.counties.get(region_code, {}))
    return tuple(n for n in own + counties if len(n) >= 2)


_SUBJECT_VERB_RE = re.compile(r"(?:实现|完成|拥有|共有)$")


def starts_a_word(before: str, regions: tuple[str, ...] = (), label: str = "") -> bool:
    """The label printed after ``before`` (its sentence up to the label) is not run into a longer
    noun: ``before`` is empty or ends with punctuation, or with opener words and region names down
    to such a point ("年末全市共有", "至2025年末佳木斯市共有"). A noun before an opener makes the
    figure that noun's ("村卫生室拥有执业(助理)医师") unless that noun names the label's own field
    (its first three characters: "具有资质等级的…建筑业企业实现建筑业总产值", the standard scope
    of the figure); a bracket belongs to the noun before it ("疾病预防控制中心(防疫站)卫生技术人员")."""
    b, stripped = before, False
    while True:
        if not b or not _WORD_CHAR_RE.search(b) and not b.endswith(")"):
            return True
        if b.endswith(")"):
            inner = b.rfind("(")
            if inner <= 0:
                return True
            b = b[:inner]
            continue
        if _PREVIOUS_YEAR_RE.search(b):
            return False
        t = _TIME_OPENER_RE.search(b)
        if t:  # a sentence starts at a time word: what is before it is another sentence or a heading
            return not _PREVIOUS_YEAR_RE.search(b[:t.start()])
        m = _OPENER_RE.search(b) or _region_end_re(regions).search(b)
        if m and m.start() < len(b):
            if _SUBJECT_VERB_RE.search(b) and label[:3] and label[:3] in clause_before(b[:m.start()]):
                return True  # the subject names the label's own field: "建筑业企业实现建筑业总产值"
            b, stripped = b[:m.start()], True
            continue
        return stripped and b[-1].isdigit()


def is_growth(text: str, end: int) -> bool:
    """The label ending at ``end`` is followed by a change word (增长 x %, 比上年下降 …)."""
    return bool(GROWTH_AFTER_RE.match(text, end))


_SUBJECT_RE = re.compile(r"(?:实现|完成|接待)(?=[\u4e00-\u9fff])")  # a verb with an object, not a link before a number


def foreign_subject(text: str, regions: tuple[str, ...] = ()) -> bool:
    """The sentence's first clause has a subject other than the region ("全年休闲农业实现主营业务
    收入9.0亿元…;接待游客1011万人次"): a label opening a later clause continues that subject."""
    first = re.split(r"[,;:]", text, maxsplit=1)[0]
    m = _SUBJECT_RE.search(first)
    return bool(m) and not starts_a_word(first[:m.start()], regions)


def clause_before(before: str) -> str:
    return _CLAUSE_SPLIT_RE.split(before)[-1]


def share_or_per_head(before: str, is_share: bool = False) -> str | None:
    """Why a label after ``before`` is not its indicator's level: the base of a share (占…) or a
    per-head figure (每…) in the same clause; None when neither. A label that is itself a share
    (``is_share``: printed in %) may be printed after 占 ("占总人口比重(常住人口城镇化率)为74.63%")."""
    clause = clause_before(before)
    if "占" in clause and not is_share:
        return "share"
    if "每" in clause:
        return "per_head"
    return None


def level_problem(text: str, start: int, end: int, regions: tuple[str, ...] = (), is_share: bool = False,
                  label: str = "") -> str | None:
    """Why the label at text[start:end] does not start a level figure, or None when it may
    (``is_share``: the label's indicator is a share, printed in %)."""
    before = text[:start]
    if not starts_a_word(before, regions, label):
        return "inside_word"
    if _LAST_YEAR_RE.search(before):
        return "previous_year"  # "此外,去年全年人口出生率为7.78‰,死亡率为7.88‰": last year's, year unprinted
    if is_growth(text, end):
        return "growth"
    if re.search(r"[,;]$", before) and foreign_subject(text, regions):
        return "of_sentence_subject"
    return share_or_per_head(before, is_share)


_INSTITUTION_COUNT_RE = re.compile(r"\d(?:个|家|所|座|处)(?:\([^()]*\))?$")
INSTITUTION_UNITS = ("个", "家", "所", "座", "处")


def of_counted_institutions(before: str, unit: str, label_spans: list[tuple[int, int]], label: str = "") -> bool:
    """A staff or bed figure after a count of institutions the vocabulary does not know, in the same
    sentence, is those institutions' ("疾病预防控制中心5个,卫生技术人员379人", "乡镇卫生院181个,
    床位10692张,卫生技术人员8765人"); after a count of a vocabulary label ("共有医疗卫生机构
    1090个,卫生技术人员…") it is the region's, and so after a count of the noun the label itself
    names ("养老机构59所,养老机构床位12364张"). Figures counted in institutions themselves (a list
    "文化馆8个,公共图书馆7个") are peers, not attributes."""
    if unit in INSTITUTION_UNITS or not re.search(r"[,;:]$", before):
        return False  # only a label listed right after a clause ("…5个,卫生技术人员379人")
    end = len(before)
    for part in reversed(re.split(r"(?<=[,;:])", before)[:-1]):
        start = end - len(part)
        clause, end = part.rstrip(",;:"), start
        if any(start <= a < start + len(part) for a, _ in label_spans):
            return False
        if _INSTITUTION_COUNT_RE.search(clause):
            noun = _LEADING_RE.sub("", re.split(r"\d", clause)[0])
            return not (noun and noun in label)  # "养老机构59所,养老机构床位12364张": the label's own

    return False


def is_sub_item(before: str, indicator_code: str, codes_before: list[str]) -> bool:
    """After 其中, an indicator already read in the sentence is a sub-item of its own total."""
    return "其中" in before and indicator_code in codes_before


# ---------------------------------------------------------------------------
# Coverage: <label><number><unit> shapes
# ---------------------------------------------------------------------------

_LEADING_RE = re.compile(r"^(?:\d{4}年)?(?:全年|年末|年底|全市|全区|全州|其中|共有|实现|完成|累计|[\u4e00-\u9fff]{0,8}?[市区州盟县])*")
_CHANGE_LABEL_RE = re.compile(r"(?:增长|下降|提高|降低|增加|减少|上升|回落|增产|减产|扩大|缩小|比上年|同比|分别|占|为|达到?|约|超过|近)$")


@lru_cache(maxsize=1)
def _shape_re() -> re.Pattern:
    units = {normalize_text(u) for u in read_reference("units")["unit_printed"].drop_nulls().to_list()}
    units = sorted((u for u in units if u and u not in ("/", "ratio") and not u.isascii() or u in ("%",)),
                   key=len, reverse=True)
    unit_alt = "|".join(re.escape(u) for u in units)
    return re.compile(r"(?P<label>[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9()&]{1,30}?)(?:为|达到|达|是|共|完成)?"
                      rf"(?P<number>-?\d[\d,]*(?:\.\d+)?)(?P<unit>{unit_alt})")


def figure_shapes(sentence: str) -> list[tuple[int, str]]:
    """(position of the number, printed label) of every ``<label><number><unit>`` shape of a
    sentence whose label is not a change word (a growth rate is no figure of a level)."""
    text = normalize_text(sentence)
    out = []
    for clause_start, clause in _clauses(text):
        for m in _shape_re().finditer(clause):
            label = m.group("label")
            if _CHANGE_LABEL_RE.search(label) or re.search(r"(?:增长|下降|提高|减少|增加)", label):
                continue
            label = _LEADING_RE.sub("", label) or label
            out.append((clause_start + m.start("number"), label))
    return out


def _clauses(text: str):
    pos = 0
    for part in re.split(r"([,;:、。])", text):
        if part and part not in ",;:、。":
            yield pos, part
        pos += len(part)


def has_number(sentence: str) -> bool:
    return bool(re.search(r"\d", normalize_text(sentence)))


# ---------------------------------------------------------------------------
# Parts a 其中 names by a bare noun: "卫生机构床位26886张,其中,医院19332张"
# ---------------------------------------------------------------------------

_PART_RE = re.compile(r"[,:、]?(?P<noun>[\u4e00-\u9fff]{1,8}?)(?P<value>\d+(?:\.\d+)?)(?P<unit>[^\d,;:、。()]{1,6}?)(?=[,;:、。(]|$)")


def implied_parts(text: str, found: list[dict], labels: dict[str, tuple[str, str]]) -> list[dict]:
    """Figures of a 其中 list after a read figure whose parts are printed as a bare noun with a
    number in the same unit: the noun completed by an ending of the total's label is a label of
    the vocabulary ("卫生机构床位26886张,其中,医院19332张" → 医院床位 19332; "移动电话用户…,其中
    5G用户…" needs no completion). ``labels``: printed label -> (label key, indicator code), the
    vocabulary's unqualified labels. A noun that completes to no label is not read."""
    parts: list[dict] = []
    have = {f["indicator_code"] for f in found}
    for f in found:
        offset = len(text) - len(f["after"])
        segment = re.split(r"[;。]", f["after"], maxsplit=1)[0]
        at = segment.find("其中")
        if at < 0 or at > 2:  # the 其中 right after the total: ",其中,…"
            continue
        pos = at + 2
        total = f["label"].split("[")[0]
        while (m := _PART_RE.match(segment, pos)) is not None and m.group("unit") == f["unit"]:
            pos = m.end()
            noun = m.group("noun")
            completed = next((noun + total[k:] for k in range(len(total) - 1) if noun + total[k:] in labels), None)
            if completed is None or labels[completed][1] in have:
                continue
            key, code = labels[completed]
            have.add(code)
            start = offset + m.start("noun")
            parts.append({"label": key, "indicator_code": code, "value_raw": m.group("value"), "unit": f["unit"],
                          "year_in_text": f["year_in_text"], "start": start,
                          "value_span": (offset + m.start("value"), offset + m.end("value")),
                          "before": text[:start], "after": text[offset + m.end():]})
    return parts

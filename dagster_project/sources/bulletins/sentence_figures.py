"""The bulletin vocabulary and the level figures of one sentence, whatever file the sentence came from.

The vocabulary is the ``bulletin`` rows of raw/reference/indicator_label_map.csv; which label
occurrences state a level (not a growth rate, a share's base, a 其中 part, another noun's figure) is
decided by :mod:`dagster_project.sources.bulletins.figures`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dagster_project.common.reference import label_rows, read_reference
from dagster_project.common.text import normalize_text
from dagster_project.sources.bulletins import figures as rules
from dagster_project.sources.common.provenance import SourceError

LABEL_SCOPE = "bulletin"  # source_scope of the vocabulary in raw/reference/indicator_label_map.csv

# ---------------------------------------------------------------------------
# Vocabulary: the printed labels of raw/reference/indicator_label_map.csv (scope
# 'bulletin'), each with the printed units raw/reference/units.csv converts to the
# catalogue unit of its indicator. A label may carry a context qualifier in brackets,
# "城镇人口[常住]": it is printed without a population basis and only counts when the
# nearest basis named before it in the paragraph (常住 or 户籍) is the qualifier.
# ---------------------------------------------------------------------------

# between a label and its number: a closing bracket, footnote marks "[3]", a short aside
# "(GDP)" / "(不含铁门关市)", a colon and a linking verb
_LINK = r"\)?(?:\[\d{1,2}\]|\([^()\d]{1,15}\))*:?(?:为|达到|达|是|共|总计|共计|累计|完成|修订为)?(?:\[\d{1,2}\])?"
_VALUE = r"(?P<value>(?:约|近|超过)?[^,;。、:()\[\]\u4e00-\u9fff%]{1,20}?)"
_QUALIFIER_RE = re.compile(r"^(?P<printed>.+?)\[(?P<qualifier>[^\]]+)\]$")
_BASIS_RE = re.compile(r"常住|户籍")
_YEAR_IN_TEXT = re.compile(r"(\d{4})年")


@dataclass(frozen=True)
class Label:
    """One printed bulletin label and how its figure is read."""

    key: str  # as in the mapping file (normalized): printed label + optional [qualifier]
    printed: str  # normalized text searched for
    qualifier: str | None
    indicator_code: str  # only to know the units its figure may be printed in
    unit_re: str  # printed units, longest first; a ratio may be printed "X:1" or bare

    def tail(self) -> re.Pattern:
        return re.compile(f"{_LINK}{_VALUE}(?P<unit>{self.unit_re})")


@lru_cache(maxsize=1)
def vocabulary() -> tuple[Label, ...]:
    """Bulletin labels from the one label mapping file, longest printed label first."""
    catalogue = {r["indicator_code"]: r["canonical_unit"] for r in read_reference("indicators").iter_rows(named=True)}
    units = read_reference("units").to_dicts()
    labels = []
    for row in label_rows(LABEL_SCOPE):
        key, code = row["label_key"], row["indicator_code"]
        canonical = catalogue.get(code)
        m = _QUALIFIER_RE.match(key)
        printed, qualifier = (m.group("printed"), m.group("qualifier")) if m else (key, None)
        if canonical == "ratio":
            unit_re = r":1|(?=[,;。)]|$)"
        else:
            printed_units = {
                normalize_text(u["unit_printed"]) for u in units
                if u["canonical_unit"] == canonical and (u["indicator_code"] or code) == code
                and normalize_text(u["unit_printed"]) not in ("", "/", "ratio")
            }
            if not printed_units:
                raise SourceError("indicator_label_map.csv", key, f"no printed unit converts to {canonical!r} ({code})")
            unit_re = "|".join(re.escape(u) for u in sorted(printed_units, key=len, reverse=True))
        labels.append(Label(key, printed, qualifier, code, unit_re))
    return tuple(sorted(labels, key=lambda lab: len(lab.printed), reverse=True))


def split_sentences(text: str) -> list[str]:
    """Sentences ending with 。 (the ending kept); a trailing fragment counts as one."""
    parts = re.findall(r"[^。]+。?", text)
    return [" ".join(p.split()) for p in parts if p.strip()]


def extract_figures(sentence: str, context: str = "", regions: tuple[str, ...] = ()) -> list[dict]:
    """Every labelled LEVEL figure in one sentence: label (with its resolved qualifier), value text,
    unit, the last year named before it, the sentence text before the label and the text after
    the unit (where a change against the previous year may follow, :mod:`...prior_year`).

    Label occurrences inside a longer label are not figures of their own (人均地区生产总值
    holds 地区生产总值, 常住人口城镇化率 holds 常住人口); nor is a label run into a longer noun,
    followed by a change word, the base of a share or a per-head figure, or a 其中 sub-item of an
    indicator the sentence already gave (:func:`dagster_project.sources.bulletins.figures.level_problem`).
    ``context`` is the paragraph text before the sentence, where a qualified label looks for its
    population basis; ``regions`` the names of the bulletin's region and counties.
    """
    text = normalize_text(sentence)
    spans: list[tuple[int, int, Label]] = []
    for label in vocabulary():
        for m in re.finditer(re.escape(label.printed), text):
            spans.append((m.start(), m.end(), label))
    spans = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0] for o in spans)]
    found: list[dict] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -len(s[2].key))):
        if label.qualifier is not None:
            bases = _BASIS_RE.findall(normalize_text(context) + text[:end])
            if not bases or bases[-1] != label.qualifier:
                continue
        if rules.level_problem(text, start, end, regions, is_share=label.unit_re == "%", label=label.printed):
            continue
        m = label.tail().match(text, end)
        if not m or any(f["start"] == start for f in found):
            continue
        if rules.is_sub_item(text[:start], label.indicator_code, [f["indicator_code"] for f in found]) or \
                rules.of_counted_institutions(text[:start], m.group("unit"), [(s[0], s[1]) for s in spans], label.printed):
            continue
        years = _YEAR_IN_TEXT.findall(text[:start])
        unit = m.group("unit")
        found.append({
            "label": label.key,
            "indicator_code": label.indicator_code,
            "value_raw": m.group("value"),
            "unit": "ratio" if label.unit_re.startswith(":1") else unit,
            "year_in_text": int(years[-1]) if years else None,
            "start": start,
            "value_span": (m.start("value"), m.end("value")),
            "before": text[:start],
            "after": text[m.end():],
        })
    return found + rules.implied_parts(text, found, unqualified_labels())


@lru_cache(maxsize=1)
def unqualified_labels() -> dict[str, tuple[str, str]]:
    """Printed label -> (label key, indicator code) of the vocabulary's labels without a qualifier."""
    return {lab.printed: (lab.key, lab.indicator_code) for lab in vocabulary() if lab.qualifier is None}

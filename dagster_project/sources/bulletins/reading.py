"""A bulletin's text blocks -> observations, quarantine rows and a coverage summary.

Per sentence: its level figures (:func:`dagster_project.sources.bulletins.sentence_figures.extract_figures`), whose
figure each is (:func:`dagster_project.sources.bulletins.regions.figure_subject`), the previous year's
value a change after it states exactly (:mod:`.prior_year`, landed as a second row with
``derivation = 'derived_from_change'``), and every ``<label><number><unit>`` shape the vocabulary did
not read (:func:`.figures.figure_shapes`), listed as unmapped so coverage can be measured.

Coverage counts in the summary: ``sentences_with_number``, ``figures_read`` (observations as
stated or revised), ``figures_derived`` (previous-year values), ``figures_repeated`` (a figure printed again),
``figures_conflicting`` (a later different value of a figure already read: not landed),
``figures_unmapped`` and ``unmapped_labels`` (label -> occurrences, most frequent first).
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from dagster_project.sources.bulletins.regions import figure_subject
from dagster_project.sources.common.provenance import ObservationRows, QuarantineRow
from dagster_project.sources.common.cells import parse_number
from dagster_project.common.reference import RegionLookup
from dagster_project.sources.bulletins import figures as rules
from dagster_project.sources.bulletins.sentence_figures import extract_figures, split_sentences
from dagster_project.sources.bulletins.prior_year import DERIVED, derivation_of, previous_value

EXTRA_SCHEMA = {
    "derivation": pl.Utf8,  # stated | revised | derived_from_change
    "document_format": pl.Utf8,  # html | pdf | docx
    "bulletin_key": pl.Utf8,  # '<title kind> <region code> <year>': one bulletin in two files is one set (dbt)
}


class _FirstFigure:
    """One figure per region, indicator, year and derivation in a bulletin: the first printed.
    A bulletin states its region's figure first; a later different value of the same indicator is
    a breakdown ("全年民营经济增加值…。其中,第一产业增加值289.60亿元" after the region's 355.75) and
    is listed in the summary (``figures_conflicting``), a later equal one counted as repeated."""

    def __init__(self):
        self.values: dict[tuple, tuple[float, str]] = {}
        self.repeated = 0
        self.conflicts: list[str] = []

    def keep(self, key: tuple, value: float, location: str) -> bool:
        if key not in self.values:
            self.values[key] = (value, location)
            return True
        if self.values[key][0] == value:
            self.repeated += 1
        else:
            self.conflicts.append(f"{key[1]} {key[2]} {key[0]}: {value:g} at {location} "
                                  f"(kept {self.values[key][0]:g} at {self.values[key][1]})")
        return False


def read_blocks(blocks, *, kind: str, label_scope: str, source_file: str, source_sha256: str,
                region_code: str, region_name: str, year: int, lookup: RegionLookup, file_values: dict | None = None):
    """(observations, quarantine rows, counts) of the text blocks [(location, text)] of one bulletin
    ('line 12' of a page, 'page 3 line 12' of a PDF); ``file_values``: columns the same for every row."""
    regions = rules.region_words(region_code, lookup)
    obs = ObservationRows(kind, source_file, source_sha256, label_scope, extra_schema=EXTRA_SCHEMA)
    obs.file_values.update(file_values or {})
    quarantine: list[QuarantineRow] = []
    counts = dict(blocks=len(blocks), sentences=0, sentences_with_number=0, figures_matched=0, figures_of_counties=0,
                  figures_unattributed=0, figures_read=0, figures_derived=0, figures_unmapped=0)
    unmapped: Counter = Counter()
    seen: Counter = Counter()  # (location, label): a page may hold several blocks on one source line
    first = _FirstFigure()
    for line, text in blocks:
        context = ""
        for k, sentence in enumerate(split_sentences(text), start=1):
            counts["sentences"] += 1
            counts["sentences_with_number"] += rules.has_number(sentence)
            figs = extract_figures(sentence, context, regions)
            read_spans = [f["value_span"] for f in figs]
            shapes = rules.figure_shapes(sentence)
            for pos, label in shapes:
                if not any(a <= pos < b for a, b in read_spans):
                    counts["figures_unmapped"] += 1
                    unmapped[label] += 1
            for fig in figs:
                counts["figures_matched"] += 1
                subject, _why_not = figure_subject(fig["before"], region_code, lookup)
                if subject is None:
                    counts["figures_unattributed"] += 1  # whose figure it is is unclear: not published
                    continue
                counts["figures_of_counties"] += subject != region_code
                base = f"{line} sentence {k}"
                seen[base, fig["label"]] += 1
                location = base + (f" figure {seen[base, fig['label']]}" if seen[base, fig["label"]] > 1 else "")
                value = parse_number(fig["value_raw"])
                if value is None:
                    quarantine.append(QuarantineRow(
                        kind, source_file, source_sha256, location,
                        f"figure for {fig['label']!r} is not a number: {fig['value_raw']!r}", sentence))
                    continue
                fig_year = fig["year_in_text"] or year
                row = dict(source_location=location, verbatim=sentence,
                           region_name_raw=region_name if subject == region_code else lookup.get(subject)["region_name"],
                           region_code=subject, indicator_label_raw=fig["label"], unit_raw=fig["unit"])
                derivation = derivation_of(sentence, fig_year, year)
                if first.keep((subject, fig["indicator_code"], fig_year, derivation), value, location):
                    obs.add(**row, year=fig_year, value_raw=fig["value_raw"], value=value, derivation=derivation)
                    counts["figures_read"] += 1
                prev = previous_value(fig["after"], fig["value_raw"], value, fig["unit"])
                if prev is not None and first.keep((subject, fig["indicator_code"], fig_year - 1, DERIVED), prev[0], location):
                    obs.add(**row, year=fig_year - 1, value_raw=prev[1], value=prev[0], derivation=DERIVED)
                    counts["figures_derived"] += 1
            context += sentence
    counts["figures_repeated"], counts["figures_conflicting"] = first.repeated, first.conflicts
    counts["unmapped_labels"] = dict(unmapped.most_common())
    return obs.frame(), quarantine, counts


def coverage_note(summary: dict | None) -> str:
    """', 168 sentences with a number, 47 figures read (+4 previous-year), 177 unmapped' for a
    bulletin's load metadata (empty for a parse result without coverage counts)."""
    if not isinstance(summary, dict) or "figures_unmapped" not in summary:
        return ""
    return (f", {summary['sentences_with_number']} sentences with a number, {summary['figures_read']} figures read"
            f" (+{summary['figures_derived']} previous-year), {summary['figures_unmapped']} unmapped")

"""The one comparator rule of the plans, for indicator-table cells (``common.parse_cell``) and
prose targets (``prose_targets``) alike.

A value may have a comparator *before* it (a word or symbol: 不低于 60, ≥60, 达到 60) and one
*after* it (60 以上, 5.5 以内, 2.2 左右). Words that only say "becomes" (达到, 提高到, 约, =, ≈ …)
are *soft*: a comparator after the value overrides them (达到 60% 以上 → ≥). Two *hard*
comparators must agree (≥60 以上 → ≥); when they disagree (<5 以上, 不超过 60% 以上) the value
cannot be read safely: the caller quarantines it. Nothing before or after → ``=``.
"""

from __future__ import annotations

from typing import NamedTuple


class Prefix(NamedTuple):
    word: str
    comparator: str
    soft: bool
    direction: str | None  # 'lower' when the word says the value must fall (降至)


_HARD = {
    "≥": ("大于或等于", "大于等于", "不低于", "不少于", "不小于", "至少", ">=", "≥", "⩾"),
    ">": ("超过", "突破", "高于", "多于", "大于", "超", ">"),
    "≤": ("小于或等于", "小于等于", "不超过", "不高于", "不多于", "不大于", "<=", "≤", "⩽"),
    "<": ("低于", "少于", "小于", "<"),
}
_SOFT = {
    "≈": ("大约", "约为", "约", "≈", "~"),
    "=": ("提高到", "提高至", "提升到", "提升至", "增加到", "增加至", "增长到", "增长至", "发展到", "发展至",
          "扩大到", "扩大至", "保持在", "稳定在", "达到", "达", "为", "="),
    "≤": ("控制在",),
}
_LOWER = {
    ("≤", False): ("压减到", "压减至"),
    ("=", True): ("下降到", "下降至", "降低到", "降低至", "减少到", "减少至", "缩小到", "缩小至", "降至", "降到"),
}

PREFIX_WORDS: list[Prefix] = sorted(
    [Prefix(w, c, False, None) for c, ws in _HARD.items() for w in ws]
    + [Prefix(w, c, True, None) for c, ws in _SOFT.items() for w in ws]
    + [Prefix(w, c, soft, "lower") for (c, soft), ws in _LOWER.items() for w in ws],
    key=lambda p: -len(p.word),  # the longest word wins (不低于 before 低于)
)

POSTFIX_WORDS: list[tuple[str, str]] = [
    ("及以上", "≥"), ("以上", "≥"), ("以下", "≤"), ("以内", "≤"), ("之内", "≤"), ("左右", "≈"),
]


def prefix_ending_at(text: str, floor: int, pos: int) -> tuple[Prefix | None, int]:
    """The comparator word of ``text[floor:pos]`` that ends right at ``pos`` and where it starts."""
    left = text[floor:pos]
    for p in PREFIX_WORDS:
        if left.endswith(p.word):
            return p, pos - len(p.word)
    return None, pos


def postfix_at(text: str, pos: int) -> tuple[str | None, int]:
    """The comparator word starting at ``pos`` (以上 → ≥ …) and the position after it."""
    for word, comparator in POSTFIX_WORDS:
        if text.startswith(word, pos):
            return comparator, pos + len(word)
    return None, pos


def combine(prefix: Prefix | None, postfix: str | None) -> tuple[str, str | None]:
    """(comparator, None) or (comparator, why the two comparators conflict): see module doc."""
    if prefix is None:
        return postfix or "=", None
    if postfix is None or postfix == prefix.comparator:
        return prefix.comparator, None
    if prefix.soft:
        return postfix, None
    return prefix.comparator, f"conflicting comparators {prefix.word!r} and a trailing {postfix}"

"""Numbers written in Chinese characters, and the five-year plan periods plans name.

* :func:`chinese_to_number`: "五" → 5, "十二" → 12, "三百五十" → 350, "一万二千" → 12000, "两千" → 2000,
  "六十点五" → 60.5, "二〇二五" → 2025 (digit by digit). Anything that is not a whole Chinese number
  → None (never a guess).
* :func:`rewrite_chinese_numbers`: the spans of a (normalised) text that print a *value* in Chinese
  characters — "百分之六十" → "60%"; a Chinese number followed by a unit, right after a comparator
  word ("达到五万人" → "达到5万人") or of a magnitude (十/百/千/万/亿: "新增就业五万人") — with their
  digit form, so they are read exactly as the same value in digits would be. Other Chinese numerals ("十四五",
  "一是", "两个", "三馆", "四星级") are words, not values, and are left alone.
* :func:`five_year_plan_period`: "十四五" → (2021, 2025): the n-th five-year plan (n ≥ 3) ends in
  1970 + 5·(n − 3) (the 3rd ran 1966–1970 after the 1963–1965 adjustment years).
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_LARGE = {"万": 10_000, "亿": 100_000_000}
NUMERAL_CHARS = "零〇一二三四五六七八九两十百千"
_NUMERAL_RE = re.compile(f"[{NUMERAL_CHARS}]+(?:[万亿][{NUMERAL_CHARS}]+)*(?:点[{NUMERAL_CHARS[:11]}]+)?")


def _below_10000(s: str) -> int | None:
    if not s:
        return 0
    total, digit, last_unit = 0, None, 10_000
    for ch in s:
        if ch in _DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row ("二五") inside a place-value number
            digit = _DIGITS[ch]
        elif ch in _SMALL:
            unit = _SMALL[ch]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    return total + (digit or 0)


def chinese_to_number(text: str) -> float | None:
    """A whole Chinese number as a float (see module doc), else None."""
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = chinese_to_number(whole)
        if w is None or not frac or any(ch not in _DIGITS for ch in frac):
            return None
        return float(f"{int(w)}.{''.join(str(_DIGITS[ch]) for ch in frac)}")
    if len(text) > 1 and all(ch in _DIGITS for ch in text):
        return float("".join(str(_DIGITS[ch]) for ch in text))  # 二〇二五: digit by digit
    total, rest = 0, text
    for ch, mult in sorted(_LARGE.items(), key=lambda kv: -kv[1]):
        if ch in rest:
            head, _, rest = rest.partition(ch)
            v = _below_10000(head) if head else 1
            if v is None:
                return None
            total += v * mult
    v = _below_10000(rest.lstrip("零〇"))
    return None if v is None else float(total + v)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def rewrite_chinese_numbers(text: str, comparator_words: tuple[str, ...], units: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, digits) for every Chinese-character value of ``text`` (see module doc)."""
    out: list[tuple[int, int, str]] = []
    for m in re.finditer(f"百分之([{NUMERAL_CHARS}]+(?:点[{NUMERAL_CHARS[:11]}]+)?)", text):
        v = chinese_to_number(m.group(1))
        if v is not None:
            out.append((m.start(), m.end(), _fmt(v) + "%"))
    taken = {k for a, b, _ in out for k in range(a, b)}
    for m in _NUMERAL_RE.finditer(text):
        a, b = m.span()
        v = chinese_to_number(m.group(0))
        rest = text[b:]
        if a in taken or v is None or not any(rest.startswith(u) for u in units):
            continue
        after_comparator = any(text.endswith(w, 0, a) for w in comparator_words)
        magnitude = any(ch in "十百千万亿" for ch in m.group(0)) or rest.startswith(("万", "亿"))
        if after_comparator or magnitude:  # "达到五万人", "新增就业五万人"; never "一个", "两条"
            out.append((a, b, _fmt(v)))
    return sorted(out)


def five_year_plan_period(name: str) -> tuple[int, int] | None:
    """"十四五" → (2021, 2025); None for a name that is not "十N五" with N in 一…九."""
    m = re.fullmatch(r"十([一二三四五六七八九])五", name.strip("“”\"'"))
    if not m:
        return None
    n = 10 + _DIGITS[m.group(1)]
    end = 1970 + 5 * (n - 3)
    return end - 4, end

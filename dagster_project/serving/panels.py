"""The monitoring logic on top of ``marts.mart_target_progress``.

* Two vocabularies: the UN SDG status code of the mart and the wording of Chinese plan mid-term
  evaluations (提前实现 / 快于预期 / 基本符合预期 / 滞后 / 无法评估), mapped by
  ``raw/reference/status_vocabulary.csv``.
* The projection and 预警 (early warning) are read from ``marts.mart_target_projection`` (dbt
  computes them, so BI tools see the same numbers): the value the target year would see at the
  actual pace since the baseline, and whether a binding (约束性) target's projection misses it.
* One panel per printed indicator (region × plan × place in the plan × label) holding its
  targets (2025, 2035) with a value, its actual series and its rank in the province.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_project.common.reference import read_reference

MISSING = "—"
LAGGING_ZH = "滞后"
METHOD_ZH = {"cagr": "年均增速法", "arithmetic_share": "完成度/时间进度法", "cumulative_share": "累计完成度法"}


@dataclass(frozen=True)
class Word:
    status_code: str
    name_zh: str
    name_en: str
    sdg_name_en: str
    zh_order: int
    min_ratio: float | None


class Vocabulary:
    """Status code (+ progress ratio) → wording. The rows of one status are tried in file order;
    the first whose ``progress_ratio_min`` is empty or not above the ratio applies."""

    def __init__(self, rows: list[dict]):
        self.words = [
            Word(r["status_code"], r["name_zh"], r["name_en"], r["sdg_name_en"], int(r["zh_order"]),
                 float(r["progress_ratio_min"]) if r["progress_ratio_min"] else None)
            for r in rows
        ]

    @classmethod
    def load(cls) -> "Vocabulary":
        return cls(read_reference("status_vocabulary").to_dicts())

    def word(self, status: str, ratio: float | None) -> Word:
        for w in self.words:
            if w.status_code == status and (w.min_ratio is None or (ratio is not None and ratio >= w.min_ratio)):
                return w
        raise KeyError(f"status {status!r} (progress ratio {ratio}) has no wording in raw/reference/status_vocabulary.csv")

    def zh_words(self) -> list[tuple[str, str]]:
        """(name_zh, name_en) in the order of the evaluation vocabulary, each once."""
        seen: dict[str, tuple[int, str]] = {}
        for w in self.words:
            seen.setdefault(w.name_zh, (w.zh_order, w.name_en))
        return [(zh, en) for zh, (_, en) in sorted(seen.items(), key=lambda kv: kv[1][0])]


def fmt(v: float | None, digits: int = 2) -> str:
    """A value for reading: thousands separators, at most ``digits`` decimals, no trailing zeros."""
    if v is None:
        return MISSING
    s = f"{v:,.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def pct(v: float | None) -> str:
    return MISSING if v is None else f"{v * 100:.2f} %"


def judge(t: dict, vocab: Vocabulary) -> dict:
    """The row with its wording, the projection and 预警 flag of marts.mart_target_projection and the
    Chinese reason added."""
    return {
        **t,
        "word": vocab.word(t["status"], t["progress_ratio"]),
        "projected": t["projected_value"],
        "projection_meets": t["projection_meets"],
        "warning": t["is_warning"],
        "reason_zh": t["status_reason_zh"],  # the mart says why, in Chinese (int_target_progress_computed)
        "latest_shown": t["cumulative_actual_sum"] if t["is_cumulative"] else t["latest_actual_value"],
    }


def binding_zh(is_binding: bool | None) -> str:
    return MISSING if is_binding is None else ("约束性" if is_binding else "预期性")


def where_zh(row: dict) -> str:
    """Where the plan prints a target: its table (专栏1) or 正文 (the prose), and the line, so that
    the same indicator and year from the table and from a sentence can be told apart."""
    place = row.get("table_ref") or ("正文" if row.get("source_kind") == "prose" else row.get("source_kind") or MISSING)
    return place if row.get("line_number") is None else f"{place} 第 {row['line_number']} 行"


def build_panels(judged: list[dict], series: list[dict], ranks: dict) -> list[dict]:
    """One panel per printed indicator with at least one target value, in the mart's order
    (``judged``: rows of :func:`judge`)."""
    by_key: dict[tuple, dict] = {}
    for t in judged:
        if t["target_value"] is None:
            continue
        key = (t["region_code"], t["plan_id"], t["source_kind"], t["table_ref"], t["indicator_label"])
        p = by_key.get(key)
        if p is None:
            p = by_key[key] = {
                "id": f"panel-{t['city_code']}-{sum(q['city_code'] == t['city_code'] for q in by_key.values()) + 1}",
                **{k: t[k] for k in ("city_code", "city_name", "region_code", "region_name", "plan_id",
                                     "indicator_code", "indicator_label", "indicator_name_zh", "source_kind",
                                     "table_ref", "line_number", "canonical_unit", "actual_scope_group")},
                "targets": [],
            }
        p["targets"].append(t)
    for p in by_key.values():
        ts = p["targets"]
        p["plan_group"] = next((t["plan_group"] for t in ts if t["plan_group"]), None)
        flags = [t["is_binding"] for t in ts]
        p["is_binding"] = None if all(f is None for f in flags) else any(bool(f) for f in flags)
        scope = p["actual_scope_group"] or "whole_region"
        p["series"] = [
            s for s in series
            if s["region_code"] == p["region_code"] and s["indicator_code"] == p["indicator_code"] and s["scope_group"] == scope
        ]
        p["cutoff"] = max((s["year"] for s in p["series"]), default=None)
        history = ranks.get((p["region_code"], p["indicator_code"]), [])
        p["rank"] = history[-1] if history else None
        p["lagging"] = any(t["word"].name_zh == LAGGING_ZH for t in ts)
        p["warning"] = any(t["warning"] for t in ts)
    return list(by_key.values())


def status_summary(judged: list[dict], vocab: Vocabulary) -> list[dict]:
    """Per evaluation word: how many targets, and which SDG codes they carry."""
    out = []
    for zh, en in vocab.zh_words():
        rows = [t for t in judged if t["word"].name_zh == zh]
        codes = {}
        for t in rows:
            codes[t["status"]] = codes.get(t["status"], 0) + 1
        out.append({"name_zh": zh, "name_en": en, "n": len(rows), "codes": codes})
    return out


def group_summary(judged: list[dict], vocab: Vocabulary) -> list[dict]:
    """Per plan group (类别/领域, in the plan's order; MISSING when the warehouse has none):
    the number of targets per evaluation word."""
    groups: dict[str, list[dict]] = {}
    for t in judged:
        groups.setdefault(t["plan_group"] or MISSING, []).append(t)
    words = [zh for zh, _ in vocab.zh_words()]
    return [
        {"group": g, "counts": [sum(t["word"].name_zh == w for t in rows) for w in words], "n": len(rows)}
        for g, rows in groups.items()
    ]

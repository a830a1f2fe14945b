"""Text normalisation for *matching* printed labels and units: the one form every parser, the
reference readers and dbt's label map keys agree on (stored text stays verbatim)."""

from __future__ import annotations

import re
import unicodedata

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

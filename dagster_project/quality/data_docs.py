"""The Great Expectations Data Docs made readable offline: :func:`make_offline` replaces the CDN
stylesheets and scripts of GX's pages with the copies vendored in ``dagster_project/quality/static/vendor/``
(listed in its ``vendor.csv``; ``scripts/vendor_docs_assets.py`` fetches them). Called after each
validation (:mod:`dagster_project.quality.suites`) on the pages it wrote."""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
GX_WEB_ASSETS = re.compile(r"https://great-expectations-web-assets\.s3[^\"')\s]*")


def _vendor_rows() -> list[dict]:
    with open(VENDOR_DIR / "vendor.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def make_offline(site: Path, since: float | None = None) -> int:
    """Rewrite the pages of the Data Docs site ``site`` (those written at or after ``since``, a
    timestamp; default all) to load the vendored copies from ``site/static/vendor/`` instead of
    CDNs (tags of assets the pages do not need, e.g. vega, are dropped; GX's logo comes from its own
    static/images). Idempotent; returns pages rewritten."""
    rows = _vendor_rows()
    for r in (r for r in rows if r["file"]):
        source, target = VENDOR_DIR / r["file"], site / "static" / "vendor" / r["file"]
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    tags = [
        (re.compile(r'<(script|link)\b[^>]*\b(?:src|href)="' + re.escape(r["url"]) + r'"[^>]*>(?:\s*</script>)?'), r["file"])
        for r in rows if r["url"]
    ]
    rewritten = 0
    for page in (p for p in site.rglob("*.html") if since is None or p.stat().st_mtime >= since):
        text = page.read_text(encoding="utf-8")
        static = os.path.relpath(site / "static", page.parent)

        def local(match: re.Match, file: str) -> str:
            if not file:
                return ""
            if match.group(1) == "script":
                return f'<script src="{static}/vendor/{file}"></script>'
            return f'<link rel="stylesheet" href="{static}/vendor/{file}">'

        new = text
        for pattern, file in tags:
            new = pattern.sub(lambda m, f=file: local(m, f), new)
        new = GX_WEB_ASSETS.sub(f"{static}/images/logo-long.png", new)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
    return rewritten

"""Re-fetch the browser assets that Great Expectations' Data Docs load from CDNs, so the docs work
offline. What is fetched, from which npm package and file, and which CDN URL it replaces is listed in
dagster_project/quality/static/vendor/vendor.csv (a row without a package: the tag is dropped). The files are
committed; run this only to change a version:

    python scripts/vendor_docs_assets.py      # needs the npm client
"""

import csv
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "dagster_project" / "quality" / "static" / "vendor"


def main() -> None:
    with open(VENDOR / "vendor.csv", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["package"]]
    with tempfile.TemporaryDirectory() as tmp:
        for package in sorted({r["package"] for r in rows}):
            tgz = subprocess.run(["npm", "pack", "--silent", package], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.split()[-1]
            with tarfile.open(Path(tmp) / tgz) as tar:
                members = {m.name.removeprefix("package/"): m for m in tar.getmembers()}
                for r in (r for r in rows if r["package"] == package):
                    target = VENDOR / r["file"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(members[r["path"]]) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                licence = next((n for n in members if n.upper().startswith("LICENSE")), None)
                if licence:
                    text = tar.extractfile(members[licence]).read().decode("utf-8")
                else:  # popper.js 1.12.9 ships no licence file: its package.json names the licence
                    declared = json.load(tar.extractfile(members["package.json"]))["license"]
                    text = f"{package}: licence {declared} (package.json; the package ships no licence file)\n"
                (VENDOR / "licenses").mkdir(exist_ok=True)
                (VENDOR / "licenses" / (package.lstrip("@").replace("/", "-") + ".txt")).write_text(text, encoding="utf-8")
            print("vendored", package)


if __name__ == "__main__":
    main()

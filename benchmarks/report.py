"""Shared by the benchmark scripts: describe the machine, and replace one ``## section`` of BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

HEADER = ("# Benchmarks\n\nEach section is written by the script its command names (`benchmarks/`); the only figures "
          "not measured are in sections titled \"Extrapolation\", and say so.\n")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Machine: {os.cpu_count()} cores ({cpu}), {mem_kib / 2**20:.1f} GiB RAM; measured {when}."


def write_section(path: Path, title: str, body: str) -> None:
    """Create ``path`` if needed and put ``body`` under ``## title``, replacing that section only."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    section = f"## {title}\n\n{body.rstrip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text, count=1) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def record(title: str, text: str, write: bool = True) -> None:
    """Print ``text``; unless ``write`` is false, put it with the machine line under ``## title`` of BENCHMARKS.md."""
    print(text)
    if write:
        write_section(Path(__file__).resolve().parents[1] / "BENCHMARKS.md", title, machine() + "\n\n" + text)

"""Hashing source files: what every layer needs to tell one version of a file from another (finding
the source files, the loaders' inputs digests, the parsers' provenance, the yearbook sensor)."""

from __future__ import annotations

import hashlib
from pathlib import Path

_SHA256_SEEN: dict[tuple, str] = {}


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes (the file is only read, never modified). A run asks for the same
    file's hash several times (finding the source files, the loader's inputs digest, the parser's
    provenance): it is computed once per file version, i.e. again whenever the file's inode, size,
    modification or change time differ from the last time it was hashed."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _SHA256_SEEN:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _SHA256_SEEN[key] = h.hexdigest()
    return _SHA256_SEEN[key]

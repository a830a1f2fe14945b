"""Reading a source file safely: every failure is a SourceError naming the file, the place and
the reason, raised before anything large is held in memory. Budgets (file size, unzipped size of a
workbook, cells of a sheet) are rows of raw/reference/ingest_limits.csv."""

from __future__ import annotations

import csv
import io
import posixpath
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from dagster_project.sources.common.provenance import SourceError


def check_source_size(path: str | Path, kind: str) -> int:
    """The file's size in bytes; SourceError for an empty file or one over the budget
    ``max_file_bytes_<kind>`` of raw/reference/ingest_limits.csv."""
    from dagster_project.common import config

    path = Path(path)
    size = path.stat().st_size
    limit = config.ingest_limits()[f"max_file_bytes_{kind}"]
    if size == 0:
        raise SourceError(path.name, None, "empty file (0 bytes)")
    if size > limit:
        raise SourceError(path.name, None, f"file is {size:,} bytes, over max_file_bytes_{kind} = {limit:,} "
                          "(raw/reference/ingest_limits.csv)")
    return size


def read_source_bytes(path: str | Path, kind: str) -> bytes:
    """A source file's bytes, read only after :func:`check_source_size` accepted it."""
    check_source_size(path, kind)
    return Path(path).read_bytes()


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 text (a BOM tolerated); invalid bytes raise SourceError naming the line and the
    byte offset, and saying so when the bytes read as GB18030/GBK instead (never guessed)."""
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        try:
            raw.decode("gb18030")
            hint = "; the bytes decode as GB18030/GBK: re-save the file as UTF-8"
        except UnicodeDecodeError:
            hint = ""
        line = raw.count(b"\n", 0, offset) + 1
        raise SourceError(file, line, f"not valid UTF-8 at byte {offset} (0x{raw[offset]:02x}){hint}") from exc


def read_source_lines(path: str | Path, kind: str) -> list[str]:
    """A guarded :func:`read_text_lines`: size budget, then strict UTF-8, errors named by file name."""
    path = Path(path)
    return decode_text(read_source_bytes(path, kind), path.name).splitlines()


def csv_records(reader, file: str):
    """An iterator over the records of a ``csv.reader`` / ``csv.DictReader`` (whose header is
    read right away, so ``reader.fieldnames`` is ready); a malformed record (a field over the csv
    module's size limit, an unterminated quote in strict mode) raises SourceError with its line
    instead of csv.Error."""

    def guarded(read):
        try:
            return read()
        except csv.Error as exc:
            line = getattr(reader, "reader", reader).line_num  # a DictReader counts only good records
            raise SourceError(file, line, f"malformed CSV: {exc}") from exc

    guarded(lambda: getattr(reader, "fieldnames", None))
    return iter(lambda: guarded(lambda: next(reader, None)), None)


@lru_cache(maxsize=4096)
def _column_number(letters: str) -> int | None:
    """'XFD' -> 16384 (cached: a sheet repeats the same few column letters)."""
    if not (letters.isascii() and letters.isalpha() and len(letters) <= 3):
        return None
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _cell_position(ref: str) -> tuple[int, int] | None:
    """'XFD1048576' -> (1048576, 16384): 1-based row and column of an A1 reference, else None."""
    letters = ref.rstrip("0123456789")
    col = _column_number(letters)
    return (int(ref[len(letters):]), col) if col and len(letters) < len(ref) else None


def _xlsx_sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """worksheet member -> sheet name, from xl/workbook.xml and its relationships; every
    other xl/worksheets/*.xml member is listed under its own member name."""
    members = {n: n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    try:
        rels = {e.get("Id"): e.get("Target", "") for e in ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))}
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    except (KeyError, ElementTree.ParseError):
        return members  # calamine reports a workbook it cannot open
    for sheet in (e for e in book.iter() if e.tag.rpartition("}")[2] == "sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.rpartition("}")[2] == "id"), None)
        target = rels.get(rid)
        if target:
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            members[member] = sheet.get("name") or member
    return members


def _check_sheet_extent(stream, file: str, sheet: str, max_cells: int) -> None:
    """Stream one worksheet's XML and refuse it as soon as its declared ``<dimension>`` or its
    farthest cell makes the grid from A1 (what python-calamine allocates) exceed ``max_cells``.
    Rows and cells without an ``r`` attribute count on from the previous one, as calamine does."""
    row = col = rows = cols = 0

    def refuse(what: str, n_rows: int, n_cols: int) -> None:
        raise SourceError(file, f"sheet {sheet}", f"{what} makes the used range {n_rows:,} rows x {n_cols:,} columns "
                          f"= {n_rows * n_cols:,} cells from A1, over max_sheet_cells = {max_cells:,} "
                          "(raw/reference/ingest_limits.csv)")

    def start(tag: str, attrs: dict) -> None:
        nonlocal row, col, rows, cols
        name = tag[tag.find(":") + 1:]  # qualified names as written: 'c' or 'x:c'
        if name == "c":
            at = _cell_position(attrs["r"]) if "r" in attrs else None
            row, col = at if at else (row, col + 1)
            if row > rows or col > cols:
                rows, cols = max(rows, row), max(cols, col)
                if rows * cols > max_cells:
                    refuse(f"cell {attrs.get('r') or f'at row {row} column {col}'}", rows, cols)
        elif name == "row":
            r = attrs.get("r", "")
            row, col = (int(r) if r.isdigit() else row + 1), 0
        elif name == "dimension":
            end = _cell_position(attrs.get("ref", "").rpartition(":")[2])
            if end and end[0] * end[1] > max_cells:
                refuse(f"declared dimension {attrs['ref']}", *end)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.ParseFile(stream)
    except expat.ExpatError as exc:
        raise SourceError(file, f"sheet {sheet}", f"worksheet XML is malformed: {exc}") from exc


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError)


def check_zip_archive(data: bytes, file: str, what: str, budget_name: str) -> zipfile.ZipFile:
    """The open archive of an Office file (xlsx, docx = zip), refused before a reader inflates it:
    a damaged or truncated archive, members that unzip to more than ``budget_name`` of
    raw/reference/ingest_limits.csv (judged from the central directory, nothing inflated) and a
    member failing its CRC. ``what`` names the format in the reason ('xlsx', 'docx')."""
    from dagster_project.common import config

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        unzipped, budget = sum(m.file_size for m in zf.infolist()), config.ingest_limits()[budget_name]
        if unzipped > budget:
            raise SourceError(file, None, f"members unzip to {unzipped:,} bytes ({len(data):,} zipped), over "
                              f"{budget_name} = {budget:,} (raw/reference/ingest_limits.csv)")
        bad = zf.testzip()
        if bad:
            raise SourceError(file, f"member {bad}", "damaged zip member (CRC check failed)")
        return zf
    except SourceError:
        raise
    except _ZIP_ERRORS as exc:
        raise SourceError(file, None, f"not a readable {what} (zip) archive: {type(exc).__name__}: {exc}") from exc


def check_xlsx_archive(data: bytes, file: str) -> None:
    """Refuse a workbook (xlsx = zip) before a spreadsheet reader inflates it: what
    :func:`check_zip_archive` refuses (budget ``max_xlsx_uncompressed_bytes``), and a sheet whose
    used range exceeds ``max_sheet_cells`` (see :func:`_check_sheet_extent`)."""
    from dagster_project.common import config

    zf, max_cells = check_zip_archive(data, file, "xlsx", "max_xlsx_uncompressed_bytes"), config.ingest_limits()["max_sheet_cells"]
    try:
        for member, sheet in _xlsx_sheet_members(zf).items():
            if member in zf.NameToInfo:
                with zf.open(member) as stream:
                    _check_sheet_extent(stream, file, sheet, max_cells)
    except SourceError:
        raise
    except _ZIP_ERRORS as exc:
        raise SourceError(file, None, f"not a readable xlsx (zip) archive: {type(exc).__name__}: {exc}") from exc


def read_workbook(path: str | Path, kind: str = "yearbook") -> dict[str, list[list]]:
    """All sheets of a workbook as cell grids (row 0 = Excel row 1, column 0 = A).

    python-calamine aborts the whole process when a grid does not fit in memory, so the file
    is first held to the budgets of ``kind`` in raw/reference/ingest_limits.csv: empty or
    oversize files, a damaged zip, a zip bomb and a sheet whose used range is too large are
    refused with a SourceError before calamine sees them (:func:`check_xlsx_archive`).
    A legacy .xls (not a zip) is only held to the file-size budget."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    data = read_source_bytes(path, kind)
    if data.startswith(b"PK") or path.suffix.lower() in (".xlsx", ".xlsm"):
        check_xlsx_archive(data, path.name)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}
    except Exception as exc:  # calamine raises its own error types
        raise SourceError(path.name, None, f"cannot open workbook: {type(exc).__name__}: {exc}") from exc

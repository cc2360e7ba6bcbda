"""Read the first worksheet of an XLSX workbook as rows of cell values, with zipfile and
defusedxml only.

Why not openpyxl: the app needs four columns of one sheet, and reading them here keeps every
XML part of an untrusted workbook behind defusedxml and every part's unpacked size bounded
(a small XLSX can unpack to gigabytes)."""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Iterator
from xml.etree.ElementTree import Element

from .plan import MeasureFileError
from .qrda import parse_xml

MAX_PART_BYTES = 100 * 1024 * 1024  # unpacked size of any one part we read
MAX_ROWS = 10_000

Cell = str | float | None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find(el: Element, name: str) -> Iterator[Element]:
    return (c for c in el.iter() if _local(c.tag) == name)


def _part(book: zipfile.ZipFile, name: str) -> Element | None:
    try:
        info = book.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise MeasureFileError(f"The workbook's part {name} unpacks to {info.file_size / 1e6:.0f} MB, far more than "
                               "a measure sheet holds; it was refused.")
    with book.open(info) as fh:
        data = fh.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise MeasureFileError(f"The workbook's part {name} unpacks to more than 100 MB; it was refused.")
    try:
        return parse_xml(data)
    except MeasureFileError as exc:
        raise MeasureFileError(f"The workbook is damaged ({name}): {exc}") from None


def _column(ref: str) -> int:
    """`C7` -> 2 (zero-based)."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + (ord(ch.upper()) - 64)
    return n - 1


def first_sheet(data: bytes) -> tuple[list[tuple[int, list[Cell]]], bool]:
    """([(row number, cells)], uses the 1904 date system) for the workbook's first sheet."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise MeasureFileError("The file is not an XLSX workbook (or it is damaged). Save the sheet as .xlsx or "
                               ".csv and try again.") from None
    with book:
        workbook = _part(book, "xl/workbook.xml")
        if workbook is None:
            raise MeasureFileError("The file is a zip archive but not an XLSX workbook (no xl/workbook.xml). "
                                   "Save the sheet as .xlsx or .csv and try again.")
        date1904 = any((p.get("date1904") or "").lower() in ("1", "true") for p in _find(workbook, "workbookPr"))
        sheets = list(_find(workbook, "sheet"))
        if not sheets:
            raise MeasureFileError("The workbook has no sheets.")
        rel_id = next((v for k, v in sheets[0].attrib.items() if _local(k) == "id"), "")
        target = "worksheets/sheet1.xml"
        rels = _part(book, "xl/_rels/workbook.xml.rels")
        if rels is not None:
            target = next((r.get("Target") or target for r in _find(rels, "Relationship") if r.get("Id") == rel_id),
                          target)
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        sheet = _part(book, path)
        if sheet is None:
            raise MeasureFileError(f"The workbook's first sheet ({path}) is missing: the file is damaged.")
        shared_root = _part(book, "xl/sharedStrings.xml")
        shared = ["".join(t.text or "" for t in _find(si, "t")) for si in _find(shared_root, "si")] \
            if shared_root is not None else []
        rows: list[tuple[int, list[Cell]]] = []
        for row in _find(sheet, "row"):
            if len(rows) >= MAX_ROWS:
                raise MeasureFileError(f"The sheet has more than {MAX_ROWS:,} rows; a measure sheet has a few dozen.")
            number = int(row.get("r") or len(rows) + 1)
            cells: list[Cell] = []
            for position, c in enumerate(_find(row, "c")):
                index = _column(c.get("r") or "") if c.get("r") else position
                if index < 0 or index > 200:
                    continue
                while len(cells) <= index:
                    cells.append(None)
                cells[index] = _cell_value(c, shared)
            rows.append((number, cells))
    return rows, date1904


def _cell_value(c: Element, shared: list[str]) -> Cell:
    kind = c.get("t") or "n"
    if kind == "inlineStr":
        return "".join(t.text or "" for t in _find(c, "t"))
    value = next((v.text for v in c if _local(v.tag) == "v"), None)
    if value is None:
        return None
    if kind == "s":
        try:
            return shared[int(value)]
        except (ValueError, IndexError):
            return None
    if kind in ("str", "e", "b"):
        return value
    try:
        return float(value)
    except ValueError:
        return value

"""Read a measure spreadsheet (CSV or XLSX) with the columns measure, period_end, numerator and
denominator (an optional version). Headers and measure names are matched loosely, because
every health system labels them its own way; every bad row is reported with its line."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Sequence

from ..vocab import Measure
from .names import match_name
from .plan import ImportPlan, MeasureFileError, PlannedValue, Problem, Skipped, check_duplicates
from .xlsx import MAX_ROWS, Cell, first_sheet

MAX_COUNT = 10_000_000
HEADERS = {
    "measure": ("measure", "measurename", "measureid", "measuretitle", "ecqm", "cqm", "cmsid", "cms", "metric"),
    "period_end": ("periodend", "periodending", "periodenddate", "quarterend", "quarterending", "quarterenddate",
                   "enddate", "asof", "reportingperiodend", "measurementperiodend", "period"),
    "numerator": ("numerator", "numer", "num"),
    "denominator": ("denominator", "denom", "den"),
    "version": ("version", "measureversion"),
}
REQUIRED = ("measure", "period_end", "numerator", "denominator")
_ABCS = ", ".join(m.cms_id for m in Measure)
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]*)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_1904 = date(1904, 1, 1)


def _key(text: object) -> str:
    return "".join(ch for ch in str(text or "").lower() if ch.isalnum())


def read_csv(data: bytes, file_name: str) -> ImportPlan:
    if b"\x00" in data[:4096]:
        raise MeasureFileError("The file is not a text (CSV) file. Save the sheet as .csv or .xlsx and try again.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel on Windows saves CSV this way
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for cells in reader:
            if len(rows) >= MAX_ROWS:
                raise MeasureFileError(f"The file has more than {MAX_ROWS:,} rows; a measure sheet has a few dozen.")
            rows.append((reader.line_num, list(cells)))
    except csv.Error as exc:
        raise MeasureFileError(f"The CSV file cannot be read at line {reader.line_num}: {exc}") from None
    return _read_rows(rows, file_name, "CSV", date1904=False)


def read_xlsx(data: bytes, file_name: str) -> ImportPlan:
    rows, date1904 = first_sheet(data)
    return _read_rows(rows, file_name, "XLSX", date1904=date1904)


def _blank(cells: Sequence[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _columns(header: Sequence[Cell], line: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _key(cell)
        for name, aliases in HEADERS.items():
            if key in aliases:
                if name in found:
                    raise MeasureFileError(f"Line {line}: two columns mean {name} ({header[found[name]]!s} and "
                                           f"{cell!s}); keep one.")
                found[name] = index
    missing = [n for n in REQUIRED if n not in found]
    if missing:
        seen = ", ".join(str(c) for c in header if c not in (None, ""))[:200] or "none"
        raise MeasureFileError(
            f"Line {line}: no column for {', '.join(missing)}. The sheet needs the columns measure, period_end, "
            f"numerator and denominator (the header row has: {seen}).")
    return found


def _cell(cells: Sequence[Cell], index: int | None) -> Cell:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def parse_count(value: Cell, label: str) -> int:
    if value is None or value == "":
        raise ValueError(f"{label} is empty")
    if isinstance(value, float):
        number = value
    else:
        text = value.replace(",", "").replace(" ", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{label} {value[:30]!r} is not a number") from None
    if not number.is_integer() or not 0 <= number <= MAX_COUNT:
        raise ValueError(f"{label} {value!s:.30} must be a whole number of patients from 0 to {MAX_COUNT:,}")
    return int(number)


def parse_period_end(value: Cell, *, date1904: bool) -> date:
    """2025-09-30, 9/30/2025 (US order), or a spreadsheet date."""
    if value is None or value == "":
        raise ValueError("period_end is empty")
    if isinstance(value, float):
        if not value.is_integer() or not 0 < value < 2_958_466:
            raise ValueError(f"period_end {value!r} is not a date")
        return (_EXCEL_1904 if date1904 else _EXCEL_EPOCH) + timedelta(days=int(value))
    text = value[:40]
    iso = _ISO_DATE.match(text)  # also "2025-09-30 00:00:00", as spreadsheets write a date cell
    if iso:
        try:
            return date.fromisoformat(iso.group(1))
        except ValueError:
            pass
    us = _US_DATE.match(text)
    if us:
        try:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
        except ValueError:
            pass
    raise ValueError(f"period_end {text!r} is not a date; write it as 2025-09-30 or 9/30/2025")


def _read_rows(rows: list[tuple[int, list[Cell]]], file_name: str, kind: str, *, date1904: bool) -> ImportPlan:
    plan = ImportPlan(file_name, kind)
    content = [(line, cells) for line, cells in rows if not _blank(cells)]
    if not content:
        raise MeasureFileError("The sheet is empty: it needs a header row (measure, period_end, numerator, "
                               "denominator) and a row per measure and quarter.")
    header_line, header = content[0]
    cols = _columns(header, header_line)
    for line, cells in content[1:]:
        where = f"line {line}"
        raw_name = _cell(cells, cols["measure"])
        name = str(raw_name if raw_name is not None else "")
        if not name:
            plan.problems.append(Problem(where, "the measure is empty"))
            continue
        found = match_name(name)
        if found.measure is None:
            what = found.cms or name[:80]
            plan.skipped.append(Skipped(what, f"not one of the ABCS measures the app tracks ({_ABCS})", where))
            continue
        faults = []
        try:
            period_end = parse_period_end(_cell(cells, cols["period_end"]), date1904=date1904)
        except ValueError as exc:
            faults.append(str(exc))
        counts = {}
        for label in ("numerator", "denominator"):
            try:
                counts[label] = parse_count(_cell(cells, cols[label]), label)
            except ValueError as exc:
                faults.append(str(exc))
        if len(counts) == 2:
            if counts["denominator"] == 0:
                faults.append("denominator is 0: there is no rate to record")
            elif counts["numerator"] > counts["denominator"]:
                faults.append(f"numerator ({counts['numerator']}) is larger than denominator ({counts['denominator']})")
        if faults:
            plan.problems.append(Problem(where, "; ".join(faults)))
            continue
        version = str(_cell(cells, cols.get("version")) or found.version or found.measure.cms_id)[:40]
        plan.values.append(PlannedValue(found.measure.value, period_end, counts["numerator"], counts["denominator"],
                                        version, where))
    check_duplicates(plan)
    return plan

"""Measures from files: QRDA Category III reports from the EHR and measure spreadsheets
(CSV, XLSX), read into an `ImportPlan` the store writes in one transaction. Pure parsing:
no SQL, no Qt, no clock."""

from __future__ import annotations

from pathlib import Path

from .plan import MAX_FILE_BYTES, ImportPlan, MeasureFileError, PlannedValue, Problem, Skipped
from .qrda import read_qrda
from .sheet import read_csv, read_xlsx

__all__ = ["MAX_FILE_BYTES", "ImportPlan", "MeasureFileError", "PlannedValue", "Problem", "Skipped",
           "read_measure_bytes", "read_measure_file"]
_MB = MAX_FILE_BYTES // 1024 // 1024


def read_measure_file(path: Path | str) -> ImportPlan:
    """Read a QRDA III, CSV or XLSX file; the size is checked before a byte is parsed."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MeasureFileError(
                f"{path.name} is {size / 1024 / 1024:.0f} MB; a measure file is at most {_MB} MB "
                "(a QRDA III of the ABCS measures is well under 1 MB). Check that this is the right file.")
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise MeasureFileError(f"There is no file {str(path)!r}.") from None
    except IsADirectoryError:
        raise MeasureFileError(f"{str(path)!r} is a folder, not a file.") from None
    if len(data) > MAX_FILE_BYTES:  # it grew while we looked
        raise MeasureFileError(f"{path.name} is larger than {_MB} MB.")
    return read_measure_bytes(data, path.name)


def read_measure_bytes(data: bytes, file_name: str) -> ImportPlan:
    """Which reader by content first (a zip is a workbook, `<` is XML), then by the name."""
    suffix = Path(file_name).suffix.lower()
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        return read_xlsx(data, file_name)
    if head.startswith(b"<") or suffix == ".xml":
        return read_qrda(data, file_name)
    if suffix == ".xls":
        raise MeasureFileError("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or .csv.")
    return read_csv(data, file_name)

"""CSV cells a spreadsheet will not run as formulas.

Why: Excel, LibreOffice and Google Sheets treat a cell starting with `=`, `+`, `-` or `@` (and,
in some versions, a tab or carriage return before one) as a formula, so a practice name typed
as `=HYPERLINK(...)` would become a live link or command in whoever opens the export. Such text
cells get a leading apostrophe, which spreadsheets show as plain text (OWASP's advice). Numbers
are left alone: -3 is a number, not a formula. Used by the server's and the app's CSV exports.
"""

from __future__ import annotations

from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` with a leading `'` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through `safe_cell`, ready for csv.writer.writerow."""
    return [safe_cell(v) for v in values]

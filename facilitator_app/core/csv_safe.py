"""CSV cells a spreadsheet will not run as formulas.

Why: Excel, LibreOffice and Google Sheets treat a cell starting with `=`, `+`, `-` or `@` (and,
in some versions, a tab or carriage return before one) as a formula, so a practice name typed
as `=HYPERLINK(...)` would become a live link or command in whoever opens the export. Such text
cells get a leading apostrophe, which spreadsheets show as plain text (OWASP's advice). Numbers
are left alone: -3 is a number, not a formula. Used by the server's and the app's CSV exports.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Quotes, then a formula character: text that already starts with quotes before one gets one
# more quote too, so `cell_value` can always take exactly one off again (the app's roster
# export is read back by its import).
_QUOTED_FORMULA = re.compile("^'*[" + re.escape("".join(FORMULA_STARTS)) + "]")


def safe_cell(value: Any) -> Any:
    """`value` with a leading `'` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and _QUOTED_FORMULA.match(value):
        return "'" + value
    return value


def cell_value(cell: str) -> str:
    """The text `safe_cell` was given: the one `'` it added taken off; any other cell as it is."""
    return cell[1:] if cell.startswith("'") and _QUOTED_FORMULA.match(cell) else cell


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through `safe_cell`, ready for csv.writer.writerow."""
    return [safe_cell(v) for v in values]

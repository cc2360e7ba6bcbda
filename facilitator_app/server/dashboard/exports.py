"""Every dashboard table as CSV (formula-safe) and the whole period as one XLSX workbook.

The columns of each table are declared once here (header, value); the CSV, the workbook and the
tests read the same declaration. CSV cells go through core.csv_safe (a text starting with =, +,
-, @, a tab or a carriage return gets a leading '). The workbook writes each text as a text cell
(xlsxwriter's write_string), which no spreadsheet evaluates, so it needs no apostrophe; numbers
are written as numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ...core.csv_safe import safe_row
from ...core.vocab import StepStatus, StrategyStatus, VisitMode
from .queries import FacilitatorRow, MoveRow, PracticeRow, StepRow, VisitRow


@dataclass(frozen=True)
class Col:
    header: str
    value: Callable[[Any], Any]


def _opt(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


FACILITATORS = [
    Col("Facilitator", lambda r: r.label), Col("User name", lambda r: r.name or ""),
    Col("Practices", lambda r: r.practices), Col("Visits", lambda r: r.visits),
    Col("Visits expected by plan", lambda r: r.expected_visits), Col("Visits % of plan", lambda r: r.pct_of_plan),
    Col("Hours", lambda r: r.hours), Col("Hours expected by plan", lambda r: r.expected_hours),
    Col("Practices without contact 45+ days", lambda r: r.stalled),
    Col("Log delay median (days)", lambda r: _opt(r.lag_median)),
    Col("Log delay 90th percentile (days)", lambda r: _opt(r.lag_p90)),
    Col("Visits with notes", lambda r: r.with_notes), Col("Visits with a strategy", lambda r: r.with_strategy),
    Col("Visits with a next step", lambda r: r.with_step), Col("Complete visit logs", lambda r: r.complete),
    Col("Complete visit logs %", lambda r: r.complete_pct), Col("Next steps made", lambda r: r.steps_made),
    Col("Next steps with owner and due date", lambda r: r.steps_detailed),
    Col("Next steps with owner and due date %", lambda r: r.steps_detail_pct),
    Col("Open next steps", lambda r: r.open_steps), Col("Overdue next steps", lambda r: r.overdue_steps),
    Col("Strategies moved forward", lambda r: r.moved_forward), Col("Needs attention", lambda r: "; ".join(r.flags)),
]

PRACTICES = [
    Col("Practice", lambda r: r.name), Col("Practice ID", lambda r: r.id), Col("Status", lambda r: r.status),
    Col("Facilitators", lambda r: ", ".join(r.facilitators)),
    Col("Enrolled on", lambda r: r.enrolled_on.isoformat() if r.enrolled_on else ""),
    Col("End on", lambda r: r.end_on.isoformat() if r.end_on else ""),
    Col("Planned visits", lambda r: r.planned_visits), Col("Planned hours", lambda r: r.planned_hours),
    Col("Visits", lambda r: r.visits), Col("Visits expected by plan", lambda r: r.expected_visits),
    Col("Visits % of plan", lambda r: r.pct_of_plan), Col("Hours", lambda r: r.hours),
    Col("Last contact", lambda r: r.last_contact.isoformat() if r.last_contact else ""),
    Col("Days since last contact", lambda r: r.days_since_contact),
    Col("Without contact 45+ days", lambda r: "yes" if r.stalled else "no"),
    Col("Open next steps", lambda r: r.open_steps), Col("Overdue next steps", lambda r: r.overdue_steps),
]

VISITS = [
    Col("Date", lambda r: r.date), Col("Practice", lambda r: r.practice), Col("Practice ID", lambda r: r.practice_id),
    Col("Facilitator", lambda r: r.author), Col("Mode", lambda r: VisitMode.label_of(r.mode)),
    Col("Minutes", lambda r: r.minutes), Col("Days to reach the server", lambda r: r.lag),
    Col("Has notes", lambda r: "yes" if r.has_notes else "no"), Col("Strategies", lambda r: r.strategies),
    Col("Next steps", lambda r: r.steps), Col("Missing", lambda r: ", ".join(r.missing)),
    Col("Visit ID", lambda r: r.id),
]

STEPS = [
    Col("Practice", lambda r: r.practice), Col("Next step", lambda r: r.action), Col("Owner", lambda r: r.owner),
    Col("Due", lambda r: r.due or ""), Col("Status", lambda r: StepStatus.label_of(r.status)),
    Col("Closed on", lambda r: r.closed_on or ""), Col("Overdue", lambda r: "yes" if r.is_overdue else "no"),
    Col("Made at the visit of", lambda r: r.visit_date), Col("Facilitator", lambda r: r.author),
    Col("Practice ID", lambda r: r.practice_id), Col("Step ID", lambda r: r.id),
]

MOVES = [
    Col("Date", lambda r: r.date), Col("Practice", lambda r: r.practice), Col("Strategy", lambda r: r.strategy_id),
    Col("From", lambda r: StrategyStatus.label_of(r.before)), Col("To", lambda r: StrategyStatus.label_of(r.after)),
    Col("Facilitator", lambda r: r.author), Col("Practice ID", lambda r: r.practice_id),
    Col("Visit ID", lambda r: r.visit_id),
]

TABLES: dict[str, tuple[str, list[Col]]] = {
    "facilitators": ("Facilitators", FACILITATORS), "practices": ("Practices", PRACTICES),
    "visits": ("Visits", VISITS), "steps": ("Next steps", STEPS), "moves": ("Strategies moved forward", MOVES),
}


def to_csv(cols: list[Col], rows: Iterable[Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in cols])
    for row in rows:
        writer.writerow(safe_row(["" if (v := c.value(row)) is None else v for c in cols]))
    return "\ufeff" + out.getvalue()  # a byte-order mark: Excel then reads the file as UTF-8


def to_xlsx(sheets: list[tuple[str, list[Col], list[Any]]], *, title: str) -> bytes:
    """One sheet per table: a bold header row, frozen, columns sized to their header."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"title": title, "author": "Facilitator Field Kit server"})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for name, cols, rows in sheets:
        sheet = book.add_worksheet(name[:31])
        for j, col in enumerate(cols):
            sheet.write_string(0, j, col.header, bold)
            sheet.set_column(j, j, max(10, min(40, len(col.header) + 2)))
        for i, row in enumerate(rows, start=1):
            for j, col in enumerate(cols):
                value = col.value(row)
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    sheet.write_string(i, j, str(value))
                else:
                    sheet.write_number(i, j, value)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


__all__ = ["Col", "TABLES", "to_csv", "to_xlsx", "FacilitatorRow", "PracticeRow", "VisitRow", "StepRow", "MoveRow"]

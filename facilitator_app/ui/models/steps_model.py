"""Next steps as a table: one row per step (StepRow from the store), overdue ones marked.

One model serves Today (due soon, across practices) and the practice's Next steps tab (every
step, with how it was closed); each view hides the columns it does not need. The proxy adds a
status filter to the shared text search.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from ...core.vocab import StepStatus
from ...store.queries import StepRow
from ..labels import fmt_date
from .row_table_model import Column, Index, RowTableModel, SortProxy

OVERDUE_COLOR = QColor("#c62828")
CLOSED_COLOR = QColor("#616161")
# A step with no due date sorts after every dated one (in ascending order).
_NO_DUE = date.max


def when(step: StepRow, today: date) -> str:
    """How soon an open step is due, in words ("3 days overdue", "due today", "in 2 days")."""
    if not step.is_open or step.due is None:
        return ""
    days = (step.due - today).days
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"in {days} days"


def status_text(step: StepRow, today: date) -> str:
    label = StepStatus.label_of(step.status)
    if step.is_overdue(today):
        return f"{label} · overdue"
    return label


def closed_text(step: StepRow) -> str:
    if step.is_open:
        return ""
    return fmt_date(step.closed_on, "") + (f" · {step.closed_by}" if step.closed_by else "")


def search_text(step: StepRow) -> str:
    return " ".join((step.action, step.owner, step.practice_name, step.closing_note, step.closed_by,
                     StepStatus.label_of(step.status)))


class StepsModel(RowTableModel[StepRow]):
    DUE, WHEN, PRACTICE, ACTION, OWNER, STATUS, VISIT, CLOSED, NOTE = range(9)

    def __init__(self, today: Callable[[], date], parent=None):
        super().__init__(parent)
        self.today = today
        due_key = lambda s: (s.due or _NO_DUE, s.practice_name.lower(), s.position)  # noqa: E731
        self.columns = (
            Column("Due", lambda s: fmt_date(s.due, "no date"), sort_key=due_key),
            Column("When", lambda s: when(s, self.today()), sort_key=due_key),
            Column("Practice", lambda s: s.practice_name),
            Column("Next step", lambda s: s.action),
            Column("Owner", lambda s: s.owner),
            Column("Status", lambda s: status_text(s, self.today()), sort_key=lambda s: (s.status != "open", s.status)),
            Column("From visit", lambda s: fmt_date(s.visit_date, ""), sort_key=lambda s: s.visit_date,
                   tooltip="The visit at which the step was agreed"),
            Column("Closed on, by", closed_text, sort_key=lambda s: s.closed_on,
                   tooltip="When the step was marked done or dropped, and by whom"),
            Column("Closing note", lambda s: s.closing_note),
        )

    def extra_data(self, record: StepRow, column: int, role: int) -> Any:
        today = self.today()
        if role == Qt.ItemDataRole.ForegroundRole:
            if record.is_overdue(today) and column in (self.DUE, self.WHEN, self.STATUS):
                return OVERDUE_COLOR
            if not record.is_open:
                return CLOSED_COLOR
        if role == Qt.ItemDataRole.FontRole and record.is_overdue(today) and column in (self.DUE, self.WHEN):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, today)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.columns[column].header}: {self.columns[column].display(record)}"
        return None

    def _tooltip(self, s: StepRow, today: date) -> str:
        lines = [s.action]
        if s.owner:
            lines.append(f"Owner: {s.owner}")
        lines.append(f"Due: {fmt_date(s.due, 'no date')}" + (f" ({when(s, today)})" if when(s, today) else ""))
        if s.visit_date:
            lines.append(f"Agreed at the visit of {fmt_date(s.visit_date)}")
        if not s.is_open:
            closed = f"{StepStatus.label_of(s.status)} on {fmt_date(s.closed_on, '?')}"
            lines.append(closed + (f" by {s.closed_by}" if s.closed_by else ""))
            if s.closing_note:
                lines.append(f"Note: {s.closing_note}")
        return "\n".join(lines)

    def row_of(self, step_id: str) -> int:
        """The row showing step `step_id`, or -1."""
        return next((i for i, s in enumerate(self.rows()) if s.id == step_id), -1)


class StepsProxy(SortProxy):
    """The text search of SortProxy plus a status filter (empty: every status)."""

    def __init__(self, parent=None):
        super().__init__(search_text, parent)
        self._statuses: frozenset[str] = frozenset()

    def set_statuses(self, statuses: frozenset[str]) -> None:
        if statuses == self._statuses:
            return
        self.beginFilterChange()
        self._statuses = statuses
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if self._statuses and self._model._rows[source_row].status not in self._statuses:
            return False
        return super().filterAcceptsRow(source_row, source_parent)

"""The practice list: one row per practice with its roll-ups (PracticeSummary from the store)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ...core.vocab import PracticeStatus
from ...store.queries import PracticeSummary
from ..labels import fmt_date, fmt_hours
from .row_table_model import Column, RowTableModel


def _status(s: PracticeSummary) -> str:
    return PracticeStatus.label_of(s.status)


def _hours_vs_plan(s: PracticeSummary) -> str:
    if s.planned_hours:
        return f"{fmt_hours(s.hours)} / {fmt_hours(s.planned_hours)} h"
    return f"{fmt_hours(s.hours)} h"


def _visits(s: PracticeSummary) -> str:
    return f"{s.visits} / {s.planned_visits}" if s.planned_visits else str(s.visits)


def search_text(s: PracticeSummary) -> str:
    return f"{s.name} {s.region} {s.state} {s.status}"


class PracticesModel(RowTableModel[PracticeSummary]):
    NAME, REGION, LAST_VISIT, VISITS, HOURS, STRATEGIES, STATUS = range(7)
    columns = (
        Column("Practice", lambda s: s.name),
        Column("Region", lambda s: s.region),
        Column("Last visit", lambda s: fmt_date(s.last_visit), sort_key=lambda s: s.last_visit),
        Column("Visits", _visits, sort_key=lambda s: s.visits, align_right=True,
               tooltip="Visits so far / planned in the facilitation plan"),
        Column("Hours vs plan", _hours_vs_plan,
               sort_key=lambda s: s.hours / s.planned_hours if s.planned_hours else 0.0, align_right=True),
        Column("Strategies", lambda s: f"{s.implemented} / {s.selected}",
               sort_key=lambda s: (s.implemented, s.selected), align_right=True,
               tooltip="Strategies implemented / selected"),
        Column("Status", _status),
    )

    def extra_data(self, record: PracticeSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and column == self.LAST_VISIT and record.needs_contact:
            return QColor("#c62828")
        if role == Qt.ItemDataRole.ToolTipRole and column == self.LAST_VISIT and record.needs_contact:
            return "No contact for 45 days or more"
        return None

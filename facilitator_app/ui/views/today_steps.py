"""Today's "Next steps" section: open steps overdue or due within a week, across practices,
overdue first; one key marks a step done, another drops it, Ctrl+Z puts it back, Enter opens
the practice on its Next steps tab.

It loads on its own (TodayView.reload asks it to), so a close here, a sync or an edit elsewhere
redraws it through the app's `changed` signal like the rest of Today, without polling.
"""

from __future__ import annotations

from datetime import date, timedelta

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...store.queries import StepRow
from ..context import AppContext
from ..models.steps_model import StepsModel
from ..ops import QueryOp
from ..widgets.steps_table import StepActions, StepsTable

DUE_WITHIN_DAYS = 7
KEYS_HINT = "Space: done · Delete: drop · Ctrl+Z: undo · Enter: open the practice"


def load_due_steps(store, today: date) -> list[StepRow]:
    """Open steps due on or before a week from today (overdue ones first: soonest due first)."""
    return store.open_next_steps(due_before=today + timedelta(days=DUE_WITHIN_DAYS))


class TodayStepsPanel(QWidget):
    open_step = Signal(str, str)  # practice id, step id
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.table = StepsTable(ctx, "Next steps due this week", hidden=(
            StepsModel.STATUS, StepsModel.VISIT, StepsModel.CLOSED, StepsModel.NOTE))
        self.table.setToolTip(KEYS_HINT)
        header = self.table.horizontalHeader()
        for column, width in ((StepsModel.DUE, 104), (StepsModel.WHEN, 128), (StepsModel.PRACTICE, 150),
                              (StepsModel.OWNER, 110)):
            header.resizeSection(column, width)
        self.table.activated.connect(self._open)
        self.step_actions = StepActions(ctx, self.table, self, space_reopens=False)
        self.empty = QLabel("Nothing overdue or due in the next 7 days.")
        self.empty.setEnabled(False)
        self.empty.setVisible(False)
        made = self.step_actions.make_buttons()
        self.done_button, self.drop_button, self.undo_button = made.done, made.drop, made.undo
        for button in (self.done_button, self.drop_button, self.undo_button):
            button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab goes list to list; the keys do the rest
            button.setAutoDefault(False)
        self.status = QLabel(KEYS_HINT)
        self.status.setAccessibleName("Next steps message")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.step_actions.message.connect(self.status.setText)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.status, 1)
        for button in (self.done_button, self.drop_button, self.undo_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)

    def reload(self) -> None:
        today = self.ctx.today()
        QueryOp(self.ctx.ops, lambda s: load_due_steps(s, today)).success(self.set_rows).run()

    def set_rows(self, rows: list[StepRow]) -> None:
        if not shiboken6.isValid(self):
            return
        self.table.set_rows(rows)
        overdue = sum(1 for s in rows if s.is_overdue(self.ctx.today()))
        self.table.setAccessibleDescription(f"{len(rows)} steps, {overdue} overdue")
        self.empty.setVisible(not rows)
        self.done_button.setEnabled(bool(rows))
        self.drop_button.setEnabled(bool(rows))
        self.loaded.emit()

    def _open(self, index) -> None:
        step = self.table.current_step()
        if step is not None:
            self.open_step.emit(step.practice_id, step.id)

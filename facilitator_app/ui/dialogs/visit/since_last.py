"""Since last visit: the practice's open next steps from earlier visits, each to mark done, keep
open or drop (with a reason) as part of this visit. The choices are saved with the visit, in the
same transaction, as StepClosure records.

Keyboard: arrows move between steps; on a step, D marks it done (D again: drop), K keeps it
open, Space or F4 opens the list of choices; choosing Drop opens the reason cell for typing.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.model import StepClosure
from ....core.vocab import StepStatus
from ....store.queries import StepRow, steps_to_review
from ...labels import fmt_date
from ...widgets.field_errors import FieldErrors
from ...widgets.keyboard import table_keys
from .section import (
    LiveEditDelegate,
    Section,
    compact_rows,
    fit_to_rows,
    rows_show_focus,
)

C_STEP, C_OWNER, C_DUE, C_FROM, C_DECISION, C_NOTE = range(6)
CHOICES = ((StepStatus.OPEN.value, "Keep open"), (StepStatus.DONE.value, "Done"),
           (StepStatus.DROPPED.value, "Drop (say why)"))
OVERDUE = QColor("#c62828")


def review_rows(steps: list[StepRow], visit_id: str, visit_date: date) -> list[StepRow]:
    """The steps a visit form reviews, from every step of the practice it already has."""
    return steps_to_review(steps, visit_id, visit_date)


class _NoteDelegate(LiveEditDelegate):
    """Shows what the reason cell is for while it is empty: required for a dropped step."""

    def __init__(self, table: QTableWidget, section: SinceLastSection):
        super().__init__(table)
        self.section = section

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802 (Qt override)
        super().initStyleOption(option, index)
        if index.column() == C_NOTE and not option.text:
            dropped = self.section.decision(index.row()) == StepStatus.DROPPED
            option.text = "Why is it dropped? (required)" if dropped else "note (optional)"
            option.palette.setColor(QPalette.ColorRole.Text, OVERDUE if dropped else option.palette.color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            option.font.setItalic(True)


class SinceLastSection(Section[list[StepClosure]]):
    """Value: the closures this visit makes (only steps whose choice or note was changed)."""

    def __init__(self, errors: FieldErrors, *, today: date, parent: QWidget | None = None):
        super().__init__("Since &last visit: open next steps", errors, parent)
        self.today = today
        self.rows: list[StepRow] = []
        self.table = QTableWidget(0, 6, self)
        self.table.setAccessibleName("Open next steps from earlier visits")
        self.table.setHorizontalHeaderLabels(["Next step", "Owner", "Due", "Agreed", "This visit", "Note"])
        self.table.verticalHeader().setVisible(False)
        compact_rows(self.table)
        rows_show_focus(self.table)
        self.table.setWordWrap(False)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(C_STEP, QHeaderView.ResizeMode.Stretch)
        for col, width in ((C_OWNER, 130), (C_DUE, 165), (C_FROM, 100), (C_DECISION, 135), (C_NOTE, 200)):
            h.resizeSection(col, width)
        self.delegate = _NoteDelegate(self.table, self)
        self.delegate.edited.connect(self.touch)
        self.keys = table_keys(self.table)
        self.table.installEventFilter(self)
        self.empty = QLabel("No open next steps from earlier visits.")
        self.empty.setAccessibleName("No open next steps")
        self.hint = QLabel("On a step: D done (D again: drop), K keep open, Space the list; "
                           "type the reason for a dropped step in its Note.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table)
        layout.addWidget(self.hint)
        layout.addWidget(errors.add("closures", self))
        self.watch(self.table)
        self.combos: list[QComboBox] = []

    # -- rows -------------------------------------------------------------------------------

    def set_rows(self, rows: list[StepRow]) -> None:
        """The steps to review (call before set_value)."""
        self.rows = list(rows)
        with self.loading():
            self.table.setRowCount(0)
            self.combos = []
            self.table.setRowCount(len(self.rows))
            for r, step in enumerate(self.rows):
                self._fill_row(r, step)
        has = bool(self.rows)
        self.table.setVisible(has)
        self.hint.setVisible(has)
        self.empty.setVisible(not has)
        if has:
            self.table.setCurrentCell(0, C_DECISION)
        fit_to_rows(self.table, max_rows=8)

    def _fill_row(self, r: int, step: StepRow) -> None:
        def cell(text: str, tip: str = "") -> QTableWidgetItem:
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setToolTip(tip or text)
            return item

        self.table.setItem(r, C_STEP, cell(step.action))
        self.table.setItem(r, C_OWNER, cell(step.owner or "—"))
        overdue = step.due is not None and step.is_open and step.due < self.today
        due = cell(fmt_date(step.due) + (" · overdue" if overdue else ""),
                   f"Due {fmt_date(step.due)}" + (f", {(self.today - step.due).days} days overdue" if overdue else ""))
        if overdue:
            due.setForeground(OVERDUE)
            font = due.font()
            font.setBold(True)
            due.setFont(font)
        self.table.setItem(r, C_DUE, due)
        self.table.setItem(r, C_FROM, cell(fmt_date(step.visit_date),
                                           f"Agreed at the visit of {fmt_date(step.visit_date)}"))
        note = QTableWidgetItem(step.closing_note)
        note.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(r, C_NOTE, note)
        combo = QComboBox()
        for value, label in CHOICES:
            combo.addItem(label, value)
        combo.setAccessibleName(f"This visit: {step.action}")
        combo.setCurrentIndex(max(0, combo.findData(step.status)))
        combo.currentIndexChanged.connect(lambda _i, c=combo: self._decided(c))
        combo.installEventFilter(self)
        self.combos.append(combo)
        self.table.setCellWidget(r, C_DECISION, combo)

    def decision(self, row: int) -> str:
        return self.combos[row].currentData() if 0 <= row < len(self.combos) else StepStatus.OPEN.value

    def _decided(self, combo: QComboBox) -> None:
        if self._loading:
            return
        row = self.combos.index(combo)
        self.table.viewport().update()
        self.touch()
        if combo.currentData() == StepStatus.DROPPED and not self.table.item(row, C_NOTE).text().strip():
            # Dropping needs a reason: the cell opens for it (once the list has closed).
            self.table.setCurrentCell(row, C_NOTE)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.table.editItem(self.table.item(row, C_NOTE))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """On a step (the table or its choice): D marks it done, D again drops it, K keeps it open."""
        if event.type() != QEvent.Type.KeyPress or self.table.state() == QAbstractItemView.State.EditingState:
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key not in (Qt.Key.Key_D, Qt.Key.Key_K) or event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            return False
        row = self.combos.index(obj) if obj in self.combos else self.table.currentRow()
        if not 0 <= row < len(self.combos):
            return False
        if key == Qt.Key.Key_K:
            choice = StepStatus.OPEN.value
        else:
            choice = StepStatus.DROPPED.value if self.decision(row) == StepStatus.DONE else StepStatus.DONE.value
        combo = self.combos[row]
        if obj is self.table:
            self.table.setCurrentCell(row, C_DECISION)
            combo.setFocus(Qt.FocusReason.OtherFocusReason)
        combo.setCurrentIndex(combo.findData(choice))
        return True

    # -- value ------------------------------------------------------------------------------

    def _show(self, closures: list[StepClosure]) -> None:
        chosen = {c.step_id: c for c in closures}
        for r, step in enumerate(self.rows):
            c = chosen.get(step.id)
            self.combos[r].setCurrentIndex(max(0, self.combos[r].findData(c.status if c else step.status)))
            self.table.item(r, C_NOTE).setText(c.note if c else step.closing_note)

    def _read(self) -> list[StepClosure]:
        out = []
        for r, step in enumerate(self.rows):
            status, note = self.decision(r), self.table.item(r, C_NOTE).text()
            if status != step.status or note.strip() != step.closing_note:
                out.append(StepClosure(step.id, status, note.strip()))
        return out

    def commit_editor(self) -> None:
        self.delegate.commit_open_editor()

    def problems(self) -> list[str]:
        """A dropped step needs a reason (the store refuses it without one)."""
        return [f"Say why the step {self.rows[r].action!r} is dropped (type it in its Note)"
                for r in range(len(self.rows))
                if self.decision(r) == StepStatus.DROPPED and not self.table.item(r, C_NOTE).text().strip()]

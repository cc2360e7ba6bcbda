"""Small dialogs for one next step: drop it (saying why), or change its owner and due date.

Each dialog writes through the store itself and stays open on a refusal, showing the store's
message beside the field, so nothing typed is lost; `saved` carries the Changes once committed.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...core.dates import SHORTCUTS_HELP, DateTextError, parse_day
from ...core.errors import ValidationError
from ...store.queries import StepRow
from ..context import AppContext
from ..labels import fmt_date
from ..ops import StoreOp, describe_error
from ..widgets.field_errors import FieldErrors, error_label


def _step_label(step: StepRow) -> QLabel:
    text = step.action + (f"\nOwner: {step.owner}" if step.owner else "") + f"\nDue: {fmt_date(step.due, 'no date')}"
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _StepDialog(QDialog):
    """What both dialogs share: the store's write runs off the UI thread; on success `saved`
    carries the Changes and the dialog closes, on a refusal it stays open with the message."""

    saved = Signal(object)  # Changes
    ctx: AppContext
    buttons: QDialogButtonBox
    errors: FieldErrors

    def _write(self, work) -> None:
        self.buttons.setEnabled(False)
        StoreOp(self.ctx.ops, work, initiator=self).success(self._done).failure(self._failed).run()

    def _done(self, changes) -> None:
        self.saved.emit(changes)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.errors.show(exc)
        else:
            self.errors.show_message(describe_error(exc))
        self._focus_after_failure()

    def _focus_after_failure(self) -> None:
        pass


class DropStepDialog(_StepDialog):
    """Drop a step: the reason is required (colleagues and supervisors see it)."""

    def __init__(self, ctx: AppContext, step: StepRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.step = step
        self.setWindowTitle("Drop next step")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why is the step dropped")
        self.reason.setMaxLength(2000)
        self.reason.setPlaceholderText("e.g. the practice chose another approach")
        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        label = QLabel("&Why is it dropped?")
        label.setBuddy(self.reason)
        self.errors.add_row(form, "closing_note", label, self.reason, self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.drop_button = self.buttons.addButton("D&rop step", QDialogButtonBox.ButtonRole.AcceptRole)
        self.drop_button.setDefault(True)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(_step_label(step))
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.buttons)
        self.resize(440, self.sizeHint().height())
        self.reason.setFocus()

    def _save(self) -> None:
        step_id, note, today = self.step.id, self.reason.text(), self.ctx.today()
        self._write(lambda s: s.close_next_step(step_id, "dropped", note=note, today=today))

    def _focus_after_failure(self) -> None:
        self.reason.setFocus()


class EditStepDialog(_StepDialog):
    """Change who owns a step and when it is due. The due date takes the shortcuts of the visit
    form (+1w, +2w, +1m, tomorrow, next visit), counted from today."""

    def __init__(self, ctx: AppContext, step: StepRow, *, owners: list[str], next_visit: date | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.step = step
        self.next_visit = next_visit
        self.setWindowTitle("Next step: owner and due date")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.owner = QComboBox()
        self.owner.setEditable(True)
        self.owner.setAccessibleName("Owner")
        self.owner.addItems(sorted({o for o in owners if o.strip()} | ({step.owner} if step.owner else set()),
                                   key=str.lower))
        self.owner.setCurrentText(step.owner)
        owner_edit = self.owner.lineEdit()
        assert owner_edit is not None  # editable combo boxes have one
        owner_edit.setMaxLength(200)
        self.due = QLineEdit(step.due.isoformat() if step.due else "")
        self.due.setAccessibleName("Due date")
        self.due.setPlaceholderText("+1w, +2w, +1m, next visit or 2026-03-31")
        self.due.setToolTip(f"Type {SHORTCUTS_HELP}; shortcuts count from today")
        self.due_meaning = QLabel()
        self.due_meaning.setAccessibleName("Due date meaning")
        self.due.textChanged.connect(self._show_meaning)
        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        owner_label = QLabel("&Owner")
        owner_label.setBuddy(self.owner)
        due_label = QLabel("D&ue")
        due_label.setBuddy(self.due)
        self.errors.add_row(form, "owner", owner_label, self.owner, self)
        self.errors.add_row(form, "due", due_label, self.due, self)
        form.addRow("", self.due_meaning)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText("&Save")
        save.setDefault(True)  # Enter in either field saves
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(_step_label(step))
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.buttons)
        self._show_meaning()
        self.resize(460, self.sizeHint().height())
        self.due.setFocus()
        self.due.selectAll()

    def _parse(self) -> date | None:
        return parse_day(self.due.text(), base=self.ctx.today(), next_visit=self.next_visit)

    def _show_meaning(self) -> None:
        try:
            day = self._parse()
        except DateTextError:
            self.due_meaning.setText("")
            return
        self.due_meaning.setText(f"= {day:%A}, {fmt_date(day)}" if day else "no due date")

    def _save(self) -> None:
        try:
            due = self._parse()
        except DateTextError as exc:
            self.errors.clear()
            self.errors.labels["due"].setText(str(exc))
            self.errors.labels["due"].setVisible(True)
            self.due.setFocus()
            return
        owner, step_id, today = self.owner.currentText().strip(), self.step.id, self.ctx.today()

        def write(s):
            return s.save_next_step(dataclasses.replace(s.next_step(step_id), owner=owner, due=due), today=today)
        self._write(write)

"""New practice: the profile form; emits `saved(practice_id)` once the store has committed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from ...core.errors import ValidationError
from ..context import AppContext
from ..ops import StoreOp, describe_error
from ..widgets.practice_form import PracticeForm


class PracticeDialog(QDialog):
    saved = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("New practice")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.form = PracticeForm(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        self.resize(480, 520)

    def _save(self) -> None:
        practice = self.form.value()
        try:
            practice.validate(today=self.ctx.today())
        except ValidationError as exc:
            self.form.errors.show(exc)
            return
        self.buttons.setEnabled(False)
        StoreOp(self.ctx.ops, lambda s: s.save_practice(practice), initiator=self) \
            .success(lambda _c: self._done(practice.id)).failure(self._failed).run()

    def _done(self, practice_id: str) -> None:
        self.saved.emit(practice_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.form.errors.show(exc)
        else:
            self.form.errors.show_message(describe_error(exc))

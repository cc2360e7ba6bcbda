"""How a record dialog ends once its save, run off the UI thread, comes back: closed with the
record's id on success; open, with the problems beside their fields, on a refusal."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from ...core.errors import ValidationError
from ..ops import describe_error


class SavesOffThread:
    """Mixed into a QDialog that has `saved` (a Signal(str)), `buttons`, `errors` (FieldErrors) and
    `_show(ValidationError)`."""

    def _add_save_cancel(self, buttons: QDialogButtonBox, save_text: str) -> QPushButton:
        """The dialog's Save (the default, Enter) and Cancel, wired to `_save` and `reject`."""
        save = buttons.addButton(save_text, QDialogButtonBox.ButtonRole.AcceptRole)
        save.setDefault(True)
        cancel = buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAccessibleName("Cancel")
        return save

    def _done(self, record_id: str) -> None:
        self.saved.emit(record_id)  # type: ignore[attr-defined]
        self.accept()  # type: ignore[attr-defined]

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)  # type: ignore[attr-defined]
        if isinstance(exc, ValidationError):
            self._show(exc)  # type: ignore[attr-defined]
        else:
            self.errors.show_message(describe_error(exc))  # type: ignore[attr-defined]

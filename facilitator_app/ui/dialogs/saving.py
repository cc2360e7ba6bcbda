"""How a record dialog ends once its save, run off the UI thread, comes back: closed with the
record's id on success; open, with the problems beside their fields, on a refusal."""

from __future__ import annotations

from ...core.errors import ValidationError
from ..ops import describe_error


class SavesOffThread:
    """Mixed into a QDialog that has `saved` (a Signal(str)), `buttons`, `errors` (FieldErrors) and
    `_show(ValidationError)`."""

    def _done(self, record_id: str) -> None:
        self.saved.emit(record_id)  # type: ignore[attr-defined]
        self.accept()  # type: ignore[attr-defined]

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)  # type: ignore[attr-defined]
        if isinstance(exc, ValidationError):
            self._show(exc)  # type: ignore[attr-defined]
        else:
            self.errors.show_message(describe_error(exc))  # type: ignore[attr-defined]

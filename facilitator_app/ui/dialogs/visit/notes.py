"""Notes, in two boxes that say where they go: notes for the practice are printed on the
leave-behind; private notes are never printed (they sync, so a supervisor can read them)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ...widgets.field_errors import FieldErrors
from .section import Section, VisitFields

PRACTICE_LABEL = "N&otes for the practice (printed on the leave-behind)"
PRIVATE_LABEL = "Pr&ivate notes (never printed; your supervisor can read them)"


class NotesSection(Section[VisitFields]):
    FIELDS = ("practice_notes", "private_notes")

    def __init__(self, errors: FieldErrors, parent: QWidget | None = None):
        super().__init__("Notes", errors, parent)
        self.practice_notes = QPlainTextEdit()
        self.practice_notes.setAccessibleName("Notes for the practice, printed on the leave-behind")
        self.practice_notes.setPlaceholderText("What the practice should remember: the practice reads this.")
        self.private_notes = QPlainTextEdit()
        self.private_notes.setAccessibleName("Private notes, never printed; your supervisor can read them")
        self.private_notes.setPlaceholderText("For you and your supervisor only.")
        layout = QVBoxLayout(self)
        for label, edit, field in ((PRACTICE_LABEL, self.practice_notes, "practice_notes"),
                                   (PRIVATE_LABEL, self.private_notes, "private_notes")):
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(70)
            edit.setFixedHeight(84)
            lab = QLabel(label)
            lab.setBuddy(edit)
            layout.addWidget(lab)
            layout.addWidget(edit)
            layout.addWidget(errors.add(field, self))
        self.watch(self.practice_notes, self.private_notes)

    def _show(self, v: VisitFields) -> None:
        self.practice_notes.setPlainText(v["practice_notes"])
        self.private_notes.setPlainText(v["private_notes"])

    def _read(self) -> VisitFields:
        return {"practice_notes": self.practice_notes.toPlainText(), "private_notes": self.private_notes.toPlainText()}

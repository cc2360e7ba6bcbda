"""An optional date: a QDateEdit with a 'no date' state (blank) that accepts keyboard typing."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QWidget

BLANK = QDate(1900, 1, 1)


class DateField(QDateEdit):
    def __init__(self, parent: QWidget | None = None, *, optional: bool = False):
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self._optional = optional
        if optional:
            self.setMinimumDate(BLANK)
            self.setSpecialValueText("—")
            self.setDate(BLANK)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt override)
        """Tab leaves the field. Qt's date edit walks its year, month and day with Tab first, and
        on the blank "—" it never leaves at all (a keyboard trap); Left/Right move between them."""
        return QWidget.focusNextPrevChild(self, next)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        """Up/Down on an empty optional date starts from today rather than from 1900."""
        if self._optional and self.date() == BLANK:
            self.setDate(QDate.currentDate())
            return
        super().stepBy(steps)

    def value(self) -> date | None:
        qd = self.date()
        if self._optional and qd == BLANK:
            return None
        return date(qd.year(), qd.month(), qd.day())

    def set_value(self, value: date | None) -> None:
        if value is None:
            self.setDate(BLANK if self._optional else QDate.currentDate())
        else:
            self.setDate(QDate(value.year, value.month, value.day))

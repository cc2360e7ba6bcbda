"""When and how: the visit's date, start, mode, length, travel, whether it was planned, the
practice's engagement and what kind of work it was."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from ....core.model import MAX_TRAVEL_MINUTES, MAX_VISIT_MINUTES
from ....core.vocab import Activity, VisitMode
from ...widgets.date_field import DateField
from ...widgets.field_errors import FieldErrors
from .section import Section, VisitFields, checked_in_order, select_or_add


class TimeField(QTimeEdit):
    """A time typed as HH:mm; Tab leaves it (Qt's time edit moves from the hour to the minutes
    first, so Tab would stop twice; Left and Right move between them)."""

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt override)
        return QWidget.focusNextPrevChild(self, next)


ENGAGEMENT = ((1, "1 · very low"), (2, "2 · low"), (3, "3 · moderate"), (4, "4 · high"), (5, "5 · very high"))


class WhenSection(Section[VisitFields]):
    FIELDS = ("date", "start_time", "mode", "minutes", "travel_minutes", "planned", "engagement", "activities")
    date_changed = Signal(object)  # the visit date (due-date shortcuts count from it)

    def __init__(self, errors: FieldErrors, parent: QWidget | None = None):
        super().__init__("&When and how", errors, parent)
        self.date = DateField()
        self.start_time = TimeField(displayFormat="HH:mm")
        self.mode = QComboBox()
        for m in VisitMode:
            self.mode.addItem(m.label, m.value)
        self.minutes = QSpinBox(minimum=0, maximum=MAX_VISIT_MINUTES, singleStep=15, suffix=" min")
        self.travel = QSpinBox(minimum=0, maximum=MAX_TRAVEL_MINUTES, singleStep=15, suffix=" min")
        self.engagement = QComboBox()
        self.engagement.addItem("—", None)
        for n, word in ENGAGEMENT:
            self.engagement.addItem(word, n)
        self.planned = QCheckBox("Planned visit")
        self.activity_checks: dict[str, QCheckBox] = {a.value: QCheckBox(a.label) for a in Activity}

        grid = QGridLayout(self)
        grid.setVerticalSpacing(2)
        cells = (("&Date", "Visit date", self.date, "date"), ("S&tart", "Start time", self.start_time, "start_time"),
                 ("Mod&e", "Mode", self.mode, "mode"),
                 ("&Minutes", "Minutes with the practice", self.minutes, "minutes"),
                 ("T&ravel", "Travel minutes", self.travel, "travel_minutes"),
                 ("En&gagement", "Engagement rating", self.engagement, "engagement"))
        for i, (label, name, widget, field) in enumerate(cells):
            r, c = divmod(i, 3)
            widget.setAccessibleName(name)
            lab = QLabel(label)
            lab.setBuddy(widget)
            grid.addWidget(lab, r * 2, c * 2)
            grid.addWidget(widget, r * 2, c * 2 + 1)
            grid.addWidget(errors.add(field, self), r * 2 + 1, c * 2 + 1)
        for c in (1, 3, 5):
            grid.setColumnStretch(c, 1)
        did = QHBoxLayout()
        did.addWidget(self.planned)
        did.addSpacing(16)
        kind = QLabel("Work done:")
        did.addWidget(kind)
        for box in self.activity_checks.values():
            box.setAccessibleName(f"Work done: {box.text()}")
            did.addWidget(box)
        did.addStretch(1)
        grid.addLayout(did, 4, 0, 1, 6)
        grid.addWidget(errors.add("activities", self), 5, 0, 1, 6)
        self._start_blank = False
        self._start_shown = QTime(0, 0)
        self._stored_activities: list[str] = []
        self.watch(self.date, self.start_time, self.mode, self.minutes, self.travel, self.engagement, self.planned,
                   *self.activity_checks.values())
        self.date.dateChanged.connect(lambda _d: self.date_changed.emit(self.date.value()))

    def _show(self, v: VisitFields) -> None:
        self.date.set_value(v["date"])
        # A visit logged without a start time keeps none unless the user sets one (a QTimeEdit
        # cannot be blank, and its 00:00 must not be saved as if it were the real start).
        start: time | None = v["start_time"]
        self._start_blank = start is None
        self._start_shown = QTime(0, 0) if start is None else QTime(start.hour, start.minute)
        self.start_time.setTime(self._start_shown)
        select_or_add(self.mode, v["mode"], VisitMode.label_of(v["mode"]))
        self.minutes.setValue(v["minutes"] or 0)
        self.travel.setValue(v["travel_minutes"] or 0)
        self.planned.setChecked(bool(v["planned"]))
        select_or_add(self.engagement, v["engagement"], str(v["engagement"]))
        for a, box in self.activity_checks.items():
            box.setChecked(a in v["activities"])
        self._stored_activities = list(v["activities"])
        self.date_changed.emit(self.date.value())

    def _read(self) -> VisitFields:
        t = self.start_time.time()
        start = None if self._start_blank and t == self._start_shown else time(t.hour(), t.minute())
        return {"date": self.date.value(), "start_time": start, "mode": self.mode.currentData(),
                "minutes": self.minutes.value(), "travel_minutes": self.travel.value(),
                "planned": self.planned.isChecked(), "engagement": self.engagement.currentData(),
                "activities": checked_in_order(self.activity_checks, self._stored_activities)}

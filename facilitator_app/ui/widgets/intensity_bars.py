"""Facilitation intensity per practice: actual vs planned visits and hours, as paired bars."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

ACTUAL = QColor("#1e88e5")
PLANNED = QColor("#90a4ae")
ROW_H = 34


@dataclass(frozen=True)
class IntensityRow:
    name: str
    visits: int
    planned_visits: int
    hours: float
    planned_hours: float


class IntensityBars(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[IntensityRow] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Intensity per practice: actual against planned visits and hours")

    def set_rows(self, rows: list[IntensityRow]) -> None:
        self.rows = rows
        self.setFixedHeight(max(60, 26 + ROW_H * len(rows)))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, max(60, 26 + ROW_H * len(self.rows)))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        fm = p.fontMetrics()
        name_w = min(240, max([fm.horizontalAdvance(r.name) for r in self.rows] + [80]) + 10)
        half = (self.width() - name_w - 20) / 2
        # legend / headers
        p.setPen(text)
        p.drawText(QRectF(name_w, 0, half - 10, 20), Qt.AlignmentFlag.AlignLeft, "Visits (actual / planned)")
        p.drawText(QRectF(name_w + half + 10, 0, half - 10, 20), Qt.AlignmentFlag.AlignLeft, "Hours (actual / planned)")
        if not self.rows:
            p.drawText(QRectF(0, 24, self.width(), 30), Qt.AlignmentFlag.AlignCenter, "No practices yet")
            return
        vmax = max(max(r.visits, r.planned_visits) for r in self.rows) or 1
        hmax = max(max(r.hours, r.planned_hours) for r in self.rows) or 1
        for i, r in enumerate(self.rows):
            y = 24 + i * ROW_H
            p.setPen(text)
            name = fm.elidedText(r.name, Qt.TextElideMode.ElideRight, name_w - 10)
            p.drawText(QRectF(0, y, name_w - 10, ROW_H - 6), Qt.AlignmentFlag.AlignVCenter, name)
            for x0, actual, planned, top, unit in ((name_w, r.visits, r.planned_visits, vmax, ""),
                                                   (name_w + half + 10, r.hours, r.planned_hours, hmax, " h")):
                width = half - 90
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(PLANNED)
                p.drawRoundedRect(QRectF(x0, y + 15, width * planned / top, 8), 2, 2)
                p.setBrush(ACTUAL)
                p.drawRoundedRect(QRectF(x0, y + 4, width * actual / top, 10), 2, 2)
                p.setPen(text)
                label = f"{actual:g} / {planned:g}{unit}"
                p.drawText(QRectF(x0 + width + 6, y, 84, ROW_H - 6), Qt.AlignmentFlag.AlignVCenter, label)

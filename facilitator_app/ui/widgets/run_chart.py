"""A run chart of one ABCS measure by quarter, with the 70% Million Hearts target line.

Drawn with QPainter (no QtCharts: the frozen app stays small) using palette colours, so it reads
in light and dark themes.
"""

from __future__ import annotations

import itertools
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...core.vocab import MEASURE_TARGET

LINE = QColor("#1e88e5")
TARGET = QColor("#e53935")


def quarter_label(d: date) -> str:
    return f"Q{(d.month - 1) // 3 + 1} {d.year % 100:02d}"


class RunChart(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.points: list[tuple[date, float]] = []
        self.setMinimumSize(260, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(f"Run chart: {title}")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 220)

    def set_points(self, points: list[tuple[date, float]]) -> None:
        """(period end, rate 0..1) pairs; drawn in date order."""
        self.points = sorted(points)
        last = f"{self.points[-1][1]:.0%} at {quarter_label(self.points[-1][0])}" if self.points else "no data yet"
        self.setAccessibleDescription(f"{self.title}: {len(self.points)} quarters, latest {last}")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.windowText().color()
        grid = QColor(text)
        grid.setAlpha(50)
        p.fillRect(self.rect(), pal.base())
        title_font = QFont(self.font())
        title_font.setBold(True)
        p.setFont(title_font)
        p.setPen(text)
        fm = p.fontMetrics()
        title = fm.elidedText(self.title, Qt.TextElideMode.ElideRight, self.width() - 16)
        p.drawText(QRectF(8, 4, self.width() - 16, fm.height()), Qt.AlignmentFlag.AlignLeft, title)
        p.setFont(self.font())
        fm = p.fontMetrics()
        left, top = fm.horizontalAdvance("100%") + 14, fm.height() + 14
        plot = QRectF(left, top, max(10, self.width() - left - 30), max(10, self.height() - top - fm.height() - 12))

        def y_of(rate: float) -> float:
            return plot.bottom() - rate * plot.height()

        for pct in (0, 25, 50, 75, 100):
            y = y_of(pct / 100)
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(text)
            p.drawText(QRectF(0, y - fm.height() / 2, left - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{pct}%")
        ty = y_of(MEASURE_TARGET)
        p.setPen(QPen(TARGET, 1.5, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(plot.left(), ty), QPointF(plot.right(), ty))
        p.drawText(QRectF(plot.left() + 4, ty - fm.height() - 1, 120, fm.height()),
                   Qt.AlignmentFlag.AlignLeft, f"target {MEASURE_TARGET:.0%}")
        if not self.points:
            p.setPen(text)
            p.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No values entered yet")
            return
        n = len(self.points)
        step = plot.width() / max(1, n - 1) if n > 1 else 0
        xs = [plot.left() + (i * step if n > 1 else plot.width() / 2) for i in range(n)]
        pts = [QPointF(x, y_of(rate)) for x, (_, rate) in zip(xs, self.points, strict=True)]
        p.setPen(QPen(LINE, 2))
        for a, b in itertools.pairwise(pts):
            p.drawLine(a, b)
        label_every = max(1, int(n / max(1, plot.width() / (fm.horizontalAdvance("Q4 26") + 8))) + (1 if n > 8 else 0))
        for i, (pt, (when, rate)) in enumerate(zip(pts, self.points, strict=True)):
            p.setBrush(LINE if rate < MEASURE_TARGET else QColor("#43a047"))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(pt, 3.5, 3.5)
            if i % label_every == 0 or i == n - 1:
                p.setPen(text)
                w = fm.horizontalAdvance("Q4 26") + 6
                p.drawText(QRectF(pt.x() - w / 2, plot.bottom() + 3, w, fm.height()),
                           Qt.AlignmentFlag.AlignHCenter, quarter_label(when))
        last_pt, (_, last_rate) = pts[-1], self.points[-1]
        p.setPen(text)
        p.drawText(QRectF(last_pt.x() - 44, last_pt.y() - fm.height() - 4, 40, fm.height()),
                   Qt.AlignmentFlag.AlignRight, f"{last_rate:.0%}")

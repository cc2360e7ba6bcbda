"""Visit history of one practice; open a visit to edit it, print its leave-behind or save it as PDF."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.vocab import VisitMode
from ...context import AppContext
from ...labels import fmt_date, fmt_hours
from ...widgets.keyboard import table_keys
from .bundle import PracticeBundle

COLUMNS = ["Date", "Mode", "Minutes", "Facilitator", "Strategies", "Next steps", "Next contact"]


class VisitsTab(QWidget):
    new_visit = Signal()
    open_visit = Signal(str)
    print_visit = Signal(str)
    save_visit_pdf = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Visit history")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)  # more rows on a laptop screen
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for col, w in ((0, 110), (1, 120), (2, 70), (3, 120), (5, 80), (6, 110)):
            header.resizeSection(col, w)
        self.table.activated.connect(lambda _i: self._open())  # Enter or a double click
        self.table.setToolTip("Enter opens the visit")
        table_keys(self.table)
        self.summary = QLabel()
        self.new_button = QPushButton("New visit (Ctrl+N)")
        self.new_button.clicked.connect(self.new_visit)
        self.open_button = QPushButton("&Open visit")
        self.open_button.clicked.connect(self._open)
        self.print_button = QPushButton("Print &leave-behind…")
        self.print_button.setAccessibleName("Print the leave-behind")
        self.print_button.setToolTip("Print the selected visit's leave-behind (Ctrl+P)")
        self.print_button.clicked.connect(lambda: self._emit(self.print_visit))
        self.save_pdf_button = QPushButton("Save P&DF…")
        self.save_pdf_button.setAccessibleName("Save the leave-behind as PDF")
        self.save_pdf_button.setToolTip("Save the selected visit's leave-behind as a PDF file (Ctrl+Shift+S)")
        self.save_pdf_button.clicked.connect(lambda: self._emit(self.save_visit_pdf))
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_pdf_button)
        buttons.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)

    def set_bundle(self, bundle: PracticeBundle) -> None:
        self.bundle = bundle
        visits = bundle.visits
        self.table.setRowCount(len(visits))
        for row, v in enumerate(visits):
            mode = VisitMode.label_of(v.mode)
            made = sum(1 for s in bundle.steps if s.visit_id == v.id)
            cells = (fmt_date(v.date), mode, str(v.minutes), v.facilitator,
                     ", ".join(w.strategy_id for w in v.strategies), str(made), fmt_date(v.next_contact, ""))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, v.id)
                self.table.setItem(row, col, item)
        hours = sum(v.minutes for v in visits) / 60
        self.summary.setText(f"{len(visits)} visits, {fmt_hours(hours)} hours")
        self.open_button.setEnabled(bool(visits))
        self.print_button.setEnabled(bool(visits))
        self.save_pdf_button.setEnabled(bool(visits))

    def selected_visit_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else (0 if self.table.rowCount() else None)
        item = None if row is None else self.table.item(row, 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _open(self) -> None:
        vid = self.selected_visit_id()
        if vid:
            self.open_visit.emit(vid)

    def _emit(self, signal) -> None:
        vid = self.selected_visit_id()
        if vid:
            signal.emit(vid)

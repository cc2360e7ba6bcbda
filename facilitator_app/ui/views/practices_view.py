"""Practices: a searchable, sortable table of every practice with its roll-ups."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..context import AppContext
from ..models.practices_model import PracticesModel, search_text
from ..models.roles import RECORD_ROLE
from ..models.row_table_model import SortProxy
from ..ops import QueryOp
from ..widgets.keyboard import table_keys
from .base_view import BaseView


class PracticesView(BaseView):
    open_practice = Signal(str)
    new_practice_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.model = PracticesModel(self)
        self.proxy = SortProxy(search_text, self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit(placeholderText="Search by name, region, state or status (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search practices")
        self.search.textChanged.connect(self._on_search)
        self.count_label = QLabel()
        self.new_button = QPushButton("New practice…")
        self.new_button.setAccessibleName("New practice")
        self.new_button.clicked.connect(self.new_practice_requested)

        self.table = QTableView()
        self.table.setAccessibleName("Practices")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(PracticesModel.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PracticesModel.NAME, QHeaderView.ResizeMode.Stretch)
        for col, width in ((PracticesModel.REGION, 130), (PracticesModel.LAST_VISIT, 110), (PracticesModel.VISITS, 80),
                           (PracticesModel.HOURS, 120), (PracticesModel.STRATEGIES, 90), (PracticesModel.STATUS, 90)):
            header.resizeSection(col, width)
        self.table.activated.connect(self._on_activated)  # Enter or a double click
        table_keys(self.table)  # Tab leaves the list; Enter opens the practice

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.new_button)

    def is_relevant(self, changes) -> bool:
        return bool(changes.entities & {"practice", "visit", "plan", "checklist"})

    def reload(self) -> None:
        today = self.ctx.today()
        QueryOp(self.ctx.ops, lambda s: s.practice_summaries(today=today)).success(self._loaded).run()

    def _loaded(self, summaries) -> None:
        self.model.set_rows(summaries)
        self._update_count()

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{shown} of {total}" if shown != total else f"{total} practices")

    def _on_activated(self, index: QModelIndex) -> None:
        record = index.data(RECORD_ROLE)
        if record is not None:
            self.open_practice.emit(record.id)

    def focus_search(self) -> bool:
        self.search.setFocus()
        self.search.selectAll()
        return True

    def selected_practice_id(self) -> str | None:
        """The selected practice, else the one the keyboard is on (Tab into the list sets the
        current row without selecting it)."""
        rows = self.table.selectionModel().selectedRows()
        index = rows[0] if rows else self.table.currentIndex()
        record = index.data(RECORD_ROLE) if index.isValid() else None
        return record.id if record is not None else None

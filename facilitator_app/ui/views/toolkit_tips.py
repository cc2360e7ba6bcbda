"""The Toolkit's "Field tips" panel: what colleagues learned using the selected strategy.

Any facilitator adds a tip, marks one helpful (one mark each, counted), and edits or withdraws
their own; a supervisor pins or hides one. A hidden tip still shows to supervisors (marked
Hidden) and to its author ("Hidden by your supervisor"), so nobody wonders where theirs went.
Reads and writes run off the UI thread; the list redraws on the "tip" and "tip_mark" changes.

Keyboard: Tab into the list, arrows choose a tip, Enter edits mine, Delete withdraws mine (after
asking); Alt+A add, Alt+H helpful, Alt+E edit, Alt+W withdraw, Alt+P pin, Alt+I hide.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...store.peer import TipView
from ..context import AppContext
from ..dialogs.tip_dialog import TipDialog
from ..models.tips_model import TipsModel
from ..ops import QueryOp, StoreOp
from ..widgets.confirm import confirm
from ..widgets.keyboard import table_keys

TIP_ENTITIES = frozenset({"tip", "tip_mark"})


class TipsPanel(QWidget):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.strategy_id: str | None = None
        self.dialog: TipDialog | None = None
        self._vendors: list[str] = []
        self._wanted: str | None = None  # a tip to select once a reload shows it
        self._generation = 0  # of reloads: only the latest one's answer is shown
        self.title = QLabel("Field tips")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.model = TipsModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Field tips")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(TipsModel.TIP, QHeaderView.ResizeMode.Stretch)
        for col, width in ((TipsModel.BY, 150), (TipsModel.HELPFUL, 62), (TipsModel.STATUS, 120)):
            header.resizeSection(col, width)
        self.keys = table_keys(self.table, on_delete=lambda _rows: self.withdraw())
        self.table.activated.connect(lambda _i: self.edit())
        self.empty = QLabel("No field tips for this strategy yet. Add tip… shares what worked for you.")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(placeholder-text);")

        self.add_button = QPushButton("&Add tip…")
        self.helpful_button = QPushButton("&Helpful")
        self.helpful_button.setCheckable(True)
        self.helpful_button.setToolTip("Mark the tip helpful (one mark per person); press again to take it back")
        self.edit_button = QPushButton("&Edit…")
        self.withdraw_button = QPushButton("&Withdraw")
        self.pin_button = QPushButton("&Pin")
        self.hide_button = QPushButton("H&ide")
        for button, name in ((self.add_button, "Add a field tip"), (self.helpful_button, "Helpful"),
                             (self.edit_button, "Edit my tip"), (self.withdraw_button, "Withdraw my tip"),
                             (self.pin_button, "Pin the tip"), (self.hide_button, "Hide the tip")):
            button.setAccessibleName(name)
        self.add_button.clicked.connect(self.add)
        self.helpful_button.clicked.connect(self.toggle_helpful)
        self.edit_button.clicked.connect(self.edit)
        self.withdraw_button.clicked.connect(self.withdraw)
        self.pin_button.clicked.connect(self.toggle_pin)
        self.hide_button.clicked.connect(self.toggle_hidden)
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        for button in (self.add_button, self.helpful_button, self.edit_button, self.withdraw_button,
                       self.pin_button, self.hide_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    # -- data -----------------------------------------------------------------------------

    @property
    def supervisor(self) -> bool:
        return self.ctx.role == "supervisor"

    def show_strategy(self, strategy_id: str | None) -> None:
        if strategy_id != self.strategy_id:
            self.strategy_id = strategy_id
            self.model.set_rows([])
            self.reload()

    def reload(self, select: str | None = None) -> None:
        sid, supervisor = self.strategy_id, self.supervisor
        if sid is None:
            self._show([], None)
            return
        if select:
            self._wanted = select  # a tip just saved: selected by the latest reload, whichever that is
        current = self.current()
        keep = self._wanted or (current.tip.id if current else None)
        self._generation = generation = self._generation + 1

        def load(s):
            return s.tips(sid, include_hidden=supervisor), sorted({p.ehr_vendor for p in s.practices()})

        def loaded(r) -> None:
            if sid != self.strategy_id or generation != self._generation:
                return  # a later reload was asked for: its answer is the one to show
            self._show(r[0], keep, vendors=r[1])
            if keep == self._wanted:
                self._wanted = None
        QueryOp(self.ctx.ops, load).success(loaded).run()

    def _show(self, rows: list[TipView], keep: str | None, *, vendors: Sequence[str] = ()) -> None:
        self._vendors = list(vendors)
        self.model.supervisor = self.supervisor
        had_focus = self.table.hasFocus()
        self.model.set_rows(rows)
        title = f"Field tips for {self.strategy_id}" if self.strategy_id else "Field tips"
        self.title.setText(f"{title} ({len(rows)})" if rows else title)
        self.empty.setVisible(not rows)
        row = self.model.index_of(keep) if keep else -1
        if rows:
            index = self.model.index(max(row, 0), 0)
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        if had_focus:
            self.table.setFocus()
        self._update_buttons()

    def current(self) -> TipView | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() and index.row() < self.model.rowCount() else None

    def _update_buttons(self) -> None:
        view = self.current()
        self.add_button.setEnabled(self.strategy_id is not None)
        self.helpful_button.setEnabled(view is not None)
        self.helpful_button.setChecked(bool(view and view.marked_by_me))
        self.edit_button.setEnabled(bool(view and view.mine))
        self.withdraw_button.setEnabled(bool(view and view.mine))
        for button in (self.pin_button, self.hide_button):
            button.setVisible(self.supervisor)
            button.setEnabled(view is not None)
        self.pin_button.setText("Un&pin" if view and view.tip.pinned else "&Pin")
        self.hide_button.setText("Unh&ide" if view and view.tip.hidden else "H&ide")

    # -- actions --------------------------------------------------------------------------

    def add(self) -> None:
        if self.strategy_id is not None:
            self._open(TipDialog(self.ctx, self.strategy_id, vendors=self._vendors, parent=self.window()))

    def edit(self) -> None:
        view = self.current()
        if view is None:
            return
        if not view.mine:
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(f"Only {view.tip.written_by or 'its author'} can change this tip.", 5000)
            return
        self._open(TipDialog(self.ctx, view.tip.strategy_id, tip=view.tip, vendors=self._vendors,
                             parent=self.window()))

    def _open(self, dialog: TipDialog) -> None:
        self.dialog = dialog
        dialog.saved.connect(lambda tip_id: self.reload(select=tip_id))
        dialog.finished.connect(lambda _r: self.table.setFocus())
        dialog.open()

    def withdraw(self) -> None:
        view = self.current()
        if view is None or not view.mine:
            return
        tip_id = view.tip.id
        confirm(self, "Withdraw your tip?", "Withdraw this tip? Your colleagues will no longer see it.",
                "&Withdraw", lambda: self._write(lambda s: s.withdraw_tip(tip_id)),
                informative=view.tip.text[:200], after=self.table.setFocus)

    def toggle_helpful(self) -> None:
        view = self.current()
        if view is not None:
            tip_id, helpful = view.tip.id, not view.marked_by_me
            self._write(lambda s: s.mark_tip(tip_id, helpful=helpful), select=tip_id)

    def toggle_pin(self) -> None:
        view = self.current()
        if view is not None and self.supervisor:
            tip_id, pinned = view.tip.id, not view.tip.pinned
            self._write(lambda s: s.flag_tip(tip_id, pinned=pinned), select=tip_id)

    def toggle_hidden(self) -> None:
        view = self.current()
        if view is not None and self.supervisor:
            tip_id, hidden = view.tip.id, not view.tip.hidden
            self._write(lambda s: s.flag_tip(tip_id, hidden=hidden), select=tip_id)

    def _write(self, work, *, select: str | None = None) -> None:
        StoreOp(self.ctx.ops, work, initiator=self).success(lambda _c: self.reload(select=select)).run()

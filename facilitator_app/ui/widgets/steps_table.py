"""A table of next steps that closes them from the keyboard, shared by Today and the practice's
Next steps tab.

Why one widget: both places must behave alike (the same keys, the same undo, the same way the
cursor stays put when a closed step leaves the list), and each write goes through the store on
the writer thread; the lists redraw from the app's `changed` signal like every other screen.

Keys in the table (on top of widgets/keyboard.py: arrows move, Tab leaves):
    Space      mark the step done (on a closed step: open it again, where closed steps are shown)
    Ctrl+D     mark done
    Delete     drop it (a small dialog asks why)
    Ctrl+Z     undo the last mark, drop or reopen (also from anywhere in the panel)
    Enter      `activated`: the panel decides (Today opens the practice; the tab edits the step)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import shiboken6
from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QPushButton, QTableView, QWidget

from ...core.vocab import StepStatus
from ...store.queries import StepRow
from ..context import AppContext
from ..models.roles import RECORD_ROLE
from ..models.steps_model import StepsModel, StepsProxy
from ..ops import StoreOp, describe_error
from .keyboard import table_keys

PLAIN = Qt.KeyboardModifier.NoModifier | Qt.KeyboardModifier.KeypadModifier


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[:limit - 1] + '…'}”"


class StepsTable(QTableView):
    """A sortable, filterable view of StepRows that keeps its place across reloads."""

    def __init__(self, ctx: AppContext, name: str, *, hidden: tuple[int, ...] = (),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.steps_model = StepsModel(ctx.today, self)
        self.proxy = StepsProxy(self)
        self.proxy.setSourceModel(self.steps_model)
        self.setModel(self.proxy)
        self.setAccessibleName(name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(StepsModel.ACTION, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        for column in hidden:
            self.setColumnHidden(column, True)
        self.setSortingEnabled(True)
        self.sortByColumn(StepsModel.DUE, Qt.SortOrder.AscendingOrder)
        self.keys = table_keys(self)

    def set_rows(self, rows: list[StepRow]) -> None:
        """Show `rows`, keeping the cursor on the same step, or on the same line when that step
        left the list (closed, filtered out), so Space can close one step after another."""
        current = self.current_step()
        line = self.currentIndex().row()
        self.steps_model.set_rows(rows)
        if current is not None and self.select_step(current.id):
            return
        if line >= 0 and self.proxy.rowCount():
            self.select_line(min(line, self.proxy.rowCount() - 1))

    def rows(self) -> list[StepRow]:
        """The steps shown, in the order shown."""
        return [self.proxy.index(r, 0).data(RECORD_ROLE) for r in range(self.proxy.rowCount())]

    def current_step(self) -> StepRow | None:
        index = self.currentIndex()
        return index.data(RECORD_ROLE) if index.isValid() else None

    def select_line(self, row: int) -> None:
        index = self.proxy.index(row, self._first_visible_column())
        self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QItemSelectionModel.SelectionFlag.Rows)
        self.scrollTo(index)

    def select_step(self, step_id: str) -> bool:
        row = self.steps_model.row_of(step_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.steps_model.index(row, 0))
        if not index.isValid():
            return False
        self.select_line(index.row())
        return True

    def _first_visible_column(self) -> int:
        return next((c for c in range(self.proxy.columnCount()) if not self.isColumnHidden(c)), 0)


@dataclass
class StepButtons:
    """The buttons of a steps panel, each wired to its StepActions slot."""

    done: QPushButton
    drop: QPushButton
    reopen: QPushButton | None  # only where closed steps are listed
    undo: QPushButton


class StepActions(QObject):
    """Mark done, drop and reopen the current step of a StepsTable, with one level of undo.

    `message` says what happened (and how to undo it) for a label on screen; `undo_changed`
    tells an Undo button whether there is anything to undo."""

    message = Signal(str)
    undo_changed = Signal(bool)

    def __init__(self, ctx: AppContext, table: StepsTable, panel: QWidget, *, space_reopens: bool):
        super().__init__(panel)
        self.ctx = ctx
        self.table = table
        self.panel = panel
        self.space_reopens = space_reopens
        self._undo: Callable[[], None] | None = None
        self._undo_text = ""
        table.installEventFilter(self)  # after table_keys: this filter sees Space and Delete first
        for keys, slot in (("Ctrl+D", self.mark_done), ("Ctrl+Z", self.undo)):
            shortcut = QShortcut(QKeySequence(keys), panel, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    @property
    def can_undo(self) -> bool:
        return self._undo is not None

    def make_buttons(self) -> StepButtons:
        """Mark done, Drop, (Reopen,) Undo: the same words, keys and mnemonics on every screen."""
        done = QPushButton("Mark &done")
        done.setToolTip("Mark the selected step done (Space or Ctrl+D)")
        done.clicked.connect(self.mark_done)
        drop = QPushButton("D&rop…")
        drop.setToolTip("Drop the selected step, saying why (Delete)")
        drop.clicked.connect(self.drop)
        reopen = None
        if self.space_reopens:
            reopen = QPushButton("Re&open")
            reopen.setToolTip("Open a done or dropped step again (Space)")
            reopen.clicked.connect(self.reopen)
        undo = QPushButton("&Undo")
        undo.setToolTip("Put back the step you last marked, dropped" + (" or reopened" if reopen else "") + " (Ctrl+Z)")
        undo.setEnabled(False)
        undo.clicked.connect(self.undo)
        self.undo_changed.connect(undo.setEnabled)
        return StepButtons(done, drop, reopen, undo)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Type.KeyPress or not shiboken6.isValid(self.table) or obj is not self.table:
            return False
        assert isinstance(event, QKeyEvent)
        if event.modifiers() & ~PLAIN:
            return False
        if event.key() == Qt.Key.Key_Space:
            step = self.table.current_step()
            if step is not None and not step.is_open and self.space_reopens:
                self.reopen()
            else:
                self.mark_done()
            return True
        if event.key() == Qt.Key.Key_Delete:
            self.drop()
            return True
        return False

    # -- actions --------------------------------------------------------------------------

    def _step(self, *, want_open: bool | None = None) -> StepRow | None:
        step = self.table.current_step()
        if step is None:
            self.message.emit("Choose a next step first (arrows move in the list).")
            return None
        if want_open is True and not step.is_open:
            self.message.emit(f"{_quote(step.action)} is already {StepStatus.label_of(step.status).lower()}. "
                              "Reopen it first.")
            return None
        if want_open is False and step.is_open:
            self.message.emit(f"{_quote(step.action)} is open already.")
            return None
        return step

    def mark_done(self) -> None:
        step = self._step(want_open=True)
        if step is None:
            return
        today = self.ctx.today()
        self._write(lambda s: s.close_next_step(step.id, "done", today=today), step,
                    f"Marked done: {_quote(step.action)}" + self._where(step))

    def reopen(self) -> None:
        step = self._step(want_open=False)
        if step is None:
            return
        self._write(lambda s: s.close_next_step(step.id, "open", today=self.ctx.today()), step,
                    f"Reopened: {_quote(step.action)}" + self._where(step))

    def drop(self) -> None:
        step = self._step(want_open=True)
        if step is None:
            return
        from ..dialogs.step_dialogs import DropStepDialog
        dialog = DropStepDialog(self.ctx, step, self.panel)
        dialog.saved.connect(lambda _c: self._done(step, f"Dropped: {_quote(step.action)}" + self._where(step)))
        dialog.finished.connect(lambda _r: self._refocus())
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        self.drop_dialog = dialog

    def undo(self) -> None:
        if self._undo is None:
            self.message.emit("Nothing to undo.")
            return
        undo, self._undo = self._undo, None
        self.undo_changed.emit(False)
        undo()

    def forget(self) -> None:
        """Drop the undo (the list now shows other steps)."""
        self._undo = None
        self.undo_changed.emit(False)

    # -- plumbing -------------------------------------------------------------------------

    def _where(self, step: StepRow) -> str:
        return "" if self.table.isColumnHidden(StepsModel.PRACTICE) else f" ({step.practice_name})"

    def _write(self, op, step: StepRow, text: str) -> None:
        StoreOp(self.ctx.ops, op, initiator=self).success(lambda _c: self._done(step, text)).failure(
            self._failed).run()

    def _done(self, step: StepRow, text: str) -> None:
        """The write is committed: offer to put the step back the way it was."""
        before, note, today = step.status, step.closing_note, self.ctx.today()

        def put_back() -> None:
            StoreOp(self.ctx.ops, lambda s: s.close_next_step(step.id, before, note=note, today=today),
                    initiator=self).success(
                lambda _c: self.message.emit(f"Undone: {_quote(step.action)} is "
                                             f"{StepStatus.label_of(before).lower()} again.")).failure(
                self._failed).run()
        self._undo = put_back
        self.undo_changed.emit(True)
        self.message.emit(f"{text}. Ctrl+Z undoes it.")

    def _failed(self, exc: BaseException) -> None:
        self.message.emit(f"Not saved: {describe_error(exc)}")

    def _refocus(self) -> None:
        if shiboken6.isValid(self.table) and self.table.isVisible():
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

"""Keyboard behaviour for tables, trees and lists, shared by every screen and dialog.

Why: a QTableView takes Tab to move between cells (and its editors take Tab to open the next
cell), so a keyboard user can never leave a table; Enter in a table is passed on to the dialog,
which presses its default button; a combo box placed in a cell cannot be reached; and the mouse
wheel over an inner table scrolls the table instead of the page. One helper fixes all of these for
any QAbstractItemView, so every table behaves the same way.

API
---
``table_keys(view, *, on_delete=None, confirm_delete=None, add_row=None) -> TableKeys``
    Call once after building the view (a QTableView/QTableWidget, QTreeView/QTreeWidget or
    QListView/QListWidget); cell widgets may be added before or after. The returned object is
    parented to the view (no need to keep it). Then:

    - Arrows, Home/End, PageUp/PageDown move inside the view as before.
    - Tab / Shift+Tab leave the view to the next / previous widget of the window's focus chain,
      also from an open cell editor (its text is committed first) or from a widget placed in a
      cell. Ctrl+Tab / Ctrl+Shift+Tab do the same, except inside a QTabWidget, which keeps them
      for switching tabs. Widgets placed in cells are taken out of the Tab chain, so Shift+Tab
      from below enters the table itself, not its last combo box.
    - Space ticks the current cell if it has a check box, else the first check box of the current
      row; on a row whose only control is a QComboBox cell widget (setIndexWidget/setCellWidget)
      it opens that combo box. F4 and Alt+Down open the row's combo box too (or start editing the
      current cell and open its editor if that is a combo box).
    - A widget in the current cell has the focus (Qt gives it when its cell becomes current; it
      shows its own focus frame). There, Space / F4 / Alt+Down / Enter open a combo box's list;
      the arrows (Up/Down/PageUp/PageDown only in text widgets) move in the table instead of
      changing the value; Escape returns to the table; Tab / Shift+Tab leave the table.
    - Enter / Return never reach the window's default button: on an editable cell Enter starts
      editing (as F2 does), otherwise it emits the view's ``activated`` signal (open the row). In
      an open editor, Enter commits and returns to the table (a QPlainTextEdit/QTextEdit editor
      keeps Enter for new lines).
    - Insert calls ``add_row()`` when given: the only key in the table that adds a row.
    - Delete calls ``on_delete(rows)`` with the selected rows (else the current row) when given.
      With ``confirm_delete`` (a question string, or a callable ``rows -> str``) the user confirms
      first in a window-modal message box (Remove is the default button, Escape cancels). If
      ``on_delete`` returns a callable, that is the undo: Ctrl+Z in the view calls it once.
    - The mouse wheel over the view scrolls the enclosing scroll area unless the view (or a
      widget in it) has keyboard focus; a combo box in a cell ignores the wheel unless focused.

    - Entering a row-selecting view with Tab and nothing selected selects the current row, so
      the focus shows as a highlighted row rather than a faint cell frame.

    ``TableKeys.message`` (Signal(str)) carries short confirmations ("Removed 1 row. Ctrl+Z puts
    it back."); a QMainWindow's status bar shows them too. ``TableKeys.selected_rows()`` gives the
    rows Delete would remove, and ``TableKeys.delete(rows)`` removes them exactly as Delete does
    (confirmation and undo included): a "Remove" button should call it.

    Example (the visit form's attendees: rows added by a button or Insert, removed with undo)::

        keys = table_keys(self.attendees, add_row=self._add_attendee_row,
                          on_delete=self._remove_attendees)   # returns a function that puts them back
        self.remove_attendee.clicked.connect(lambda: keys.delete(keys.selected_rows()))

``leave(view, forward) -> bool``
    Move focus to the next (forward) or previous widget of the window's focus chain that is not
    inside ``view``; scroll areas around it scroll to show it. False if there is none.

``wheel_follows_focus(widget) -> None``
    Only the wheel behaviour above, for any widget in a scrolled page that would otherwise take
    the wheel: a QPlainTextEdit, a QSpinBox, a QComboBox (their value no longer changes while
    the page is scrolled past them; a focused one still takes the wheel).

``open_combo(combo) -> None``
    Focus a combo box and show its list.
"""

from __future__ import annotations

from typing import Callable

import shiboken6
from PySide6.QtCore import QAbstractListModel, QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QTextEdit,
    QWidget,
)

Rows = list[int]
Undo = Callable[[], None]

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_WATCHED = frozenset({QEvent.Type.KeyPress, QEvent.Type.ChildAdded, QEvent.Type.ChildPolished, QEvent.Type.Wheel})
_MOVES = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_PageUp,
                    Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End})
_ROW_MOVES = frozenset({Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown})
_NAV_MODS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


def _tab_focusable(w: QWidget, window: QWidget) -> bool:
    return (bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus) and w.focusProxy() is None and w.isEnabled()
            and w.isVisibleTo(window) and w.window() is window)


def _columns(model, index: QModelIndex) -> int:
    """The number of columns beside `index`. A list model's columnCount is private in PySide (a
    call raises, and an exception inside an event filter crashes the app): a list has one."""
    if isinstance(model, QAbstractListModel):
        return 1
    return model.columnCount(index.parent())


def leave(view: QWidget, forward: bool) -> bool:
    """Focus the next/previous widget in the window's focus chain that is outside `view`."""
    window = view.window()
    w: QWidget | None = view
    for _ in range(10_000):  # the chain is a ring; the bound only guards against a broken one
        w = w.nextInFocusChain() if forward else w.previousInFocusChain()
        if w is None or w is view:
            return False
        if view.isAncestorOf(w):
            continue
        if _tab_focusable(w, window):
            w.setFocus(Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason)
            _reveal(w)
            return True
    return False


def _reveal(w: QWidget) -> None:
    """Scroll every QScrollArea around `w` so that it is on screen (Qt does this only for its own Tab)."""
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and parent.widget() is not None and parent.widget().isAncestorOf(w):
            parent.ensureWidgetVisible(w)
        parent = parent.parentWidget()


def open_combo(combo: QComboBox) -> None:
    """Focus `combo` and show its list (Enter chooses, Escape keeps the old value)."""
    combo.setFocus(Qt.FocusReason.OtherFocusReason)
    combo.showPopup()


def _in_tab_widget(w: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QTabWidget):
            return True
        parent = parent.parentWidget()
    return False


def _scroll_ancestor(w: QWidget) -> QAbstractScrollArea | None:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class _WheelFilter(QObject):
    """Hands the wheel to the enclosing scroll area while `owner` does not have focus."""

    def __init__(self, owner: QWidget):
        super().__init__(owner)
        self.owner = owner

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if not isinstance(event, QWheelEvent) or not shiboken6.isValid(self.owner):
            return False
        outer = _scroll_ancestor(self.owner)
        focus = QApplication.focusWidget()
        if outer is None or (focus is not None and (focus is self.owner or self.owner.isAncestorOf(focus))):
            return False
        # Sent on explicitly: Qt passes an ignored wheel to the parents only for real (spontaneous)
        # events, and the page should scroll the same way for both.
        target = outer.viewport()
        forwarded = QWheelEvent(target.mapFromGlobal(event.globalPosition()), event.globalPosition(),
                                event.pixelDelta(), event.angleDelta(), event.buttons(), event.modifiers(),
                                event.phase(), event.inverted(), event.source())
        QApplication.sendEvent(target, forwarded)
        return True


def wheel_follows_focus(widget: QWidget) -> None:
    """The wheel over `widget` (a table, a text area, a spin box or combo box) scrolls the page
    around it unless `widget` has keyboard focus; the wheel no longer gives it focus either."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    target = widget.viewport() if isinstance(widget, QAbstractScrollArea) else widget
    target.installEventFilter(_WheelFilter(widget))


class TableKeys(QObject):
    """The keyboard behaviour of one item view (see the module docstring)."""

    message = Signal(str)

    def __init__(self, view: QAbstractItemView, *, on_delete: Callable[[Rows], Undo | None] | None = None,
                 confirm_delete: str | Callable[[Rows], str] | None = None,
                 add_row: Callable[[], None] | None = None):
        super().__init__(view)
        self.view = view
        self.on_delete = on_delete
        self.confirm_delete = confirm_delete
        self.add_row = add_row
        self.undo: Undo | None = None
        view.setTabKeyNavigation(False)
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)
        for child in view.viewport().children():
            self._adopt(child)
        wheel_follows_focus(view)
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.connect(self._on_focus_changed)

    # -- children: cell editors and cell widgets ------------------------------------------

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        """Filter the keys of an editor or cell widget as soon as it gets focus. Installed again
        each time so this filter runs before the delegate's (which would open the next cell on Tab)."""
        if not shiboken6.isValid(self.view) or new is None:
            return
        if new is self.view:
            self._show_current_row(old)
        elif self.view.isAncestorOf(new):
            new.removeEventFilter(self)
            new.installEventFilter(self)

    def _show_current_row(self, old: QWidget | None) -> None:
        """Entering a row-selecting view from outside with nothing selected: select the row the
        keyboard is on, so the focus shows as a highlighted row and not a faint cell frame."""
        view = self.view
        model = view.selectionModel()
        if (old is not None and view.isAncestorOf(old)) or model is None or model.hasSelection():
            return
        if view.selectionBehavior() != QAbstractItemView.SelectionBehavior.SelectRows or \
                view.selectionMode() == QAbstractItemView.SelectionMode.NoSelection:
            return
        index = view.currentIndex()
        if index.isValid():
            model.select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                         | QItemSelectionModel.SelectionFlag.Rows)

    def _adopt(self, child: QObject) -> None:
        """A cell widget or editor: filter its keys, and keep it out of the Tab chain (Tab enters
        the table itself; the keys above reach the widget)."""
        if isinstance(child, QWidget) and child is not self.view:
            child.installEventFilter(self)
            if child.focusPolicy() & Qt.FocusPolicy.TabFocus:
                child.setFocusPolicy(Qt.FocusPolicy(child.focusPolicy().value & ~Qt.FocusPolicy.TabFocus.value))

    def _editing(self) -> bool:
        return self.view.state() == QAbstractItemView.State.EditingState

    def _close_editor(self, editor: QWidget, *, commit: bool) -> None:
        delegate = self.view.itemDelegateForIndex(self.view.currentIndex()) or self.view.itemDelegate()
        if commit:
            delegate.commitData.emit(editor)
        delegate.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def _child_key(self, child: QWidget, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        view = self.view
        editor = self._editing() and view.indexWidget(view.currentIndex()) is not child
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            forward = key == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ShiftModifier
            if mods & Qt.KeyboardModifier.ControlModifier and _in_tab_widget(view):
                return False
            if editor:
                self._close_editor(child, commit=True)
            return leave(view, forward)
        if key in _ENTER and not mods & ~_NAV_MODS:
            if editor:
                if isinstance(child, (QPlainTextEdit, QTextEdit)):
                    return False
                self._close_editor(child, commit=True)
                view.setFocus(Qt.FocusReason.OtherFocusReason)
            elif isinstance(child, QComboBox):
                child.showPopup()
            else:
                view.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        if editor:
            return False
        if key == Qt.Key.Key_Escape:
            view.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        texty = (isinstance(child, (QLineEdit, QAbstractSpinBox))
                 or (isinstance(child, QComboBox) and child.isEditable()))
        if key in (_ROW_MOVES if texty else _MOVES) and not mods & Qt.KeyboardModifier.AltModifier:
            # A widget in a cell (Qt focuses it when its cell becomes current) keeps the arrows
            # for moving in the table; its value changes from its own list (Space, F4, Alt+Down).
            view.setFocus(Qt.FocusReason.OtherFocusReason)
            QApplication.sendEvent(view, QKeyEvent(QEvent.Type.KeyPress, key, mods, event.text()))
            return True
        return False

    # -- the view itself ------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind not in _WATCHED or not shiboken6.isValid(self.view):  # (events still come while Qt deletes it)
            return False
        viewport = self.view.viewport()
        if kind in (QEvent.Type.ChildAdded, QEvent.Type.ChildPolished) and obj is viewport:
            self._adopt(event.child())  # again once polished: a constructor may set its own policy
            return False
        if (kind == QEvent.Type.Wheel and obj is not self.view and obj is not viewport
                and obj is not QApplication.focusWidget()):
            event.ignore()  # a combo box in a cell changes its value on the wheel only once chosen
            return True
        if kind != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        if obj is not self.view:
            return self._child_key(obj, event) if isinstance(obj, QWidget) else False
        return self._view_key(event)

    def _view_key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        view = self.view
        plain = not mods & ~_NAV_MODS
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            if mods & Qt.KeyboardModifier.ControlModifier and _in_tab_widget(view):
                return False  # the tab widget switches tabs
            return leave(view, key == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ShiftModifier)
        index = view.currentIndex()
        if key == Qt.Key.Key_Space and plain and index.isValid():
            widget = view.indexWidget(index)
            if isinstance(widget, QComboBox) and widget.isEnabled():
                open_combo(widget)
                return True
            return self._toggle(index) or self._open_row_combo(index)
        if (key == Qt.Key.Key_F4 and plain) or (key == Qt.Key.Key_Down and mods & Qt.KeyboardModifier.AltModifier):
            return self._open_row_combo(index) or self._edit(index, popup=True)
        if key in _ENTER and plain:
            if index.isValid():
                widget = view.indexWidget(index)
                if widget is not None and widget.isEnabled():
                    if isinstance(widget, QComboBox):
                        open_combo(widget)
                    else:
                        widget.setFocus(Qt.FocusReason.OtherFocusReason)
                elif not self._edit(index, popup=False):
                    view.activated.emit(index)
            event.accept()
            return True  # never the dialog's default button
        if key == Qt.Key.Key_Insert and plain and self.add_row is not None:
            self.add_row()
            return True
        if key == Qt.Key.Key_Delete and plain and self.on_delete is not None:
            rows = self.selected_rows()
            if rows:
                self.delete(rows)
            return True
        if key == Qt.Key.Key_Z and mods == Qt.KeyboardModifier.ControlModifier and self.undo is not None:
            undo, self.undo = self.undo, None
            undo()
            self._say("Put back.")
            return True
        return False

    def selected_rows(self) -> Rows:
        model = self.view.selectionModel()
        rows = sorted({i.row() for i in model.selectedIndexes()}) if model is not None else []
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return rows

    def _toggle(self, index: QModelIndex) -> bool:
        model = self.view.model()
        candidates = [index] + [model.index(index.row(), c, index.parent())
                                for c in range(_columns(model, index))]
        for cell in candidates:
            flags = model.flags(cell)
            state = cell.data(Qt.ItemDataRole.CheckStateRole)  # None: no check box (a plain text cell)
            if state is not None and flags & Qt.ItemFlag.ItemIsUserCheckable and flags & Qt.ItemFlag.ItemIsEnabled:
                checked = state in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
                model.setData(cell, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                              Qt.ItemDataRole.CheckStateRole)
                return True
        return False

    def _open_row_combo(self, index: QModelIndex) -> bool:
        if not index.isValid():
            return False
        model = self.view.model()
        cells = [index] + [model.index(index.row(), c, index.parent())
                           for c in range(_columns(model, index))]
        for cell in cells:
            widget = self.view.indexWidget(cell)
            if isinstance(widget, QComboBox) and widget.isEnabled():
                open_combo(widget)
                return True
        return False

    def _edit(self, index: QModelIndex, *, popup: bool) -> bool:
        view = self.view
        if not index.isValid() or not view.model().flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        if view.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers:
            return False
        view.edit(index)
        if view.state() != QAbstractItemView.State.EditingState:
            return False
        editor = QApplication.focusWidget()
        if popup and isinstance(editor, QComboBox):
            editor.showPopup()
        return True

    def delete(self, rows: Rows) -> None:
        """Remove `rows` as the Delete key does (asking first when `confirm_delete` is set)."""
        question = self.confirm_delete(rows) if callable(self.confirm_delete) else self.confirm_delete
        if not question:
            self._remove(rows)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove?", question, parent=self.view.window())
        remove = box.addButton("&Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(remove)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def finished(_result: int) -> None:
            if box.clickedButton() is remove:
                self._remove(rows)
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        box.finished.connect(finished)
        box.open()

    def _remove(self, rows: Rows) -> None:
        undo = self.on_delete(rows) if self.on_delete is not None else None
        self.undo = undo
        what = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
        self._say(f"Removed {what}." + (" Ctrl+Z puts it back." if undo else ""))

    def _say(self, text: str) -> None:
        self.message.emit(text)
        window = self.view.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 6000)


def table_keys(view: QAbstractItemView, *, on_delete: Callable[[Rows], Undo | None] | None = None,
               confirm_delete: str | Callable[[Rows], str] | None = None,
               add_row: Callable[[], None] | None = None) -> TableKeys:
    """Give `view` the keyboard behaviour described in this module's docstring."""
    return TableKeys(view, on_delete=on_delete, confirm_delete=confirm_delete, add_row=add_row)

"""The table keyboard helper (ui/widgets/keyboard.py) on a small real dialog, driven by key events
sent to whichever widget has focus: Tab leaves the table, Space ticks, combo boxes open from the
keyboard, Enter never presses the default button, Insert adds and Delete removes (confirmed or undone),
and the wheel scrolls the page unless the table has focus."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from facilitator_app.ui.widgets.keyboard import leave, table_keys

C_TICK, C_TEXT, C_CHOICE = range(3)


def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    """One key press to whatever has focus, as a keyboard would send it."""
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has keyboard focus"
    QTest.keyClick(focus, k, mods)


def focus() -> QWidget:
    return QApplication.focusWidget()


def reactivate(qtbot, window: QWidget) -> None:
    """The offscreen platform gives activation back to no window when a popup or a message box
    closes (a desktop gives it back to the window underneath); do what the desktop would."""
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None and QApplication.activeModalWidget() is None)
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


class Form(QDialog):
    def __init__(self, *, confirm: bool = True):
        super().__init__()
        self.before = QLineEdit()
        self.before.setAccessibleName("Before")
        self.table = QTableWidget(0, 3)
        self.table.setAccessibleName("Rows")
        self.after = QPushButton("Add row")  # the default button Enter used to press
        self.after.setDefault(True)
        self.pressed = 0
        self.after.clicked.connect(self._pressed)
        self.activated: list[int] = []
        self.table.activated.connect(lambda i: self.activated.append(i.row()))
        for n in range(3):
            self.add(f"row {n}")
        self.keys = table_keys(self.table, add_row=lambda: self.add("new"), on_delete=self.remove,
                               confirm_delete=(lambda rows: f"Remove {len(rows)} row?") if confirm else None)
        layout = QVBoxLayout(self)
        for w in (self.before, self.table, self.after):
            layout.addWidget(w)

    def _pressed(self) -> None:
        self.pressed += 1

    def add(self, text: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        tick = QTableWidgetItem()
        tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        tick.setCheckState(Qt.CheckState.Unchecked)
        self.table.setItem(row, C_TICK, tick)
        self.table.setItem(row, C_TEXT, QTableWidgetItem(text))
        combo = QComboBox()
        combo.addItems(["one", "two", "three"])
        combo.setAccessibleName(f"Choice {row}")
        self.table.setCellWidget(row, C_CHOICE, combo)

    def texts(self) -> list[str]:
        return [self.table.item(r, C_TEXT).text() for r in range(self.table.rowCount())]

    def remove(self, rows: list[int]):
        removed = [(r, self.texts()[r]) for r in rows]
        for r in reversed(rows):
            self.table.removeRow(r)

        def undo() -> None:
            for r, text in removed:
                self.table.insertRow(r)
                self.table.setItem(r, C_TICK, QTableWidgetItem())
                self.table.setItem(r, C_TEXT, QTableWidgetItem(text))
        return undo


@pytest.fixture
def form(qtbot):
    f = Form()
    qtbot.addWidget(f)
    f.show()
    qtbot.waitExposed(f)
    f.activateWindow()
    f.before.setFocus()
    qtbot.waitUntil(lambda: f.before.hasFocus())
    return f


def test_tab_and_shift_tab_leave_the_table(form):
    key(Qt.Key.Key_Tab)
    assert focus() is form.table
    key(Qt.Key.Key_Down)
    assert form.table.currentIndex().row() == 1  # arrows still move inside
    key(Qt.Key.Key_Tab)
    assert focus() is form.after
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focus() is form.table
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focus() is form.before
    form.table.setFocus()
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Tab leaves too outside a tab widget
    assert focus() is form.after
    assert form.pressed == 0


def test_space_ticks_the_row_and_enter_never_presses_the_default_button(form):
    form.table.setFocus()
    form.table.setCurrentCell(1, C_TEXT)
    key(Qt.Key.Key_Space)
    assert form.table.item(1, C_TICK).checkState() == Qt.CheckState.Checked
    key(Qt.Key.Key_Space)
    assert form.table.item(1, C_TICK).checkState() == Qt.CheckState.Unchecked
    form.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    key(Qt.Key.Key_Return)
    assert form.activated == [1] and form.pressed == 0 and form.table.rowCount() == 3


def test_typing_in_a_cell_then_tab_commits_and_leaves(form):
    form.table.setFocus()
    form.table.setCurrentCell(0, C_TEXT)
    key(Qt.Key.Key_Return)  # an editable cell: Enter starts editing
    editor = focus()
    assert isinstance(editor, QLineEdit) and form.table.isAncestorOf(editor)
    editor.selectAll()
    QTest.keyClicks(editor, "changed")
    key(Qt.Key.Key_Return)  # commits, back on the table, no default button
    assert form.texts()[0] == "changed" and focus() is form.table and form.pressed == 0
    key(Qt.Key.Key_F2)
    key(Qt.Key.Key_End)
    QTest.keyClicks(focus(), " again")
    key(Qt.Key.Key_Tab)  # commits and leaves instead of opening the next cell
    assert form.texts()[0] == "changed again"
    assert focus() is form.after and form.pressed == 0
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focus() is form.table
    key(Qt.Key.Key_F2)
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)  # back out of an editor too
    assert focus() is form.before


@pytest.mark.parametrize("opener", [(Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier),
                                    (Qt.Key.Key_F4, Qt.KeyboardModifier.NoModifier),
                                    (Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier),
                                    (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier)])
def test_a_combo_box_in_a_cell_opens_from_the_keyboard(form, qtbot, opener):
    form.before.setFocus()
    key(Qt.Key.Key_Tab)
    assert focus() is form.table
    for _ in range(2):
        key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Right)
    key(Qt.Key.Key_Right)  # onto the combo box's cell: Qt puts the focus in the combo box
    combo = form.table.cellWidget(2, C_CHOICE)
    assert focus() is combo
    key(*opener)
    qtbot.waitUntil(lambda: combo.view().isVisible())
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Return)
    reactivate(qtbot, form)
    assert combo.currentText() == "two" and form.pressed == 0
    key(Qt.Key.Key_Up)  # arrows move in the table, they do not change the value
    assert combo.currentText() == "two"
    assert form.table.currentRow() == 1 and focus() is form.table.cellWidget(1, C_CHOICE)
    key(Qt.Key.Key_Left)
    assert focus() is form.table and form.table.currentColumn() == C_TEXT
    key(Qt.Key.Key_Space)
    assert form.table.item(1, C_TICK).checkState() == Qt.CheckState.Checked
    form.table.setCurrentCell(1, C_CHOICE)
    key(Qt.Key.Key_Tab)
    assert focus() is form.after and form.pressed == 0


def test_tab_from_a_cell_widget_leaves_the_table(form, qtbot):
    combo = form.table.cellWidget(1, C_CHOICE)
    combo.setFocus()
    key(Qt.Key.Key_Tab)
    assert focus() is form.after
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)  # back into the table, not into its combo box
    assert focus() is form.table
    combo.setFocus()
    key(Qt.Key.Key_Escape)
    assert focus() is form.table
    combo.setFocus()
    key(Qt.Key.Key_Return)  # opens the list; never the default button
    qtbot.waitUntil(lambda: combo.view().isVisible())
    key(Qt.Key.Key_Escape)
    reactivate(qtbot, form)
    assert combo.currentText() == "one" and form.pressed == 0
    form.table.setCurrentCell(1, C_CHOICE)
    key(Qt.Key.Key_Escape)  # on the table, its current cell holding the combo box
    assert focus() is form.table
    key(Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: combo.view().isVisible())
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Enter)
    reactivate(qtbot, form)
    assert combo.currentText() == "two" and form.pressed == 0


def test_insert_adds_and_delete_removes_after_confirmation_with_undo(form, qtbot):
    form.table.setFocus()
    form.table.setCurrentCell(2, C_TEXT)
    key(Qt.Key.Key_Insert)
    assert form.texts() == ["row 0", "row 1", "row 2", "new"]
    form.table.setCurrentCell(1, C_TEXT)
    key(Qt.Key.Key_Delete)
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and "Remove 1 row?" in box.text()
    qtbot.waitUntil(lambda: box.isAncestorOf(focus()))
    key(Qt.Key.Key_Escape)  # cancelled: nothing removed
    reactivate(qtbot, form)
    assert form.texts() == ["row 0", "row 1", "row 2", "new"]
    assert focus() is form.table
    key(Qt.Key.Key_Delete)
    box = QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: box.isAncestorOf(focus()))
    messages = []
    form.keys.message.connect(messages.append)
    key(Qt.Key.Key_Return)  # Remove is the default button
    reactivate(qtbot, form)
    assert form.texts() == ["row 0", "row 2", "new"]
    assert messages and "Ctrl+Z" in messages[0]
    key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert form.texts() == ["row 0", "row 1", "row 2", "new"]


def test_ctrl_tab_is_left_to_a_tab_widget(qtbot):
    tabs = QTabWidget()
    page = QWidget()
    table = QTableWidget(2, 2)
    table.setAccessibleName("Rows")
    table_keys(table)
    QVBoxLayout(page).addWidget(table)
    tabs.addTab(page, "One")
    tabs.addTab(QLineEdit(), "Two")
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    tabs.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == 1


def test_wheel_scrolls_the_page_unless_the_table_has_focus(qtbot):
    outer = QScrollArea()
    body = QWidget()
    layout = QVBoxLayout(body)
    first = QLineEdit()
    layout.addWidget(first)
    table = QTableWidget(60, 2)
    table.setMinimumHeight(200)
    table.setMaximumHeight(200)
    table_keys(table)
    layout.addWidget(table)
    spacer = QWidget()
    spacer.setMinimumHeight(1500)
    layout.addWidget(spacer)
    outer.setWidget(body)
    outer.setWidgetResizable(True)
    outer.resize(400, 400)
    qtbot.addWidget(outer)
    outer.show()
    qtbot.waitExposed(outer)
    outer.activateWindow()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)

    def wheel() -> None:
        pos = QPointF(table.viewport().rect().center())
        event = QWheelEvent(pos, QPointF(table.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, -120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(table.viewport(), event)

    wheel()
    assert outer.verticalScrollBar().value() > 0
    assert table.verticalScrollBar().value() == 0
    page = outer.verticalScrollBar().value()
    table.setFocus()
    wheel()
    assert table.verticalScrollBar().value() > 0
    assert outer.verticalScrollBar().value() == page


def test_leave_reveals_the_next_widget_in_a_scroll_area(qtbot):
    outer = QScrollArea()
    body = QWidget()
    layout = QVBoxLayout(body)
    table = QTableWidget(3, 2)
    layout.addWidget(table)
    spacer = QWidget()
    spacer.setMinimumHeight(1500)
    layout.addWidget(spacer)
    last = QLineEdit()
    layout.addWidget(last)
    outer.setWidget(body)
    outer.setWidgetResizable(True)
    outer.resize(400, 300)
    qtbot.addWidget(outer)
    outer.show()
    qtbot.waitExposed(outer)
    outer.activateWindow()
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    assert leave(table, True)
    assert last.hasFocus() or QApplication.focusWidget() is last
    assert outer.verticalScrollBar().value() > 0


@pytest.mark.parametrize("optional", [True, False], ids=["blank date", "date"])
def test_tab_leaves_a_date_field(qtbot, optional):
    """Qt's date edit walks its sections with Tab, and on the blank '—' it never left at all."""
    from facilitator_app.ui.widgets.date_field import DateField

    box = QWidget()
    layout = QVBoxLayout(box)
    before, field, after = QLineEdit(), DateField(optional=optional), QLineEdit()
    for w in (before, field, after):
        layout.addWidget(w)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    box.activateWindow()
    before.setFocus()
    qtbot.waitUntil(before.hasFocus)
    key(Qt.Key.Key_Tab)
    assert focus() is field
    key(Qt.Key.Key_Tab)
    assert focus() is after
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focus() is field
    key(Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focus() is before


def test_wheel_over_a_spin_box_or_combo_box_scrolls_the_page_unless_it_has_focus(qtbot):
    from PySide6.QtWidgets import QSpinBox

    from facilitator_app.ui.widgets.keyboard import wheel_follows_focus

    outer = QScrollArea()
    body = QWidget()
    layout = QVBoxLayout(body)
    first = QLineEdit()
    spin = QSpinBox(maximum=100, value=50)
    combo = QComboBox()
    combo.addItems(["one", "two", "three"])
    for w in (first, spin, combo):
        layout.addWidget(w)
    for w in (spin, combo):
        wheel_follows_focus(w)
    spacer = QWidget()
    spacer.setMinimumHeight(1500)
    layout.addWidget(spacer)
    outer.setWidget(body)
    outer.setWidgetResizable(True)
    outer.resize(300, 300)
    qtbot.addWidget(outer)
    outer.show()
    qtbot.waitExposed(outer)
    outer.activateWindow()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)

    def wheel(w: QWidget) -> None:
        pos = QPointF(w.rect().center())
        QApplication.sendEvent(w, QWheelEvent(pos, QPointF(w.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, -120),
                                              Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                              Qt.ScrollPhase.NoScrollPhase, False))

    for w in (spin, combo):
        outer.verticalScrollBar().setValue(0)
        wheel(w)
        assert outer.verticalScrollBar().value() > 0
    assert spin.value() == 50 and combo.currentIndex() == 0
    assert spin.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel does not take the focus either
    spin.setFocus()
    wheel(spin)
    assert spin.value() == 49  # a focused spin box still takes the wheel

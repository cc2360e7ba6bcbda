"""The visit form with the keyboard: Tab goes through it in reading order and leaves every table
in one press, Enter never presses a button or adds a row outside the row-adding places, every
mnemonic is unique and every control has a name, the steps since the last visit and the
attendees are handled with keys, and the wheel scrolls the page over fields that are not focused."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGroupBox,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from facilitator_app.ui.dialogs.visit.since_last import C_DECISION, C_NOTE

from . import walk
from .conftest import TODAY
from .test_visit_form import _last_visit, _open_form, _practice

TAB, BACKTAB = Qt.Key.Key_Tab, Qt.Key.Key_Backtab
CTRL = Qt.KeyboardModifier.ControlModifier


def _key(key: Qt.Key, mods=Qt.KeyboardModifier.NoModifier, text: str = "") -> QWidget:
    widget = QApplication.focusWidget()
    if text:
        QTest.keyClick(widget, text, mods)
    else:
        QTest.keyClick(widget, key, mods)
    QApplication.processEvents()
    return QApplication.focusWidget()


def _form_with_steps(app):
    p = _practice(app.store, app.ctx.toolkit)
    _last_visit(app.store, app.ctx.toolkit, p)
    return p, _open_form(app, p.id)


def test_tab_goes_through_the_form_in_reading_order_and_leaves_every_table(app, qtbot):
    _p, form = _form_with_steps(app)
    tables = [form.since_last.table, form.attendees.table, form.strategies.table]
    assert len([t for t in form.body.findChildren(QTableWidget) if t.isVisibleTo(form)]) == len(tables)
    assert QApplication.focusWidget() is form.since_last.table
    seen = [QApplication.focusWidget()]
    for _ in range(200):
        widget = _key(TAB)
        if widget is seen[0]:
            break
        seen.append(widget)
    else:
        raise AssertionError("Tab never came back to the first field")
    in_page = [w for w in seen if form.body.isAncestorOf(w)]
    buttons = [w for w in seen if not form.body.isAncestorOf(w)]
    assert seen[:len(in_page)] == in_page  # the page first, then the buttons under it
    assert [b.text().replace("&", "") for b in buttons] == [
        "Discard draft…", "Close (keeps draft)", "Save and PDF…", "Save and print…", "Save visit"]
    for table in tables:
        assert in_page.count(table) == 1, table.accessibleName()  # one Tab in, one Tab out
        assert not any(table.isAncestorOf(w) for w in in_page if w is not table), table.accessibleName()
    # Reading order: down the page, left to right along a row.
    places = [(w.mapTo(form.body, QPoint(0, 0)).y(), w.mapTo(form.body, QPoint(0, 0)).x(), w) for w in in_page]
    for (y0, x0, a), (y1, x1, b) in itertools.pairwise(places):
        same_row = abs(y1 - y0) <= 6
        assert (same_row and x1 > x0) or (not same_row and y1 > y0), (a.accessibleName(), b.accessibleName())
    # Every section is reached, and Shift+Tab goes back the same way.
    for section in form.sections:
        assert any(section.isAncestorOf(w) for w in in_page), section.title()
    assert _key(BACKTAB) is buttons[-1]
    for widget in reversed(seen[:-1]):
        assert _key(BACKTAB) is widget


def test_enter_never_presses_a_button_nor_adds_rows(app, qtbot):
    p, form = _form_with_steps(app)
    assert not [b.text() for b in form.findChildren(QPushButton) if b.isDefault() or b.autoDefault()]
    attendees, lines = form.attendees.table.rowCount(), len(form.next_steps.lines)
    fields = [w for w in form.body.findChildren(QWidget) if isinstance(w, (QLineEdit, QAbstractSpinBox, QComboBox))
              and w.isVisibleTo(form) and w.focusPolicy() & Qt.FocusPolicy.TabFocus
              and not isinstance(w.parentWidget(), (QComboBox, QAbstractSpinBox))]
    assert len(fields) > 12
    for w in fields:
        w.setFocus()
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
        QApplication.processEvents()
        assert QApplication.activePopupWidget() is None or isinstance(w, QComboBox)
        if QApplication.activePopupWidget() is not None:
            QTest.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_Escape)
    app.idle()
    assert form.isVisible() and len(app.store.visits(p.id)) == 1  # only the last visit
    assert form.attendees.table.rowCount() == attendees and len(form.next_steps.lines) == lines


def test_mnemonics_are_unique_and_every_control_has_a_name(app, qtbot):
    _p, form = _form_with_steps(app)
    found = walk.live_mnemonics(form) + [
        (walk.mnemonic(g.title()), f"group {g.title()!r}") for g in form.findChildren(QGroupBox)
        if not g.isCheckable() and walk.mnemonic(g.title())]
    letters: dict[str, list[str]] = {}
    for letter, owner in found:
        letters.setdefault(letter, []).append(owner)
    assert {k: v for k, v in letters.items() if len(v) > 1} == {}
    assert {"l", "w", "a", "s", "n", "c", "x", "v", "p", "f"} <= set(letters)  # sections, next contact, buttons
    assert walk.unnamed(form) == []
    # Alt+letter jumps to its section.
    assert _key(Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier) is form.next_steps.lines[0].action
    assert _key(Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier) is form.strategies.table
    assert _key(Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier) is form.attendees.table
    assert _key(Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier) is form.when.date
    assert _key(Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier) is form.notes.practice_notes


def test_steps_since_last_visit_with_keys(app, qtbot):
    _p, form = _form_with_steps(app)
    since = form.since_last
    assert _key(Qt.Key.Key_D, text="d") is since.combos[0] and since.decision(0) == "done"
    _key(Qt.Key.Key_Down)  # to the next step, in the same column
    assert since.table.currentRow() == 1
    _key(Qt.Key.Key_D, text="d")
    assert since.decision(1) == "done"
    editor = _key(Qt.Key.Key_D, text="d")  # D again: drop, and the reason opens for typing
    assert since.decision(1) == "dropped"
    assert isinstance(editor, QLineEdit) and since.table.currentColumn() == C_NOTE
    for ch in "Done in-house":
        QTest.keyClick(QApplication.focusWidget(), ch)
    _key(Qt.Key.Key_Return)  # commits the reason
    assert [(c.status, c.note) for c in since.value()] == [("done", ""), ("dropped", "Done in-house")]
    since.table.setCurrentCell(0, C_DECISION)
    _key(Qt.Key.Key_K, text="k")
    assert since.decision(0) == "open"
    _key(Qt.Key.Key_F4)  # the list of choices
    popup = QApplication.activePopupWidget()
    assert popup is not None
    QTest.keyClick(popup, Qt.Key.Key_Escape)


def test_attendees_from_the_keyboard(app, qtbot):
    _p, form = _form_with_steps(app)
    att = form.attendees
    att.other_name.setFocus()
    for ch in "Pat Lee":
        QTest.keyClick(att.other_name, ch)
    _key(Qt.Key.Key_Return)  # Enter in "Other attendee" is the one place that adds a row
    assert [a.name for a in att.value()["attendees"]] == ["Ana Muñoz", "Ben Ode", "Pat Lee"]
    assert att.other_name.text() == ""
    att.table.setFocus()
    att.table.setCurrentCell(2, 0)
    _key(Qt.Key.Key_Delete)  # removes the added row (Ctrl+Z puts it back)
    assert att.table.rowCount() == 2
    _key(Qt.Key.Key_Z, CTRL)
    assert [att.table.item(r, 0).text() for r in range(3)] == ["Ana Muñoz", "Ben Ode", "Pat Lee"]
    att.table.setCurrentCell(0, 0)
    _key(Qt.Key.Key_Delete)  # a contact only unticks
    assert [a.name for a in att.value()["attendees"]] == ["Ben Ode", "Pat Lee"] and att.table.rowCount() == 3
    _key(Qt.Key.Key_Space)
    assert [a.name for a in att.value()["attendees"]] == ["Ana Muñoz", "Ben Ode", "Pat Lee"]
    _key(Qt.Key.Key_F4)  # the role list of the current row
    assert QApplication.activePopupWidget() is not None
    QTest.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_Escape)


def test_ctrl_s_saves_from_anywhere_and_esc_keeps_the_draft(app, qtbot):
    p, form = _form_with_steps(app)
    form.next_steps.lines[0].action.setFocus()
    for ch in "Call Ben":
        QTest.keyClick(QApplication.focusWidget(), ch)
    _key(Qt.Key.Key_S, CTRL)
    app.idle()
    assert len(app.store.visits(p.id)) == 2 and app.store.drafts("visit") == []
    assert [s.action for s in app.store.next_steps(p.id) if s.visit_date == TODAY] == ["Call Ben"]


def test_wheel_over_an_unfocused_field_scrolls_the_page(app, qtbot):
    _p, form = _form_with_steps(app)
    form.resize(900, 500)
    qtbot.wait(50)
    bar = form.scroll.verticalScrollBar()
    bar.setValue(0)
    minutes = form.when.minutes
    before = minutes.value()
    center = QPointF(minutes.rect().center())
    event = QWheelEvent(center, QPointF(minutes.mapToGlobal(minutes.rect().center())), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(minutes, event)
    assert minutes.value() == before and bar.value() > 0

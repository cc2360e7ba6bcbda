"""Next steps closed from Today and from the practice's Next steps tab, with the keyboard only
(key events sent to whichever widget has focus), on a real store file; every write is read back
from the store. The lists redraw from the app's `changed` signal, also after a write made
elsewhere (as a sync makes), and never by polling."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from facilitator_app.core.errors import ValidationError
from facilitator_app.core.model import Contact, NextStep, Practice, Visit
from facilitator_app.store.store import Changes
from facilitator_app.ui.context import ALL_ENTITIES
from facilitator_app.ui.dialogs.step_dialogs import DropStepDialog, EditStepDialog
from facilitator_app.ui.models.steps_model import OVERDUE_COLOR, StepsModel

from .conftest import TODAY
from .test_keyboard_screens import ALT, CTRL, SHIFT, activate, focus, inside, key, reactivate, tab_to, type_text

ME = "Renee Haddad"


@pytest.fixture
def steps(app):
    """Two practices; steps overdue, due this week, due later, and already closed."""
    s = app.store
    s.set_meta("facilitator", ME)
    harbor, maple = Practice(name="Harbor Clinic", state="WI"), Practice(name="Maple Street Clinic", state="IL")
    for p in (harbor, maple):
        s.save_practice(p)
    s.save_contact(Contact(harbor.id, "Dr. Lee"))
    s.save_visit(Visit(harbor.id, date(2026, 2, 20), minutes=60, next_contact=date(2026, 4, 2)), today=TODAY, steps=[
        NextStep("", "", "Send the BP protocol", owner="Dr. Lee", due=date(2026, 3, 10)),
        NextStep("", "", "Order validated BP cuffs", owner="Office manager", due=date(2026, 3, 20)),
        NextStep("", "", "Run the registry report", owner="MA team", due=date(2026, 4, 30)),
        NextStep("", "", "Print the quitline cards", owner="Front desk", due=date(2026, 3, 5))])
    s.save_visit(Visit(maple.id, date(2026, 2, 1), minutes=45), today=TODAY, steps=[
        NextStep("", "", "Share the statin list", owner="Dr. Ruiz", due=date(2026, 3, 1))])
    ids = {st.action: st.id for st in s.next_steps()}
    s.close_next_step(ids["Print the quitline cards"], "done", today=date(2026, 3, 6))
    app.window.today.refresh()  # as at start-up: the data was there before the window showed it
    app.idle()
    return {"harbor": harbor, "maple": maple, **ids}


def _today(app, qtbot):
    w = app.window
    activate(qtbot, w)
    key(Qt.Key.Key_1, CTRL)
    app.idle()
    assert w.current_view() is w.today
    return w.today.next_steps


def _actions(table) -> list[str]:
    return [s.action for s in table.rows()]


def _modal(kind):
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(dialogs) == 1, dialogs
    return dialogs[0]


def test_today_lists_open_steps_due_within_a_week_overdue_first_and_marked(app, qtbot, steps):
    panel = _today(app, qtbot)
    table = panel.table
    assert _actions(table) == ["Share the statin list", "Send the BP protocol", "Order validated BP cuffs"]
    model = table.model()
    assert [model.index(r, StepsModel.WHEN).data() for r in range(3)] == ["17 days overdue", "8 days overdue",
                                                                           "in 2 days"]
    assert model.index(0, StepsModel.DUE).data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_COLOR
    assert model.index(2, StepsModel.DUE).data(Qt.ItemDataRole.ForegroundRole) is None
    assert [model.index(0, c).data() for c in (StepsModel.PRACTICE, StepsModel.OWNER)] == ["Maple Street Clinic",
                                                                                          "Dr. Ruiz"]
    assert not hasattr(app.window.today, "overdue")  # the old "Overdue next steps" list is gone
    assert "Space: done" in panel.status.text()  # the keys are said on screen


def test_space_on_today_marks_done_and_ctrl_z_reopens(app, qtbot, steps):
    panel = _today(app, qtbot)
    table = panel.table
    tab_to(table)  # from the screen list, with Tab only
    assert table.current_step().action == "Share the statin list"
    key(Qt.Key.Key_Down)
    assert table.current_step().action == "Send the BP protocol"
    key(Qt.Key.Key_Space)
    app.idle()
    done = app.store.next_step(steps["Send the BP protocol"])
    assert (done.status, done.closed_on, done.closed_by, done.closed_in_visit) == ("done", TODAY, ME, "")
    assert _actions(table) == ["Share the statin list", "Order validated BP cuffs"]
    assert table.current_step().action == "Order validated BP cuffs"  # the cursor stays on the same line
    assert "Marked done" in panel.status.text() and "Ctrl+Z" in panel.status.text()
    assert panel.undo_button.isEnabled()
    assert inside(table)
    key(Qt.Key.Key_Z, CTRL)
    app.idle()
    back = app.store.next_step(steps["Send the BP protocol"])
    assert (back.status, back.closed_on, back.closed_by) == ("open", None, "")
    assert _actions(table) == ["Share the statin list", "Send the BP protocol", "Order validated BP cuffs"]
    assert not panel.undo_button.isEnabled()
    # Ctrl+D marks done too (the cursor stayed on the step it was on).
    assert table.current_step().action == "Order validated BP cuffs"
    key(Qt.Key.Key_D, CTRL)
    app.idle()
    assert app.store.next_step(steps["Order validated BP cuffs"]).status == "done"
    assert app.store.next_step(steps["Send the BP protocol"]).status == "open"


def test_drop_from_today_asks_why_and_refuses_no_reason(app, qtbot, steps):
    panel = _today(app, qtbot)
    tab_to(panel.table)
    key(Qt.Key.Key_Delete)
    dialog = _modal(DropStepDialog)
    assert focus() is dialog.reason
    key(Qt.Key.Key_Return)  # no reason given
    app.idle()
    assert "Say why" in dialog.errors.labels["closing_note"].text()
    assert dialog.isVisible()
    assert app.store.next_step(steps["Share the statin list"]).status == "open"
    type_text("Cardiology runs the statin list now")
    key(Qt.Key.Key_Return)
    app.idle()
    dropped = app.store.next_step(steps["Share the statin list"])
    assert (dropped.status, dropped.closing_note, dropped.closed_on, dropped.closed_by) == (
        "dropped", "Cardiology runs the statin list now", TODAY, ME)
    assert _gone(dialog) or not dialog.isVisible()
    reactivate(qtbot, app.window)
    assert inside(panel.table)  # back in the list
    assert "Share the statin list" not in _actions(panel.table)
    key(Qt.Key.Key_Z, CTRL)
    app.idle()
    assert app.store.next_step(steps["Share the statin list"]).status == "open"
    # Escape leaves the step as it was.
    tab_to(panel.table)
    key(Qt.Key.Key_Delete)
    dialog = _modal(DropStepDialog)
    key(Qt.Key.Key_Escape)
    app.idle()
    reactivate(qtbot, app.window)
    assert inside(panel.table)
    assert all(s.is_open for s in app.store.next_steps(steps["maple"].id))


def _gone(widget) -> bool:
    import shiboken6
    return not shiboken6.isValid(widget)


def test_store_refuses_a_drop_without_a_note(app, steps):
    with pytest.raises(ValidationError, match="Say why"):
        app.store.close_next_step(steps["Send the BP protocol"], "dropped", note="  ", today=TODAY)
    assert app.store.next_step(steps["Send the BP protocol"]).status == "open"


def test_enter_on_today_opens_the_practice_on_its_next_steps_tab(app, qtbot, steps):
    panel = _today(app, qtbot)
    tab_to(panel.table)
    key(Qt.Key.Key_Down)  # Harbor's overdue step
    key(Qt.Key.Key_Return)
    app.idle()
    w = app.window
    assert w.current_view() is w.practice and w.practice.practice_id == steps["harbor"].id
    tab = w.practice.steps
    assert w.practice.tabs.currentWidget() is tab
    assert tab.table.current_step().id == steps["Send the BP protocol"]
    assert inside(tab.table)
    assert w.practice.tabs.tabText(w.practice.tabs.currentIndex()) == "Ne&xt steps (3)"


def _practice_tab(app, qtbot, practice):
    w = app.window
    activate(qtbot, w)
    w.open_practice(practice.id)
    app.idle()
    key(Qt.Key.Key_X, ALT)
    tab = w.practice.steps
    assert w.practice.tabs.currentWidget() is tab
    return tab


def test_practice_tab_filters_by_status_and_text_with_the_keyboard(app, qtbot, steps):
    s = app.store
    s.close_next_step(steps["Run the registry report"], "dropped", note="EHR vendor runs it monthly", today=TODAY)
    app.idle()
    tab = _practice_tab(app, qtbot, steps["harbor"])
    assert tab.show_filter.currentText() == "Open"
    assert _actions(tab.table) == ["Send the BP protocol", "Order validated BP cuffs"]
    assert tab.count.text() == "2 of 4 steps"
    key(Qt.Key.Key_H, ALT)
    assert focus() is tab.show_filter
    seen = {}
    for _ in range(3):
        key(Qt.Key.Key_Down)  # a closed combo box steps through its choices
        seen[tab.show_filter.currentText()] = _actions(tab.table)
    assert seen == {"Done": ["Print the quitline cards"], "Dropped": ["Run the registry report"],
                    "All": ["Print the quitline cards", "Send the BP protocol", "Order validated BP cuffs",
                            "Run the registry report"]}
    key(Qt.Key.Key_S, ALT)
    assert focus() is tab.search
    type_text("monthly")  # the closing note is searched too
    assert _actions(tab.table) == ["Run the registry report"]
    assert tab.count.text() == "1 of 4 steps"
    tab.search.clear()
    type_text("dr. lee")
    assert _actions(tab.table) == ["Send the BP protocol"]
    key(Qt.Key.Key_Tab)  # from the search box into the list
    assert focus() is tab.table and tab.table.current_step().action == "Send the BP protocol"
    row = tab.table.model()
    texts = [row.index(0, c).data() for c in (StepsModel.STATUS, StepsModel.VISIT, StepsModel.OWNER)]
    assert texts == ["Open · overdue", "Feb 20, 2026", "Dr. Lee"]


def test_practice_tab_sorts_by_due_date_and_shows_how_steps_were_closed(app, qtbot, steps):
    tab = _practice_tab(app, qtbot, steps["harbor"])
    tab.set_filter("All")
    header = tab.table.horizontalHeader()
    assert header.sortIndicatorSection() == StepsModel.DUE
    assert [s.due for s in tab.table.rows()] == sorted(s.due for s in tab.table.rows())
    tab.table.sortByColumn(StepsModel.DUE, Qt.SortOrder.DescendingOrder)
    assert [s.due for s in tab.table.rows()] == sorted((s.due for s in tab.table.rows()), reverse=True)
    model = tab.table.model()
    done_row = next(r for r in range(model.rowCount()) if model.index(r, StepsModel.STATUS).data() == "Done")
    assert model.index(done_row, StepsModel.CLOSED).data() == f"Mar 6, 2026 · {ME}"
    assert tab.table.isColumnHidden(StepsModel.PRACTICE)


def test_practice_tab_done_reopen_drop_and_edit_from_the_keyboard(app, qtbot, steps):
    tab = _practice_tab(app, qtbot, steps["harbor"])
    tab_to(tab.table)
    assert tab.table.current_step().action == "Send the BP protocol"
    key(Qt.Key.Key_Space)
    app.idle()
    assert app.store.next_step(steps["Send the BP protocol"]).status == "done"
    assert app.window.practice.tabs.tabText(app.window.practice.tabs.indexOf(tab)) == "Ne&xt steps (2)"
    # Shown under All, Space on a done step opens it again.
    tab.set_filter("All")
    tab.table.select_step(steps["Send the BP protocol"])
    tab.table.setFocus()
    key(Qt.Key.Key_Space)
    app.idle()
    reopened = app.store.next_step(steps["Send the BP protocol"])
    assert (reopened.status, reopened.closed_on, reopened.closed_by) == ("open", None, "")
    key(Qt.Key.Key_Z, CTRL)  # undo the reopen: done again
    app.idle()
    assert app.store.next_step(steps["Send the BP protocol"]).status == "done"
    # Enter: owner and due date; the due date takes the shortcuts, counted from today.
    tab.table.select_step(steps["Order validated BP cuffs"])
    key(Qt.Key.Key_Return)
    dialog = _modal(EditStepDialog)
    assert focus() is dialog.due
    type_text("whenever")
    key(Qt.Key.Key_Return)
    assert "must be a date like" in dialog.errors.labels["due"].text()
    assert app.store.next_step(steps["Order validated BP cuffs"]).due == date(2026, 3, 20)
    dialog.due.selectAll()
    type_text("+2w")
    assert "Wednesday" in dialog.due_meaning.text()
    key(Qt.Key.Key_Tab, SHIFT)  # back to the owner
    assert focus() is dialog.owner
    key(Qt.Key.Key_A, CTRL)
    type_text("Dr. Lee")
    key(Qt.Key.Key_Return)
    app.idle()
    edited = app.store.next_step(steps["Order validated BP cuffs"])
    assert (edited.owner, edited.due, edited.status) == ("Dr. Lee", TODAY + timedelta(weeks=2), "open")
    reactivate(qtbot, app.window)
    assert inside(tab.table)
    # "next visit" is the practice's next planned contact.
    key(Qt.Key.Key_Return)
    dialog = _modal(EditStepDialog)
    type_text("next visit")
    key(Qt.Key.Key_Return)
    app.idle()
    assert app.store.next_step(steps["Order validated BP cuffs"]).due == date(2026, 4, 2)
    reactivate(qtbot, app.window)
    # Delete drops, asking why.
    tab.table.select_step(steps["Run the registry report"])
    key(Qt.Key.Key_Delete)
    _modal(DropStepDialog)
    type_text("The EHR vendor runs it")
    key(Qt.Key.Key_Return)
    app.idle()
    dropped = app.store.next_step(steps["Run the registry report"])
    assert (dropped.status, dropped.closing_note) == ("dropped", "The EHR vendor runs it")
    assert "The EHR vendor runs it" in tab.detail.text() or tab.table.current_step().id != dropped.id


def test_tab_reaches_and_leaves_both_lists(app, qtbot, steps):
    panel = _today(app, qtbot)
    n = tab_to(panel.table)
    assert n <= 6
    key(Qt.Key.Key_Down)
    assert inside(panel.table)
    key(Qt.Key.Key_Tab)
    assert not inside(panel.table)
    tab_to(panel.table, back=True)
    key(Qt.Key.Key_Tab, SHIFT)
    assert not inside(panel.table)
    tab = _practice_tab(app, qtbot, steps["harbor"])
    tab_to(tab.table)
    key(Qt.Key.Key_Tab)
    assert not inside(tab.table)
    key(Qt.Key.Key_Tab, SHIFT)
    assert focus() is tab.table
    key(Qt.Key.Key_Tab, SHIFT)
    assert focus() is tab.search


def test_lists_redraw_when_the_store_changes_elsewhere(app, qtbot, steps):
    """A sync writes through the store and then emits the app's `changed` signal: both lists
    follow it, and nothing redraws before the signal (no polling)."""
    panel = _today(app, qtbot)
    before = _actions(panel.table)
    loads = []
    panel.loaded.connect(lambda: loads.append(1))
    s = app.store
    s.close_next_step(steps["Share the statin list"], "done", today=TODAY)
    qtbot.wait(300)
    assert _actions(panel.table) == before and loads == []  # not polled
    app.ctx.ops.changed.emit(Changes(ALL_ENTITIES), None)  # what SyncBridge emits after a sync
    app.idle()
    assert _actions(panel.table) == ["Send the BP protocol", "Order validated BP cuffs"]
    # The practice tab too, including its count.
    tab = _practice_tab(app, qtbot, steps["harbor"])
    assert _actions(tab.table) == ["Send the BP protocol", "Order validated BP cuffs", "Run the registry report"]
    s.save_next_step(NextStep(steps["harbor"].id, s.next_step(steps["Run the registry report"]).visit_id,
                              "Run the registry report", id=steps["Run the registry report"], owner="MA team",
                              due=date(2026, 3, 19), position=2), today=TODAY)
    s.close_next_step(steps["Send the BP protocol"], "done", today=TODAY)
    app.ctx.ops.changed.emit(Changes(frozenset({"next_step"}), frozenset({steps["harbor"].id})), None)
    app.idle()
    assert _actions(tab.table) == ["Run the registry report", "Order validated BP cuffs"]
    assert app.window.practice.tabs.tabText(app.window.practice.tabs.indexOf(tab)) == "Ne&xt steps (2)"
    key(Qt.Key.Key_1, CTRL)
    app.idle()
    assert _actions(panel.table) == ["Run the registry report", "Order validated BP cuffs"]


def test_empty_today_says_so(app, qtbot):
    panel = _today(app, qtbot)
    assert panel.table.rows() == []
    assert panel.empty.isVisible() and not panel.done_button.isEnabled()
    tab_to(panel.table)
    key(Qt.Key.Key_Space)  # nothing to mark: a message, no error
    assert "Choose a next step" in panel.status.text()

"""The visit form: defaults, two strategies and a next step change the checklist; inline
validation; the draft survives closing the window unsaved; Save and print opens the print dialog."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from facilitator_app.core.model import Contact, FacilitationPlan, Practice
from facilitator_app.core.vocab import StrategyStatus
from facilitator_app.ui.dialogs.visit_form import S_STRATEGY, VisitForm

from .conftest import TODAY


def _practice(store, toolkit) -> Practice:
    p = Practice(name="Lakeside Clinic", state="IL")
    store.save_practice(p)
    store.save_contact(Contact(p.id, "Ana Muñoz", "practice_leader"))
    store.save_contact(Contact(p.id, "Ben Ode", "ma_nurse"))
    store.save_plan(FacilitationPlan(p.id, selected_strategies=["S4", "B2"]), toolkit)
    return p


def _open_form(app, practice_id: str) -> VisitForm:
    app.window.open_practice(practice_id)
    app.idle()
    app.qtbot.keyClick(app.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    app.idle()
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, VisitForm) and w.isVisible())


def test_log_visit_moves_checklist(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    # Defaults: today, on-site, 60 minutes, the contacts as attendees, selected strategies first.
    v = form.value()
    assert (v.date, v.mode, v.minutes) == (TODAY, "on_site", 60)
    assert [a.name for a in v.attendees] == ["Ana Muñoz", "Ben Ode"]
    first_two = {form.strategies.item(r, S_STRATEGY).text().split()[1] for r in range(2)}
    assert first_two == {"B2", "S4"}

    form.set_strategy("S4", worked=True, after=StrategyStatus.IMPLEMENTED.value)
    form.set_strategy("B2", worked=True)  # default after: in progress
    row = form.add_next_step()
    form.next_steps.item(row, 0).setText("Fax quitline referrals for March")
    form.next_steps.item(row, 1).setText("Ben Ode")
    form.next_steps.item(row, 2).setText("2026-04-01")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    app.idle()
    [visit] = app.store.visits(p.id)
    assert {w.strategy_id: w.status_after for w in visit.strategies} == {"S4": "implemented", "B2": "in_progress"}
    assert visit.next_steps[0].action == "Fax quitline referrals for March"
    assert visit.next_steps[0].due == date(2026, 4, 1)
    assert app.store.checklist_item(p.id, "S4").status == "implemented"
    assert app.store.checklist_item(p.id, "B2").status == "in_progress"
    assert app.store.drafts("visit") == []  # dropped once the visit committed
    # The practice screen's checklist shows the change.
    app.idle()
    tab = app.window.practice.checklist
    assert tab.items["S4"].text(1) == "Implemented"
    assert tab.items["B2"].text(1) == "In progress"
    assert app.window.practice.visits.table.rowCount() == 1


def test_inline_validation_blocks_save(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    form.minutes.setValue(0)
    row = form.add_next_step()
    form.next_steps.item(row, 2).setText("next tuesday")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    app.idle()
    assert app.store.visits(p.id) == []
    assert "Minutes must be between 1 and 720" in form.errors.labels["minutes"].text()
    steps_error = form.errors.labels["next_steps"].text()
    assert "Next step 1: action is required" in steps_error and "must look like 2026-03-31" in steps_error
    # Fixing a field clears its message live.
    form.minutes.setValue(45)
    assert not form.errors.labels["minutes"].isVisible()


def test_draft_restored_after_window_closed_unsaved(start_app, qtbot):
    app = start_app()
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    form.set_strategy("S4", worked=True, after="implemented", note="Fax form is at the front desk")
    qtbot.keyClicks(form.notes, "Met with the team about quitline referrals; ")
    form.notes.insertPlainText("Ñandú café after.")  # QTest types ASCII only
    form.minutes.setValue(75)
    app.window.close()  # the whole app closes with the visit unsaved
    app.close()
    assert app.ctx.ops._closed

    again = start_app()
    assert again.store.visits(p.id) == []
    form2 = _open_form(again, p.id)
    assert form2.banner.isVisible() and "Restored the unsaved draft" in form2.banner.text()
    v = form2.value()
    assert v.minutes == 75
    assert "Ñandú café" in v.notes
    [work] = v.strategies
    assert (work.strategy_id, work.status_after, work.note) == ("S4", "implemented", "Fax form is at the front desk")
    # The draft is also listed on Today.
    again.window.show_view(again.window.TODAY)
    again.idle()
    assert "Lakeside Clinic" in again.window.today.drafts.item(0).text()
    form2.discard()
    again.idle()
    assert again.store.drafts("visit") == []


def test_save_and_print_leave_behind(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    form.set_strategy("S4", worked=True)
    qtbot.mouseClick(form.save_print_button, Qt.MouseButton.LeftButton)
    app.idle()
    qtbot.waitUntil(lambda: app.window.print_dialog is not None, timeout=15_000)
    dialog = app.window.print_dialog  # printing itself: tests/ui/test_print_dialog.py
    qtbot.waitUntil(lambda: "Lakeside Clinic" in dialog.document.text(), timeout=15_000)
    assert dialog.isVisible() and dialog.windowTitle() == "Print the leave-behind"

"""The visit form: defaults, strategies and next steps saved with the visit and the checklist
moved, inline validation, the draft kept across a closed app, Save and print, the steps reviewed
since the last visit (done, dropped with a reason), and a saved visit edited again."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from facilitator_app.core.model import Contact, FacilitationPlan, NextStep, Practice, StepClosure, Visit
from facilitator_app.core.vocab import StrategyStatus
from facilitator_app.ui.dialogs.visit.since_last import C_NOTE
from facilitator_app.ui.dialogs.visit.strategies import S_STRATEGY
from facilitator_app.ui.dialogs.visit_form import VisitForm

from .conftest import TODAY


def _practice(store, toolkit) -> Practice:
    p = Practice(name="Lakeside Clinic", state="IL")
    store.save_practice(p, today=TODAY)
    store.save_contact(Contact(p.id, "Ana Muñoz", "practice_leader"), today=TODAY)
    store.save_contact(Contact(p.id, "Ben Ode", "ma_nurse"), today=TODAY)
    store.save_plan(FacilitationPlan(p.id, selected_strategies=["S4", "B2"]), toolkit, today=TODAY)
    return p


def _last_visit(store, toolkit, practice: Practice) -> tuple[Visit, NextStep, NextStep]:
    """A visit four weeks ago that left two open next steps."""
    last = Visit(practice.id, TODAY - timedelta(days=28), minutes=45)
    a = NextStep(practice.id, last.id, "Order validated BP cuffs", owner="Ana Muñoz", due=TODAY - timedelta(days=7))
    b = NextStep(practice.id, last.id, "Print the quitline fax form", owner="Ben Ode", due=TODAY + timedelta(days=7))
    store.save_visit(last, toolkit, steps=[a, b], today=TODAY)
    return last, a, b


def _visible_form() -> VisitForm:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, VisitForm) and w.isVisible())


def _open_form(app, practice_id: str) -> VisitForm:
    app.window.open_practice(practice_id)
    app.idle()
    app.window.activateWindow()  # offscreen, a closed dialog leaves no window active
    app.qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
    app.qtbot.keyClick(app.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    app.idle()
    return _visible_form()


def _type_step(qtbot, form: VisitForm, action: str, owner: str = "", due: str = "") -> None:
    """Type a next step into the form's empty last line, as a user would."""
    line = form.next_steps.lines[-1]
    qtbot.keyClicks(line.action, action)
    if owner:
        line.owner.setEditText(owner)
    if due:
        qtbot.keyClicks(line.due, due)


def test_log_visit_moves_checklist(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    # Defaults: today, on-site, 60 minutes, the contacts as attendees, selected strategies first.
    v = form.value()
    assert (v.date, v.mode, v.minutes) == (TODAY, "on_site", 60)
    assert [a.name for a in v.attendees] == ["Ana Muñoz", "Ben Ode"]
    table = form.strategies.table
    first_two = {table.item(r, S_STRATEGY).text().split()[1] for r in range(2)}
    assert first_two == {"B2", "S4"}
    assert not form.dirty

    form.strategies.set_strategy("S4", worked=True, after=StrategyStatus.IMPLEMENTED.value)
    form.strategies.set_strategy("B2", worked=True)  # default after: in progress
    _type_step(qtbot, form, "Fax quitline referrals for March", "Ben Ode", "+2w")
    assert form.next_steps.lines[0].resolved.text() == "→ Wed Apr 1, 2026"
    assert len(form.next_steps.lines) == 2  # a new empty line appeared
    assert form.dirty
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    app.idle()
    [visit] = app.store.visits(p.id)
    assert {w.strategy_id: w.status_after for w in visit.strategies} == {"S4": "implemented", "B2": "in_progress"}
    [step] = app.store.next_steps(p.id, visit_id=visit.id)
    assert (step.action, step.owner, step.due, step.status) == ("Fax quitline referrals for March", "Ben Ode",
                                                                date(2026, 4, 1), "open")
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
    form.when.minutes.setValue(0)
    _type_step(qtbot, form, "", "Ben Ode", "next tuesday")
    assert form.next_steps.lines[0].resolved.text() == "not a date"
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    app.idle()
    assert [v for v in app.store.visits(p.id)] == []
    assert "Minutes must be between 1 and 720" in form.errors.labels["minutes"].text()
    steps_error = form.errors.labels["next_steps"].text()
    assert "Next step 1: Next step is required" in steps_error
    assert "Next step 1: Due date 'next tuesday' must be a date like 2026-03-31, or +3d" in steps_error
    # Fixing a field clears its message live.
    form.when.minutes.setValue(45)
    assert not form.errors.labels["minutes"].isVisible()


def test_draft_restored_after_window_closed_unsaved(start_app, qtbot):
    app = start_app()
    p = _practice(app.store, app.ctx.toolkit)
    last, overdue, _later = _last_visit(app.store, app.ctx.toolkit, p)
    form = _open_form(app, p.id)
    form.strategies.set_strategy("S4", worked=True, after="implemented", note="Fax form is at the front desk")
    qtbot.keyClicks(form.notes.private_notes, "Met with the team about quitline referrals; ")
    form.notes.private_notes.insertPlainText("Ñandú café after.")  # QTest types ASCII only
    qtbot.keyClicks(form.notes.practice_notes, "Thank you for the time")
    form.when.minutes.setValue(75)
    _type_step(qtbot, form, "Call Ana about the registry", "Ana Muñoz", "+2w")
    form.since_last.combos[0].setCurrentIndex(form.since_last.combos[0].findData("done"))
    app.window.close()  # the whole app closes with the visit unsaved
    app.close()
    assert app.ctx.ops._closed

    again = start_app()
    assert [v.id for v in again.store.visits(p.id)] == [last.id]
    form2 = _open_form(again, p.id)
    assert form2.banner.isVisible() and "Restored the unsaved draft" in form2.banner.text()
    v = form2.value()
    assert v.minutes == 75
    assert "Ñandú café" in v.private_notes and v.practice_notes == "Thank you for the time"
    [work] = v.strategies
    assert (work.strategy_id, work.status_after, work.note) == ("S4", "implemented", "Fax form is at the front desk")
    [entry] = form2.next_steps.value().steps
    assert (entry.action, entry.owner, entry.due_text) == ("Call Ana about the registry", "Ana Muñoz", "+2w")
    assert [(c.step_id, c.status) for c in form2.since_last.value()] == [(overdue.id, "done")]
    assert not form2.dirty  # as restored: closing again changes nothing
    # The draft is also listed on Today.
    again.window.show_view(again.window.TODAY)
    again.idle()
    assert "Lakeside Clinic" in again.window.today.drafts.item(0).text()
    form2.discard()
    again.idle()
    assert again.store.drafts("visit") == []
    assert again.store.next_step(overdue.id).status == "open"  # nothing was saved


def test_save_and_print_leave_behind(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    from facilitator_app.core.model import FacilitatorProfile
    app.store.set_facilitator_profile(FacilitatorProfile("Renée Haddad"))
    form = _open_form(app, p.id)
    form.strategies.set_strategy("S4", worked=True)
    qtbot.mouseClick(form.print_button, Qt.MouseButton.LeftButton)
    app.idle()
    qtbot.waitUntil(lambda: app.window.print_dialog is not None, timeout=15_000)
    dialog = app.window.print_dialog  # printing itself: tests/ui/test_print_dialog.py
    qtbot.waitUntil(lambda: "Lakeside Clinic" in dialog.document.text(), timeout=15_000)
    assert dialog.isVisible() and dialog.windowTitle() == "Print the leave-behind"


def test_since_last_visit_done_and_dropped_with_a_reason(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    last, overdue, later = _last_visit(app.store, app.ctx.toolkit, p)
    form = _open_form(app, p.id)
    since = form.since_last
    assert [r.id for r in since.rows] == [overdue.id, later.id]  # soonest due first
    assert "overdue" in since.table.item(0, 2).text() and "overdue" not in since.table.item(1, 2).text()
    assert QApplication.focusWidget() is since.table  # the form opens on them
    since.combos[0].setCurrentIndex(since.combos[0].findData("done"))
    since.combos[1].setCurrentIndex(since.combos[1].findData("dropped"))
    # Dropping opens the step's note for the reason, and saving without one is refused.
    assert since.table.currentRow() == 1 and since.table.currentColumn() == C_NOTE
    assert since.table.state() == since.table.State.EditingState
    form.save()
    app.idle()
    assert len(app.store.visits(p.id)) == 1
    assert "Say why the step 'Print the quitline fax form' is dropped" in form.errors.labels["closures"].text()
    qtbot.keyClicks(QApplication.focusWidget(), "The practice prints it in-house now")
    form.save()  # with the reason still in the open cell
    app.idle()
    [visit] = [v for v in app.store.visits(p.id) if v.id != last.id]
    a, b = app.store.next_step(overdue.id), app.store.next_step(later.id)
    assert (a.status, a.closed_on, a.closed_in_visit, a.closing_note) == ("done", TODAY, visit.id, "")
    assert (b.status, b.closed_on, b.closed_in_visit, b.closing_note) == (
        "dropped", TODAY, visit.id, "The practice prints it in-house now")


def test_owner_list_offers_contacts_and_attendees(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    att = form.attendees
    qtbot.keyClicks(att.other_name, "Dr. Pat Lee")
    qtbot.keyClick(att.other_name, Qt.Key.Key_Return)  # Enter adds them, ticked
    assert [a.name for a in att.value()["attendees"]] == ["Ana Muñoz", "Ben Ode", "Dr. Pat Lee"]
    owner = form.next_steps.lines[0].owner
    assert [owner.itemText(i) for i in range(owner.count())] == ["Ana Muñoz", "Ben Ode", "Dr. Pat Lee"]
    owner.setEditText("Someone at the front desk")  # free text is fine too
    assert owner.currentText() == "Someone at the front desk"


def test_removing_a_step_asks_and_a_resave_deletes_it(app, qtbot, monkeypatch):
    p = _practice(app.store, app.ctx.toolkit)
    v = Visit(p.id, TODAY - timedelta(days=1), minutes=30)
    keep = NextStep(p.id, v.id, "Keep this one")
    gone = NextStep(p.id, v.id, "Remove this one", due=TODAY + timedelta(days=3))
    app.store.save_visit(v, app.ctx.toolkit, steps=[keep, gone], today=TODAY)
    app.window.open_visit(v.id)
    app.idle()
    form = _visible_form()
    lines = form.next_steps.lines
    assert [ln.action.text() for ln in lines] == ["Keep this one", "Remove this one", ""]
    asked = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or 0)  # Cancel
    qtbot.keyClick(lines[1].due, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert len(form.next_steps.lines) == 3 and "Remove “Remove this one”?" in asked[0]
    monkeypatch.setattr(QMessageBox, "exec", lambda box: next(
        b for b in box.buttons() if b.text() == "&Remove").click() or 0)
    qtbot.keyClick(lines[1].due, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert [ln.action.text() for ln in form.next_steps.lines] == ["Keep this one", ""]
    form.save()
    app.idle()
    assert [s.id for s in app.store.next_steps(p.id)] == [keep.id]


def test_steps_reviewed_are_the_stores_less_those_of_later_visits(app):
    from facilitator_app.ui.dialogs.visit.since_last import review_rows

    p = _practice(app.store, app.ctx.toolkit)
    last, a, b = _last_visit(app.store, app.ctx.toolkit, p)
    old = Visit(p.id, TODAY - timedelta(days=60), minutes=30)
    x = NextStep(p.id, old.id, "From the old visit")
    app.store.save_visit(old, app.ctx.toolkit, steps=[x], today=TODAY)
    app.store.save_visit(last, app.ctx.toolkit, closures=[StepClosure(x.id, "done")], today=TODAY)
    every = app.store.next_steps(p.id)
    new_id = "a-new-visit"
    assert ([r.id for r in review_rows(every, new_id, TODAY)]
            == [r.id for r in app.store.steps_to_review(p.id, new_id, TODAY)])
    assert {r.id for r in review_rows(every, new_id, TODAY)} == {a.id, b.id}
    # The last visit opened again: the step it closed, not its own.
    assert [r.id for r in review_rows(every, last.id, last.date)] == [x.id]
    # The old visit opened again: nothing agreed after it.
    assert review_rows(every, old.id, old.date) == []

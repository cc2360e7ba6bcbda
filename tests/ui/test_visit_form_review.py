"""Regression tests for visit-form bugs found in review: text still in an open table-cell editor
was lost on save or close, editing a visit with no start time saved 00:00 as its start, the
discard button threw typing away without asking, and re-saving an old visit cleared its next
steps' done flags. Plus: a re-saved visit keeps every field, and closing decides about the draft
from what the user changed."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from facilitator_app.core.codec import to_record
from facilitator_app.core.model import Attendee, NextStep, Pdsa, StepClosure, StrategyWork, Visit
from facilitator_app.ui.dialogs.visit.draft import draft_key
from facilitator_app.ui.dialogs.visit.since_last import C_NOTE
from facilitator_app.ui.dialogs.visit.strategies import S_NOTE
from facilitator_app.ui.dialogs.visit_form import VisitForm

from .conftest import TODAY
from .test_visit_form import _last_visit, _open_form, _practice, _visible_form


def _type_strategy_note(form: VisitForm, qtbot, sid: str, text: str) -> QLineEdit:
    """Open the strategy's note cell (as typing on it does) and type, leaving the editor open."""
    table = form.strategies.table
    form.strategies.set_strategy(sid, worked=True)
    table.setFocus()
    table.setCurrentCell(form.strategies.rows[sid], S_NOTE)
    table.editItem(table.item(form.strategies.rows[sid], S_NOTE))
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, text)
    return editor


def test_save_keeps_text_typed_in_open_cell(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    _type_strategy_note(form, qtbot, "S4", "Cuffs ordered")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # still in the cell
    app.idle()
    [visit] = app.store.visits(p.id)
    assert [(w.strategy_id, w.note) for w in visit.strategies] == [("S4", "Cuffs ordered")]


def test_closing_app_keeps_text_typed_in_open_cell_in_draft(start_app, qtbot):
    app = start_app()
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    _type_strategy_note(form, qtbot, "B2", "Call Ana about the registry")
    app.window.close()
    app.close()

    again = start_app()
    form2 = _open_form(again, p.id)
    assert form2.banner.isVisible()
    assert [(w.strategy_id, w.note) for w in form2.value().strategies] == [("B2", "Call Ana about the registry")]


def test_typing_in_cell_starts_draft_timer(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    app.idle()
    qtbot.wait(400)
    app.idle()
    assert app.store.drafts("visit") == [] and not form._draft_timer.isActive()  # nothing typed yet
    editor = _type_strategy_note(form, qtbot, "S4", "Fax the referral form")  # still in the cell
    assert form._draft_timer.isActive()
    editor.setCursorPosition(3)  # the user goes back to fix a word while the draft is written
    qtbot.wait(400)
    app.idle()
    assert editor.cursorPosition() == 3
    [(_key, payload)] = app.store.drafts("visit")
    assert [(s["strategy_id"], s["note"]) for s in payload["visit"]["strategies"]] == [("S4", "Fax the referral form")]


def test_editing_visit_without_start_time_keeps_it_blank(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    v = Visit(practice_id=p.id, date=app.ctx.today(), facilitator="ana", minutes=30)
    app.store.save_visit(v, app.ctx.toolkit, today=TODAY)
    app.window.open_visit(v.id)
    app.idle()
    form = _visible_form()
    form.when.minutes.setValue(45)
    form.save()
    app.idle()
    saved = app.store.visit(v.id)
    assert saved.minutes == 45
    assert saved.start_time is None  # not 00:00


def test_discard_button_asks_before_throwing_typing_away(app, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from facilitator_app.core.model import Practice

    p = Practice(name="Discard Clinic", state="IL")
    app.store.save_practice(p, today=TODAY)
    app.idle()
    app.window.new_visit(p.id)
    app.idle()
    form = app.window.visit_forms[-1]
    form.notes.private_notes.setPlainText("Half a visit of notes")
    answers = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    form.discard_button.click()
    app.idle()
    assert form.isVisible() and form.notes.private_notes.toPlainText() == "Half a visit of notes"


def test_empty_optional_date_steps_from_today(qtbot):
    from PySide6.QtCore import QDate

    from facilitator_app.ui.widgets.date_field import DateField

    field = DateField(optional=True)
    qtbot.addWidget(field)
    assert field.value() is None
    field.stepBy(1)
    assert field.date() == QDate.currentDate()


def test_close_keeps_a_draft_only_when_something_changed(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    form.close()  # nothing typed: no draft
    app.idle()
    assert app.store.drafts("visit") == []
    form = _open_form(app, p.id)
    qtbot.keyClicks(form.next_steps.lines[0].action, "Call Ben")
    qtbot.keyClick(QApplication.focusWidget() or form, Qt.Key.Key_Escape)  # Esc closes, keeping the draft
    app.idle()
    assert form not in app.window.visit_forms
    [(key, payload)] = app.store.drafts("visit")
    assert key == draft_key(payload["visit"]["id"]) and [s["action"] for s in payload["steps"]] == ["Call Ben"]


def _old_visit(p) -> Visit:
    """A visit with every field set, some in ways the form's fields do not make themselves (spaces
    around texts, a resource with a comma, attendees not in the contacts' order, a contact with
    another role, text on several lines)."""
    return Visit(
        practice_id=p.id, date=TODAY - timedelta(days=40), facilitator="Renée Haddad", start_time=None,
        mode="video", minutes=95, travel_minutes=35, planned=False,
        attendees=[Attendee("Ben Ode", "ma_nurse"), Attendee(" Dr. Pat Lee ", "clinician"),
                   Attendee("Ana Muñoz", "office_manager")],
        activities=["coaching", "teaching"], key_drivers=["Reliable BP measurement", "Team roles"],
        strategies=[StrategyWork("S4", "selected", "implemented", "Fax form at the desk "),
                    StrategyWork("B2", "in_progress", "in_progress", "")],
        pdsa=Pdsa("Raise BP control", "Repeat BP", "5 points", "", ""),
        data_reviewed="BP registry, March\nSecond line", barriers="Staff turnover\n\nEHR slow",
        disruptions=["staff_turnover", "other"], engagement=4, practice_notes="Thank you!\n",
        private_notes=" Leader was tired ", next_contact=TODAY + timedelta(days=20),
        resources_left=["Quitline cards, Spanish", "BP protocol"])


def test_resaved_old_visit_keeps_every_field_and_every_step_status(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    _earlier, closed_here, _open = _last_visit(app.store, app.ctx.toolkit, p)
    old = _old_visit(p)
    app.store.save_visit(old, app.ctx.toolkit, steps=[
        NextStep(p.id, old.id, "Open step ", owner="Ben Ode", due=TODAY - timedelta(days=3), id="s-open"),
        NextStep(p.id, old.id, "Done step", owner="Ana Muñoz", due=TODAY - timedelta(days=30), id="s-done"),
        NextStep(p.id, old.id, "Dropped step", id="s-dropped")], today=TODAY)
    app.store.close_next_step("s-done", "done", today=TODAY - timedelta(days=10))
    app.store.close_next_step("s-dropped", "dropped", note="Not needed", today=TODAY - timedelta(days=9))
    app.store.save_visit(old, app.ctx.toolkit, closures=[StepClosure(closed_here.id, "done", "Cuffs arrived")],
                         today=TODAY)
    stored = {"visit": to_record(app.store.visit(old.id)),
              "steps": [to_record(app.store.next_step(i)) for i in ("s-open", "s-done", "s-dropped", closed_here.id)]}
    pending = app.store.pending_changes()

    app.window.open_visit(old.id)
    app.idle()
    form = _visible_form()
    assert [ln.status.text() for ln in form.next_steps.lines[:3]] == ["", "Done Mar 8, 2026", "Dropped Mar 9, 2026"]
    # The step this visit closed; not the one still open, agreed at a later visit.
    assert [r.id for r in form.since_last.rows] == [closed_here.id]
    assert form.since_last.decision(0) == "done"
    form.save()  # untouched
    app.idle()
    assert form not in app.window.visit_forms and app.store.pending_changes() == pending  # nothing was written
    again = {"visit": to_record(app.store.visit(old.id)),
             "steps": [to_record(app.store.next_step(i)) for i in ("s-open", "s-done", "s-dropped", closed_here.id)]}
    assert again == stored

    # Touch every section (change a value, then put it back): the values read back are the same.
    app.window.open_visit(old.id)
    app.idle()
    form = _visible_form()
    form.when.minutes.setValue(96)
    form.when.minutes.setValue(95)
    form.attendees.table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    form.attendees.table.item(0, 0).setCheckState(Qt.CheckState.Checked)
    form.strategies.set_strategy("B2", worked=True, note="x")
    form.strategies.set_strategy("B2", worked=True, note="")
    line = form.next_steps.lines[1]
    line.owner.setEditText("x")
    line.owner.setEditText("Ana Muñoz")
    form.notes.private_notes.setPlainText(" Leader was tired ")
    form.pdsa.aim.setText("x")
    form.pdsa.aim.setText("Raise BP control")
    combo = form.since_last.combos[0]
    combo.setCurrentIndex(combo.findData("open"))
    combo.setCurrentIndex(combo.findData("done"))
    assert all(s.dirty for s in form.sections if s is not form.since_last) and form.since_last.dirty
    form.save()
    app.idle()
    assert form not in app.window.visit_forms
    again = {"visit": to_record(app.store.visit(old.id)),
             "steps": [to_record(app.store.next_step(i)) for i in ("s-open", "s-done", "s-dropped", closed_here.id)]}
    assert {k: v for k, v in again["visit"].items() if stored["visit"][k] != v} == {}
    assert again == stored
    assert app.store.pending_changes() == pending


def test_every_control_marks_the_form_changed(app, qtbot):
    """Whatever the user changes makes the form dirty (so closing keeps it as a draft)."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QDateEdit, QPlainTextEdit, QSpinBox, QTimeEdit

    p = _practice(app.store, app.ctx.toolkit)
    _last_visit(app.store, app.ctx.toolkit, p)
    form = _open_form(app, p.id)
    changes = 0
    for w in form.body.findChildren(QWidget):
        if not w.isVisibleTo(form) or not w.isEnabled() or w.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        for section in form.sections:
            section._dirty = False
        if isinstance(w, QLineEdit) and not isinstance(w.parentWidget(), (QComboBox, QSpinBox, QDateEdit, QTimeEdit)):
            if w is form.attendees.other_name:
                continue  # typed, then added with Enter (the table changes then)
            w.setText(w.text() + "x")
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(w.toPlainText() + "x")
        elif isinstance(w, QComboBox) and w is not form.attendees.other_role:
            if w.isEditable():
                w.setEditText(w.currentText() + "x")
            else:
                w.setCurrentIndex((w.currentIndex() + 1) % w.count())
        elif isinstance(w, (QSpinBox, QDateEdit, QTimeEdit)):
            w.stepBy(1)
        elif isinstance(w, QAbstractButton) and w.isCheckable() and w is not form.strategies.show_all:
            w.toggle()
        else:
            continue
        changes += 1
        assert form.dirty, f"changing {type(w).__name__} {w.accessibleName()!r} did not mark the form changed"
    for table, column in ((form.since_last.table, C_NOTE), (form.attendees.table, 0), (form.strategies.table, S_NOTE)):
        for section in form.sections:
            section._dirty = False
        table.item(0, column).setText(table.item(0, column).text() + "x")  # as a committed cell editor does
        assert form.dirty, table.accessibleName()
    assert changes > 30



def test_draft_of_an_older_app_is_restored(app, qtbot):
    """A draft written before next steps were records (steps inside the visit, one notes box)."""
    p = _practice(app.store, app.ctx.toolkit)
    payload = {"visit": {"id": "v-old", "practice_id": p.id, "date": "2026-03-17", "minutes": 50,
                         "notes": "Talked about the registry",
                         "next_steps": [{"action": "Call Ben", "owner": "Ben Ode", "due": "2026-03-31",
                                         "done": False}]},
               "due_texts": ["+2w"], "is_new": True, "saved_at": "2026-03-17T16:02:11"}
    app.store.save_draft("visit:v-old", "visit", payload)
    form = _open_form(app, p.id)
    assert "2026-03-17 at 16:02:11" in form.banner.text()
    v = form.value()
    assert (v.id, v.minutes, v.private_notes, v.practice_notes) == ("v-old", 50, "Talked about the registry", "")
    [entry] = form.next_steps.value().steps
    assert (entry.action, entry.owner, entry.due_text) == ("Call Ben", "Ben Ode", "+2w")
    form.save()
    app.idle()
    [step] = app.store.next_steps(p.id, visit_id="v-old")
    assert (step.action, step.due) == ("Call Ben", date(2026, 3, 31))  # +2w from the visit's date
    assert app.store.drafts("visit") == []

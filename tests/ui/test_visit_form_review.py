"""Regression tests for visit-form bugs found in review: text still in an open table-cell editor
was lost on save or close, and editing a visit with no start time saved 00:00 as its start."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLineEdit

from facilitator_app.core.model import Visit
from facilitator_app.ui.dialogs.visit_form import VisitForm

from .test_visit_form import _open_form, _practice


def _type_new_step(form: VisitForm, qtbot, text: str) -> None:
    form.add_next_step(edit=True)  # as the Add next step button does: the Action cell opens for typing
    editor = form.focusWidget()
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, text)


def test_save_keeps_text_typed_in_open_cell(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    form.set_strategy("S4", worked=True)
    _type_new_step(form, qtbot, "Order validated BP cuffs")
    form.save(print_after=False)  # what Ctrl+S does, without leaving the cell
    app.idle()
    [visit] = app.store.visits(p.id)
    assert [s.action for s in visit.next_steps] == ["Order validated BP cuffs"]


def test_closing_app_keeps_text_typed_in_open_cell_in_draft(start_app, qtbot):
    app = start_app()
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    _type_new_step(form, qtbot, "Call Ana about the registry")
    app.window.close()
    app.close()

    again = start_app()
    form2 = _open_form(again, p.id)
    assert form2.banner.isVisible()
    assert [s.action for s in form2.value().next_steps] == ["Call Ana about the registry"]


def test_typing_in_cell_starts_draft_timer(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    form = _open_form(app, p.id)
    app.idle()
    qtbot.wait(400)
    app.idle()
    form.add_next_step(edit=True)
    qtbot.wait(400)  # the draft of the empty row is written
    app.idle()
    assert not form._draft_timer.isActive()
    editor = form.focusWidget()
    qtbot.keyClicks(editor, "Fax the referral form")  # still in the cell, not committed
    assert form._draft_timer.isActive()
    editor.setCursorPosition(3)  # the user goes back to fix a word while the draft is written
    qtbot.wait(400)
    app.idle()
    assert editor.cursorPosition() == 3
    [(_key, payload)] = app.store.drafts("visit")
    assert [s["action"] for s in payload["visit"]["next_steps"]] == ["Fax the referral form"]


def test_editing_visit_without_start_time_keeps_it_blank(app, qtbot):
    p = _practice(app.store, app.ctx.toolkit)
    v = Visit(practice_id=p.id, date=app.ctx.today(), facilitator="ana", minutes=30)
    app.store.save_visit(v, app.ctx.toolkit)
    app.window.open_visit(v.id)
    app.idle()
    form = next(w for w in QApplication.topLevelWidgets() if isinstance(w, VisitForm) and w.isVisible())
    form.minutes.setValue(45)
    form.save(print_after=False)
    app.idle()
    saved = app.store.visit(v.id)
    assert saved.minutes == 45
    assert saved.start_time is None  # not 00:00


def test_discard_button_asks_before_throwing_typing_away(app, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from facilitator_app.core.model import Practice

    p = Practice(name="Discard Clinic", state="IL")
    app.store.save_practice(p)
    app.idle()
    app.window.new_visit(p.id)
    app.idle()
    form = app.window.visit_forms[-1]
    form.notes.setPlainText("Half a visit of notes")
    answers = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    form.discard_button.click()
    app.idle()
    assert form.isVisible() and form.notes.toPlainText() == "Half a visit of notes"


def test_empty_optional_date_steps_from_today(qtbot):
    from PySide6.QtCore import QDate

    from facilitator_app.ui.widgets.date_field import DateField

    field = DateField(optional=True)
    qtbot.addWidget(field)
    assert field.value() is None
    field.stepBy(1)
    assert field.date() == QDate.currentDate()

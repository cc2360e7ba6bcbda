"""Toolkit search, checklist editing, measures entry with run charts, Today, first start with demo
data, window state across restarts, and the no-display exit."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from facilitator_app.core.model import NextStep, Practice, Visit
from facilitator_app.ui.app import NO_DISPLAY_MESSAGE, has_display
from facilitator_app.ui.dialogs.first_start import DEMO, FirstStartDialog

from .conftest import TODAY


def test_toolkit_search_and_filters(app, qtbot):
    w = app.window
    w.show_view(w.TOOLKIT)
    view = w.toolkit
    assert len(view.shown_ids()) == 35
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()
    qtbot.keyClicks(view.search, "quitline")
    found = view.shown_ids()
    assert "S4" in found and "S5" in found and all(s.startswith(("S", "X")) for s in found)
    view.search.clear()
    view.domain.setCurrentIndex(view.domain.findData("B"))
    view.arm.setCurrentIndex(view.arm.findData("PM"))
    assert view.shown_ids() == ["B10", "B11"]
    view.domain.setCurrentIndex(view.domain.findData("S"))
    view.arm.setCurrentIndex(0)
    view.list.setCurrentRow(view.shown_ids().index("S4"))
    detail = view.detail.toPlainText()
    assert "Steps" in detail and "Resources" in detail
    assert "1-800-QUIT-NOW" in detail or "784-8669" in detail


def test_checklist_edit_with_declined_reason_and_note(app, qtbot):
    p = Practice(name="Maple Street Clinic", state="IN")
    app.store.save_practice(p)
    w = app.window
    w.open_practice(p.id)
    app.idle()
    tab = w.practice.checklist
    w.practice.tabs.setCurrentWidget(tab)
    tab.select("C2")
    tab.status.setCurrentIndex(tab.status.findData("declined"))
    assert tab.reason.isVisibleTo(tab)
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    app.idle()
    assert "Give a reason" in tab.errors.labels["reason"].text()
    assert app.store.checklist_item(p.id, "C2").status == "not_selected"
    qtbot.keyClicks(tab.reason, "Cardiologist manages statins")
    tab.step_checks[0].setChecked(True)
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    app.idle()
    item = app.store.checklist_item(p.id, "C2")
    assert (item.status, item.reason, item.steps_done) == ("declined", "Cardiologist manages statins", [1])
    assert tab.items["C2"].text(1) == "Declined"
    qtbot.keyClicks(tab.note_text, "Revisit after the new NP starts")
    qtbot.keyClick(tab.note_text, Qt.Key.Key_Return)
    app.idle()
    [note] = app.store.checklist_notes(p.id, "C2")
    assert note.text == "Revisit after the new NP starts" and note.written_on == TODAY
    assert "Revisit after the new NP starts" in tab.notes.item(0).text()


def test_enter_measures_and_run_chart(app, qtbot):
    p = Practice(name="River Bend Health", state="WI")
    app.store.save_practice(p)
    w = app.window
    w.open_practice(p.id)
    app.idle()
    tab = w.practice.measures
    w.practice.tabs.setCurrentWidget(tab)
    tab.measure.setCurrentIndex(tab.measure.findData("B"))
    tab.period.setCurrentIndex(1)
    tab.numerator.setValue(130)
    tab.denominator.setValue(100)
    qtbot.mouseClick(tab.add, Qt.MouseButton.LeftButton)
    assert "Numerator cannot be larger than denominator" in tab.errors.labels["numerator"].text()
    assert app.store.measures(p.id) == []
    for index, (num, den) in ((1, (61, 100)), (0, (72, 100))):
        tab.period.setCurrentIndex(index)
        tab.numerator.setValue(num)
        tab.denominator.setValue(den)
        qtbot.mouseClick(tab.add, Qt.MouseButton.LeftButton)
        app.idle()
    values = app.store.measures(p.id)
    assert sorted((v.period_end, v.numerator) for v in values) == [(date(2025, 9, 30), 61), (date(2025, 12, 31), 72)]
    chart = tab.charts["B"]
    assert [round(r, 2) for _, r in chart.points] == [0.61, 0.72]
    assert tab.table.rowCount() == 2
    # Re-entering a quarter corrects it instead of adding a second value.
    tab.numerator.setValue(74)
    qtbot.mouseClick(tab.add, Qt.MouseButton.LeftButton)
    app.idle()
    assert len(app.store.measures(p.id)) == 2
    image = chart.grab().toImage()
    assert not image.isNull() and image.width() > 200


def test_today_lists_overdue_and_no_contact(app):
    stale = Practice(name="Quiet Pines Clinic", state="IL")
    busy = Practice(name="Busy Bee Clinic", state="IL")
    for p in (stale, busy):
        app.store.save_practice(p)
    app.store.save_visit(Visit(practice_id=stale.id, date=date(2026, 1, 5)))
    visit = Visit(practice_id=busy.id, date=date(2026, 3, 17), minutes=90, next_contact=date(2026, 3, 25))
    app.store.save_visit(visit)
    app.store.save_next_step(NextStep(busy.id, visit.id, "Send BP protocol", owner="Dr. Lee", due=date(2026, 3, 10)),
                             today=TODAY)
    w = app.window
    w.show_view(w.TODAY)
    w.today.refresh()
    app.idle()
    t = w.today
    assert t.week.text() == "1" and t.month.text() == "1" and t.hours.text() == "1.5"
    assert [(s.action, s.owner) for s in t.next_steps.table.rows()] == [("Send BP protocol", "Dr. Lee")]
    assert "Quiet Pines Clinic" in t.no_contact.item(0).text()
    assert "Busy Bee Clinic" in t.upcoming.item(0).text()
    assert t.pending.text() == "5"  # two practices, two visits, one next step


def test_first_start_offers_demo_data(app, qtbot):
    w = app.window
    w.maybe_first_start()
    app.idle()
    dialog = next(x for x in QApplication.topLevelWidgets() if isinstance(x, FirstStartDialog) and x.isVisible())
    assert set(dialog.buttons) == {"sign_in", "demo", "empty"}
    qtbot.mouseClick(dialog.buttons[DEMO], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)  # About you: the name is required
    assert "Your name is required" in dialog.about.errors.labels["name"].text()
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.about.name, "Renee Haddad")
    qtbot.mouseClick(dialog.start, Qt.MouseButton.LeftButton)
    app.idle(timeout=30_000)
    assert app.store.facilitator_profile().name == "Renee Haddad"
    assert len(app.store.practices()) == 12
    assert app.store.get_meta("demo") == "1"
    assert app.store.pending_changes() == 0  # demo data never syncs
    w.maybe_first_start()
    app.idle()
    assert not any(isinstance(x, FirstStartDialog) and x.isVisible() for x in QApplication.topLevelWidgets()
                   if x is not dialog)


def test_window_state_and_last_view_survive_restart(start_app):
    first = start_app()
    p = Practice(name="Cedar Grove Clinic", state="IL")
    first.store.save_practice(p)
    first.window.open_practice(p.id)
    first.idle()
    first.window.resize(1150, 760)
    first.idle()
    size = (first.window.width(), first.window.height())
    first.close()
    second = start_app()
    assert second.window.stack.currentWidget() is second.window.practice
    second.idle()
    assert second.window.practice.heading.text() == "Cedar Grove Clinic"
    # The offscreen screen is small, so Qt may clamp the width when restoring; the height fits.
    assert second.window.height() == size[1]
    assert not second.ctx.prefs.raw("window/geometry").isEmpty()


def test_no_display_exits_with_message(tmp_path):
    assert not has_display({}, "linux")
    assert has_display({"DISPLAY": ":0"}, "linux") and has_display({}, "win32")
    env = {"PATH": "/usr/bin:/bin", "FFK_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "facilitator_app.cli"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert proc.returncode == 2
    assert NO_DISPLAY_MESSAGE.split(".")[0] in proc.stderr
    assert "Aborted" not in proc.stderr


def test_facilitator_details_saved_from_settings_reach_the_store(app, qtbot):
    w = app.window
    w.show_view(w.SETTINGS)
    app.idle()
    view = w.settings
    view.profile_name.clear()
    view.profile_name.setText("Renée Haddad")  # QtTest keyClicks handles ASCII only
    qtbot.keyClicks(view.profile_email, "renee@")
    qtbot.mouseClick(view.profile_save, Qt.MouseButton.LeftButton)
    app.idle()
    assert "does not look like an email address" in view.profile_message.text()
    assert app.store.facilitator_profile().email == ""
    view.profile_email.clear()
    qtbot.keyClicks(view.profile_email, "renee.haddad@example.org")
    qtbot.mouseClick(view.profile_save, Qt.MouseButton.LeftButton)
    app.idle()
    profile = app.store.facilitator_profile()
    assert (profile.name, profile.email) == ("Renée Haddad", "renee.haddad@example.org")
    assert app.store.get_meta("facilitator") == "Renée Haddad"


def test_restore_from_backup_in_settings(app, qtbot):
    app.store.save_practice(Practice(name="In the backup"))
    backup = app.store.backup()
    app.store.save_practice(Practice(name="Made after the backup"))
    w = app.window
    w.show_view(w.SETTINGS)
    app.idle()
    w.settings.restore_database(backup)
    app.idle()
    assert "Restored from" in w.settings.backup_message.text()
    assert [p.name for p in app.store.practices()] == ["In the backup"]
    w.show_view(w.PRACTICES)
    app.idle()
    assert w.practices.proxy.rowCount() == 1

"""The small defects of issue 12, each fixed and kept fixed: the status bar while not signed in, the
measures entry of a quarter with data, a declined strategy on the plan tab, ticking what the
practice did not select, edits kept across a reload, a double click on a list, and who the
facilitator is (asked, filled from the server account, never the computer's login name)."""

from __future__ import annotations

import getpass
import re
import subprocess
from datetime import date
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox

from facilitator_app.core.model import (
    ChecklistItem,
    FacilitationPlan,
    FacilitatorProfile,
    MeasureValue,
    Practice,
    Visit,
)
from facilitator_app.ui.dialogs.about_you import AboutYouDialog
from facilitator_app.ui.printing import SAVE_DIALOG_NAME
from facilitator_app.ui.settings import REPORT_FOLDER_KEY

from .conftest import TODAY


def _open(app, practice: Practice, tab: str):
    app.window.open_practice(practice.id)
    app.idle()
    page = getattr(app.window.practice, tab)
    app.window.practice.tabs.setCurrentWidget(page)
    app.idle()
    return page


def _about_you() -> AboutYouDialog:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, AboutYouDialog) and w.isVisible())


def test_status_bar_never_says_synced_while_not_signed_in(app, qtbot):
    bar = app.window.sync_status
    qtbot.waitUntil(lambda: bar.pending.text() != "")
    assert bar.connection.text() == "Not signed in"
    assert bar.pending.text() == "Your work is saved on this computer"
    app.store.save_practice(Practice(name="Unsynced Clinic", state="IL"))
    app.ctx.sync.refresh_status()
    app.idle()
    assert bar.pending.text() == "Your work is saved on this computer (1 change will sync after you sign in)"
    assert "synced" not in bar.pending.text().replace("will sync", "")


def test_measures_show_the_stored_value_of_the_picked_quarter_and_keep_typed_numbers(app):
    p = Practice(name="River Bend Health", state="WI")
    app.store.save_practice(p)
    app.store.save_measure(MeasureValue(p.id, "C", date(2025, 9, 30), 48, 80, version="v11", source="Registry"))
    tab = _open(app, p, "measures")
    tab.measure.setCurrentIndex(tab.measure.findData("C"))
    tab.period.setCurrentIndex(tab.period_index(date(2025, 9, 30)))
    assert (tab.numerator.value(), tab.denominator.value(), tab.version.text(), tab.source.text()) == \
        (48, 80, "v11", "Registry")
    assert tab.add.text().replace("&", "") == "Save correction"
    tab.period.setCurrentIndex(tab.period_index(date(2025, 12, 31)))  # nothing stored: blank, default source
    assert (tab.numerator.value(), tab.denominator.value(), tab.source.text()) == (0, 0, "EHR report")
    # Numbers being typed survive a reload of the practice (another save, a sync).
    tab.numerator.setValue(30)
    tab.denominator.setValue(40)
    app.store.save_practice(Practice(name="Elsewhere", state="IL"))
    app.window.practice.refresh()
    app.idle()
    assert (tab.numerator.value(), tab.denominator.value()) == (30, 40)
    assert tab.period.currentData() == date(2025, 12, 31)  # the reload keeps the picked quarter


def test_plan_tab_never_shows_a_declined_strategy_as_selected(app, qtbot):
    p = Practice(name="Maple Street Clinic", state="IN")
    app.store.save_practice(p)
    toolkit = app.ctx.toolkit
    app.store.save_plan(FacilitationPlan(p.id, planned_visits=6, selected_strategies=["B1", "C2"]), toolkit)
    app.store.set_checklist(ChecklistItem(p.id, "C2", "declined", reason="Cardiologist manages statins"), toolkit)
    tab = _open(app, p, "plan")
    assert tab.selected() == ["B1"]
    row = next(i for i in range(tab.strategies.count())
               if tab.strategies.item(i).data(Qt.ItemDataRole.UserRole) == "C2")
    assert tab.strategies.item(row).text().endswith("(declined)")
    # Saving the plan for something else leaves C2 declined (the store would select it again).
    tab.planned_visits.setValue(8)
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    app.idle()
    assert app.store.checklist_item(p.id, "C2").status == "declined"
    assert app.store.plan(p.id).selected_strategies == ["B1"]
    assert app.store.plan(p.id).planned_visits == 8
    # Ticking it again says what saving does, and asks first.
    tab.strategies.item(row).setCheckState(Qt.CheckState.Checked)
    assert "C2 was declined" in tab.notice.text()
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and "Cardiologist manages statins" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    app.idle()
    assert app.store.checklist_item(p.id, "C2").status == "declined"
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    box = QApplication.activeModalWidget()
    next(b for b in box.buttons() if "Select again" in b.text()).click()
    app.idle()
    assert app.store.checklist_item(p.id, "C2").status == "selected"
    assert "C2 is now Selected" in tab.saved_label.text()


def test_plan_tab_says_which_ticks_select_a_strategy(app, qtbot):
    p = Practice(name="Oak Clinic", state="WI")
    app.store.save_practice(p)
    tab = _open(app, p, "plan")
    row = next(i for i in range(tab.strategies.count())
               if tab.strategies.item(i).data(Qt.ItemDataRole.UserRole) == "S4")
    tab.strategies.item(row).setCheckState(Qt.CheckState.Checked)
    assert tab.notice.text() == "Saving marks S4 as Selected on the checklist."
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    app.idle()
    assert app.store.checklist_item(p.id, "S4").status == "selected"
    assert tab.saved_label.text() == "Plan saved. S4 is now Selected on the checklist."


def test_ticking_a_step_of_an_unselected_strategy_says_so_and_edits_survive_a_reload(app, qtbot):
    p = Practice(name="Birch Health", state="WI")
    app.store.save_practice(p)
    tab = _open(app, p, "checklist")
    tab.select("B1")
    tab.step_checks[1].setChecked(True)
    assert tab.status.currentData() == "selected"
    assert "B1 was not selected by the practice" in tab.notice.text()
    assert app.store.checklist_item(p.id, "B1").status == "not_selected"  # nothing saved quietly
    # A note added before saving reloads the practice: the unsaved status and tick stay.
    tab.owner.setText("Dr. Lee")
    tab.owner.textEdited.emit("Dr. Lee")
    tab.note_text.setText("Cuffs ordered")
    tab.note_text.returnPressed.emit()
    app.idle()
    assert [n.text for n in app.store.checklist_notes(p.id, "B1")] == ["Cuffs ordered"]
    assert tab.status.currentData() == "selected" and tab.step_checks[1].isChecked() and tab.owner.text() == "Dr. Lee"
    # Looking at another strategy and coming back keeps them too, marked as not saved.
    tab.select("B2")
    assert tab.items["B1"].text(1) == "Selected *"
    tab.select("B1")
    assert tab.step_checks[1].isChecked() and "not saved" in tab.unsaved.text()
    qtbot.mouseClick(tab.save, Qt.MouseButton.LeftButton)
    app.idle()
    item = app.store.checklist_item(p.id, "B1")
    assert (item.status, item.steps_done, item.owner) == ("selected", [2], "Dr. Lee")
    assert tab.items["B1"].text(1) == "Selected"
    # A status the user picked is kept: a declined strategy may have a step ticked.
    tab.select("C2")
    tab.status.setCurrentIndex(tab.status.findData("declined"))
    tab.step_checks[0].setChecked(True)
    assert tab.status.currentData() == "declined" and not tab.notice.isVisible()


def test_double_click_and_enter_open_a_practice_once(app, qtbot):
    p = Practice(name="Aspen Family Care", state="WI")
    app.store.save_practice(p)
    w = app.window
    w.show_view(w.PRACTICES)
    app.idle()
    opened = []
    w.practices.open_practice.connect(opened.append)
    table = w.practices.table
    rect = table.visualRect(w.practices.proxy.index(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double click's first press
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [p.id]  # activated (not also doubleClicked): once


def test_first_start_about_you_prefills_nothing_from_the_computer(app, qtbot):
    app.store.set_meta("facilitator", "")  # as a new store is (older ones took the login name)
    app.window.maybe_first_start()
    app.idle()
    dialog = app.window.first_start_dialog
    dialog.buttons["empty"].click()
    assert dialog.about.value() == FacilitatorProfile()


def test_a_leave_behind_asks_who_you_are_first_and_never_prints_the_login_name(app, qtbot, tmp_path):
    p = Practice(name="Harbor Clinic", state="WI")
    app.store.save_practice(p)
    visit = Visit(p.id, TODAY, minutes=60)
    app.store.save_visit(visit, app.ctx.toolkit)
    app.ctx.prefs.set_raw(REPORT_FOLDER_KEY, str(tmp_path))
    app.window.save_visit_pdf(visit.id)
    app.idle()
    dialog = _about_you()
    assert app.window.findChild(QFileDialog, SAVE_DIALOG_NAME) is None  # nothing made yet
    dialog.buttons.accepted.emit()  # the name is required
    assert "required" in dialog.form.errors.labels["name"].text()
    qtbot.keyClicks(dialog.form.name, "Renee Haddad")
    qtbot.keyClicks(dialog.form.email, "renee@example.org")
    dialog.buttons.accepted.emit()
    app.idle()
    assert app.store.facilitator_profile().name == "Renee Haddad"
    qtbot.waitUntil(lambda: app.window.findChild(QFileDialog, SAVE_DIALOG_NAME) is not None, timeout=10_000)
    target = tmp_path / "harbor.pdf"
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)  # its file name
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(QApplication.focusWidget(), "harbor")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(target.exists, timeout=15_000)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "Renee Haddad" in text and "renee@example.org" in text
    login = getpass.getuser()
    assert not re.search(rf"\b{re.escape(login)}\b", text, re.IGNORECASE), f"the login name {login!r} is printed"
    # With a name, a leave-behind goes straight on.
    app.window.save_visit_pdf(visit.id)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in app.window.findChildren(QFileDialog, SAVE_DIALOG_NAME)),
                    timeout=10_000)
    assert not any(isinstance(x, AboutYouDialog) and x.isVisible() for x in QApplication.topLevelWidgets())
    for d in app.window.findChildren(QFileDialog, SAVE_DIALOG_NAME):
        d.reject()


@pytest.mark.parametrize("server_user, stored, expected, asks", [
    (SimpleNamespace(full_name="Ana Muñoz", email="ana@coop.example"), FacilitatorProfile(),
     FacilitatorProfile("Ana Muñoz", "ana@coop.example", ""), False),
    (SimpleNamespace(full_name="Ana Muñoz", email="ana@coop.example"),
     FacilitatorProfile("Ana M.", "", "(312) 555-0100"),
     FacilitatorProfile("Ana M.", "ana@coop.example", "(312) 555-0100"), False),  # typed fields are never replaced
    (SimpleNamespace(full_name="", email="ana@coop.example"), FacilitatorProfile(), FacilitatorProfile(), True),
    (SimpleNamespace(name="ana", role="facilitator"), FacilitatorProfile(), FacilitatorProfile(), True),  # no full_name
])
def test_signing_in_fills_empty_profile_fields_from_the_account(app, qtbot, server_user, stored, expected, asks):
    app.store.set_meta("facilitator", "")
    if stored.name:
        app.store.set_facilitator_profile(stored)
    w = app.window
    w.show_view(w.SETTINGS)
    w.activateWindow()
    app.idle()
    view = w.settings
    view.fill_profile_from(server_user)
    app.idle()
    assert app.store.facilitator_profile() == expected
    assert view.profile_name.text() == expected.name
    if asks:  # no name to be had: Settings asks for it, the email the account gave is ready to save
        assert "does not give your name" in view.profile_message.text()
        assert QApplication.focusWidget() is view.profile_name
        assert view.profile_email.text() == (getattr(server_user, "email", "") or "")
    else:
        assert "came from your server account" in view.profile_message.text()

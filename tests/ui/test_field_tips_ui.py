"""Field tips on the desktop, driven by key events sent to the focused widget: add, edit, mark
helpful and withdraw a tip from the Toolkit; a supervisor pins and hides; the visit form shows a
ticked strategy's tips; a tick in the print dialog puts a tip on the leave-behind. Real SQLite
stores (tests/ui/conftest.py)."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox

from facilitator_app.core.model import FacilitatorProfile, Practice, StrategyWork, Tip, TipMark, Visit, tip_mark_id
from facilitator_app.ui.dialogs.print_dialog import PrintDialog
from facilitator_app.ui.dialogs.tip_dialog import TipDialog
from facilitator_app.ui.printing import SAVE_DIALOG_NAME
from facilitator_app.ui.settings import REPORT_FOLDER_KEY

from .conftest import TODAY

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier
ME = "renee"


def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has keyboard focus"
    QTest.keyClick(focus, k, mods)
    QApplication.processEvents()


def alt(qtbot, k) -> None:
    key(k, ALT)
    qtbot.wait(200)  # a mnemonic on a button clicks after its animation


def type_text(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """Qt's file dialog remembers its history in ~/.config: keep it out of the real home."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / ".config"))
    return folder


def colleague_tip(app, text: str, *, by: str = "marcus", strategy: str = "B1", days_ago: int = 10, **traits) -> Tip:
    """A tip another facilitator wrote, as a pull brings it (no outbox row)."""
    tip = Tip(strategy, text, TODAY - timedelta(days=days_ago), written_by=by, **traits)
    app.store.bulk_insert([tip], outbox=False)
    return tip


def toolkit_on(app, qtbot, strategy: str):
    w = app.window
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.show_view(w.TOOLKIT)
    view = w.toolkit
    view.search.setText(strategy)
    row = next(i for i in range(view.list.count()) if view.list.item(i).text().startswith(strategy + " "))
    view.list.setCurrentRow(row)
    app.idle()
    return view, view.tips


def wait_dialog(qtbot, kind):
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), kind), timeout=5000)
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=5000)
    return dialog


def back_to(qtbot, window) -> None:
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_add_edit_mark_and_withdraw_a_tip_with_keys_only(app, qtbot):
    app.store.set_meta("facilitator", ME)
    app.store.save_practice(Practice(name="Lakeside Clinic", state="IL", ehr_vendor="athenahealth"))
    theirs = colleague_tip(app, "Chart the cuff sizes beside the scale.")
    view, panel = toolkit_on(app, qtbot, "B1")
    assert [v.tip.id for v in panel.model.rows()] == [theirs.id]
    assert not panel.edit_button.isEnabled() and not panel.withdraw_button.isEnabled()  # not mine
    assert not panel.pin_button.isVisible()  # a facilitator neither pins nor hides

    # Alt+A: the dialog; a bad link is refused beside its field and nothing typed is lost.
    panel.table.setFocus()
    alt(qtbot, Qt.Key.Key_A)
    dialog = wait_dialog(qtbot, TipDialog)
    assert QApplication.focusWidget() is dialog.text
    type_text("Ask the MA to re-check any BP of 140/90 after 5 minutes.")
    key(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.link
    type_text("example.org/bp")
    key(Qt.Key.Key_Tab)
    key(Qt.Key.Key_Down)  # Ownership: Any -> Clinician-owned
    key(Qt.Key.Key_Return)  # Enter saves (the default button)
    assert dialog.isVisible() and "must be a web address" in dialog.errors.labels["link"].text()
    assert QApplication.focusWidget() is dialog.link
    assert dialog.text.toPlainText().startswith("Ask the MA")  # kept
    key(Qt.Key.Key_Home)
    type_text("https://")
    alt(qtbot, Qt.Key.Key_Z)  # Si&ze
    assert QApplication.focusWidget() is dialog.practice_size
    key(Qt.Key.Key_Down)  # Solo
    key(Qt.Key.Key_Return)
    app.idle()
    back_to(qtbot, app.window)
    mine = next(v for v in app.store.tips("B1") if v.mine)
    assert (mine.tip.text, mine.tip.link, mine.tip.ownership, mine.tip.size, mine.tip.written_by, mine.tip.written_on) \
        == ("Ask the MA to re-check any BP of 140/90 after 5 minutes.", "https://example.org/bp", "clinician_owned",
            "solo", ME, TODAY)
    assert panel.model.rowCount() == 2 and panel.current().tip.id == mine.tip.id
    assert "by renee on Mar 18, 2026" in panel.model.index(panel.model.index_of(mine.tip.id), 1).data()

    # Alt+E edits my tip (Enter on the row does too).
    assert panel.edit_button.isEnabled() and panel.withdraw_button.isEnabled()
    panel.table.setFocus()
    key(Qt.Key.Key_Return)
    dialog = wait_dialog(qtbot, TipDialog)
    key(Qt.Key.Key_End, CTRL)
    type_text(" Works best at the front desk.")
    alt(qtbot, Qt.Key.Key_S)  # &Save tip
    app.idle()
    back_to(qtbot, app.window)
    assert app.store.tip(mine.tip.id).text.endswith("Works best at the front desk.")

    # Alt+H marks the colleague's tip helpful, and again takes it back.
    panel.table.setFocus()
    row = panel.model.index_of(theirs.id)
    while panel.table.currentIndex().row() != row:
        key(Qt.Key.Key_Down if panel.table.currentIndex().row() < row else Qt.Key.Key_Up)
    alt(qtbot, Qt.Key.Key_H)
    app.idle()
    [view_] = [v for v in app.store.tips("B1") if v.tip.id == theirs.id]
    assert (view_.helpful, view_.marked_by_me) == (1, True)
    assert panel.helpful_button.isChecked() and panel.model.index(panel.model.index_of(theirs.id), 2).data() == "1"
    alt(qtbot, Qt.Key.Key_H)
    app.idle()
    assert [v.helpful for v in app.store.tips("B1") if v.tip.id == theirs.id] == [0]

    # Delete on my tip asks first; Esc keeps it, Enter withdraws it.
    panel.table.setFocus()
    row = panel.model.index_of(mine.tip.id)
    while panel.table.currentIndex().row() != row:
        key(Qt.Key.Key_Down if panel.table.currentIndex().row() < row else Qt.Key.Key_Up)
    key(Qt.Key.Key_Delete)
    box = wait_dialog(qtbot, QMessageBox)
    assert "Your colleagues will no longer see it" in box.text()
    key(Qt.Key.Key_Escape)
    back_to(qtbot, app.window)
    assert len(app.store.tips("B1")) == 2
    panel.table.setFocus()
    alt(qtbot, Qt.Key.Key_W)
    wait_dialog(qtbot, QMessageBox)
    key(Qt.Key.Key_Return)
    app.idle()
    back_to(qtbot, app.window)
    assert [v.tip.id for v in app.store.tips("B1")] == [theirs.id]
    assert [v.tip.id for v in panel.model.rows()] == [theirs.id]


def test_a_supervisor_pins_and_hides_and_the_author_sees_why(app, qtbot):
    app.store.set_meta("facilitator", "sam")
    app.ctx.role = "supervisor"
    first = colleague_tip(app, "Older tip about cuffs.", days_ago=20)
    second = colleague_tip(app, "Newer tip about the flowsheet.", by="dana", days_ago=2)
    view, panel = toolkit_on(app, qtbot, "B1")
    assert [v.tip.id for v in panel.model.rows()] == [second.id, first.id]  # newest first
    assert panel.pin_button.isVisible() and panel.hide_button.isVisible()
    panel.table.setFocus()
    key(Qt.Key.Key_Down)  # the older tip
    assert panel.current().tip.id == first.id
    alt(qtbot, Qt.Key.Key_P)
    app.idle()
    assert app.store.tip(first.id).pinned
    assert [v.tip.id for v in panel.model.rows()] == [first.id, second.id]  # pinned first
    assert panel.current().tip.id == first.id and panel.pin_button.text() == "Un&pin"
    assert "Pinned" in panel.model.index(0, 3).data()
    key(Qt.Key.Key_Down)
    alt(qtbot, Qt.Key.Key_I)
    app.idle()
    assert app.store.tip(second.id).hidden
    # Still listed for the supervisor, marked hidden, and Unhide offered.
    assert panel.model.index(panel.model.index_of(second.id), 3).data() == "Hidden"
    assert panel.hide_button.text() == "Unh&ide"
    # Colleagues no longer see it; its author does, and is told why.
    app.ctx.role = ""
    assert [v.tip.id for v in app.store.tips("B1")] == [first.id]
    app.store.set_meta("facilitator", "dana")
    panel.reload()
    app.idle()
    row = panel.model.index_of(second.id)
    assert row >= 0 and panel.model.index(row, 3).data() == "Hidden by your supervisor"
    assert not panel.pin_button.isVisible()


def _visit_with_tips(app):
    app.store.set_meta("facilitator", ME)
    practice = Practice(name="Lakeside Clinic", state="IL", ownership="clinician_owned", ehr_vendor="eClinicalWorks",
                        clinicians=3)
    app.store.save_practice(practice)
    suits = colleague_tip(app, "Add the repeat-BP field to the eCW vitals template.", ehr_vendor="eClinicalWorks",
                          link="https://example.org/ecw-bp")
    other_vendor = colleague_tip(app, "Epic: use the BP SmartPhrase.", ehr_vendor="Epic")
    fqhc = colleague_tip(app, "FQHC only: bill the visit as a nurse visit.", ownership="fqhc")
    smoking = colleague_tip(app, "Fax the quitline form the same day.", strategy="S4", by="dana")
    return practice, suits, other_vendor, fqhc, smoking


def test_the_visit_form_shows_the_tips_of_a_ticked_strategy_that_suit_the_practice(app, qtbot):
    practice, suits, other_vendor, fqhc, _smoking = _visit_with_tips(app)
    app.window.new_visit(practice.id)
    app.idle()
    form = app.window.visit_forms[-1]
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    section = form.strategies
    assert not section.tips_line.isVisible()  # nothing ticked yet
    alt(qtbot, Qt.Key.Key_S)
    while section.table.item(section.table.currentRow(), 0).data(Qt.ItemDataRole.UserRole) != "B1":
        key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Space)  # tick B1 as worked on
    assert section.tips_line.isVisible()
    line = section.tips_line.text()
    assert "B1 · 1 field tip" in line and "repeat-BP field" in line and "(marcus)" in line
    assert "Epic" not in section.tips_line.toolTip() and "FQHC" not in section.tips_line.toolTip()
    assert "https://example.org/ecw-bp" in section.tips_line.accessibleDescription()
    # keyboard reachable: Tab from the table reaches it
    key(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is section.tips_line
    section.table.setFocus()
    key(Qt.Key.Key_Space)  # untick: the line goes
    assert not section.tips_line.isVisible()
    form.discard()


def test_a_tick_in_the_print_dialog_puts_the_tip_on_the_leave_behind(app, qtbot, tmp_path):
    practice, suits, other_vendor, fqhc, smoking = _visit_with_tips(app)
    visit = Visit(practice.id, TODAY, minutes=45, strategies=[StrategyWork("B1", "selected", "in_progress"),
                                                               StrategyWork("S4", "selected", "in_progress")])
    app.store.save_visit(visit, app.ctx.toolkit, today=TODAY)
    app.store.bulk_insert([TipMark(smoking.id, by="x", id=tip_mark_id(smoking.id, "x"))], outbox=False)
    app.store.set_facilitator_profile(FacilitatorProfile("Renee Haddad"))
    app.ctx.prefs.set_raw(REPORT_FOLDER_KEY, str(tmp_path))
    app.window.print_visit(visit.id)
    qtbot.waitUntil(lambda: app.window.print_dialog is not None and app.window.print_dialog.tips.count() > 0,
                    timeout=15_000)
    dialog: PrintDialog = app.window.print_dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    # Only the tips of the strategies worked on that suit the practice, in the visit's order, unticked.
    offered = [dialog.tips.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.tips.count())]
    assert offered == [suits.id, smoking.id]
    assert dialog.chosen_tips() == []
    key(Qt.Key.Key_T, ALT)
    assert QApplication.focusWidget() is dialog.tips
    key(Qt.Key.Key_Space)  # one tick: the first (B1's) tip
    assert dialog.chosen_tips() == [suits.id]
    alt(qtbot, Qt.Key.Key_I)  # Save PDF instead…
    qtbot.waitUntil(lambda: app.window.findChild(QFileDialog, SAVE_DIALOG_NAME) is not None, timeout=10_000)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)
    key(Qt.Key.Key_A, CTRL)
    type_text("with-tips")
    key(Qt.Key.Key_Return)
    target = tmp_path / "with-tips.pdf"
    qtbot.waitUntil(target.exists, timeout=15_000)
    app.idle()
    qtbot.waitUntil(lambda: app.window.last_pdf == target, timeout=15_000)
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "Add the repeat-BP field to the eCW vitals template." in flat
    assert "https://example.org/ecw-bp" in flat and "(marcus)" in flat
    assert "Fax the quitline form the same day" not in flat  # offered, not ticked
    assert "Epic" not in flat and "nurse visit" not in flat
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()


def test_the_print_dialog_lists_no_tips_when_none_suit(app, qtbot):
    app.store.set_meta("facilitator", ME)
    practice = Practice(name="Quiet Clinic", state="IL", ehr_vendor="Epic")
    app.store.save_practice(practice)
    colleague_tip(app, "Only for eCW.", ehr_vendor="eClinicalWorks")
    visit = Visit(practice.id, TODAY, minutes=30, strategies=[StrategyWork("B1", "selected", "in_progress")])
    app.store.save_visit(visit, app.ctx.toolkit, today=TODAY)
    app.store.set_facilitator_profile(FacilitatorProfile("Renee Haddad"))
    app.window.print_visit(visit.id)
    qtbot.waitUntil(lambda: app.window.print_dialog is not None and app.window.print_dialog.document.text() != "",
                    timeout=15_000)
    dialog = app.window.print_dialog
    assert dialog.tips.count() == 0 and not dialog.tips.isVisible() and not dialog.tips_label.isVisible()
    dialog.reject()


def test_tip_dialog_date_is_the_day_it_is_saved(app):
    # A guard on "today is passed in": the dialog's check uses ctx.today, never the clock.
    app.ctx.today = lambda: date(2026, 3, 18)
    dialog = TipDialog(app.ctx, "B1")
    dialog.text.setPlainText("Short and useful.")
    assert dialog.value().written_on is None  # the store fills in the day it is saved
    dialog.close()


def test_space_on_a_list_with_table_keys_does_not_crash(app, qtbot):
    """Space in the Toolkit's strategy list (a QListWidget under table_keys) used to call the
    list model's private columnCount inside an event filter, which crashed the app."""
    view, panel = toolkit_on(app, qtbot, "B1")
    view.list.setFocus()
    key(Qt.Key.Key_Space)
    key(Qt.Key.Key_Down)
    assert view.list.currentRow() >= 0 and panel.strategy_id is not None

"""Print… and Save PDF…, driven by the keyboard only (key events go to the focused widget).

The end-to-end tests print through a private cupsd with a real cups-pdf queue (tests/cupsd.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import shiboken6
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from facilitator_app.core.model import FacilitatorProfile, Practice, Visit
from facilitator_app.printing import Printers
from facilitator_app.ui.dialogs.print_dialog import PrintDialog
from facilitator_app.ui.printing import SAVE_DIALOG_NAME
from facilitator_app.ui.settings import REPORT_FOLDER_KEY
from tests.cupsd import QUEUE, start_cupsd

PRACTICE = "Lakeside Family Clinic"
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """One key press, delivered to whatever has the keyboard focus (as a person typing)."""
    focused = QApplication.focusWidget()
    assert focused is not None, "nothing has the keyboard focus"
    qtbot.keyClick(focused, key, modifier)


def _closed(dialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _type(qtbot, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def _dialog(qtbot, printers: Printers) -> PrintDialog:
    dialog = PrintDialog("Print the leave-behind")
    qtbot.addWidget(dialog)
    dialog.set_document("Leave-behind for Lakeside Family Clinic, visit of Mar 18, 2026")
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.set_printers(printers)
    return dialog


def test_keyboard_only_choose_printer_and_copies_then_enter(qtbot):
    dialog = _dialog(qtbot, Printers(("Back office", "Front desk", "Exam room 2"), default="Front desk"))
    assert QApplication.focusWidget() is dialog.printer
    assert dialog.selected_printer() == "Front desk"  # the default is preselected
    assert dialog.printer.currentText() == "Front desk (default)"

    _key(qtbot, Qt.Key.Key_Down)  # next printer
    assert dialog.selected_printer() == "Exam room 2"
    _key(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.copies
    _key(qtbot, Qt.Key.Key_A, CTRL)
    _type(qtbot, "3")
    with qtbot.waitSignal(dialog.print_requested, timeout=3000) as sent:
        _key(qtbot, Qt.Key.Key_Return)
    assert sent.args == ["Exam room 2", 3]


def test_mnemonics_move_the_focus_and_escape_cancels(qtbot):
    dialog = _dialog(qtbot, Printers(("Office",), default=None))
    assert dialog.selected_printer() == "Office"  # no default: the first printer
    _key(qtbot, Qt.Key.Key_C, ALT)
    assert QApplication.focusWidget() is dialog.copies
    _key(qtbot, Qt.Key.Key_R, ALT)
    assert QApplication.focusWidget() is dialog.printer
    with qtbot.assertNotEmitted(dialog.print_requested), qtbot.waitSignal(dialog.rejected, timeout=3000):
        _key(qtbot, Qt.Key.Key_Escape)


def test_enter_does_nothing_while_printers_are_looked_up(qtbot):
    dialog = PrintDialog("Print the leave-behind")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    assert QApplication.focusWidget() is dialog.status and dialog.status.text() == "Looking for printers…"
    with qtbot.assertNotEmitted(dialog.print_requested), qtbot.assertNotEmitted(dialog.save_instead):
        _key(qtbot, Qt.Key.Key_Return)
        qtbot.wait(300)  # a default button clicks after a short animation
    assert dialog.isVisible()


def test_accessible_names_and_tab_order(qtbot):
    dialog = _dialog(qtbot, Printers(("Office",), default="Office"))
    names = {w.accessibleName() for w in (dialog.printer, dialog.copies, dialog.print_button, dialog.save_button,
                                         dialog.cancel_button, dialog.status)}
    assert names == {"Printer", "Copies", "Print", "Save PDF instead", "Cancel", "Print status"}
    order = []
    for _ in range(5):
        order.append(QApplication.focusWidget())
        _key(qtbot, Qt.Key.Key_Tab)
    assert order == [dialog.printer, dialog.copies, dialog.print_button, dialog.save_button, dialog.cancel_button]


def test_busy_dialog_ignores_escape_and_error_lets_you_retry(qtbot):
    dialog = _dialog(qtbot, Printers(("Office",), default="Office"))
    dialog.set_busy("Sending 1 copy to Office…")
    _key(qtbot, Qt.Key.Key_Escape)
    assert dialog.isVisible() and not dialog.print_button.isEnabled()
    dialog.show_error('The printer "Office" refused the job: Destination "Office" is not accepting jobs.')
    assert "refused the job" in dialog.status.text() and dialog.print_button.isEnabled()
    assert QApplication.focusWidget() is dialog.printer
    with qtbot.waitSignal(dialog.print_requested, timeout=3000) as sent:
        _key(qtbot, Qt.Key.Key_Return)
    assert sent.args == ["Office", 1]


def test_no_printer_offers_save_pdf_instead_on_enter(qtbot):
    dialog = _dialog(qtbot, Printers(("Office",), default="Office"))
    dialog.set_unavailable("No printer is set up on this computer.")
    assert not dialog.print_button.isEnabled() and QApplication.focusWidget() is dialog.save_button
    with qtbot.waitSignal(dialog.save_instead, timeout=3000):
        _key(qtbot, Qt.Key.Key_Return)


# -- the whole flow in the app, against a real CUPS -----------------------------------------


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """Qt's file dialog remembers its history in ~/.config: keep it out of the real home."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / ".config"))
    return folder


@pytest.fixture
def cups(monkeypatch, home):
    server = start_cupsd(home)
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    for key in ("LPDEST", "PRINTER"):
        monkeypatch.delenv(key, raising=False)
    yield server
    server.stop()


def _visit(app) -> Visit:
    practice = Practice(name=PRACTICE, state="IL")
    app.store.save_practice(practice)
    visit = Visit(practice.id, date(2026, 3, 18), facilitator="Renee Haddad", minutes=45,
                  practice_notes="Walked through the hypertension registry.")
    app.store.save_visit(visit, app.ctx.toolkit)
    app.store.set_facilitator_profile(FacilitatorProfile("Renee Haddad"))  # else a leave-behind asks who you are
    app.window.open_practice(practice.id)
    app.window.practice.tabs.setCurrentWidget(app.window.practice.visits)
    app.idle()
    return visit


def _open_print_dialog(app) -> PrintDialog:
    app.window.activateWindow()
    app.qtbot.keyClick(app.window, Qt.Key.Key_P, CTRL)
    app.qtbot.waitUntil(lambda: app.window.print_dialog is not None, timeout=5000)  # after the name is checked
    dialog = app.window.print_dialog
    assert isinstance(dialog, PrintDialog)
    app.qtbot.waitUntil(lambda: dialog.printer.count() > 0 or "No printer" in dialog.status.text(), timeout=15_000)
    app.qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    return dialog


def test_ctrl_p_prints_the_leave_behind_on_a_real_cups_queue(cups, app, qtbot):
    cups.add_pdf_queue()
    _visit(app)
    dialog = _open_print_dialog(app)
    assert PRACTICE in dialog.document.text()
    assert dialog.selected_printer() == QUEUE and QApplication.focusWidget() is dialog.printer

    _key(qtbot, Qt.Key.Key_Tab)
    _key(qtbot, Qt.Key.Key_A, CTRL)
    _type(qtbot, "2")
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.window.last_print_job is not None, timeout=30_000)

    job = app.window.last_print_job
    assert (job.printer, job.copies) == (QUEUE, 2)
    assert job.job_id in app.window.statusBar().currentMessage()
    printed = cups.wait_for_output(job.job_id)
    assert PRACTICE in "\n".join(p.extract_text() for p in PdfReader(printed).pages)
    assert cups.copies_of(job.job_id) == 2
    assert _closed(dialog)


def test_ctrl_p_with_no_printer_says_so_and_saves_instead(cups, app, qtbot, tmp_path):
    _visit(app)
    dialog = _open_print_dialog(app)
    assert "No printer is set up on this computer" in dialog.status.text()
    app.ctx.prefs.set_raw(REPORT_FOLDER_KEY, str(tmp_path))
    _key(qtbot, Qt.Key.Key_Return)  # Save PDF instead… is the default now
    saved = _save_through_file_dialog(app, qtbot, tmp_path, "for-the-clinic")
    assert saved.read_bytes().startswith(b"%PDF") and app.window.last_pdf == saved
    assert _closed(dialog)


def test_printer_refusing_the_job_keeps_the_dialog_open_with_the_reason(cups, app, qtbot):
    cups.add_pdf_queue()
    _visit(app)
    dialog = _open_print_dialog(app)
    cups.admin("cupsreject", "-r", "Paper jam in tray 2", QUEUE)
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "refused the job" in dialog.status.text(), timeout=30_000)
    assert "Paper jam in tray 2" in dialog.status.text()
    assert dialog.isVisible() and dialog.print_button.isEnabled() and app.window.last_print_job is None


# -- Save PDF… ---------------------------------------------------------------------------------


def _save_through_file_dialog(app, qtbot, folder: Path, name: str) -> Path:
    """Type `name` (without ".pdf": the dialog adds it) into the open Save PDF dialog, press Enter."""
    target = folder / f"{name}.pdf"
    qtbot.waitUntil(lambda: app.window.findChild(QFileDialog, SAVE_DIALOG_NAME) is not None, timeout=10_000)
    file_dialog = app.window.findChild(QFileDialog, SAVE_DIALOG_NAME)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)
    assert file_dialog.directory().absolutePath() == str(folder)  # the folder remembered
    _key(qtbot, Qt.Key.Key_A, CTRL)
    _type(qtbot, name)
    _key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: target.exists(), timeout=15_000)
    app.idle()
    return target


def test_ctrl_shift_s_saves_where_asked_and_remembers_the_folder(app, qtbot, tmp_path):
    _visit(app)
    first_folder = tmp_path / "handouts"
    first_folder.mkdir()
    app.ctx.prefs.set_raw(REPORT_FOLDER_KEY, str(first_folder))
    app.window.activateWindow()
    qtbot.keyClick(app.window, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.ShiftModifier)
    saved = _save_through_file_dialog(app, qtbot, first_folder, "lakeside-march")
    assert app.window.last_pdf == saved
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert PRACTICE in text
    assert app.ctx.prefs.raw(REPORT_FOLDER_KEY) == str(first_folder)
    assert "Saved lakeside-march.pdf" in app.window.statusBar().currentMessage()


def test_progress_report_menu_saves_the_progress_report(app, qtbot, tmp_path):
    _visit(app)
    app.ctx.prefs.set_raw(REPORT_FOLDER_KEY, str(tmp_path))
    save_action = next(a for a in app.window.practice.progress_button.menu().actions() if "Save PDF" in a.text())
    save_action.trigger()
    saved = _save_through_file_dialog(app, qtbot, tmp_path, "progress")
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert PRACTICE in text and "PROGRESS" in text.upper()

"""Importing a QRDA III report from the Measures tab with the keyboard alone: Alt+I, type the
file's path, Enter, read the preview, Enter; the run charts get their points. A quarter recorded
with other numbers is replaced only after Alt+R; a hostile file is refused with its reason."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from facilitator_app.core.model import MeasureValue, Practice
from facilitator_app.ui.dialogs.measure_import_dialog import MeasureImportDialog
from facilitator_app.ui.views.practice.measures_tab import FILE_DIALOG_NAME
from tests.qrda_files import ABCS_FOUR, entry, qrda3
from tests.ui.conftest import TODAY

ALT = Qt.KeyboardModifier.AltModifier
END = date(2025, 9, 30)


def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has keyboard focus"
    QTest.keyClick(focus, k, mods)
    QApplication.processEvents()


def open_measures(app, qtbot) -> Practice:
    practice = Practice(name="Oak Clinic")
    app.store.save_practice(practice, today=TODAY)
    app.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
    app.window.open_practice(practice.id)
    app.idle()
    app.window.practice.tabs.setCurrentIndex(0)
    app.window.practice.tabs.tabBar().setFocus()
    key(Qt.Key.Key_M, ALT)
    assert app.window.practice.tabs.currentWidget() is app.window.practice.measures
    return practice


def choose_file_by_keyboard(app, qtbot, path) -> None:
    key(Qt.Key.Key_I, ALT)  # Import from EHR file…
    qtbot.waitUntil(lambda: app.window.findChild(QFileDialog, FILE_DIALOG_NAME) is not None, timeout=10_000)
    dialog = app.window.findChild(QFileDialog, FILE_DIALOG_NAME)
    qtbot.waitUntil(dialog.isVisible)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and dialog.isAncestorOf(QApplication.focusWidget()))
    QTest.keyClicks(QApplication.focusWidget(), str(path))  # the file name box has the focus
    key(Qt.Key.Key_Return)


def preview(app, qtbot) -> MeasureImportDialog:
    qtbot.waitUntil(lambda: app.window.findChild(MeasureImportDialog) is not None
                    and app.window.findChild(MeasureImportDialog).isVisible(), timeout=10_000)
    dialog = app.window.findChild(MeasureImportDialog)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def rows(dialog: MeasureImportDialog) -> list[tuple[str, str]]:
    t = dialog.table
    return [(t.item(r, 0).text(), t.item(r, 1).text()) for r in range(t.rowCount())]


def test_import_a_quarterly_export_from_the_keyboard(app, qtbot, tmp_path):
    practice = open_measures(app, qtbot)
    path = tmp_path / "oak-2025q3.xml"
    path.write_bytes(qrda3(ABCS_FOUR + [entry("CMS122", {"IPOP": 5, "DENOM": 5, "NUMER": 1})], layout="other"))
    choose_file_by_keyboard(app, qtbot, path)
    dialog = preview(app, qtbot)
    assert rows(dialog) == [("Add", "B · CMS165"), ("Add", "S · CMS138"), ("Add", "C · CMS347"), ("Add", "A · CMS164"),
                            ("Skipped", "Diabetes: Glycemic Stat…")]
    assert "4 to add" in dialog.summary.text() and "1 skipped" in dialog.summary.text()
    assert app.store.measures(practice.id) == []  # nothing before Import
    assert dialog.import_button.isDefault() and not dialog.replace.isVisible()
    key(Qt.Key.Key_Return)
    app.idle()
    qtbot.waitUntil(lambda: not _alive(dialog) or not dialog.isVisible(), timeout=10_000)
    stored = {(m.measure, m.period_end): (m.numerator, m.denominator) for m in app.store.measures(practice.id)}
    assert stored == {("B", END): (420, 600), ("S", END): (1100, 1480), ("C", END): (350, 500), ("A", END): (100, 140)}
    tab = app.window.practice.measures
    qtbot.waitUntil(lambda: all(len(chart.points) == 1 for chart in tab.charts.values()), timeout=10_000)
    assert tab.import_status.text() == "Imported: 4 added, 0 replaced, 0 already recorded."
    assert tab.table.rowCount() == 4


def _alive(widget) -> bool:
    try:
        widget.isVisible()
        return True
    except RuntimeError:
        return False


def test_other_numbers_are_replaced_only_when_asked(app, qtbot, tmp_path):
    practice = open_measures(app, qtbot)
    app.store.save_measure(MeasureValue(practice.id, "B", END, 400, 600, source="typed"), today=TODAY)
    app.idle()
    path = tmp_path / "q3.xml"
    path.write_bytes(qrda3(ABCS_FOUR[:1]))
    choose_file_by_keyboard(app, qtbot, path)
    dialog = preview(app, qtbot)
    assert rows(dialog) == [("Differs: replace?", "B · CMS165")]
    assert "400 / 600 (typed)" in dialog.table.item(0, 5).text()
    assert dialog.replace.isVisible() and not dialog.import_button.isEnabled()
    assert "Tick Replace" in dialog.error.text()
    key(Qt.Key.Key_R, ALT)
    qtbot.waitUntil(dialog.replace.isChecked)  # a mnemonic clicks after a short animation
    assert dialog.import_button.isEnabled() and dialog.error.text() == ""
    key(Qt.Key.Key_I, ALT)
    qtbot.waitUntil(lambda: not _alive(dialog) or not dialog.isVisible(), timeout=10_000)
    app.idle()
    [bp] = app.store.measures(practice.id)
    assert (bp.numerator, bp.denominator) == (420, 600)
    assert [(h.numerator, h.denominator, h.source, h.replaced_on) for h in bp.history] == [(400, 600, "typed", TODAY)]


def test_a_hostile_file_is_refused_with_its_reason(app, qtbot, tmp_path):
    practice = open_measures(app, qtbot)
    path = tmp_path / "lol.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>')
    choose_file_by_keyboard(app, qtbot, path)
    qtbot.waitUntil(lambda: app.window.findChild(QMessageBox, "measure-import-refused") is not None, timeout=10_000)
    box = app.window.findChild(QMessageBox, "measure-import-refused")
    assert "billion laughs" in box.text() and box.text().startswith("lol.xml: ")
    box.close()
    assert app.store.measures(practice.id) == []

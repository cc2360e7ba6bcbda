"""Practices: create a practice through the dialog, find it in the table, filter and sort."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from facilitator_app.core.model import Practice
from facilitator_app.ui.dialogs.practice_dialog import PracticeDialog
from facilitator_app.ui.models.practices_model import PracticesModel
from facilitator_app.ui.models.roles import RECORD_ROLE


def _dialog(app) -> PracticeDialog:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, PracticeDialog) and w.isVisible())


def test_create_practice_with_inline_errors(app, qtbot):
    w = app.window
    w.show_view(w.PRACTICES)
    qtbot.mouseClick(w.practices.new_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(app)
    qtbot.keyClicks(dialog.form.state, "ZZ")
    dialog.buttons.accepted.emit()
    # Nothing saved; the core's messages appear beside the fields.
    assert dialog.form.errors.labels["name"].isVisible()
    assert "Practice name is required" in dialog.form.errors.labels["name"].text()
    assert "not a US state code" in dialog.form.errors.labels["state"].text()
    assert app.store.practices() == []

    dialog.form.state.clear()
    qtbot.keyClicks(dialog.form.name, "Prairie Family Medicine")
    qtbot.keyClicks(dialog.form.state, "il")
    qtbot.keyClicks(dialog.form.region, "Central IL")
    dialog.buttons.accepted.emit()
    app.idle()
    [saved] = app.store.practices()
    assert (saved.name, saved.state, saved.region) == ("Prairie Family Medicine", "IL", "Central IL")
    # Saving opens the practice screen and the list shows the new row.
    assert w.stack.currentWidget() is w.practice
    assert w.practice.heading.text() == "Prairie Family Medicine"
    w.show_view(w.PRACTICES)
    app.idle()
    assert w.practices.model.rowCount() == 1
    assert app.store.pending_changes() == 1


def test_search_and_sort(app, qtbot):
    for name, region in (("Oak Clinic", "North"), ("Birch Health", "South"), ("Aspen Family Care", "North")):
        app.store.save_practice(Practice(name=name, region=region, state="WI"))
    w = app.window
    w.show_view(w.PRACTICES)
    app.idle()
    view = w.practices
    assert view.proxy.rowCount() == 3
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()
    qtbot.keyClicks(view.search, "north")
    names = {view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())}
    assert names == {"Oak Clinic", "Aspen Family Care"}
    assert view.count_label.text() == "2 of 3"
    view.search.clear()
    view.table.sortByColumn(PracticesModel.NAME, Qt.SortOrder.DescendingOrder)
    ordered = [view.proxy.index(r, 0).data(RECORD_ROLE).name for r in range(view.proxy.rowCount())]
    assert ordered == ["Oak Clinic", "Birch Health", "Aspen Family Care"]

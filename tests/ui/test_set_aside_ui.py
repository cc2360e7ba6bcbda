"""Sync issues shows the records from the server this computer could not use, with the reason,
and Dismiss hides one; the status bar counts them (the tolerant reader, store/pulled.py)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from facilitator_app.core.codec import to_record
from facilitator_app.core.model import Practice, Visit
from facilitator_app.store.sync_state import SyncState

from .conftest import TODAY

S1 = "001772000000000-000000-server"


def _row(entity: str, obj, **changes) -> dict:
    fields = {**to_record(obj), **changes}
    return {"entity": entity, "id": fields["id"], "practice_id": fields["practice_id"], "version": 3,
            "fields": fields, "clocks": {"*": S1}, "deleted": False, "author": "ben"}


def test_records_set_aside_are_listed_with_the_reason_and_can_be_dismissed(app, qtbot):
    p = Practice("Oak Clinic", state="IL")
    visit = Visit(p.id, TODAY, minutes=45)
    state = SyncState(app.store)
    applied = state.apply_page([_row("practice", p), _row("visit", visit, minutes=2 ** 70)], cursor=2,
                               last_mutation_id=0, server_hlc=S1, scope_epoch=1, today=TODAY)
    assert applied.set_aside == 1
    w = app.window
    w.show_view(w.SYNC_ISSUES)
    view = w.current_view()
    view.refresh()
    app.idle()
    table = view.set_aside
    assert table.rowCount() == 1
    assert table.item(0, 0).text() == f"Visit to Oak Clinic on {TODAY.isoformat()}"
    assert "Minutes is the number" in table.item(0, 1).text() and "too large" in table.item(0, 1).text()
    assert view.dismiss_record.isEnabled()
    app.ctx.sync.refresh_status()
    app.idle()
    assert "1 from the server set aside" in w.sync_status.pending.text()
    table.selectRow(0)
    qtbot.mouseClick(view.dismiss_record, Qt.MouseButton.LeftButton)
    app.idle()
    assert table.rowCount() == 0 and not view.dismiss_record.isEnabled()
    assert state.rejected_rows() == [] and len(state.rejected_rows(include_dismissed=True)) == 1
    app.idle()
    assert "set aside" not in w.sync_status.pending.text()


def test_a_record_set_aside_is_dismissed_with_the_keyboard_alone(app, qtbot):
    """Tab reaches the list (after the other two), Alt+R dismisses the selected record."""
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    p = Practice("Elm Clinic", state="IL")
    state = SyncState(app.store)
    state.apply_page([_row("practice", p), _row("visit", Visit(p.id, TODAY, minutes=45), minutes=2 ** 70)],
                     cursor=2, last_mutation_id=0, server_hlc=S1, scope_epoch=1, today=TODAY)
    w = app.window
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.show_view(w.SYNC_ISSUES)
    view = w.current_view()
    view.refresh()
    app.idle()
    view.conflicts.setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(20):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is view.set_aside:
            break
    assert QApplication.focusWidget() is view.set_aside
    QTest.keyClick(view.set_aside, Qt.Key.Key_Down)  # the first row is current and selected
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: view.set_aside.rowCount() == 0)
    assert state.rejected_rows() == []

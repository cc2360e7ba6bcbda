"""Sync from the GUI against a real local facilitator-server: sign in from Settings, Sync now (F5)
updates the status bar, and a conflict is shown and resolved on the Sync issues screen."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from facilitator_app.core.model import Practice
from facilitator_app.sync.credentials import TokenStore
from facilitator_app.sync.service import SyncService
from tests.serverproc import start_server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = start_server(tmp_path_factory.mktemp("server"))
    proc.add_user("ana", PASSWORD)
    yield proc
    proc.stop()


def _sign_in(app, server, qtbot) -> None:
    w = app.window
    w.show_view(w.SETTINGS)
    view = w.settings
    view.server.setText(server.url)
    view.user.setText("ana")
    view.password.setText(PASSWORD)
    qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.account_message.text().startswith(("Signed in", "Could not")), timeout=20_000)
    assert view.account_message.text().startswith("Signed in"), view.account_message.text()
    assert "Signed in as ana" in view.account_label.text()
    assert "kept" in view.token_label.text()  # says where the token is kept


def _sync(app, qtbot) -> None:
    finished = []
    app.ctx.sync.finished.connect(lambda ok, msg: finished.append((ok, msg)))
    qtbot.keyClick(app.window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
    assert finished[0][0], finished[0][1]
    app.idle()
    qtbot.waitUntil(lambda: app.ctx.sync.view is not None and not app.ctx.sync.view.running, timeout=10_000)


def test_sync_now_updates_status_bar_and_conflict_is_resolved(start_app, server, qtbot, tmp_path):
    app = start_app()
    bar = app.window.sync_status
    assert bar.connection.text().startswith("Not signed in")
    practice = Practice(name="Harbor Clinic", state="WI")
    app.store.save_practice(practice)
    _sign_in(app, server, qtbot)
    app.idle()
    _sync(app, qtbot)
    assert bar.connection.text() == "● Online"
    assert bar.last_synced.text().startswith("Last synced: today")
    assert bar.pending.text() == "All changes synced"

    # Here the name is changed offline; meanwhile another laptop of the same user renames the
    # practice too and syncs first: the server keeps the later edit and records a conflict.
    mine = dataclasses.replace(app.store.practice(practice.id), name="Harbor Family Clinic")
    app.store.save_practice(mine)
    other = SyncService(tmp_path / "laptop2", tokens=TokenStore())
    other.sign_in(server.url, "ana", PASSWORD)
    other.sync_once()
    theirs = dataclasses.replace(other.store().practice(practice.id), name="Harbor Clinic (East)")
    other.store().save_practice(theirs)
    other.sync_once()
    other.close()
    app.ctx.sync.refresh_status()
    app.idle()
    assert "1 change not yet synced" in bar.pending.text()
    _sync(app, qtbot)
    assert "1 conflict" in bar.pending.text()

    w = app.window
    w.show_view(w.SYNC_ISSUES)
    app.idle()
    view = w.sync_issues
    assert view.conflicts.rowCount() == 1
    row_text = " ".join(view.conflicts.item(0, c).text() for c in range(view.conflicts.columnCount()))
    assert "Harbor Family Clinic" in row_text and "Harbor Clinic (East)" in row_text
    qtbot.mouseClick(view.keep_mine, Qt.MouseButton.LeftButton)
    app.idle()
    assert view.conflicts.rowCount() == 0
    assert "Kept your value" in view.message.text()
    _sync(app, qtbot)
    assert app.store.practice(practice.id).name == "Harbor Family Clinic"
    assert bar.pending.text() == "All changes synced"


def test_supervisor_today_shows_every_practice_and_a_row_per_facilitator(start_app, server, data_dir, tmp_path):
    from datetime import date

    from facilitator_app.core.model import Visit

    server.add_user("ben", PASSWORD)
    server.add_user("sue", PASSWORD, role="supervisor")
    for name, clinic, visits in (("ana", "Ana's Clinic", 3), ("ben", "Ben's Clinic", 1)):
        laptop = SyncService(tmp_path / name, tokens=TokenStore())
        laptop.sign_in(server.url, name, PASSWORD)
        practice = Practice(name=clinic, state="IL")
        laptop.store().save_practice(practice)
        for i in range(visits):
            laptop.store().save_visit(Visit(practice.id, date(2026, 3, 2 + i), facilitator=name, minutes=60))
        laptop.sync_once()
        laptop.close()
    supervisor = SyncService(data_dir)
    supervisor.sign_in(server.url, "sue", PASSWORD)
    supervisor.sync_once()
    supervisor.close()
    app = start_app()
    assert app.ctx.role == "supervisor"
    w = app.window
    w.show_view(w.TODAY)
    w.today.refresh()
    app.idle()
    today = w.today
    assert today.fac_box.isVisibleTo(w)
    rows = {today.facilitators.item(r, 0).text(): today.facilitators.item(r, 2).text()
            for r in range(today.facilitators.rowCount())}
    assert rows == {"ana": "3", "ben": "1"}
    w.show_view(w.PRACTICES)
    app.idle()
    assert w.practices.proxy.rowCount() >= 2  # every practice of the cooperative

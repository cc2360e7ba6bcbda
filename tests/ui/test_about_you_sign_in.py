"""Signing in to a real local facilitator-server with no name on this computer: the account's
details fill what they can, Settings asks for the rest, and nothing gets in the way of syncing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from facilitator_app.core.model import Practice
from facilitator_app.ui.dialogs.about_you import AboutYouDialog
from tests.serverproc import start_server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = start_server(tmp_path_factory.mktemp("server"))
    proc.add_user("ana", PASSWORD)
    yield proc
    proc.stop()


def test_sign_in_without_a_name_asks_for_it_in_settings_and_sync_still_runs(start_app, server, qtbot):
    app = start_app()
    app.store.set_meta("facilitator", "")  # a new store names nobody (older ones took the login name)
    app.store.save_practice(Practice(name="Harbor Clinic", state="WI"))
    w = app.window
    w.show_view(w.SETTINGS)
    view = w.settings
    view.server.setText(server.url)
    view.user.setText("ana")
    view.password.setText(PASSWORD)
    qtbot.mouseClick(view.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.account_message.text().startswith(("Signed in", "Could not")), timeout=20_000)
    assert view.account_message.text().startswith("Signed in"), view.account_message.text()
    qtbot.waitUntil(lambda: "does not give your name" in view.profile_message.text())  # this account has none
    assert not any(isinstance(x, AboutYouDialog) and x.isVisible() for x in QApplication.topLevelWidgets())
    finished = []
    app.ctx.sync.finished.connect(lambda ok, msg: finished.append((ok, msg)))
    qtbot.keyClick(w, Qt.Key.Key_F5)  # nothing stands in the way of the first sync
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
    assert finished[0][0], finished[0][1]
    qtbot.keyClicks(view.profile_name, "Ana Munoz")
    qtbot.mouseClick(view.profile_save, Qt.MouseButton.LeftButton)
    app.idle()
    assert app.store.facilitator_profile().name == "Ana Munoz"

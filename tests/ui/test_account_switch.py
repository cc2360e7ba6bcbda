"""Switching account and restoring a backup while a sync and queued operations run, against a real
server process: every edit lands in the database it was meant for, nothing is lost, and no
operation runs against a closed store (ui/account.py, ActiveAccount.switch)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from facilitator_app.core import faults
from facilitator_app.core.model import Practice
from facilitator_app.core.toolkit import default_toolkit_path
from facilitator_app.store import Store
from facilitator_app.ui.ops import QueryOp, StoreOp
from tests.serverproc import start_server

PASSWORD = "correct horse battery"
SLOW_PUSH_SECS = 0.8  # the sync is held after the server answered its push, so the switch meets it mid-way


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = start_server(tmp_path_factory.mktemp("server"))
    proc.add_user("ana", PASSWORD, cooperative="north")
    proc.add_user("ben", PASSWORD, cooperative="south")
    yield proc
    proc.stop()


class Recorder:
    """Queues edits and slow reads through the app's own ops, and keeps every failure."""

    def __init__(self, app):
        self.app = app
        self.failures: list[BaseException] = []
        self.saved: list[str] = []
        self.read_paths: list[str] = []

    def save(self, name: str) -> None:
        StoreOp(self.app.ctx.ops, lambda s: s.save_practice(Practice(name, state="IL"))).success(
            lambda _c: self.saved.append(name)).failure(self.failures.append).run()

    def slow_read(self) -> None:
        """A read on the pool that takes a while: it would meet a store closed under it."""
        def read(s):
            for _ in range(40):
                s.practices()
                time.sleep(0.005)
            return str(s.path)
        QueryOp(self.app.ctx.ops, read).success(self.read_paths.append).failure(self.failures.append).run()


def _sign_in(app, qtbot, url: str, user: str) -> None:
    results: list[object] = []
    app.ctx.sync.sign_in(url, user, PASSWORD, done=results.append, failed=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=30_000)
    assert not isinstance(results[0], BaseException), results[0]
    app.idle()


def _hold_sync_mid_way() -> tuple[threading.Event, object]:
    reached = threading.Event()

    def hold(_store: object) -> None:
        reached.set()
        time.sleep(SLOW_PUSH_SECS)
    return reached, faults.installed("after_push_response", hold)


def _names(path) -> set[str]:
    with Store.open(path) as store:
        return {p.name for p in store.practices()}


def test_switch_account_and_restore_while_a_sync_and_queued_ops_run(start_app, server, qtbot):
    app = start_app()
    rec = Recorder(app)
    finished: list[tuple[bool, str]] = []
    app.ctx.sync.finished.connect(lambda ok, msg: finished.append((ok, msg)))
    _sign_in(app, qtbot, server.url, "ana")
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)  # signing in syncs once
    ana_db = app.store.path
    for i in range(5):
        rec.save(f"Ana unsent {i}")
    app.idle()
    finished.clear()

    # 1. Sign in as ben while ana's sync is held after its push, with reads on the pool and
    #    edits queued; more edits are made while the switch is under way.
    during: list[str] = []

    def edit_during_switch() -> None:
        assert app.ctx.account.is_switching
        for i in range(3):
            name = f"Ben during switch {i}"
            during.append(name)
            rec.save(name)
        rec.slow_read()

    app.ctx.account.about_to_switch.connect(edit_during_switch)
    reached, hook = _hold_sync_mid_way()
    with hook:
        app.ctx.sync.request_sync()
        qtbot.waitUntil(reached.is_set, timeout=20_000)
        for i in range(3):
            rec.slow_read()
            rec.save(f"Ana before switch {i}")
        _sign_in(app, qtbot, server.url, "ben")
    app.ctx.account.about_to_switch.disconnect(edit_during_switch)
    app.idle()

    assert rec.failures == []
    ben_db = app.store.path
    assert ben_db != ana_db
    assert set(during) <= _names(ben_db)
    ana_names = _names(ana_db)
    assert {f"Ana unsent {i}" for i in range(5)} | {f"Ana before switch {i}" for i in range(3)} <= ana_names
    assert not any(n.startswith("Ben") for n in ana_names)
    assert not any(n.startswith("Ana") for n in _names(ben_db))
    assert str(ana_db) in rec.read_paths and str(ben_db) in rec.read_paths  # reads ran on both sides
    with Store.open(ana_db) as ana:  # ana's sync was stopped at the switch: her unsent edits wait
        names = {p.name for p in ana.practices()}
        assert {f"Ana before switch {i}" for i in range(3)} <= names
    qtbot.waitUntil(lambda: app.ctx.sync.view is not None and not app.ctx.sync.view.running, timeout=30_000)

    # 2. Restore a backup of ben's database while his sync runs and edits are queued.
    backup: list[object] = []
    StoreOp(app.ctx.ops, lambda s: s.backup()).success(backup.append).failure(rec.failures.append).run()
    app.idle()
    rec.save("Ben after backup")
    app.idle()
    finished.clear()
    restored: list[str] = []

    def edit_during_restore() -> None:
        rec.save("Ben during restore")
        rec.slow_read()

    settings = app.window.settings
    app.ctx.account.about_to_switch.connect(edit_during_restore)
    reached, hook = _hold_sync_mid_way()
    with hook:
        app.ctx.sync.request_sync()
        qtbot.waitUntil(reached.is_set, timeout=20_000)
        rec.slow_read()
        rec.save("Ben before restore")
        settings.restore_database(backup[0])
        qtbot.waitUntil(lambda: settings.backup_message.text().startswith(("Restored", "Restore failed")),
                        timeout=30_000)
        restored.append(settings.backup_message.text())
    app.ctx.account.about_to_switch.disconnect(edit_during_restore)
    app.idle()

    assert restored[0].startswith("Restored"), restored[0]
    assert rec.failures == []
    assert app.store.path == ben_db
    now = _names(ben_db)
    assert "Ben during restore" in now and "Ben after backup" not in now and "Ben before restore" not in now
    safety = restored[0].rsplit(" saved as ", 1)[1].rstrip(".")
    assert {"Ben after backup", "Ben before restore"} <= _names(safety)  # the replaced file is kept
    # no sync ever failed on a closed store: each one finished, or was stopped at the switch
    assert all(ok or msg == "" for ok, msg in finished), finished


def test_the_toolkit_follows_the_cooperative_download_and_the_account_switch(start_app, server, qtbot, tmp_path):
    """ctx.toolkit is the cooperative's as soon as a sync stores it, and another account's after a switch."""
    app = start_app()
    shipped = app.ctx.toolkit.version
    changed: list[str] = []
    app.ctx.account.toolkit_changed.connect(lambda toolkit: changed.append(toolkit.version))
    _sign_in(app, qtbot, server.url, "ana")
    qtbot.waitUntil(lambda: app.ctx.sync.view is not None and not app.ctx.sync.view.running, timeout=30_000)
    doc = json.loads(default_toolkit_path().read_text(encoding="utf-8"))
    doc["version"] = "north-2027.1"
    next(s for s in doc["strategies"] if s["id"] == "S4")["title"] = "Fax referral to the North Quitline"
    path = tmp_path / "north.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    server.admin("toolkit", "publish", str(path), "--cooperative", "north")
    w = app.window
    w.show_view(w.TOOLKIT)
    finished: list[bool] = []
    app.ctx.sync.finished.connect(lambda ok, _msg: finished.append(ok))
    app.ctx.sync.request_sync()
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
    app.idle()
    assert finished == [True]
    assert app.ctx.toolkit.version == "north-2027.1" and changed[-1] == "north-2027.1"
    assert app.ctx.toolkit.get("S4").title == "Fax referral to the North Quitline"
    assert "north-2027.1" in w.toolkit.info.text()
    assert "north-2027.1" in w.settings.toolkit_label.text()
    _sign_in(app, qtbot, server.url, "ben")  # the south cooperative publishes none: the shipped one
    assert app.ctx.toolkit.version == shipped and changed[-1] == shipped
    assert shipped in w.toolkit.info.text()

"""Drives the Qt-free sync service and scheduler from the GUI.

Sync is another background op: it runs on the pool with a progress callback posted to the main
thread and a Cancel flag; the scheduler (pure logic) is ticked by a QTimer. Errors from an
automatic sync only change the status bar; a sync the user asked for (F5) also reports its error.
An auth error means the service already forgot the token: we say "sign in again".
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ..store.store import Changes
from ..sync.client import AuthError, NetworkError, ServerUnavailableError
from ..sync.scheduler import Action, SyncScheduler
from ..sync.service import AccountInfo, NotSignedInError, SignedIn, SignInResult, SyncService
from .account import ActiveAccount
from .context import ALL_ENTITIES
from .ops import Ops, describe_error

log = logging.getLogger(__name__)
TICK_MS = 1000


@dataclass(frozen=True)
class SyncView:
    """What the status bar shows."""

    signed_in: bool
    has_account: bool
    online: bool
    running: bool
    pending: int
    last_sync: str | None
    conflicts: int
    quarantined: int
    server_url: str | None
    user: str | None
    set_aside: int = 0


class SyncBridge(QObject):
    status_changed = Signal(object)          # SyncView
    progress = Signal(str, int, int)         # phase, done, total
    finished = Signal(bool, str)             # ok, message for the user
    account_changed = Signal(object)         # AccountInfo | None

    def __init__(self, active: ActiveAccount, *, auto_sync: bool, parent: QObject | None = None):
        super().__init__(parent)
        self.active = active
        self.scheduler = SyncScheduler(enabled=auto_sync)
        self._cancel = False
        self._user_requested = False
        self._view: SyncView | None = None
        self.account: AccountInfo | None = None
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.ops.changed.connect(self._on_local_change)
        active.about_to_switch.connect(self._pause_for_switch)
        active.switched.connect(self._switched)

    @property
    def service(self) -> SyncService:
        service = self.active.service
        assert service is not None, "the bridge is made once the service is attached"
        return service

    @property
    def ops(self) -> Ops:
        return self.active.ops

    def start(self) -> None:
        self.refresh_account()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._cancel = True

    # -- account --------------------------------------------------------------------------

    def refresh_account(self) -> None:
        """Read the account and where its token is on the pool: the keyring may take seconds to
        answer (or ask the user to unlock it), and the window must not freeze meanwhile."""
        def failed(exc: BaseException) -> None:  # a broken accounts file must not stop the app
            log.warning("cannot read the account: %s", exc)
            self._set_account(None)

        self.ops.submit(self.service.account, writer=False, done=self._set_account, failed=failed)

    def _set_account(self, account: AccountInfo | None) -> None:
        self.account = account
        self.account_changed.emit(account)
        self.refresh_status()

    def sign_in(self, server_url: str, user: str, password: str, *, done: Callable[[Any], None],
                failed: Callable[[BaseException], None]) -> None:
        """Ask the server on the pool (the app goes on working), then switch to the account's
        database with nothing else running (ActiveAccount.switch), then sync."""

        def switched(result: SignInResult) -> None:
            self._set_account(result.account)
            self.request_sync()
            done(result)

        def authenticated(signed: SignedIn) -> None:
            self.active.switch(lambda service: service.switch_to(signed), done=switched, failed=failed)

        self.ops.submit(lambda: self.service.authenticate(server_url, user, password), writer=False,
                        done=authenticated, failed=failed)

    def sign_out(self, done: Callable[[Any], None] | None = None) -> None:
        def ok(info) -> None:
            self.refresh_account()
            if done:
                done(info)
        self.ops.submit(self.service.sign_out, writer=False, done=ok,
                        failed=lambda e: self.ops.unhandled_error.emit("Sign out failed", describe_error(e)))

    def _pause_for_switch(self) -> None:
        """The store is about to close: start no sync, and stop a running one at its next step
        (what it sent or stored so far is kept; the switch waits for it to end)."""
        self.scheduler.pause()
        if self.scheduler.running:
            self._cancel = True

    def _switched(self) -> None:
        self.scheduler.resume()
        self.refresh_account()

    # -- scheduling -----------------------------------------------------------------------

    def set_auto_sync(self, enabled: bool) -> None:
        self.scheduler.enabled = enabled

    def _on_local_change(self, changes: Changes, initiator: object) -> None:
        if initiator is not self:
            self.scheduler.local_edit()
            self.refresh_status()

    def request_sync(self) -> None:
        """Sync now (F5)."""
        if self.account is None or not self.account.signed_in:
            self.finished.emit(False, "Not signed in: open Settings and sign in to your cooperative's server "
                                      "to sync. Everything you record is kept on this computer meanwhile.")
            return
        self._user_requested = True
        self.scheduler.request_now()
        self.tick()

    def cancel(self) -> None:
        self._cancel = True

    def tick(self) -> None:
        if self.account is None or not self.account.signed_in:
            return
        action = self.scheduler.tick()
        if action is Action.SYNC:
            self._run_sync()
        elif action is Action.PROBE:
            self.ops.submit(self.service.is_reachable, writer=False, done=self._probed,
                            failed=lambda _e: self._probed(False))

    def _probed(self, reachable: bool) -> None:
        self.scheduler.probe_finished(bool(reachable))
        self.refresh_status()

    @property
    def is_running(self) -> bool:
        return self.scheduler.running

    def _run_sync(self) -> None:
        self.scheduler.sync_started()
        self._cancel = False
        self.refresh_status()
        self.progress.emit("starting", 0, 0)
        started = time.monotonic()

        def report(phase: str, done: int, total: int) -> None:
            self.ops.post(lambda: self.progress.emit(phase, done, total))

        self.ops.submit(lambda: self.service.sync_once(progress=report, cancel=lambda: self._cancel),
                        writer=False, done=lambda r: self._synced(r, started), failed=self._sync_failed)

    def _synced(self, report, started: float) -> None:
        self.scheduler.sync_finished(ok=True)
        user_asked, self._user_requested = self._user_requested, False
        if report.pulled or report.conflicts or report.rejected or report.refetched or report.set_aside:
            self.ops.changed.emit(Changes(ALL_ENTITIES), self)
        if report.toolkit_version:  # the cooperative's toolkit was just stored: show it
            self.active.reload_toolkit()
        msg = (f"Synced in {time.monotonic() - started:.1f} s: sent {report.pushed}, received {report.pulled}"
               + (f", {report.conflicts} conflicts" if report.conflicts else "")
               + (f", {report.rejected} rejected" if report.rejected else "")
               + (f", {report.set_aside} set aside (see Sync issues)" if report.set_aside else ""))
        self.refresh_status()
        self.finished.emit(True, msg if user_asked or report.pulled or report.pushed else "")

    def _sync_failed(self, exc: BaseException) -> None:
        unreachable = isinstance(exc, (NetworkError, ServerUnavailableError))
        self.scheduler.sync_finished(ok=False, unreachable=unreachable)
        self._user_requested = False
        if self._cancel:
            self.finished.emit(False, "")  # a cancel shows nothing
        elif isinstance(exc, (AuthError, NotSignedInError)):
            self.refresh_account()
            self.finished.emit(False, f"{describe_error(exc)} Sign in again under Settings; "
                                      "your unsent changes are kept.")
        else:
            self.finished.emit(False, describe_error(exc))
        self.refresh_status()

    # -- status ---------------------------------------------------------------------------

    def refresh_status(self) -> None:
        def work() -> SyncView:
            st = self.service.status()
            return SyncView(st.signed_in, self.account is not None, self.scheduler.online, self.scheduler.running,
                            st.pending, st.last_sync, st.conflicts, st.quarantined, st.server_url, st.user,
                            st.set_aside)

        def failed(exc: BaseException) -> None:  # the badge swallows errors
            log.debug("status failed: %s", exc)

        self.ops.submit(work, writer=False, done=self._set_view, failed=failed)

    def _set_view(self, view: SyncView) -> None:
        self._view = view
        self.status_changed.emit(view)

    @property
    def view(self) -> SyncView | None:
        return self._view

"""Entry point of the desktop app: `facilitator-app` with no command calls `run(data_dir)`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping, cast

NO_DISPLAY_MESSAGE = (
    "Facilitator Field Kit needs a graphical desktop, and none was found (DISPLAY and WAYLAND_DISPLAY "
    "are not set). Run it from your desktop session, or use the headless commands (facilitator-app --help). "
    "To run without a screen on purpose, set QT_QPA_PLATFORM=offscreen.")


SYNC_IMPORT_DELAY_MS = 400


def has_display(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """False only where Qt would abort: Linux/BSD with no X11/Wayland display and no platform forced."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


def build(data_dir: Path, *, app=None, today=None, start_sync: bool = True, background_sync: bool = False):
    """Create the context and main window (without showing it). Used by run(), tests, screenshots
    and the benchmark, so they all start the app the same way."""
    from PySide6.QtWidgets import QApplication

    from ..store.accounts import Accounts
    from ..store.store import Store
    from .account import ActiveAccount
    from .context import AppContext
    from .main_window import MainWindow
    from .settings import Preferences
    from .style import apply_style

    data_dir = Path(data_dir)
    app = app or QApplication.instance()
    apply_style(app)
    store = Store.open(Accounts(data_dir).active_database())  # the active account's database
    account = ActiveAccount(data_dir, store)
    ops = account.ops
    prefs = Preferences(data_dir)
    ctx = AppContext(data_dir=data_dir, account=account, prefs=prefs)
    if today is not None:
        ctx.today = today
    window = MainWindow(ctx)
    if background_sync:
        # requests + pydantic take most of a second to import: do it on the pool once the window
        # has been drawn, so the import does not compete with the first paint for the GIL.
        from PySide6.QtCore import QTimer

        QTimer.singleShot(SYNC_IMPORT_DELAY_MS, lambda: ops.submit(
            lambda: _make_bridge(ctx), writer=False, done=lambda b: _attach(ctx, window, b, start_sync),
            failed=lambda e: window.statusBar().showMessage(f"Sync is unavailable: {e}", 10000)))
    else:
        _attach(ctx, window, _make_bridge(ctx), start_sync)
    return ctx, window


def _make_bridge(ctx):
    """Import the sync layer and make the service (safe on a worker: no Qt objects here)."""
    from ..sync.service import SyncService
    from . import sync_bridge  # noqa: F401 (imported here, off the UI thread)

    return SyncService(ctx.data_dir, store=ctx.store)


def _attach(ctx, window, service, start: bool) -> None:
    from .sync_bridge import SyncBridge

    ctx.account.attach_service(service)
    bridge = SyncBridge(ctx.account, auto_sync=bool(ctx.prefs.get("sync/auto")))
    window.attach_sync(bridge)
    if start:
        bridge.start()  # reads the account (and the keyring) on the pool
    else:
        bridge.refresh_account()


def shutdown(ctx) -> None:
    """Finish queued writes (drafts, saves), then close the database."""
    if ctx.sync is not None:
        ctx.sync.stop()
    ctx.ops.shutdown()
    if ctx.sync is not None:
        ctx.sync.service.close()
    else:
        ctx.store.close()


def run(data_dir: Path) -> int:
    if not has_display():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 2
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ..core.errors import FieldKitError
    from .icons import app_icon

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName("FacilitatorFieldKit")
    QCoreApplication.setApplicationName("Facilitator Field Kit")
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv))
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("facilitator-field-kit")
    try:
        ctx, window = build(data_dir, app=app, background_sync=True)
    except FieldKitError as exc:  # a damaged or newer database file: say so, touch nothing
        QMessageBox.critical(None, "Facilitator Field Kit cannot open your data", str(exc))
        print(f"error: {exc}", file=sys.stderr)
        return 1
    window.show()
    window.maybe_first_start()
    try:
        return app.exec()
    finally:
        shutdown(ctx)

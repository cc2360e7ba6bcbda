"""The self-check's GUI step: build the real main window, show it, close it.

Kept in ui/ because it is the one step that loads Qt; `facilitator_app.selfcheck` imports this
module only when it runs that step, so its other checks and the headless commands never load Qt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import cast

from PySide6.QtCore import QSize, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from ..selfcheck import CheckFailed, offscreen_environment
from . import app as gui
from .icons import app_icon, icon_dir


def build_main_window_offscreen(data_dir: Path) -> str:
    """Build the real main window the way `facilitator-app` does, show it, and close it.

    Qt draws offscreen unless QT_QPA_PLATFORM names another platform (so the installer test
    can also try `xcb` under Xvfb).
    """
    if not os.environ.get("QT_QPA_PLATFORM"):
        offscreen_environment()

    # Qt's own warnings (e.g. the offscreen platform's "does not support propagateSizeHints")
    # would clutter the report; keep them, and show them only if the check fails.
    qt_messages: list[str] = []
    previous = qInstallMessageHandler(lambda _kind, _context, message: qt_messages.append(message))
    try:
        return _show_main_window(Path(data_dir))
    except Exception as exc:
        if qt_messages:
            raise CheckFailed(f"{exc} (Qt said: {'; '.join(qt_messages[-3:])})") from exc
        raise
    finally:
        qInstallMessageHandler(previous)


def _show_main_window(data_dir: Path) -> str:
    app = cast(QApplication, QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "facilitator-app"]))
    data_dir.mkdir(parents=True, exist_ok=True)
    ctx, window = gui.build(data_dir, app=app, start_sync=False)
    try:
        window.show()
        app.processEvents()
        if not window.isVisible():
            raise CheckFailed("the main window did not show")
        title = window.windowTitle()
        if app_icon().isNull():
            raise CheckFailed(f"no app icon found in {icon_dir()}")
        # SVG icons need Qt's svg icon engine plugin; a trimmed bundle can lose it.
        svg = icon_dir() / "app.svg"
        if svg.exists() and QIcon(str(svg)).pixmap(QSize(32, 32)).isNull():
            raise CheckFailed("SVG icons cannot be drawn (Qt's svg icon engine plugin is missing)")
        widgets = len(window.findChildren(QWidget))
    finally:
        window.close()
        gui.shutdown(ctx)
        window.deleteLater()
        app.processEvents()
    return f"{title!r} built and shown on Qt platform {app.platformName()}, {widgets} widgets"

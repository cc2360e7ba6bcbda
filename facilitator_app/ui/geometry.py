"""Window geometry that fits the screen: the app must open whole on a 1366x768 laptop.

Why here and not just `resize(1200, 800)`: 800 pixels plus a title bar and a task bar do not fit
in 768, and a restored geometry saved on a larger monitor can be larger than the laptop's screen.
Both go through `fit_rect`: the window's frame (title bar, borders) is subtracted from the
screen's available area (without task bars and docks) first. Before the window manager has
framed the window its margins are unknown, so a typical frame is assumed until then.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# A title bar and borders as on Windows 10/11, GNOME and KDE, used until the real frame is known.
FRAME_GUESS = QMargins(8, 32, 8, 8)


def frame_margins(window: QWidget) -> QMargins:
    """The window's real frame once it is shown and framed, else FRAME_GUESS."""
    handle = window.windowHandle()
    if handle is not None and window.isVisible():
        margins = handle.frameMargins()
        if not margins.isNull():
            return margins
        if QGuiApplication.platformName() in ("offscreen", "minimal") or window.isFullScreen():
            return margins  # no window manager: no frame
    return FRAME_GUESS


def available_area(window: QWidget) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_rect(client: QRect, area: QRect, frame: QMargins, *, center: bool = False) -> QRect:
    """`client` (the window's inside, as QWidget.geometry) shrunk and moved so that the window
    with its frame lies inside `area`; centred in `area` if `center`."""
    max_w = max(1, area.width() - frame.left() - frame.right())
    max_h = max(1, area.height() - frame.top() - frame.bottom())
    w, h = min(client.width(), max_w), min(client.height(), max_h)
    left, top = area.left() + frame.left(), area.top() + frame.top()
    if center:
        x, y = left + (max_w - w) // 2, top + (max_h - h) // 2
    else:
        x = min(max(client.x(), left), left + max_w - w)
        y = min(max(client.y(), top), top + max_h - h)
    return QRect(x, y, w, h)


def fit_to_screen(window: QWidget, preferred: QSize) -> None:
    """Give a new window its preferred size, or less on a small screen, centred."""
    window.setGeometry(fit_rect(QRect(0, 0, preferred.width(), preferred.height()), available_area(window),
                                frame_margins(window), center=True))


def clamp_to_screen(window: QWidget) -> None:
    """Shrink and move a (restored) window so that it lies inside its screen's available area."""
    if window.isMaximized() or window.isFullScreen():
        return
    rect = fit_rect(window.geometry(), available_area(window), frame_margins(window))
    if rect != window.geometry():
        window.setGeometry(rect)

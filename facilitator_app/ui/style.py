"""Look and feel: the Fusion style on the system palette (light or dark), plus a small stylesheet
from resources/styles that only uses palette roles, so it follows the system theme."""

from __future__ import annotations

from ..paths import resource

STYLESHEET = "app.qss"


def apply_style(app) -> None:
    if app is None or app.property("ffk_styled"):
        return
    app.setStyle("Fusion")
    path = resource("styles", STYLESHEET)
    if path.exists():
        app.setStyleSheet(path.read_text(encoding="utf-8"))
    app.setProperty("ffk_styled", True)

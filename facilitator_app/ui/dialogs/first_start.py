"""First start with an empty database: sign in to a server, start with demo data, or start empty."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCommandLinkButton, QDialog, QLabel, QVBoxLayout, QWidget

SIGN_IN, DEMO, EMPTY = "sign_in", "demo", "empty"


class FirstStartDialog(QDialog):
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to Facilitator Field Kit")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel("Keep your practice facilitation records on this computer, with or without a network. "
                       "How would you like to start?")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.buttons = {}
        for key, title, text in (
                (SIGN_IN, "Sign in to my cooperative's server",
                 "Your assigned practices are downloaded, and what you record syncs when you are online."),
                (DEMO, "Start with demo data",
                 "Twelve made-up practices with a year of visits, to try the app. Demo records are never synced."),
                (EMPTY, "Start empty", "Add your own practices. You can sign in to a server later; "
                                       "everything you recorded is then sent.")):
            button = QCommandLinkButton(title, text)
            button.setAccessibleName(title)
            button.clicked.connect(lambda _=False, k=key: self._choose(k))
            layout.addWidget(button)
            self.buttons[key] = button
        self.resize(520, 360)

    def _choose(self, key: str) -> None:
        self.chosen.emit(key)
        self.accept()

"""First start with an empty database: sign in to a server, start with demo data, or start empty;
then (demo or empty) a short "About you" step, since every leave-behind names its facilitator.

Signing in asks "About you" later, only if the server's account does not give a name.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.model import FacilitatorProfile
from .about_you import WHY, AboutYouForm

SIGN_IN, DEMO, EMPTY = "sign_in", "demo", "empty"


class FirstStartDialog(QDialog):
    # (choice, FacilitatorProfile typed in the About-you step, or None when signing in)
    chosen = Signal(str, object)

    def __init__(self, parent: QWidget | None = None, *, profile: FacilitatorProfile | None = None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to Facilitator Field Kit")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.choice: str | None = None
        self.pages = QStackedWidget()

        start = QWidget()
        sl = QVBoxLayout(start)
        sl.setContentsMargins(0, 0, 0, 0)
        intro = QLabel("Keep your practice facilitation records on this computer, with or without a network. "
                       "How would you like to start?")
        intro.setWordWrap(True)
        sl.addWidget(intro)
        self.buttons: dict[str, QCommandLinkButton] = {}
        for key, title, text in (
                (SIGN_IN, "&Sign in to my cooperative's server",
                 "Your assigned practices are downloaded, and what you record syncs when you are online."),
                (DEMO, "Start with &demo data",
                 "Twelve made-up practices with a year of visits, to try the app. Demo records are never synced."),
                (EMPTY, "Start &empty", "Add your own practices. You can sign in to a server later; "
                                        "everything you recorded is then sent.")):
            button = QCommandLinkButton(title, text)
            button.setAccessibleName(title.replace("&", ""))
            button.setAccessibleDescription(text)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, k=key: self._choose(k))
            sl.addWidget(button)
            self.buttons[key] = button
        sl.addStretch(1)

        about = QWidget()
        al = QVBoxLayout(about)
        al.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("<b>About you</b>")
        why = QLabel(WHY)
        why.setWordWrap(True)
        self.about = AboutYouForm(about)
        if profile is not None:
            self.about.set_value(profile)
        self.back = QPushButton("&Back")
        self.back.setAutoDefault(False)
        self.back.clicked.connect(self._back)
        self.start = QPushButton("S&tart")
        self.start.setDefault(True)  # Enter in a field starts, once the name is there
        self.start.clicked.connect(self._finish)
        row = QHBoxLayout()
        row.addWidget(self.back)
        row.addStretch(1)
        row.addWidget(self.start)
        al.addWidget(heading)
        al.addWidget(why)
        al.addWidget(self.about)
        al.addStretch(1)
        al.addLayout(row)

        self.pages.addWidget(start)
        self.pages.addWidget(about)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.resize(540, 330)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self.pages.currentIndex() == 0:
            self.buttons[SIGN_IN].setFocus(Qt.FocusReason.TabFocusReason)  # a visible focus from the start

    def _choose(self, key: str) -> None:
        if key == SIGN_IN:
            self.chosen.emit(key, None)
            self.accept()
            return
        self.choice = key
        self.pages.setCurrentIndex(1)
        self.start.setText("S&tart with demo data" if key == DEMO else "S&tart")
        self.about.name.setFocus(Qt.FocusReason.TabFocusReason)

    def _back(self) -> None:
        self.pages.setCurrentIndex(0)
        self.buttons[self.choice or SIGN_IN].setFocus(Qt.FocusReason.TabFocusReason)

    def _finish(self) -> None:
        profile = self.about.checked()
        if profile is None or self.choice is None:
            return
        self.chosen.emit(self.choice, profile)
        self.accept()

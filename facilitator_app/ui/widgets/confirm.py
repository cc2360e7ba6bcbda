"""A yes/no question in a window-modal box that says plainly what will happen.

Why not QMessageBox.question: it blocks in a nested event loop, which a keyboard test cannot
drive and which stalls the background ops' results; this box is opened and answers through a
callback. The action button is the default (Enter), Esc cancels."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, action: str, then: Callable[[], None], *,
            informative: str = "", after: Callable[[], None] | None = None) -> QMessageBox:
    """Ask; `then()` runs if the user chose `action` (a button label with its &mnemonic);
    `after()` runs either way (to put the focus back)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent.window())
    if informative:
        box.setInformativeText(informative)
    button = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(button)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(_result: int) -> None:
        if box.clickedButton() is button:
            then()
        if after is not None:
            after()
    box.finished.connect(finished)
    box.open()
    return box

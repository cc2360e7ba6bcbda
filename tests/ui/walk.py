"""Walk a window's widgets as a keyboard or screen-reader user meets them: its controls, their
names, and the Alt+letter mnemonics that are live (on visible labels with a buddy, buttons, tabs)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QCalendarWidget,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QWidget,
)

CONTROLS = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractItemView, QPlainTextEdit, QTextEdit,
            QTabBar)
# A control inside one of these is one of its parts (a spin box's line edit, a combo box's list,
# a header, the clear button of a search field), named by the whole.
COMPOUND = (QAbstractSpinBox, QComboBox, QLineEdit, QTabBar, QCalendarWidget, QScrollBar)
_MNEMONIC = re.compile(r"(?<!&)&([^&\s])")


def mnemonic(text: str) -> str | None:
    found = _MNEMONIC.search(text or "")
    return found.group(1).lower() if found else None


def _part_of_another(w: QWidget, window: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, COMPOUND):
            return True
        if isinstance(parent, QAbstractItemView):
            # Widgets placed in cells (children of the viewport) are controls; headers, the corner
            # button and editors' parts are the view's own.
            return w.parentWidget() is not parent.viewport()
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, QAbstractItemView) \
                and w in (parent.horizontalScrollBar(), parent.verticalScrollBar()):
            return True
        parent = parent.parentWidget()
    return False


def controls(window: QWidget) -> list[QWidget]:
    """Every control of `window` a keyboard user can reach (visible or on another page/tab)."""
    out = []
    for w in window.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or w.window() is not window or _part_of_another(w, window):
            continue
        if isinstance(w, QAbstractButton) and w.objectName() == "qt_toolbutton":
            continue
        if not (w.focusPolicy().value & 0x1):  # Qt.TabFocus: reached by Tab
            if not isinstance(w, QAbstractButton):  # buttons with click focus still need a name
                continue
        out.append(w)
    return out


def buddies(window: QWidget) -> dict[int, QLabel]:
    return {id(label.buddy()): label for label in window.findChildren(QLabel) if label.buddy() is not None}


def name_of(w: QWidget, labels: dict[int, QLabel]) -> str:
    """The name a screen reader says: the accessible name, a buddy label, a button's own text, or
    for a tab bar the name of its tab widget."""
    if w.accessibleName():
        return w.accessibleName()
    if id(w) in labels:
        return labels[id(w)].text().replace("&", "")
    if isinstance(w, QAbstractButton) and w.text().strip():
        return w.text().replace("&", "")
    if isinstance(w, QTabBar) and isinstance(w.parentWidget(), QTabWidget) and w.parentWidget().accessibleName():
        return w.parentWidget().accessibleName()
    return ""


def unnamed(window: QWidget) -> list[str]:
    labels = buddies(window)
    return [f"{type(w).__name__} ({w.objectName() or w.toolTip() or w.parentWidget().__class__.__name__})"
            for w in controls(window) if not name_of(w, labels)]


def live_mnemonics(window: QWidget) -> list[tuple[str, str]]:
    """(letter, owner) of every mnemonic Alt+letter would trigger now in `window`."""
    found: list[tuple[str, str]] = []
    for w in window.findChildren(QWidget):
        if w.window() is not window or not w.isVisibleTo(window):
            continue
        if isinstance(w, QAbstractButton) and w.isEnabled():
            letter = mnemonic(w.text())
            if letter:
                found.append((letter, f"button {w.text()!r}"))
        elif isinstance(w, QLabel) and w.buddy() is not None:
            letter = mnemonic(w.text())
            if letter:
                found.append((letter, f"label {w.text()!r}"))
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                letter = mnemonic(w.tabText(i))
                if letter and w.isTabEnabled(i) and w.isTabVisible(i):
                    found.append((letter, f"tab {w.tabText(i)!r}"))
        elif isinstance(w, QGroupBox) and w.isCheckable():
            letter = mnemonic(w.title())
            if letter:
                found.append((letter, f"group {w.title()!r}"))
    return found


def clashes(window: QWidget) -> dict[str, list[str]]:
    by_letter: dict[str, list[str]] = {}
    for letter, owner in live_mnemonics(window):
        by_letter.setdefault(letter, []).append(owner)
    return {k: v for k, v in by_letter.items() if len(v) > 1}

"""The reference visit, logged with the keyboard alone: shared by tests/ui/test_keyboard_visit.py
(which checks every stored field) and bench/visit_keyboard_bench.py (which counts keystrokes and
times the run).

The reference visit: a 1-hour on-site visit to Lakeside Clinic, 2 of its 3 contacts present, 2
strategies worked on (one implemented, one in progress), 2 new next steps with an owner and a
due date, the overdue step of the last visit marked done, then the leave-behind saved as PDF
(the file dialog accepted with Enter).

Every key goes to QApplication.focusWidget(), as a keyboard would send it; nothing clicks and
nothing calls a widget. `press` is a navigation or command key (counted); `type` is text typed
into the focused text field (not counted, and refused if the focus is not a text field).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QWidget

from facilitator_app.core.model import Contact, FacilitationPlan, FacilitatorProfile, NextStep, Practice, Visit

CTRL, SHIFT, ALT = (Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier,
                    Qt.KeyboardModifier.AltModifier)
NONE = Qt.KeyboardModifier.NoModifier
K = Qt.Key

PROFILE = FacilitatorProfile("Renée Haddad", "renee.haddad@example.org", "(312) 555-0147")
CONTACTS = (("Ana Muñoz", "practice_leader"), ("Ben Ode", "ma_nurse"), ("Carla Diaz", "office_manager"))
SELECTED = ["B1", "B2", "S4"]  # the practice's plan: these strategies come first in the form
STEP_1 = ("Fax the quitline referrals for March", "Ben Ode", "+2w")
STEP_2 = ("Share the BP registry with the care team", "Ana Muñoz", "+1m")


@dataclass
class Reference:
    """What the script works on, made by `setup`."""

    practice: Practice
    last_visit: Visit
    overdue_step: NextStep  # of the last visit, marked done in this one
    later_step: NextStep  # of the last visit, kept open
    today: date


def setup(store, toolkit, today: date, pdf_folder: Path, prefs) -> Reference:
    """A practice with 3 contacts, a plan, and a visit four weeks ago that left two next steps."""
    from facilitator_app.ui.settings import REPORT_FOLDER_KEY

    p = Practice(name="Lakeside Clinic", state="IL")
    store.save_practice(p, today=today)
    for name, role in CONTACTS:
        store.save_contact(Contact(p.id, name, role), today=today)
    store.save_plan(FacilitationPlan(p.id, selected_strategies=SELECTED), toolkit, today=today)
    last = Visit(p.id, today - timedelta(days=28), minutes=45)
    overdue = NextStep(p.id, last.id, "Order validated BP cuffs", owner="Ana Muñoz", due=today - timedelta(days=7))
    later = NextStep(p.id, last.id, "Print the quitline fax form", owner="Ben Ode", due=today + timedelta(days=7))
    store.save_visit(last, toolkit, steps=[overdue, later], today=today)
    store.set_facilitator_profile(PROFILE)
    prefs.set_raw(REPORT_FOLDER_KEY, str(pdf_folder))  # where Save PDF… starts (the user's last folder)
    return Reference(p, last, overdue, later, today)


@dataclass
class Driver:
    """Sends keys to the focused widget and keeps count."""

    settle: Callable[[float], None]  # process events, finish background work, and go on for N more seconds
    commands: int = 0  # non-text keystrokes: navigation and commands
    characters: int = 0  # characters typed into text fields
    log: list[str] = field(default_factory=list)

    @staticmethod
    def focus() -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "no widget has the keyboard focus"
        return widget

    def press(self, key: Qt.Key, mods: Qt.KeyboardModifier = NONE, *, text: str = "") -> None:
        widget = self.focus()
        name = QKeySequence(mods.value | key.value).toString()
        self.log.append(f"{name:<14} on {type(widget).__name__} {widget.accessibleName() or widget.objectName()!r}")
        if text:
            QTest.keyClick(widget, text, mods)
        else:
            QTest.keyClick(widget, key, mods)
        self.commands += 1
        self.settle(0)

    def type(self, text: str) -> None:
        for ch in text:
            widget = self.focus()
            assert isinstance(widget, (QLineEdit, QPlainTextEdit)) or (
                isinstance(widget, QComboBox) and widget.isEditable()), \
                f"typing {text!r} into {type(widget).__name__} {widget.accessibleName()!r}, not a text field"
            QTest.keyClick(widget, ch)
            self.characters += 1
        self.log.append(f"typed {text!r}")
        self.settle(0)

    def wait_for(self, what: str, ready: Callable[[], bool], timeout: float = 15.0) -> None:
        end = time.monotonic() + timeout
        while not ready():
            assert time.monotonic() < end, f"timed out waiting for {what}; keys so far:\n" + "\n".join(self.log)
            self.settle(0)


def log_reference_visit(driver: Driver, window) -> None:
    """The keys of the reference visit, from the Practice screen of Lakeside Clinic to the saved PDF.

    `window` is only read (to wait for the form and the file dialog to appear)."""
    from PySide6.QtWidgets import QFileDialog

    from facilitator_app.ui.dialogs.visit_form import VisitForm

    d = driver
    d.press(K.Key_N, CTRL)  # new visit for the practice on screen
    d.wait_for("the visit form", lambda: isinstance(QApplication.activeWindow(), VisitForm))
    # Since last visit has the focus, on its first (soonest due, overdue) step: D marks it done.
    d.press(K.Key_D, text="d")
    # Attendees: all three contacts are ticked; Carla was not there.
    d.press(K.Key_A, ALT)
    d.press(K.Key_Down)
    d.press(K.Key_Down)
    d.press(K.Key_Space)
    # Strategies: the practice's own come first (B1, B2, S4). B1 implemented, B2 in progress.
    d.press(K.Key_S, ALT)
    d.press(K.Key_Space)  # tick B1
    d.press(K.Key_F4)  # its Status after list (In progress)
    d.press(K.Key_Down)  # Implemented
    d.press(K.Key_Return)
    d.press(K.Key_Down)  # B2
    d.press(K.Key_Space)  # tick: In progress by default
    # Next steps: action, owner (picked by its first letters), due as a shortcut.
    d.press(K.Key_N, ALT)
    for i, (action, owner, due) in enumerate((STEP_1, STEP_2)):
        if i:
            d.press(K.Key_Tab)  # from the due date on to the new line that appeared
        d.type(action)
        d.press(K.Key_Tab)
        d.type(owner.split()[0])  # "Ben": the list completes "Ben Ode"
        d.press(K.Key_Tab)
        d.type(due)
    # Save, then the leave-behind as PDF: the file dialog proposes a name; Enter saves it there.
    d.press(K.Key_S, CTRL | SHIFT)
    d.wait_for("the Save PDF dialog", lambda: isinstance(QApplication.activeWindow(), QFileDialog)
               and isinstance(QApplication.focusWidget(), QLineEdit))
    d.press(K.Key_Return)
    d.wait_for("the PDF", lambda: window.last_pdf is not None and Path(window.last_pdf).exists())

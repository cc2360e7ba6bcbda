"""The visit form: log one encounter quickly, keyboard only, without ever losing what was typed.

Built from sections (ui/dialogs/visit/): since last visit, when and how, attendees, strategies,
next steps, notes, PDSA. Each shows and gives back its part (`set_value` / `value`) and knows
whether the user changed it (`dirty`, signal `changed`); the form reads them once when saving.

Why a draft on every change: facilitators type in parking lots on old laptops; a crash, a flat
battery or a stray Close must not cost them the visit. The form's contents go to the store's
drafts table (a debounced write on the writer thread) and come back when the form reopens. The
draft is dropped only after the visit itself has committed, or when the user discards it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.dates import DateTextError
from ...core.errors import FieldProblem, ValidationError
from ...core.model import Attendee, NextStep, StepClosure, Visit
from ..context import AppContext
from ..geometry import fit_to_screen
from ..ops import StoreOp, describe_error
from ..views.practice.bundle import PracticeBundle
from ..widgets.field_errors import FieldErrors, error_label
from ..widgets.keyboard import wheel_follows_focus
from .visit.attendees import AttendeesSection
from .visit.draft import DRAFT_KIND, Draft, StepEntry, build_payload, draft_key, find_draft_for_practice, read_payload
from .visit.next_steps import NextStepsSection, NextStepsValue
from .visit.notes import NotesSection
from .visit.pdsa import PdsaSection
from .visit.section import Section, no_default_buttons, refresh_heights
from .visit.since_last import SinceLastSection, review_rows
from .visit.strategies import StrategiesSection
from .visit.when import WhenSection

__all__ = ["DRAFT_KIND", "VisitForm", "draft_key", "find_draft_for_practice"]

DRAFT_DELAY_MS = 300
PREFERRED_SIZE = QSize(1080, 960)  # shrinks to the screen's free area (1366x768 laptops)
# What the form does once the visit is saved.
JUST_SAVE, THEN_PRINT, THEN_PDF = "", "print", "pdf"


class VisitForm(QDialog):
    saved = Signal(str, bool)  # visit id, print requested
    pdf_requested = Signal(str)  # visit id: save its leave-behind as PDF (asked for with the save)

    def __init__(self, ctx: AppContext, bundle: PracticeBundle, *, visit: Visit | None = None,
                 draft: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle = bundle
        self.today = ctx.today()
        self._saving = False
        self._validated_once = False
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._draft_timer = QTimer(self, singleShot=True, interval=DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft_now)

        restored: Draft | None = None
        draft_problem = ""
        if draft:
            try:
                restored = read_payload(draft)
            except (ValueError, TypeError) as exc:
                draft_problem = str(exc)
        self.is_new = restored.is_new if restored else visit is None
        if restored:
            visit = restored.visit  # continue the drafted visit itself (same id): saving replaces the draft
        elif visit is None:
            visit = Visit(practice_id=bundle.id, date=self.today, minutes=int(ctx.prefs.get("visit/default_minutes")),
                          start_time=_now_rounded(), attendees=[Attendee(c.name, c.role) for c in bundle.contacts])
        self.visit_id = visit.id
        self._original = visit
        self.setWindowTitle(f"{'New visit' if self.is_new else 'Visit'}: {bundle.practice.name}")
        self._build()

        own = sorted((s for s in bundle.steps if s.visit_id == visit.id), key=lambda s: s.position)
        self.next_steps.set_saved(own)
        self.since_last.set_rows(review_rows(bundle.steps, visit.id, visit.date))
        self.restored_from: str | None = None
        if restored:
            reviewed = {r.id for r in self.since_last.rows}
            self._load(visit, restored.steps, [c for c in restored.closures if c.step_id in reviewed])
            self.restored_from = restored.saved_at
            when = self.restored_from.replace("T", " at ") if self.restored_from else "earlier"
            self._say_banner(f"Restored the unsaved draft from {when}. Save it, or press Discard draft to start over.")
        else:
            self._load(visit, [StepEntry(s.id, s.action, s.owner, s.due.isoformat() if s.due else "") for s in own], [])
            if draft_problem:
                self._say_banner(f"A draft of this visit could not be restored ({draft_problem}). It is kept as it "
                                 "was; Today lists it.")
        for section in self.sections:
            section.changed.connect(self._changed)
        self.attendees.changed.connect(self._update_people)
        self.when.date_changed.connect(self.next_steps.set_base_date)
        QApplication.instance().focusChanged.connect(self._reveal_focus)
        fit_to_screen(self, PREFERRED_SIZE)
        self._first_focus().setFocus(Qt.FocusReason.OtherFocusReason)

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        b = self.bundle
        self.errors = FieldErrors(error_label(self))
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setAccessibleName("Draft restored")
        self.banner.setStyleSheet("background: palette(alternate-base); padding: 6px; border-radius: 4px;")
        self.draft_state = QLabel()
        self.draft_state.setAccessibleName("Draft status")

        # The page is in place before the sections are made inside it: moving a finished section
        # into a page would re-style every widget in it again (slow with the app's style sheet).
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the page is not a stop of its own
        self.body = QWidget()
        self.scroll.setWidget(self.body)
        bl = QVBoxLayout(self.body)
        bl.addWidget(self.banner)
        page = self.body
        self.since_last = SinceLastSection(self.errors, today=self.today, parent=page)
        self.when = WhenSection(self.errors, page)
        self.attendees = AttendeesSection(self.errors, b.contacts, page)
        self.strategies = StrategiesSection(self.errors, self.ctx.toolkit, b.checklist,
                                            b.plan.selected_strategies if b.plan else [], page, tips=b.suitable_tips)
        self.next_steps = NextStepsSection(self.errors, page)
        self.notes = NotesSection(self.errors, page)
        self.pdsa = PdsaSection(self.errors, page)
        self.sections: list[Section] = [self.since_last, self.when, self.attendees, self.strategies, self.next_steps,
                                        self.notes, self.pdsa]
        for section in self.sections:
            bl.addWidget(section)
        bl.addStretch(1)
        # Scrolling the page past a field never changes it (tables do this through their keyboard helper).
        for w in self.body.findChildren(QWidget):
            if isinstance(w, (QAbstractSpinBox, QComboBox, QPlainTextEdit)) and not _in_table(w):
                wheel_follows_focus(w)

        self.discard_button = QPushButton("Discard draft…")
        self.discard_button.setToolTip("Throw away everything typed since the visit was last saved (asks first)")
        self.discard_button.clicked.connect(self._confirm_discard)
        self.close_button = QPushButton("Close (keeps draft)")
        self.close_button.setToolTip("Esc: close; what you typed stays as a draft")
        self.close_button.clicked.connect(self.close)
        self.pdf_button = QPushButton("Save and PD&F…")
        self.pdf_button.setAccessibleName("Save the visit, then save its leave-behind as PDF")
        self.pdf_button.setToolTip("Ctrl+Shift+S")
        self.pdf_button.clicked.connect(lambda: self.save(then=THEN_PDF))
        self.print_button = QPushButton("Save and &print…")
        self.print_button.setAccessibleName("Save the visit, then print its leave-behind")
        self.print_button.setToolTip("Ctrl+P")
        self.print_button.clicked.connect(lambda: self.save(then=THEN_PRINT))
        self.save_button = QPushButton("Sa&ve visit")
        self.save_button.setAccessibleName("Save visit")
        self.save_button.setToolTip("Ctrl+S")
        self.save_button.clicked.connect(lambda: self.save())
        buttons = QHBoxLayout()
        buttons.addWidget(self.draft_state, 1)
        for button in (self.discard_button, self.close_button, self.pdf_button, self.print_button, self.save_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.errors.general)
        layout.addLayout(buttons)
        no_default_buttons(self)  # Enter in a field never presses a button
        for keys, then in (("Ctrl+S", JUST_SAVE), ("Ctrl+Return", JUST_SAVE), ("Ctrl+P", THEN_PRINT),
                           ("Ctrl+Shift+S", THEN_PDF)):
            QShortcut(QKeySequence(keys), self, activated=lambda then=then: self.save(then=then))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        for table in self.body.findChildren(QTableWidget):
            refresh_heights(table)  # sized to their rows before the page was laid out

    def _first_focus(self) -> QWidget:
        """The first thing to do: review the open steps if there are any, else the visit's date."""
        return self.since_last.table if self.since_last.rows else self.when.date

    def _reveal_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Keep the focused field on screen, however it got the focus (Tab, Alt+letter, a click)."""
        if not shiboken6.isValid(self) or new is None or not self.body.isAncestorOf(new):
            return
        self.scroll.ensureWidgetVisible(new, 40, 40)

    def _say_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(True)

    # -- values ---------------------------------------------------------------------------

    def _load(self, visit: Visit, steps: list[StepEntry], closures: list[StepClosure]) -> None:
        for section in (self.when, self.attendees, self.strategies, self.notes, self.pdsa):
            section.set_value({f: getattr(visit, f) for f in section.FIELDS})
        self.next_steps.set_base_date(visit.date)
        self.next_steps.set_value(NextStepsValue(steps, visit.next_contact))
        self.since_last.set_value(closures)
        self._update_people()

    def _update_people(self) -> None:
        """Owners offered for next steps: today's attendees first, then the other contacts."""
        names = self.attendees.present_names() + [c.name for c in self.bundle.contacts]
        self.next_steps.set_people(list(dict.fromkeys(n for n in names if n)))

    @property
    def dirty(self) -> bool:
        """The user changed something since the form opened (or was restored from a draft)."""
        return any(section.dirty for section in self.sections)

    def commit_editors(self) -> None:
        for section in self.sections:
            section.commit_editor()

    def read(self) -> tuple[Visit, list[NextStep], list[StepClosure], list[FieldProblem]]:
        """The whole form once: the visit, its next steps, the closures of earlier steps, and every
        problem (the form's own, such as a due date it cannot read, and the records' validation)."""
        visit, planned = self._visit_and_plan()
        problems: list[FieldProblem] = []
        steps = []
        for i, entry in enumerate(planned.steps, 1):
            try:
                due = self.next_steps.parse_due(entry, planned.next_contact)
            except DateTextError as exc:
                problems.append(FieldProblem("next_steps", f"Next step {i}: {exc}"))
                due = None
            steps.append(NextStep(visit.practice_id, visit.id, entry.action, id=entry.id, owner=entry.owner, due=due,
                                  position=i - 1))
            try:
                steps[-1].validate(today=self.today)
            except ValidationError as exc:
                problems += [FieldProblem("next_steps", f"Next step {i}: {p.message}") for p in exc.problems]
        closures = self.since_last.value()
        problems += [FieldProblem("closures", message) for message in self.since_last.problems()]
        try:
            visit.validate(today=self.today, strategy_ids=self.ctx.toolkit.ids)
        except ValidationError as exc:
            problems += exc.problems
        return visit, steps, closures, problems

    def _visit_and_plan(self) -> tuple[Visit, NextStepsValue]:
        fields: dict[str, Any] = {}
        for section in (self.when, self.attendees, self.strategies, self.notes, self.pdsa):
            fields.update(section.value())
        planned = self.next_steps.value()
        return dataclasses.replace(self._original, next_contact=planned.next_contact, **fields), planned

    def value(self) -> Visit:
        return self._visit_and_plan()[0]

    def problems(self) -> list[FieldProblem]:
        return self.read()[3]

    # -- drafts ---------------------------------------------------------------------------

    def _changed(self) -> None:
        if self._saving:
            return
        self.draft_state.setText("Editing…")
        self._draft_timer.start()
        if self._validated_once:
            self._show_problems(self.problems())

    def draft_payload(self) -> dict[str, Any]:
        visit, planned = self._visit_and_plan()
        return build_payload(visit, planned.steps, self.since_last.value(), is_new=self.is_new,
                             saved_at=datetime.now())

    def save_draft_now(self) -> None:
        """Queue the draft write on the writer thread (ordered before any later save)."""
        if self._saving:
            return
        self.commit_editors()
        self._draft_timer.stop()
        payload, key = self.draft_payload(), draft_key(self.visit_id)
        state = self.draft_state
        StoreOp(self.ctx.ops, lambda s: s.save_draft(key, DRAFT_KIND, payload)).success(
            lambda _r: state.setText(f"Draft saved {datetime.now():%H:%M:%S}")).failure(
            lambda e: state.setText(f"Draft NOT saved: {describe_error(e)}")).run()

    def _keep_draft(self) -> None:
        """Closing without saving: what was typed becomes (or stays) the draft."""
        if self._saving:
            return
        self.commit_editors()
        if self.dirty:
            self.save_draft_now()

    def _confirm_discard(self) -> None:
        """The button asks first: a stray click must not throw away a visit's worth of typing."""
        answer = QMessageBox.question(
            self, "Discard this draft?", "Everything typed in this visit since it was last saved will be lost.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Discard:
            self.discard()

    def discard(self) -> None:
        self._saving = True  # no more draft writes
        self._draft_timer.stop()
        key = draft_key(self.visit_id)
        StoreOp(self.ctx.ops, lambda s: s.drop_draft(key)).run()
        self.reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._keep_draft()
        super().closeEvent(event)

    def reject(self) -> None:
        # Esc or Close: keep what was typed (the draft), then close.
        self._keep_draft()
        super().reject()

    # -- save -----------------------------------------------------------------------------

    def _show_problems(self, problems: list[FieldProblem]) -> None:
        if problems:
            self.errors.show(ValidationError(problems))
        else:
            self.errors.clear()

    def save(self, *, then: str = JUST_SAVE) -> None:
        """Save the visit, its next steps and the closures in one transaction, then print or save
        the PDF if asked (`then`)."""
        if self._saving:
            return
        self.commit_editors()
        visit, steps, closures, problems = self.read()
        self._validated_once = True
        if problems:
            self._show_problems(problems)
            self.draft_state.setText("Fix the problems marked in red, then save again")
            self._focus_first_problem(problems)
            return
        toolkit, key, today = self.ctx.toolkit, draft_key(self.visit_id), self.today
        self._saving = True
        self._draft_timer.stop()
        self._set_buttons(False)
        self.draft_state.setText("Saving…")

        def write(store):
            changes = store.save_visit(visit, toolkit, steps=steps, closures=closures, today=today)
            store.drop_draft(key)  # only after the visit itself has committed
            return changes

        StoreOp(self.ctx.ops, write, initiator=self).success(lambda _c: self._saved(visit.id, then)).failure(
            self._save_failed).run()

    def _focus_first_problem(self, problems: list[FieldProblem]) -> None:
        fields = {p.field for p in problems}
        for section in self.sections:
            if any(self.errors.labels.get(f) is not None and section.isAncestorOf(self.errors.labels[f])
                   for f in fields):
                self.scroll.ensureWidgetVisible(section, 0, 0)
                return

    def _set_buttons(self, enabled: bool) -> None:
        for button in (self.save_button, self.print_button, self.pdf_button):
            button.setEnabled(enabled)

    def _saved(self, visit_id: str, then: str) -> None:
        self.saved.emit(visit_id, then == THEN_PRINT)
        if then == THEN_PDF:
            self.pdf_requested.emit(visit_id)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._set_buttons(True)
        if isinstance(exc, ValidationError):
            self._show_problems(exc.problems)
        else:
            self.errors.show_message(f"The visit was not saved: {describe_error(exc)} Your draft is kept.")
        self.save_draft_now()
        self.draft_state.setText("Not saved; the draft is kept")


def _in_table(w: QWidget) -> bool:
    from PySide6.QtWidgets import QAbstractItemView

    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def _now_rounded() -> time:
    now = datetime.now()
    return time(now.hour, (now.minute // 15) * 15)


"""Next steps: what the practice and the facilitator agreed to do, each with an owner and a due
date, plus the date of the next contact.

One line per step (action, owner, due), and always one empty line at the end: typing in it makes
it a step and a new empty line appears (the only place rows are added). Keyboard: Tab and
Shift+Tab go through the fields in reading order, and from the empty line straight on to Next
contact; Enter moves to the next line's action; Ctrl+Delete (or the ✕) removes a step, after
asking. The owner is typed or picked from the practice's contacts and today's attendees; the due
date accepts +1w, +2w, +1m, next visit, tomorrow or a date, and the date it means is shown
beside it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ....core.dates import SHORTCUTS_HELP, DateTextError, parse_day
from ....core.model import new_id
from ....store.queries import StepRow
from ...labels import fmt_date
from ...widgets.date_field import DateField
from ...widgets.field_errors import ERROR_STYLE, FieldErrors
from .draft import StepEntry
from .section import Section, typed

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


@dataclass(frozen=True)
class NextStepsValue:
    steps: list[StepEntry]  # the filled lines, in order (ids kept)
    next_contact: date | None


class _Line:
    """The widgets of one step line."""

    def __init__(self, section: NextStepsSection, entry: StepEntry):
        self.section = section
        self.entry = entry  # as set (ids and original texts: an untouched text is kept exactly)
        self.action = QLineEdit(entry.action)
        self.owner = QComboBox()
        self.owner.setEditable(True)
        self.owner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.owner.completer().setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.owner.completer().setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.due = QLineEdit(entry.due_text)
        self.due.setPlaceholderText("+2w, next visit…")
        self.due.setToolTip(f"Type {SHORTCUTS_HELP}")
        self.resolved = QLabel()
        self.resolved.setMinimumWidth(130)
        self.status = QLabel()
        self.status.setStyleSheet("color: palette(placeholder-text);")
        self.remove = QToolButton(text="✕")
        self.remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+Delete in the line does it
        self.remove.setAutoRaise(True)
        self.remove.clicked.connect(lambda: section.remove_line(self))
        self.set_people(section.people, entry.owner)
        for w in (self.action, self.owner, self.owner.lineEdit(), self.due):
            w.installEventFilter(section)
        self.action.textChanged.connect(lambda _t: section.line_edited(self))
        self.owner.editTextChanged.connect(lambda _t: section.line_edited(self))
        self.due.textChanged.connect(lambda _t: section.line_edited(self))
        self.widgets = (self.action, self.owner, self.due, self.resolved, self.status, self.remove)

    def set_people(self, people: list[str], text: str | None = None) -> None:
        current = self.owner.currentText() if text is None else text
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItems(people)
        self.owner.setEditText(current)
        self.owner.blockSignals(False)

    def number(self, n: int, *, blank: bool) -> None:
        what = "New next step" if blank else f"Next step {n}"
        self.action.setAccessibleName(f"{what}: action")
        self.owner.setAccessibleName(f"{what}: owner")
        self.due.setAccessibleName(f"{what}: due date")
        self.remove.setAccessibleName(f"Remove next step {n}")
        self.remove.setToolTip("Remove this step (Ctrl+Delete)")
        self.action.setPlaceholderText("Type a new next step…" if blank else "")
        # The empty line's owner and due are skipped by Tab until it has an action.
        policy = Qt.FocusPolicy.ClickFocus if blank else Qt.FocusPolicy.StrongFocus
        self.owner.setFocusPolicy(policy)
        self.due.setFocusPolicy(policy)
        self.remove.setVisible(not blank)

    def is_blank(self) -> bool:
        return not (self.action.text().strip() or self.owner.currentText().strip() or self.due.text().strip())

    def value(self) -> StepEntry:
        e = self.entry
        return StepEntry(e.id, typed(self.action.text(), e.action), typed(self.owner.currentText(), e.owner),
                         typed(self.due.text(), e.due_text))


class NextStepsSection(Section[NextStepsValue]):
    def __init__(self, errors: FieldErrors, parent: QWidget | None = None):
        super().__init__("&Next steps", errors, parent)
        self.people: list[str] = []
        self.base_date = date.today()
        self.saved: dict[str, StepRow] = {}  # this visit's steps as stored (their status)
        self.lines: list[_Line] = []
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(3)
        # Lines made later come last in the window's focus chain; they are put back after this
        # anchor (made now, so in the section's place in the chain, and never shown).
        self._anchor = QWidget(self)
        self._anchor.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Qt orders only widgets that take focus
        self._anchor.setVisible(False)
        for col, text in enumerate(("Next step", "Owner", "Due", "Means")):
            head = QLabel(text)
            head.setStyleSheet("font-weight: bold;")
            self.grid.addWidget(head, 0, col)
        self.grid.setColumnStretch(0, 5)
        self.grid.setColumnStretch(1, 2)
        self.grid.setColumnStretch(2, 1)
        self.grid.setColumnMinimumWidth(2, 130)
        self.next_contact = DateField(optional=True)
        self.next_contact.setAccessibleName("Next contact date")
        self.next_contact.setMinimumWidth(140)
        self.next_contact.dateChanged.connect(lambda _d: self._resolve_all())
        hint = QLabel("A new line appears as you type. Due: " + SHORTCUTS_HELP + ". Ctrl+Delete removes a step.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")
        contact = QHBoxLayout()
        lab = QLabel("Ne&xt contact")
        lab.setBuddy(self.next_contact)
        contact.addWidget(lab)
        contact.addWidget(self.next_contact)
        contact.addWidget(errors.add("next_contact", self))
        contact.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.grid)
        layout.addWidget(errors.add("next_steps", self))
        layout.addWidget(hint)
        layout.addLayout(contact)
        self.watch(self.next_contact)
        self._append(StepEntry(new_id(), ""))

    # -- lines ------------------------------------------------------------------------------

    def _append(self, entry: StepEntry, at: int | None = None) -> _Line:
        line = _Line(self, entry)
        at = len(self.lines) if at is None else at
        self.lines.insert(at, line)
        self._relayout()
        return line

    def _relayout(self) -> None:
        for line in self.lines:
            for w in line.widgets:
                self.grid.removeWidget(w)
        for i, line in enumerate(self.lines):
            row = i + 1
            self.grid.addWidget(line.action, row, 0)
            self.grid.addWidget(line.owner, row, 1)
            self.grid.addWidget(line.due, row, 2)
            self.grid.addWidget(line.resolved, row, 3)
            self.grid.addWidget(line.status, row, 4)
            self.grid.addWidget(line.remove, row, 5)
            line.number(i + 1, blank=i == len(self.lines) - 1 and line.is_blank())
            self._resolve(line)
            self._show_status(line)
        chain = [self._anchor] + [w for line in self.lines for w in (line.action, line.owner, line.due)] + \
                [self.next_contact]
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    def line_edited(self, line: _Line) -> None:
        if self._loading:
            return
        self._resolve(line)
        if line is self.lines[-1] and not line.is_blank():
            line.number(len(self.lines), blank=False)
            self._append(StepEntry(new_id(), ""))
        self.touch()

    def remove_line(self, line: _Line, *, ask: bool = True) -> None:
        """Remove a step (asking first when it has text); the empty last line stays."""
        if line is self.lines[-1] and line.is_blank():
            return
        if ask and not line.is_blank():
            action = line.action.text().strip() or "this step"
            more = " It is deleted from the practice's next steps when you save the visit." \
                if line.entry.id in self.saved else ""
            box = QMessageBox(QMessageBox.Icon.Question, "Remove the next step?", f"Remove “{action}”?{more}",
                              parent=self.window())
            remove = box.addButton("&Remove", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setDefaultButton(remove)
            box.setEscapeButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() is not remove:
                return
        index = self.lines.index(line)
        self.lines.remove(line)
        for w in line.widgets:
            self.grid.removeWidget(w)
            w.deleteLater()
        self._relayout()
        self.lines[min(index, len(self.lines) - 1)].action.setFocus(Qt.FocusReason.OtherFocusReason)
        self.touch()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        line = next((ln for ln in self.lines if obj in (ln.action, ln.owner, ln.owner.lineEdit(), ln.due)), None)
        if line is None:
            return False
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Delete and mods == Qt.KeyboardModifier.ControlModifier:
            self.remove_line(line)
            return True
        if key in _ENTER and not mods & ~Qt.KeyboardModifier.KeypadModifier:
            # Enter goes to the next line's action (never a dialog's default button).
            index = self.lines.index(line)
            if index + 1 < len(self.lines):
                self.lines[index + 1].action.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False

    # -- dates, people, status ----------------------------------------------------------------

    def set_base_date(self, day: date | None) -> None:
        """The visit's date: due-date shortcuts count from it."""
        self.base_date = day or date.today()
        self._resolve_all()

    def set_people(self, people: list[str]) -> None:
        """Whom the owner lists offer: the practice's contacts and today's attendees."""
        if people == self.people:
            return
        self.people = list(people)
        for line in self.lines:
            line.set_people(self.people)

    def _resolve_all(self) -> None:
        for line in self.lines:
            self._resolve(line)

    def _resolve(self, line: _Line) -> None:
        text = line.due.text()
        try:
            day = parse_day(text, base=self.base_date, next_visit=self.next_contact.value())
        except DateTextError as exc:
            line.resolved.setText("not a date")
            line.resolved.setToolTip(str(exc))
            line.resolved.setStyleSheet(ERROR_STYLE)
            line.due.setAccessibleDescription(str(exc))
            return
        line.resolved.setStyleSheet("")
        line.resolved.setText(f"→ {day:%a} {fmt_date(day)}" if day else "")
        line.resolved.setToolTip("")
        line.due.setAccessibleDescription(f"Due {fmt_date(day)}" if day else "No due date")

    def _show_status(self, line: _Line) -> None:
        saved = self.saved.get(line.entry.id)
        if saved is None or saved.is_open:
            line.status.setText("")
            return
        line.status.setText(f"{saved.status.capitalize()} {fmt_date(saved.closed_on, '')}".strip())
        line.status.setToolTip(saved.closing_note)

    def parse_due(self, entry: StepEntry, next_contact: date | None) -> date | None:
        """The due date of an entry (DateTextError if the text is not one)."""
        return parse_day(entry.due_text, base=self.base_date, next_visit=next_contact)

    # -- value ------------------------------------------------------------------------------

    def set_saved(self, rows: list[StepRow]) -> None:
        """The steps this visit made as stored (their status is shown beside them)."""
        self.saved = {r.id: r for r in rows}

    def _show(self, value: NextStepsValue) -> None:
        for line in self.lines:
            for w in line.widgets:
                self.grid.removeWidget(w)
                w.deleteLater()
        self.lines = []
        for entry in value.steps:
            self.lines.append(_Line(self, entry))
        self.lines.append(_Line(self, StepEntry(new_id(), "")))
        self.next_contact.set_value(value.next_contact)
        self._relayout()

    def _read(self) -> NextStepsValue:
        return NextStepsValue([ln.value() for ln in self.lines if not ln.is_blank()], self.next_contact.value())

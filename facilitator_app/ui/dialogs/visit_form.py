"""The visit form: log one encounter quickly, keyboard only, without ever losing what was typed.

Why a draft on every change: facilitators type in parking lots on old laptops; a crash, a flat
battery or a stray Close must not cost them the visit. The form's contents go to the store's
drafts table (a debounced write on the writer thread) and come back when the form reopens. The
draft is dropped only after the visit itself has committed, or when the user discards it.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import Qt, QTime, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.codec import from_record, to_record
from ...core.errors import FieldProblem, ValidationError
from ...core.model import Attendee, NextStep, Pdsa, StrategyWork, Visit
from ...core.vocab import Activity, ContactRole, Disruption, PdsaDecision, StrategyStatus, VisitMode
from ..context import AppContext
from ..labels import status_label
from ..ops import StoreOp, describe_error
from ..views.practice.bundle import PracticeBundle
from ..widgets.date_field import DateField
from ..widgets.field_errors import FieldErrors, error_label
from ..widgets.practice_form import fill_combo, select_data

DRAFT_KIND = "visit"
DRAFT_DELAY_MS = 300
S_WORKED, S_STRATEGY, S_BEFORE, S_AFTER, S_NOTE = range(5)
N_ACTION, N_OWNER, N_DUE = range(3)
A_NAME, A_ROLE = range(2)


def draft_key(visit_id: str) -> str:
    return f"visit:{visit_id}"


def find_draft_for_practice(drafts: list[tuple[str, dict[str, Any]]], practice_id: str,
                            saved_ids: set[str]) -> dict[str, Any] | None:
    """The newest unsaved new-visit draft of a practice (drafts come oldest first)."""
    for _key, payload in reversed(drafts):
        visit = payload.get("visit", {})
        if visit.get("practice_id") == practice_id and visit.get("id") not in saved_ids:
            return payload
    return None


class _LiveEditDelegate(QStyledItemDelegate):
    """Tells the form about every keystroke in a table cell: the text typed there only reaches the
    table when the cell editor commits, and a draft must not wait for that."""

    edited = Signal()

    def createEditor(self, parent, option, index):  # noqa: N802
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit):
            editor.textEdited.connect(self.edited)
        return editor


class VisitForm(QDialog):
    saved = Signal(str, bool)  # visit id, print requested

    def __init__(self, ctx: AppContext, bundle: PracticeBundle, *, visit: Visit | None = None,
                 draft: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle = bundle
        self.is_new = visit is None
        self._loading = True
        self._saving = False
        self._validated_once = False
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"{'New visit' if self.is_new else 'Visit'}: {bundle.practice.name}")
        self._draft_timer = QTimer(self, singleShot=True, interval=DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft_now)

        if visit is None:
            visit = Visit(practice_id=bundle.id, date=ctx.today(), facilitator=ctx.facilitator,
                          minutes=int(ctx.prefs.get("visit/default_minutes")),
                          start_time=_now_rounded(),
                          attendees=[Attendee(c.name, c.role) for c in bundle.contacts])
        self.visit_id = visit.id
        self._original = visit
        self._build()
        self.set_visit(visit)
        self.restored_from: str | None = None
        if draft:
            self.restore_draft(draft)
        self._loading = False
        self._connect_changes()
        self.resize(980, 860)

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.errors = FieldErrors(error_label(self))
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setStyleSheet("background: palette(alternate-base); padding: 6px; border-radius: 4px;")
        self.draft_state = QLabel()
        self.draft_state.setAccessibleName("Draft status")

        # when and how
        self.date = DateField()
        self.date.setAccessibleName("Visit date")
        self.start_time = QTimeEdit(displayFormat="HH:mm")
        self.start_time.setAccessibleName("Start time")
        self.mode = QComboBox()
        fill_combo(self.mode, VisitMode)
        self.mode.setAccessibleName("Mode")
        self.minutes = QSpinBox(minimum=0, maximum=1440, singleStep=15, suffix=" min")
        self.minutes.setAccessibleName("Minutes")
        self.travel = QSpinBox(minimum=0, maximum=1440, singleStep=15, suffix=" min")
        self.travel.setAccessibleName("Travel minutes")
        self.planned = QCheckBox("Planned visit")
        self.engagement = QComboBox()
        self.engagement.setAccessibleName("Engagement rating")
        self.engagement.addItem("—", None)
        for n, word in ((1, "1 · very low"), (2, "2 · low"), (3, "3 · moderate"), (4, "4 · high"),
                        (5, "5 · very high")):
            self.engagement.addItem(word, n)
        when = QGroupBox("When and how")
        grid = QGridLayout(when)
        cells = (("Date", self.date, "date"), ("Start", self.start_time, None), ("Mode", self.mode, "mode"),
                 ("Minutes", self.minutes, "minutes"), ("Travel", self.travel, "travel_minutes"),
                 ("Engagement", self.engagement, "engagement"))
        for i, (label, widget, field) in enumerate(cells):
            r, c = divmod(i, 3)
            lab = QLabel(label)
            lab.setBuddy(widget)
            grid.addWidget(lab, r * 2, c * 2)
            grid.addWidget(widget, r * 2, c * 2 + 1)
            if field:
                grid.addWidget(self.errors.add(field, self), r * 2 + 1, c * 2 + 1)
        grid.addWidget(self.planned, 4, 1)

        # attendees
        self.attendees = QTableWidget(0, 2)
        self.attendees.setAccessibleName("Attendees")
        self.attendees.setHorizontalHeaderLabels(["Attendee (ticked = present)", "Role"])
        self.attendees.verticalHeader().setVisible(False)
        self.attendees.horizontalHeader().setSectionResizeMode(A_NAME, QHeaderView.ResizeMode.Stretch)
        self.attendees.horizontalHeader().resizeSection(A_ROLE, 150)
        self.attendees.setMinimumHeight(130)
        self.attendees.setMaximumHeight(200)
        self.add_attendee = QPushButton("Add attendee")
        self.add_attendee.clicked.connect(lambda: self._add_attendee_row("", ContactRole.OTHER.value, True, edit=True))
        att_box = QGroupBox("Attendees")
        al = QVBoxLayout(att_box)
        al.addWidget(self.attendees)
        al.addWidget(self.errors.add("attendees", self))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_attendee)
        al.addLayout(row)

        # activities
        act_box = QGroupBox("Activities")
        actl = QHBoxLayout(act_box)
        self.activity_checks: dict[str, QCheckBox] = {}
        for a in Activity:
            box = QCheckBox(a.label)
            self.activity_checks[a.value] = box
            actl.addWidget(box)
        actl.addStretch(1)

        # strategies: the practice's selected ones first
        self.strategies = QTableWidget(0, 5)
        self.strategies.setAccessibleName("Strategies worked on")
        self.strategies.setHorizontalHeaderLabels(["Worked on", "Strategy", "Status before", "Status after", "Note"])
        self.strategies.verticalHeader().setVisible(False)
        self.strategies.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        h = self.strategies.horizontalHeader()
        h.setSectionResizeMode(S_STRATEGY, QHeaderView.ResizeMode.Stretch)
        for col, w in ((S_WORKED, 80), (S_BEFORE, 105), (S_AFTER, 125), (S_NOTE, 180)):
            h.resizeSection(col, w)
        self.strategies.setMinimumHeight(260)
        before = {i.strategy_id: i.status for i in self.bundle.checklist}
        chosen = set(self.bundle.plan.selected_strategies if self.bundle.plan else [])
        chosen |= {sid for sid, st in before.items()
                   if st not in (StrategyStatus.NOT_SELECTED, StrategyStatus.DECLINED)}
        ordered = [s for s in self.ctx.toolkit.strategies if s.id in chosen] + \
                  [s for s in self.ctx.toolkit.strategies if s.id not in chosen]
        self.strategy_rows: dict[str, int] = {}
        self.after_combos: dict[str, QComboBox] = {}
        self.strategies.setRowCount(len(ordered))
        for row, s in enumerate(ordered):
            self.strategy_rows[s.id] = row
            worked = QTableWidgetItem()
            worked.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            worked.setCheckState(Qt.CheckState.Unchecked)
            worked.setData(Qt.ItemDataRole.UserRole, s.id)
            self.strategies.setItem(row, S_WORKED, worked)
            title = QTableWidgetItem(f"{'★ ' if s.id in chosen else ''}{s.id}  {s.title}")
            title.setFlags(Qt.ItemFlag.ItemIsEnabled)
            title.setToolTip(s.summary)
            self.strategies.setItem(row, S_STRATEGY, title)
            b = QTableWidgetItem(status_label(before.get(s.id, StrategyStatus.NOT_SELECTED.value)))
            b.setData(Qt.ItemDataRole.UserRole, before.get(s.id, StrategyStatus.NOT_SELECTED.value))
            b.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.strategies.setItem(row, S_BEFORE, b)
            combo = QComboBox()
            fill_combo(combo, StrategyStatus)
            combo.setAccessibleName(f"Status after, {s.id}")
            select_data(combo, _default_after(before.get(s.id, StrategyStatus.NOT_SELECTED.value)))
            combo.setEnabled(False)
            self.strategies.setCellWidget(row, S_AFTER, combo)
            self.after_combos[s.id] = combo
            self.strategies.setItem(row, S_NOTE, QTableWidgetItem(""))
        self.strategies.itemChanged.connect(self._on_strategy_item_changed)
        strat_box = QGroupBox("Strategies (★ = selected by the practice; tick with Space)")
        sl = QVBoxLayout(strat_box)
        sl.addWidget(self.strategies)
        sl.addWidget(self.errors.add("strategies", self))

        # next steps
        self.next_steps = QTableWidget(0, 3)
        self.next_steps.setAccessibleName("Next steps")
        self.next_steps.setHorizontalHeaderLabels(["Action", "Owner", "Due (YYYY-MM-DD)"])
        self.next_steps.verticalHeader().setVisible(False)
        self.next_steps.horizontalHeader().setSectionResizeMode(N_ACTION, QHeaderView.ResizeMode.Stretch)
        self.next_steps.horizontalHeader().resizeSection(N_OWNER, 160)
        self.next_steps.horizontalHeader().resizeSection(N_DUE, 140)
        self.next_steps.setMaximumHeight(170)
        self.add_step = QPushButton("Add next step")
        self.add_step.setAccessibleName("Add next step")
        self.add_step.clicked.connect(lambda: self.add_next_step(edit=True))
        self.remove_step = QPushButton("Remove step")
        self.remove_step.clicked.connect(self._remove_step)
        self.next_contact = DateField(optional=True)
        self.next_contact.setAccessibleName("Next contact date")
        steps_box = QGroupBox("Next steps")
        nl = QVBoxLayout(steps_box)
        nl.addWidget(self.next_steps)
        nl.addWidget(self.errors.add("next_steps", self))
        row = QHBoxLayout()
        lab = QLabel("Next contact")
        lab.setBuddy(self.next_contact)
        row.addWidget(lab)
        row.addWidget(self.next_contact)
        row.addWidget(self.errors.add("next_contact", self), 1)
        row.addWidget(self.remove_step)
        row.addWidget(self.add_step)
        nl.addLayout(row)

        # PDSA, barriers, notes
        self.pdsa_aim = QLineEdit()
        self.pdsa_change = QLineEdit()
        self.pdsa_prediction = QLineEdit()
        self.pdsa_result = QLineEdit()
        self.pdsa_decision = QComboBox()
        self.pdsa_decision.addItem("— (cycle still running)", "")
        fill_combo(self.pdsa_decision, PdsaDecision)
        pdsa_box = QGroupBox("PDSA cycle")
        pf = QFormLayout(pdsa_box)
        for label, w in (("Aim", self.pdsa_aim), ("Change", self.pdsa_change), ("Prediction", self.pdsa_prediction),
                         ("Result", self.pdsa_result), ("Decision", self.pdsa_decision)):
            w.setAccessibleName(f"PDSA {label.lower()}")
            pf.addRow(label, w)
        pf.addRow("", self.errors.add("pdsa", self))

        self.data_reviewed = QLineEdit()
        self.barriers = QPlainTextEdit()
        self.barriers.setTabChangesFocus(True)
        self.barriers.setFixedHeight(56)
        self.disruption_checks: dict[str, QCheckBox] = {}
        dis_row = QHBoxLayout()
        for d in Disruption:
            box = QCheckBox(d.label)
            self.disruption_checks[d.value] = box
            dis_row.addWidget(box)
        dis_row.addStretch(1)
        self.resources_left = QLineEdit(placeholderText="Separate with commas, e.g. Quitline cards, BP protocol")
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(90)
        more = QGroupBox("Data, barriers and notes")
        mf = QFormLayout(more)
        for label, w, field in (("Data reviewed", self.data_reviewed, "data_reviewed"),
                                ("Barriers", self.barriers, "barriers"),
                                ("Resources left", self.resources_left, None), ("Notes", self.notes, "notes")):
            w.setAccessibleName(label)
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(w)
            if field:
                box.addWidget(self.errors.add(field, self))
            mf.addRow(label, box)
        dis_wrap = QVBoxLayout()
        dis_wrap.addLayout(dis_row)
        dis_wrap.addWidget(self.errors.add("disruptions", self))
        mf.addRow("Disruptions", dis_wrap)

        body = QWidget()
        bl = QVBoxLayout(body)
        bl.addWidget(self.banner)
        bl.addWidget(when)
        bl.addWidget(att_box)
        bl.addWidget(act_box)
        bl.addWidget(strat_box)
        bl.addWidget(steps_box)
        bl.addWidget(pdsa_box)
        bl.addWidget(more)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.save_button = QPushButton("&Save visit")
        self.save_button.setAccessibleName("Save visit")
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(lambda: self.save(print_after=False))
        self.save_print_button = QPushButton("Save and &print leave-behind")
        self.save_print_button.setAccessibleName("Save and print leave-behind")
        self.save_print_button.setAutoDefault(False)
        self.save_print_button.clicked.connect(lambda: self.save(print_after=True))
        self.discard_button = QPushButton("Discard draft")
        self.discard_button.setAutoDefault(False)
        self.discard_button.clicked.connect(self._confirm_discard)
        self.close_button = QPushButton("Close (keeps draft)")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draft_state, 1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.save_print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.errors.general)
        layout.addLayout(buttons)
        self._cell_delegates = []  # one per table: a delegate shared by views confuses their editors
        for table in (self.attendees, self.strategies, self.next_steps):
            delegate = _LiveEditDelegate(table)
            table.setItemDelegate(delegate)
            self._cell_delegates.append(delegate)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=lambda: self.save(print_after=False))
        QShortcut(QKeySequence("Ctrl+P"), self, activated=lambda: self.save(print_after=True))
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=lambda: self.save(print_after=False))

    # -- values ---------------------------------------------------------------------------

    def _add_attendee_row(self, name: str, role: str, present: bool, *, edit: bool = False) -> None:
        row = self.attendees.rowCount()
        self.attendees.insertRow(row)
        item = QTableWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(Qt.CheckState.Checked if present else Qt.CheckState.Unchecked)
        self.attendees.setItem(row, A_NAME, item)
        combo = QComboBox()
        fill_combo(combo, ContactRole)
        select_data(combo, role)
        combo.currentIndexChanged.connect(self._changed)
        self.attendees.setCellWidget(row, A_ROLE, combo)
        if edit:
            self.attendees.setCurrentCell(row, A_NAME)
            self.attendees.editItem(item)

    def add_next_step(self, action: str = "", owner: str = "", due: str = "", *, edit: bool = False) -> int:
        row = self.next_steps.rowCount()
        self.next_steps.insertRow(row)
        for col, text in ((N_ACTION, action), (N_OWNER, owner), (N_DUE, due)):
            self.next_steps.setItem(row, col, QTableWidgetItem(text))
        if edit:
            self.next_steps.setFocus()
            self.next_steps.setCurrentCell(row, N_ACTION)
            self.next_steps.editItem(self.next_steps.item(row, N_ACTION))
        self._changed()
        return row

    def _remove_step(self) -> None:
        row = self.next_steps.currentRow()
        if row >= 0:
            self.next_steps.removeRow(row)
            self._changed()

    def set_strategy(self, strategy_id: str, *, worked: bool, after: str | None = None,
                     note: str | None = None) -> None:
        row = self.strategy_rows[strategy_id]
        self.strategies.item(row, S_WORKED).setCheckState(Qt.CheckState.Checked if worked else Qt.CheckState.Unchecked)
        if after is not None:
            select_data(self.after_combos[strategy_id], after)
        if note is not None:
            self.strategies.item(row, S_NOTE).setText(note)

    def _on_strategy_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == S_WORKED:
            sid = item.data(Qt.ItemDataRole.UserRole)
            self.after_combos[sid].setEnabled(item.checkState() == Qt.CheckState.Checked)
        self._changed()

    def set_visit(self, v: Visit) -> None:
        self.date.set_value(v.date)
        # A visit logged without a start time keeps none unless the user sets one (a QTimeEdit
        # cannot be blank, and its 00:00 must not be saved as if it were the real start).
        self._start_blank = v.start_time is None
        self._start_shown = QTime(0, 0) if v.start_time is None else QTime(v.start_time.hour, v.start_time.minute)
        self.start_time.setTime(self._start_shown)
        select_data(self.mode, v.mode)
        self.minutes.setValue(v.minutes or 0)
        self.travel.setValue(v.travel_minutes or 0)
        self.planned.setChecked(v.planned)
        select_data(self.engagement, v.engagement)
        self.attendees.setRowCount(0)
        present = {a.name: a for a in v.attendees}
        for c in self.bundle.contacts:
            self._add_attendee_row(c.name, present[c.name].role if c.name in present else c.role, c.name in present)
        contact_names = {c.name for c in self.bundle.contacts}
        for a in v.attendees:
            if a.name not in contact_names:
                self._add_attendee_row(a.name, a.role, True)
        for a, box in self.activity_checks.items():
            box.setChecked(a in v.activities)
        worked = {w.strategy_id: w for w in v.strategies}
        self.strategies.blockSignals(True)
        for sid, row in self.strategy_rows.items():
            w = worked.get(sid)
            self.strategies.item(row, S_WORKED).setCheckState(Qt.CheckState.Checked if w else Qt.CheckState.Unchecked)
            self.after_combos[sid].setEnabled(w is not None)
            if w:
                before = self.strategies.item(row, S_BEFORE)
                before.setText(status_label(w.status_before))
                before.setData(Qt.ItemDataRole.UserRole, w.status_before)
                select_data(self.after_combos[sid], w.status_after)
                self.strategies.item(row, S_NOTE).setText(w.note)
        self.strategies.blockSignals(False)
        self.next_steps.setRowCount(0)
        for s in v.next_steps:
            self.add_next_step(s.action, s.owner, s.due.isoformat() if s.due else "")
        self.next_contact.set_value(v.next_contact)
        p = v.pdsa or Pdsa()
        self.pdsa_aim.setText(p.aim)
        self.pdsa_change.setText(p.change)
        self.pdsa_prediction.setText(p.prediction)
        self.pdsa_result.setText(p.result)
        select_data(self.pdsa_decision, p.decision)
        self.data_reviewed.setText(v.data_reviewed)
        self.barriers.setPlainText(v.barriers)
        for d, box in self.disruption_checks.items():
            box.setChecked(d in v.disruptions)
        self.resources_left.setText(", ".join(v.resources_left))
        self.notes.setPlainText(v.notes)

    def _read(self) -> tuple[Visit, list[FieldProblem], list[str]]:
        """The form as a Visit, plus problems the form itself finds (unparsable due dates) and
        the raw due texts (kept in drafts so a half-typed date is not lost)."""
        problems: list[FieldProblem] = []
        attendees = []
        for row in range(self.attendees.rowCount()):
            item = self.attendees.item(row, A_NAME)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                attendees.append(Attendee(item.text().strip(), self.attendees.cellWidget(row, A_ROLE).currentData()))
        strategies = []
        for sid, row in self.strategy_rows.items():
            if self.strategies.item(row, S_WORKED).checkState() == Qt.CheckState.Checked:
                strategies.append(StrategyWork(sid, self.strategies.item(row, S_BEFORE).data(Qt.ItemDataRole.UserRole),
                                               self.after_combos[sid].currentData(),
                                               self.strategies.item(row, S_NOTE).text().strip()))
        steps, due_texts = [], []
        for row in range(self.next_steps.rowCount()):
            texts = [(self.next_steps.item(row, c).text().strip() if self.next_steps.item(row, c) else "")
                     for c in (N_ACTION, N_OWNER, N_DUE)]
            if not any(texts):
                continue
            due = None
            if texts[2]:
                try:
                    due = date.fromisoformat(texts[2])
                except ValueError:
                    problems.append(FieldProblem("next_steps", f"Next step {len(steps) + 1}: due date {texts[2]!r} "
                                                               "must look like 2026-03-31"))
            steps.append(NextStep(texts[0], texts[1], due))
            due_texts.append(texts[2])
        pdsa = Pdsa(self.pdsa_aim.text().strip(), self.pdsa_change.text().strip(), self.pdsa_prediction.text().strip(),
                    self.pdsa_result.text().strip(), self.pdsa_decision.currentData() or "")
        t = self.start_time.time()
        start = None if self._start_blank and t == self._start_shown else time(t.hour(), t.minute())
        visit = dataclasses.replace(
            self._original, date=self.date.value(), start_time=start,
            mode=self.mode.currentData(), minutes=self.minutes.value(), travel_minutes=self.travel.value(),
            planned=self.planned.isChecked(), engagement=self.engagement.currentData(), attendees=attendees,
            activities=[a for a, box in self.activity_checks.items() if box.isChecked()], strategies=strategies,
            next_steps=steps, next_contact=self.next_contact.value(), pdsa=None if pdsa.is_empty() else pdsa,
            data_reviewed=self.data_reviewed.text().strip(), barriers=self.barriers.toPlainText(),
            disruptions=[d for d, box in self.disruption_checks.items() if box.isChecked()],
            resources_left=[r.strip() for r in self.resources_left.text().split(",") if r.strip()],
            notes=self.notes.toPlainText())
        return visit, problems, due_texts

    def value(self) -> Visit:
        return self._read()[0]

    def problems(self) -> list[FieldProblem]:
        visit, problems, _ = self._read()
        try:
            visit.validate(self.ctx.toolkit.ids)
        except ValidationError as exc:
            problems = problems + exc.problems
        return problems

    # -- drafts ---------------------------------------------------------------------------

    def _connect_changes(self) -> None:
        for w in (self.pdsa_aim, self.pdsa_change, self.pdsa_prediction, self.pdsa_result, self.data_reviewed,
                  self.resources_left):
            w.textChanged.connect(self._changed)
        for w in (self.notes, self.barriers):
            w.textChanged.connect(self._changed)
        for w in (self.minutes, self.travel):
            w.valueChanged.connect(self._changed)
        for w in (self.mode, self.engagement, self.pdsa_decision, *self.after_combos.values()):
            w.currentIndexChanged.connect(self._changed)
        for w in (self.date, self.next_contact):
            w.dateChanged.connect(self._changed)
        self.start_time.timeChanged.connect(self._changed)
        for w in (self.planned, *self.activity_checks.values(), *self.disruption_checks.values()):
            w.toggled.connect(self._changed)
        self.attendees.itemChanged.connect(self._changed)
        self.next_steps.itemChanged.connect(self._changed)
        for delegate in self._cell_delegates:
            delegate.edited.connect(self._changed)

    def _commit_open_editor(self) -> None:
        """Put the text of a cell still being typed in (next step, attendee, strategy note) into its
        table, so Ctrl+S, a draft write or closing the window does not drop it."""
        editor = self.focusWidget()
        if editor is None:
            return
        for table in (self.attendees, self.strategies, self.next_steps):
            if table.state() == QAbstractItemView.State.EditingState and table.viewport().isAncestorOf(editor):
                # The view copies the committed text back into the editor, which would move the
                # cursor to the end while the user is still typing mid-text.
                cursor = editor.cursorPosition() if isinstance(editor, QLineEdit) else None
                table.commitData(editor)
                if cursor is not None:
                    editor.setCursorPosition(cursor)

    def _changed(self, *_: object) -> None:
        if self._loading or self._saving:
            return
        self.draft_state.setText("Editing…")
        self._draft_timer.start()
        if self._validated_once:
            self._show_problems(self.problems())

    def draft_payload(self) -> dict[str, Any]:
        visit, _, due_texts = self._read()
        return {"visit": to_record(visit), "due_texts": due_texts, "is_new": self.is_new,
                "saved_at": datetime.now().isoformat(timespec="seconds")}

    def save_draft_now(self) -> None:
        """Queue the draft write on the writer thread (ordered before any later save)."""
        if self._saving:
            return
        self._commit_open_editor()
        self._draft_timer.stop()
        payload, key = self.draft_payload(), draft_key(self.visit_id)
        StoreOp(self.ctx.ops, lambda s: s.save_draft(key, DRAFT_KIND, payload)).success(
            lambda _r: self.draft_state.setText(f"Draft saved {datetime.now():%H:%M:%S}")).failure(
            lambda e: self.draft_state.setText(f"Draft NOT saved: {describe_error(e)}")).run()

    def restore_draft(self, payload: dict[str, Any]) -> None:
        visit = from_record(Visit, payload["visit"])
        # Continue the drafted visit itself (same id), so saving it replaces this draft.
        self.visit_id = visit.id
        self._original = visit
        self._loading = True
        self.set_visit(visit)
        for row, text in enumerate(payload.get("due_texts", [])):
            if row < self.next_steps.rowCount() and text:
                self.next_steps.item(row, N_DUE).setText(text)
        self._loading = False
        self.restored_from = payload.get("saved_at", "")
        when = self.restored_from.replace("T", " at ") if self.restored_from else "earlier"
        self.banner.setText(f"Restored the unsaved draft from {when}. Save it, or press Discard draft to start over.")
        self.banner.setVisible(True)

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
        if not self._saving:
            self._commit_open_editor()
        if not self._saving and (self._draft_timer.isActive() or self.draft_state.text() == "Editing…"):
            self.save_draft_now()
        super().closeEvent(event)

    def reject(self) -> None:
        # Esc or Close: keep what was typed (the draft), then close.
        if not self._saving and self._draft_timer.isActive():
            self.save_draft_now()
        super().reject()

    # -- save -----------------------------------------------------------------------------

    def _show_problems(self, problems: list[FieldProblem]) -> None:
        if problems:
            self.errors.show(ValidationError(problems))
        else:
            self.errors.clear()

    def save(self, *, print_after: bool) -> None:
        if self._saving:
            return
        self._commit_open_editor()
        problems = self.problems()
        self._validated_once = True
        if problems:
            self._show_problems(problems)
            self.draft_state.setText("Fix the problems marked in red, then save again")
            return
        visit, toolkit, key = self.value(), self.ctx.toolkit, draft_key(self.visit_id)
        self._saving = True
        self._draft_timer.stop()
        self.save_button.setEnabled(False)
        self.save_print_button.setEnabled(False)
        self.draft_state.setText("Saving…")

        def write(store):
            changes = store.save_visit(visit, toolkit)
            store.drop_draft(key)  # only after the visit itself has committed
            return changes

        StoreOp(self.ctx.ops, write, initiator=self).success(lambda _c: self._saved(visit.id, print_after)).failure(
            self._save_failed).run()

    def _saved(self, visit_id: str, print_after: bool) -> None:
        self.saved.emit(visit_id, print_after)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.save_print_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self._show_problems(exc.problems)
        else:
            self.errors.show_message(f"The visit was not saved: {describe_error(exc)} Your draft is kept.")
        self.save_draft_now()
        self.draft_state.setText("Not saved; the draft is kept")


def _default_after(before: str) -> str:
    if before in (StrategyStatus.NOT_SELECTED, StrategyStatus.SELECTED, StrategyStatus.DECLINED):
        return StrategyStatus.IN_PROGRESS.value
    return before


def _now_rounded() -> time:
    now = datetime.now()
    return time(now.hour, (now.minute // 15) * 15)

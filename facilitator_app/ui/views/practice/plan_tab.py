"""The facilitation plan the practice leader chose: cadence, dose, and selected strategies.

The list of strategies shows the checklist's word too: a strategy the practice declined is never
shown as selected, and saving says which strategies the plan moves to Selected on the checklist
(asking first for a declined one), instead of changing them quietly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ....core.errors import ValidationError
from ....core.model import FacilitationPlan
from ....core.vocab import Cadence, StrategyStatus
from ...context import AppContext
from ...labels import status_label
from ...ops import StoreOp, describe_error
from ...widgets.date_field import DateField
from ...widgets.field_errors import FieldErrors, error_label
from ...widgets.keyboard import table_keys
from ...widgets.practice_form import fill_combo, select_data
from .bundle import PracticeBundle

# Checklist statuses that saving a plan which ticks the strategy turns into Selected (store.save_plan).
BECOME_SELECTED = (StrategyStatus.NOT_SELECTED.value, StrategyStatus.DECLINED.value)


class PlanTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
        self._filling = False
        self._dirty = False  # edited since shown: a reload keeps the edits
        self.cadence = QComboBox()
        fill_combo(self.cadence, Cadence)
        self.planned_visits = QSpinBox(minimum=0, maximum=200)
        self.planned_hours = QDoubleSpinBox(minimum=0, maximum=1000, decimals=1, singleStep=1)
        self.set_by = QLineEdit(placeholderText="The practice leader who agreed the plan")
        self.agreed_on = DateField(optional=True)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(110)
        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        for field, label, w in (("cadence", "Cadence", self.cadence),
                                ("planned_visits", "Planned visits", self.planned_visits),
                                ("planned_hours", "Planned hours", self.planned_hours),
                                ("set_by", "Set by", self.set_by),
                                ("agreed_on", "Agreed on", self.agreed_on), ("notes", "Notes", self.notes)):
            w.setAccessibleName(label)
            self.errors.add_row(form, field, label, w, self)
        left = QGroupBox("Plan")
        ll = QVBoxLayout(left)
        ll.addLayout(form)
        ll.addStretch(1)

        self.strategies = QListWidget()
        self.strategies.setAccessibleName("Selected strategies")
        self.strategies.setToolTip("Space ticks or unticks the strategy")
        self.strategies.setWordWrap(True)  # long titles wrap instead of hiding behind a scroll bar
        self.strategies.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.titles: dict[str, str] = {}
        for s in ctx.toolkit.strategies:
            self.titles[s.id] = f"{s.id}  {s.title}"
            item = QListWidgetItem(self.titles[s.id])
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(s.summary)
            self.strategies.addItem(item)
        self.strategies.itemChanged.connect(self._on_ticked)
        table_keys(self.strategies)
        self.count = QLabel()
        self.notice = QLabel()  # which ticks will change the checklist when saved
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("What saving changes on the checklist")
        right = QGroupBox("Strategies the practice selected")
        rl = QVBoxLayout(right)
        rl.addWidget(self.count)
        rl.addWidget(self.strategies, 1)
        rl.addWidget(self.notice)
        rl.addWidget(self.errors.add("selected_strategies", self))

        self.save = QPushButton("&Save plan")
        self.save.setAccessibleName("Save plan")
        self.save.clicked.connect(self._save)
        self.saved_label = QLabel()
        self.saved_label.setWordWrap(True)
        self.saved_label.setAccessibleName("Save state")
        top = QHBoxLayout()
        top.addWidget(left, 2)
        top.addWidget(right, 3)
        bottom = QHBoxLayout()
        bottom.addWidget(self.errors.general, 1)
        bottom.addWidget(self.saved_label, 1)
        bottom.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(bottom)
        for signal in (self.cadence.currentIndexChanged, self.planned_visits.valueChanged,
                       self.planned_hours.valueChanged, self.set_by.textEdited, self.agreed_on.dateChanged,
                       self.notes.textChanged):
            signal.connect(self._edited)

    def _edited(self, *_: object) -> None:
        if not self._filling:
            self._dirty = True

    def status_of(self, strategy_id: str) -> str:
        """The checklist status of a strategy in the practice shown."""
        for item in self.bundle.checklist if self.bundle else []:
            if item.strategy_id == strategy_id:
                return item.status
        return StrategyStatus.NOT_SELECTED.value

    def set_bundle(self, bundle: PracticeBundle) -> None:
        same = self.bundle is not None and self.bundle.id == bundle.id
        self.bundle = bundle
        keep = same and self._dirty  # a reload while editing: keep what was typed and ticked
        plan = bundle.plan or FacilitationPlan(practice_id=bundle.id)
        self._filling = True
        try:
            if not keep:
                select_data(self.cadence, plan.cadence)
                self.planned_visits.setValue(plan.planned_visits)
                self.planned_hours.setValue(plan.planned_hours)
                self.set_by.setText(plan.set_by)
                self.agreed_on.set_value(plan.agreed_on)
                self.notes.setPlainText(plan.notes)
            chosen = set(self.selected()) if keep else set(plan.selected_strategies)
            self.strategies.blockSignals(True)
            for i in range(self.strategies.count()):
                item = self.strategies.item(i)
                sid = item.data(Qt.ItemDataRole.UserRole)
                status = self.status_of(sid)
                declined = status == StrategyStatus.DECLINED.value
                # A declined strategy is not "selected", even if the plan once listed it.
                ticked = sid in chosen and (not declined or keep)
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
                item.setText(self.titles[sid] + (f"   ({status_label(status).lower()})" if declined else ""))
            self.strategies.blockSignals(False)
        finally:
            self._filling = False
        self._dirty = keep
        self._update_count()
        if not same:
            self.saved_label.setText("" if bundle.plan else "No plan saved yet")
            self.errors.clear()

    def _on_ticked(self, *_: object) -> None:
        self._edited()
        self._update_count()

    def _update_count(self) -> None:
        selected = self.selected()
        self.count.setText(f"{len(selected)} of {self.strategies.count()} selected")
        new = [sid for sid in selected if self.status_of(sid) == StrategyStatus.NOT_SELECTED.value]
        again = [sid for sid in selected if self.status_of(sid) == StrategyStatus.DECLINED.value]
        parts = []
        if new:
            parts.append(f"Saving marks {', '.join(new)} as Selected on the checklist.")
        if again:
            parts.append(f"{', '.join(again)} {'was' if len(again) == 1 else 'were'} declined: saving asks "
                         "before selecting {} again.".format("it" if len(again) == 1 else "them"))
        self.notice.setText(" ".join(parts))
        self.notice.setVisible(bool(parts))

    def selected(self) -> list[str]:
        return [self.strategies.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.strategies.count())
                if self.strategies.item(i).checkState() == Qt.CheckState.Checked]

    def value(self) -> FacilitationPlan:
        assert self.bundle is not None
        return FacilitationPlan(practice_id=self.bundle.id, cadence=self.cadence.currentData(),
                                planned_visits=self.planned_visits.value(), planned_hours=self.planned_hours.value(),
                                selected_strategies=self.selected(), set_by=self.set_by.text().strip(),
                                agreed_on=self.agreed_on.value(), notes=self.notes.toPlainText())

    def _save(self) -> None:
        if self.bundle is None:
            return
        plan = self.value()
        try:
            plan.validate(today=self.ctx.today(), strategy_ids=self.ctx.toolkit.ids)
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self.errors.clear()
        changing = [sid for sid in plan.selected_strategies if self.status_of(sid) in BECOME_SELECTED]
        declined = [sid for sid in changing if self.status_of(sid) == StrategyStatus.DECLINED.value]
        if not declined:
            self._write(plan, changing)
            return
        reasons = "\n".join(f"{sid}: {self._reason(sid) or 'no reason given'}" for sid in declined)
        box = QMessageBox(QMessageBox.Icon.Question, "Select a declined strategy again?",
                          f"The practice declined:\n{reasons}\n\nSaving the plan with "
                          f"{'it' if len(declined) == 1 else 'them'} ticked marks "
                          f"{'it' if len(declined) == 1 else 'them'} Selected on the checklist.", parent=self)
        again = box.addButton("&Select again and save", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(again)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def write_if_again(_result: int) -> None:
            if box.clickedButton() is again:
                self._write(plan, changing)

        box.finished.connect(write_if_again)
        box.open()

    def _reason(self, strategy_id: str) -> str:
        for item in self.bundle.checklist if self.bundle else []:
            if item.strategy_id == strategy_id:
                return item.reason
        return ""

    def _write(self, plan: FacilitationPlan, changing: list[str]) -> None:
        toolkit = self.ctx.toolkit
        message = "Plan saved." + (f" {', '.join(changing)} {'is' if len(changing) == 1 else 'are'} now Selected "
                                   "on the checklist." if changing else "")

        def saved(_changes: object) -> None:
            self._dirty = False
            self.saved_label.setText(message)
        StoreOp(self.ctx.ops, lambda s: s.save_plan(plan, toolkit)).success(saved).failure(
            lambda e: self.errors.show(e) if isinstance(e, ValidationError)
            else self.errors.show_message(describe_error(e))).run()

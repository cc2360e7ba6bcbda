"""The facilitation plan the practice leader chose: cadence, dose, and selected strategies."""

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
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ....core.errors import ValidationError
from ....core.model import FacilitationPlan
from ....core.vocab import Cadence
from ...context import AppContext
from ...ops import StoreOp
from ...widgets.date_field import DateField
from ...widgets.field_errors import FieldErrors, error_label
from ...widgets.practice_form import fill_combo, select_data
from .bundle import PracticeBundle


class PlanTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
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
        for s in ctx.toolkit.strategies:
            item = QListWidgetItem(f"{s.id}  {s.title}")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(s.summary)
            self.strategies.addItem(item)
        self.strategies.itemChanged.connect(self._update_count)
        self.count = QLabel()
        right = QGroupBox("Strategies the practice selected")
        rl = QVBoxLayout(right)
        rl.addWidget(self.count)
        rl.addWidget(self.strategies, 1)
        rl.addWidget(self.errors.add("selected_strategies", self))

        self.save = QPushButton("Save plan")
        self.save.setAccessibleName("Save plan")
        self.save.clicked.connect(self._save)
        self.saved_label = QLabel()
        top = QHBoxLayout()
        top.addWidget(left, 2)
        top.addWidget(right, 3)
        bottom = QHBoxLayout()
        bottom.addWidget(self.errors.general, 1)
        bottom.addWidget(self.saved_label)
        bottom.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(bottom)

    def set_bundle(self, bundle: PracticeBundle) -> None:
        self.bundle = bundle
        plan = bundle.plan or FacilitationPlan(practice_id=bundle.id)
        select_data(self.cadence, plan.cadence)
        self.planned_visits.setValue(plan.planned_visits)
        self.planned_hours.setValue(plan.planned_hours)
        self.set_by.setText(plan.set_by)
        self.agreed_on.set_value(plan.agreed_on)
        self.notes.setPlainText(plan.notes)
        chosen = set(plan.selected_strategies)
        self.strategies.blockSignals(True)
        for i in range(self.strategies.count()):
            item = self.strategies.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in chosen
                               else Qt.CheckState.Unchecked)
        self.strategies.blockSignals(False)
        self._update_count()
        self.saved_label.setText("" if bundle.plan else "No plan saved yet")
        self.errors.clear()

    def _update_count(self, *_: object) -> None:
        self.count.setText(f"{len(self.selected())} of {self.strategies.count()} selected")

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
        toolkit = self.ctx.toolkit
        try:
            plan.validate(today=self.ctx.today(), strategy_ids=toolkit.ids)
        except ValidationError as exc:
            self.errors.show(exc)
            return
        StoreOp(self.ctx.ops, lambda s: s.save_plan(plan, toolkit)).success(
            lambda _c: self.saved_label.setText("Plan saved")).run()

"""PDSA cycle, data reviewed, barriers, disruptions and resources left with the practice."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ....core.model import Pdsa
from ....core.vocab import Disruption, PdsaDecision
from ...widgets.field_errors import FieldErrors
from .section import Section, VisitFields, checked_in_order, select_or_add, typed

RESOURCE_SEPARATOR = ", "


class PdsaSection(Section[VisitFields]):
    FIELDS = ("pdsa", "data_reviewed", "barriers", "disruptions", "resources_left")

    def __init__(self, errors: FieldErrors, parent: QWidget | None = None):
        super().__init__("PDSA &cycle, data and barriers", errors, parent)
        self.aim, self.change, self.prediction, self.result = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.decision = QComboBox()
        self.decision.addItem("— (cycle still running)", "")
        for d in PdsaDecision:
            self.decision.addItem(d.label, d.value)
        self.data_reviewed = QPlainTextEdit()
        self.barriers = QPlainTextEdit()
        for edit in (self.data_reviewed, self.barriers):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(52)
        self.disruption_checks: dict[str, QCheckBox] = {d.value: QCheckBox(d.label) for d in Disruption}
        self.resources = QLineEdit(placeholderText="Separate with commas: Quitline cards, BP protocol")
        form = QFormLayout()
        form.setVerticalSpacing(4)
        for label, w in (("PDSA aim", self.aim), ("Change tested", self.change), ("Prediction", self.prediction),
                         ("Result", self.result), ("Decision", self.decision)):
            w.setAccessibleName(label)
            form.addRow(label, w)
        form.addRow("", errors.add("pdsa", self))
        for label, w, field in (("Data reviewed", self.data_reviewed, "data_reviewed"),
                                ("Barriers", self.barriers, "barriers"),
                                ("Resources left", self.resources, "resources_left")):
            w.setAccessibleName(label)
            errors.add_row(form, field, label, w, self)
        dis = QHBoxLayout()
        for box in self.disruption_checks.values():
            box.setAccessibleName(f"Disruption: {box.text()}")
            dis.addWidget(box)
        dis.addStretch(1)
        dis_box = QVBoxLayout()
        dis_box.addLayout(dis)
        dis_box.addWidget(errors.add("disruptions", self))
        form.addRow(QLabel("Disruptions"), dis_box)
        QVBoxLayout(self).addLayout(form)
        self._original: VisitFields = {}
        self._stored_disruptions: list[str] = []
        self.watch(self.aim, self.change, self.prediction, self.result, self.decision, self.data_reviewed,
                   self.barriers, self.resources, *self.disruption_checks.values())

    def _show(self, v: VisitFields) -> None:
        self._original = v
        p = v["pdsa"] or Pdsa()
        for edit, text in ((self.aim, p.aim), (self.change, p.change), (self.prediction, p.prediction),
                           (self.result, p.result)):
            edit.setText(text)
        select_or_add(self.decision, p.decision, PdsaDecision.label_of(p.decision))
        self.data_reviewed.setPlainText(v["data_reviewed"])
        self.barriers.setPlainText(v["barriers"])
        for d, box in self.disruption_checks.items():
            box.setChecked(d in v["disruptions"])
        self._stored_disruptions = list(v["disruptions"])
        self.resources.setText(RESOURCE_SEPARATOR.join(v["resources_left"]))

    def _read(self) -> VisitFields:
        o = self._original
        p0 = o.get("pdsa") or Pdsa()
        pdsa = Pdsa(typed(self.aim.text(), p0.aim), typed(self.change.text(), p0.change),
                    typed(self.prediction.text(), p0.prediction), typed(self.result.text(), p0.result),
                    self.decision.currentData() or "")
        shown = RESOURCE_SEPARATOR.join(o.get("resources_left", []))
        text = self.resources.text()
        resources = list(o.get("resources_left", [])) if text == shown else \
            [r.strip() for r in text.split(",") if r.strip()]
        return {"pdsa": o.get("pdsa") if pdsa == p0 else (None if pdsa.is_empty() else pdsa),
                "data_reviewed": self.data_reviewed.toPlainText(), "barriers": self.barriers.toPlainText(),
                "disruptions": checked_in_order(self.disruption_checks, self._stored_disruptions),
                "resources_left": resources}

"""The practice profile fields, with inline errors; used by the New-practice dialog and the
Practice screen's Profile tab alike."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from ...core.model import Practice
from ...core.vocab import Ownership, PracticeStatus
from .date_field import DateField
from .field_errors import FieldErrors, error_label


def fill_combo(combo: QComboBox, enum_cls) -> None:
    for member in enum_cls:
        combo.addItem(member.label, member.value)


def select_data(combo: QComboBox, value) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class PracticeForm(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._practice: Practice | None = None
        self.name = QLineEdit()
        self.address = QLineEdit()
        self.state = QLineEdit(maxLength=2, placeholderText="IL")
        self.state.setMaximumWidth(60)
        self.phone = QLineEdit(placeholderText="(312) 555-0100")
        # specialValueText is a Qt property PySide accepts as a keyword; its type stubs do not list it.
        self.clinicians = QSpinBox(minimum=-1, maximum=500, specialValueText="—")  # type: ignore[call-arg]
        self.clinicians.setValue(-1)
        self.ownership = QComboBox()
        fill_combo(self.ownership, Ownership)
        self.ehr_vendor = QLineEdit()
        self.region = QLineEdit()
        self.status = QComboBox()
        fill_combo(self.status, PracticeStatus)
        self.enrolled_on = DateField(optional=True)
        self.end_on = DateField(optional=True)

        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        for field, label, widget in (
                # Mnemonics avoid the Practice screen's tabs (F, P, C, V, M) and Save/Cancel (S, C).
                ("name", "&Name", self.name), ("address", "&Address", self.address), ("state", "S&tate", self.state),
                ("phone", "P&hone", self.phone), ("clinicians", "Cl&inicians", self.clinicians),
                ("ownership", "&Ownership", self.ownership), ("ehr_vendor", "&EHR vendor", self.ehr_vendor),
                ("region", "&Region", self.region), ("status", "Stat&us", self.status),
                ("enrolled_on", "Enro&lled on", self.enrolled_on), ("end_on", "En&ded on", self.end_on)):
            widget.setAccessibleName(label.replace("&", ""))
            box = QVBoxLayout()
            box.setSpacing(1)
            box.addWidget(widget)
            box.addWidget(self.errors.add(field, self))
            lab = QLabel(label)
            lab.setBuddy(widget)
            form.addRow(lab, box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)

    def set_practice(self, practice: Practice) -> None:
        self._practice = practice
        self.name.setText(practice.name)
        self.address.setText(practice.address)
        self.state.setText(practice.state)
        self.phone.setText(practice.phone)
        self.clinicians.setValue(-1 if practice.clinicians is None else practice.clinicians)
        select_data(self.ownership, practice.ownership)
        self.ehr_vendor.setText(practice.ehr_vendor)
        self.region.setText(practice.region)
        select_data(self.status, practice.status)
        self.enrolled_on.set_value(practice.enrolled_on)
        self.end_on.set_value(practice.end_on)
        self.errors.clear()

    def value(self) -> Practice:
        """A Practice with the form's values (the same id when editing)."""
        base = self._practice or Practice(name="")
        return dataclasses.replace(
            base, name=self.name.text().strip(), address=self.address.text().strip(),
            state=self.state.text().strip().upper(), phone=self.phone.text().strip(),
            clinicians=None if self.clinicians.value() < 0 else self.clinicians.value(),
            ownership=self.ownership.currentData(), ehr_vendor=self.ehr_vendor.text().strip(),
            region=self.region.text().strip(), status=self.status.currentData(),
            enrolled_on=self.enrolled_on.value(), end_on=self.end_on.value())

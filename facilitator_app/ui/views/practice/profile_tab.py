"""Profile and contacts, both editable in place."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.errors import ValidationError
from ....core.model import Contact
from ....core.vocab import ContactRole
from ...context import AppContext
from ...ops import StoreOp, describe_error
from ...widgets.field_errors import FieldErrors, error_label
from ...widgets.keyboard import table_keys
from ...widgets.practice_form import PracticeForm, fill_combo, select_data
from .bundle import PracticeBundle


class ProfileTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bundle: PracticeBundle | None = None
        self._contact: Contact | None = None

        self.form = PracticeForm()
        self.save_profile = QPushButton("&Save profile")
        self.save_profile.setAccessibleName("Save profile")
        self.save_profile.clicked.connect(self._save_profile)
        profile_box = QGroupBox("Profile")
        pl = QVBoxLayout(profile_box)
        pl.addWidget(self.form)
        pl.addWidget(self.save_profile)
        pl.addStretch(1)

        self.contacts = QTableWidget(0, 4)
        self.contacts.setHorizontalHeaderLabels(["Name", "Role", "Email", "Phone"])
        self.contacts.setAccessibleName("Contacts")
        self.contacts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.contacts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.contacts.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.contacts.verticalHeader().setVisible(False)
        self.contacts.verticalHeader().setDefaultSectionSize(24)  # more rows on a laptop screen
        header = self.contacts.horizontalHeader()
        for col in range(4):  # names, roles and phones are short; the email takes the rest
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if col == 2
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.contacts.itemSelectionChanged.connect(self._on_contact_selected)
        self.contacts.setToolTip("Enter edits the contact below; Delete removes it")
        self.contact_keys = table_keys(self.contacts, on_delete=self._remove_rows, confirm_delete=self._remove_question)
        self.c_name = QLineEdit()
        self.contacts.activated.connect(lambda _i: self.c_name.setFocus())
        self.c_role = QComboBox()
        fill_combo(self.c_role, ContactRole)
        self.c_email = QLineEdit()
        self.c_phone = QLineEdit()
        self.c_errors = FieldErrors(error_label(self))
        cform = QFormLayout()
        for field, label, w in (("name", "Name", self.c_name), ("role", "Role", self.c_role),
                                ("email", "Email", self.c_email), ("phone", "Phone", self.c_phone)):
            w.setAccessibleName(f"Contact {label.lower()}")
            self.c_errors.add_row(cform, field, label, w, self)
        self.new_contact = QPushButton("New contact")
        self.new_contact.clicked.connect(self._clear_contact)
        self.save_contact = QPushButton("Save contact")
        self.save_contact.setAccessibleName("Save contact")
        self.save_contact.clicked.connect(self._save_contact)
        self.delete_contact = QPushButton("Remove contact")
        self.delete_contact.clicked.connect(self._confirm_delete_contact)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_contact)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_contact)
        buttons.addWidget(self.save_contact)
        contacts_box = QGroupBox("Contacts")
        cl = QVBoxLayout(contacts_box)
        cl.addWidget(self.contacts, 1)
        cl.addLayout(cform)
        cl.addWidget(self.c_errors.general)
        cl.addLayout(buttons)

        layout = QHBoxLayout(self)
        layout.addWidget(profile_box, 1)
        layout.addWidget(contacts_box, 1)

    def set_bundle(self, bundle: PracticeBundle) -> None:
        changed_practice = self.bundle is None or self.bundle.id != bundle.id
        self.bundle = bundle
        if changed_practice or self.form.value() != bundle.practice:
            self.form.set_practice(bundle.practice)
        keep = self._contact.id if self._contact else None
        self.contacts.blockSignals(True)
        self.contacts.setRowCount(len(bundle.contacts))
        for row, c in enumerate(bundle.contacts):
            for col, text in enumerate((c.name, ContactRole.label_of(c.role),
                                        c.email, c.phone)):
                self.contacts.setItem(row, col, QTableWidgetItem(text))
            if c.id == keep and not changed_practice:
                self.contacts.selectRow(row)
        self.contacts.blockSignals(False)
        if changed_practice:
            self._clear_contact()

    def _save_profile(self) -> None:
        practice = self.form.value()
        try:
            practice.validate(today=self.ctx.today())
        except ValidationError as exc:
            self.form.errors.show(exc)
            return
        self.form.errors.clear()
        StoreOp(self.ctx.ops, lambda s: s.save_practice(practice)).failure(
            lambda e: self.form.errors.show(e) if isinstance(e, ValidationError)
            else self.form.errors.show_message(describe_error(e))).run()

    def _on_contact_selected(self) -> None:
        rows = self.contacts.selectionModel().selectedRows()
        if not rows or self.bundle is None:
            return
        c = self.bundle.contacts[rows[0].row()]
        self._contact = c
        self.c_name.setText(c.name)
        select_data(self.c_role, c.role)
        self.c_email.setText(c.email)
        self.c_phone.setText(c.phone)
        self.c_errors.clear()

    def _clear_contact(self) -> None:
        self._contact = None
        self.contacts.clearSelection()
        for w in (self.c_name, self.c_email, self.c_phone):
            w.clear()
        self.c_role.setCurrentIndex(0)
        self.c_errors.clear()

    def contact_value(self) -> Contact:
        assert self.bundle is not None
        base = self._contact or Contact(practice_id=self.bundle.id, name="")
        return dataclasses.replace(base, name=self.c_name.text().strip(), role=self.c_role.currentData(),
                                   email=self.c_email.text().strip(), phone=self.c_phone.text().strip())

    def _save_contact(self) -> None:
        if self.bundle is None:
            return
        contact = self.contact_value()
        try:
            contact.validate(today=self.ctx.today())
        except ValidationError as exc:
            self.c_errors.show(exc)
            return
        self._contact = contact
        StoreOp(self.ctx.ops, lambda s: s.save_contact(contact)).success(lambda _c: self.c_errors.clear()).failure(
            lambda e: self.c_errors.show_message(describe_error(e))).run()

    def _remove_question(self, rows: list[int]) -> str:
        assert self.bundle is not None
        names = ", ".join(self.bundle.contacts[r].name for r in rows if r < len(self.bundle.contacts))
        return f"Remove {names} from this practice's contacts? The removal syncs to the server."

    def _confirm_delete_contact(self) -> None:
        """The Remove button asks the same question as the Delete key."""
        if self._contact is not None:
            self.contact_keys.delete(self.contact_keys.selected_rows())

    def _remove_rows(self, rows: list[int]) -> None:
        assert self.bundle is not None
        ids = [self.bundle.contacts[r].id for r in rows if r < len(self.bundle.contacts)]

        def work(s):
            changes = None
            for cid in ids:
                changes = s.delete("contact", cid)
            return changes
        StoreOp(self.ctx.ops, work).success(lambda _c: self._clear_contact()).failure(
            lambda e: self.c_errors.show_message(describe_error(e))).run()

"""Attendees: the practice's contacts, ticked when present, plus anyone else who came.

Keyboard: arrows move, Space ticks, F4 (or Space on the role) opens the role list; someone who
is not a contact is typed in "Other attendee" and added with Enter (the only place where Enter
adds a row); Delete removes a row added that way (Ctrl+Z puts it back).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.model import Attendee, Contact
from ....core.vocab import ContactRole
from ...widgets.field_errors import FieldErrors
from ...widgets.keyboard import table_keys
from .section import (
    LiveEditDelegate,
    Section,
    VisitFields,
    check_state,
    compact_rows,
    fit_to_rows,
    rows_show_focus,
    select_or_add,
    typed,
)

A_NAME, A_ROLE = range(2)
CONTACT_ROLE = Qt.ItemDataRole.UserRole  # True on a contact's row (kept; unticked when absent)
SHOWN_ROLE = Qt.ItemDataRole.UserRole + 1  # the name as set (kept exactly while not retyped)


def _role_combo(role: str) -> QComboBox:
    combo = QComboBox()
    for r in ContactRole:
        combo.addItem(r.label, r.value)
    select_or_add(combo, role, ContactRole.label_of(role))
    return combo


class AttendeesSection(Section[VisitFields]):
    FIELDS = ("attendees",)

    def __init__(self, errors: FieldErrors, contacts: list[Contact], parent: QWidget | None = None):
        super().__init__("&Attendees", errors, parent)
        self.contacts = contacts
        self.table = QTableWidget(0, 2, self)
        self.table.setAccessibleName("Attendees (ticked: present)")
        self.table.setHorizontalHeaderLabels(["Attendee (ticked: present)", "Role"])
        self.table.verticalHeader().setVisible(False)
        compact_rows(self.table)
        rows_show_focus(self.table)
        self.table.horizontalHeader().setSectionResizeMode(A_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().resizeSection(A_ROLE, 170)
        self.delegate = LiveEditDelegate(self.table)
        self.delegate.edited.connect(self.touch)
        self.keys = table_keys(self.table, on_delete=self._delete_rows)
        self.other_name = QLineEdit(placeholderText="Name of someone who is not a contact, then Enter")
        self.other_name.setAccessibleName("Other attendee's name")
        self.other_role = _role_combo(ContactRole.OTHER.value)
        self.other_role.setAccessibleName("Other attendee's role")
        self.add_button = QPushButton("Add")
        self.add_button.setAccessibleName("Add the other attendee")
        self.add_button.clicked.connect(self.add_other)
        self.add_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Enter in the name does the same
        self.other_name.returnPressed.connect(self.add_other)
        other = QHBoxLayout()
        lab = QLabel("Ot&her attendee")
        lab.setBuddy(self.other_name)
        other.addWidget(lab)
        other.addWidget(self.other_name, 1)
        other.addWidget(self.other_role)
        other.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(errors.add("attendees", self))
        layout.addLayout(other)
        self.watch(self.table)

    # -- rows -------------------------------------------------------------------------------

    def _add_row(self, name: str, role: str, present: bool, *, contact: bool, at: int | None = None) -> int:
        with self.loading():  # the caller says when the user changed something
            return self._insert_row(name, role, present, contact=contact, at=at)

    def _insert_row(self, name: str, role: str, present: bool, *, contact: bool, at: int | None) -> int:
        row = self.table.rowCount() if at is None else at
        self.table.insertRow(row)
        item = QTableWidgetItem(name)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable
        if not contact:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        item.setData(CONTACT_ROLE, contact)
        item.setData(SHOWN_ROLE, name)
        item.setCheckState(check_state(present))
        item.setToolTip("A contact of the practice" if contact else "Added at this visit (Delete removes)")
        self.table.setItem(row, A_NAME, item)
        combo = _role_combo(role)
        combo.setAccessibleName(f"Role of {name}")
        combo.currentIndexChanged.connect(self.touch)
        self.table.setCellWidget(row, A_ROLE, combo)
        fit_to_rows(self.table, max_rows=12)
        return row

    def add_other(self) -> None:
        """Enter in "Other attendee": add them, ticked, and clear the field for the next one."""
        name = self.other_name.text().strip()
        if not name:
            return
        self._add_row(name, self.other_role.currentData(), True, contact=False)
        self.other_name.clear()
        self.touch()

    def _delete_rows(self, rows: list[int]):
        """Delete: rows added at this visit go (Ctrl+Z puts them back); a contact only unticks."""
        removed = []
        for row in sorted(rows, reverse=True):
            item = self.table.item(row, A_NAME)
            if item is None:
                continue
            if item.data(CONTACT_ROLE):
                item.setCheckState(Qt.CheckState.Unchecked)
                continue
            removed.append((row, item.text(), self.table.cellWidget(row, A_ROLE).currentData(),
                            item.checkState() == Qt.CheckState.Checked))
            self.table.removeRow(row)
        fit_to_rows(self.table, max_rows=12)
        self.touch()
        if not removed:
            return None

        def undo() -> None:
            for row, name, role, present in sorted(removed):
                self._add_row(name, role, present, contact=False, at=row)
            self.touch()
        return undo

    def present_names(self) -> list[str]:
        return [a.name for a in self._read()["attendees"]]

    # -- value ------------------------------------------------------------------------------

    def _show(self, v: VisitFields) -> None:
        """The visit's attendees in their own order, then the contacts who were not there."""
        self.table.setRowCount(0)
        contact_roles = {c.name: c.role for c in self.contacts}
        listed = set()
        for a in v["attendees"]:
            self._add_row(a.name, a.role, True, contact=a.name in contact_roles and a.name not in listed)
            listed.add(a.name)
        for c in self.contacts:
            if c.name not in listed:
                self._add_row(c.name, c.role, False, contact=True)
                listed.add(c.name)
        fit_to_rows(self.table, max_rows=12)

    def _read(self) -> VisitFields:
        attendees = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, A_NAME)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                name = typed(item.text(), item.data(SHOWN_ROLE) or "")
                attendees.append(Attendee(name, self.table.cellWidget(row, A_ROLE).currentData()))
        return {"attendees": attendees}

    def commit_editor(self) -> None:
        self.delegate.commit_open_editor()

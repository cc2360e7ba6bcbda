"""About you: the facilitator's name (required), phone and email, printed on every leave-behind.

Asked on the first start (demo or empty) and before a leave-behind is made while the name is still
empty (after signing in, Settings asks for a name the server account does not give): a practice
must always know who came and how to reach them, and nothing else (such as the computer's login
name) may stand in for it.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...core.errors import ValidationError
from ...core.model import FacilitatorProfile
from ..context import AppContext
from ..ops import QueryOp, StoreOp, describe_error
from ..widgets.field_errors import FieldErrors, error_label

WHY = ("Your name, phone and email are printed on every leave-behind, so the practice knows who came "
       "and how to reach you. You can change them later under Settings.")


def merged(profile: FacilitatorProfile, prefill: FacilitatorProfile) -> FacilitatorProfile:
    """`profile` with its empty fields taken from `prefill` (a filled field is never replaced)."""
    return FacilitatorProfile(name=profile.name or prefill.name, email=profile.email or prefill.email,
                              phone=profile.phone or prefill.phone)


class AboutYouForm(QWidget):
    """The three fields with their inline errors; `value()` is a FacilitatorProfile."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = QLineEdit(placeholderText="Your name as practices know you")
        self.phone = QLineEdit(placeholderText="(312) 555-0147")
        self.email = QLineEdit(placeholderText="name@example.org")
        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        for field, label, widget in (("name", "&Name (required)", self.name), ("phone", "&Phone", self.phone),
                                     ("email", "&Email", self.email)):
            widget.setAccessibleName(label.replace("&", ""))
            lab = QLabel(label)
            lab.setBuddy(widget)
            self.errors.add_row(form, field, lab, widget, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)

    def set_value(self, profile: FacilitatorProfile) -> None:
        self.name.setText(profile.name)
        self.phone.setText(profile.phone)
        self.email.setText(profile.email)

    def value(self) -> FacilitatorProfile:
        return FacilitatorProfile(name=self.name.text().strip(), email=self.email.text().strip(),
                                  phone=self.phone.text().strip())

    def checked(self) -> FacilitatorProfile | None:
        """The value if it is valid; else None, with the problems shown beside the fields."""
        profile = self.value()
        try:
            profile.validate()
        except ValidationError as exc:
            self.errors.show(exc)
            first = next((p.field for p in exc.problems), "name")
            getattr(self, first if first in ("name", "phone", "email") else "name").setFocus()
            return None
        self.errors.clear()
        return profile


class AboutYouDialog(QDialog):
    """Asks for the profile and saves it (store.set_facilitator_profile, on the writer thread)."""

    saved = Signal(object)  # the FacilitatorProfile, once stored

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, reason: str = ""):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("About you")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel(" ".join(x for x in (reason, WHY) if x))
        intro.setWordWrap(True)
        self.form = AboutYouForm(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Save")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Not no&w")
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addWidget(self.buttons)
        self.resize(460, 260)
        self.form.setEnabled(False)  # until the stored profile is shown
        QueryOp(ctx.ops, lambda s: s.facilitator_profile()).success(self._show).run()

    def _show(self, stored: FacilitatorProfile) -> None:
        typed = self.form.value()  # nothing typed is lost if the load is slow
        self.form.set_value(merged(typed, stored))
        self.form.setEnabled(True)
        self.form.name.setFocus()

    def _save(self) -> None:
        profile = self.form.checked()
        if profile is None:
            return
        self.buttons.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            if isinstance(exc, ValidationError):
                self.form.errors.show(exc)
            else:
                self.form.errors.show_message(describe_error(exc))
        StoreOp(self.ctx.ops, lambda s: s.set_facilitator_profile(dataclasses.replace(profile))).success(
            lambda _r: self._done(profile)).failure(failed).run()

    def _done(self, profile: FacilitatorProfile) -> None:
        self.saved.emit(profile)
        self.accept()

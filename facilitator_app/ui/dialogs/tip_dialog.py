"""Add a field tip to a strategy, or change the words of one of mine.

The tip is checked here first (the same rules the store applies), then written off the UI
thread; a refusal keeps the dialog open with each message beside its field, so nothing typed is
lost. The traits are optional: a tip that names none suits every practice."""

from __future__ import annotations

import dataclasses
from typing import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import ValidationError
from ...core.model import MAX_LINK, Tip
from ...core.vocab import Ownership, PracticeSize
from ..context import AppContext
from ..ops import StoreOp
from ..widgets.field_errors import FieldErrors, error_label
from .saving import SavesOffThread

ANY = "Any"


def _choices(combo: QComboBox, kind, current: str) -> None:
    combo.addItem(ANY, "")
    for member in kind:
        combo.addItem(member.label, member.value)
    index = combo.findData(current)
    if index < 0:  # a value this version does not know: keep it rather than lose it
        combo.addItem(current, current)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class TipDialog(SavesOffThread, QDialog):
    """Emits `saved(tip_id)` once the store has committed."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, strategy_id: str, *, tip: Tip | None = None, vendors: Sequence[str] = (),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tip = tip or Tip(strategy_id=strategy_id, text="")
        strategy = ctx.toolkit.get(strategy_id) if strategy_id in ctx.toolkit.ids else None
        self.setWindowTitle(("Edit field tip" if tip else "Add a field tip") + f" · {strategy_id}")
        self.setObjectName("TipDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        about = QLabel(f"{strategy_id} · {strategy.title}" if strategy else strategy_id)
        about.setWordWrap(True)
        font = about.font()
        font.setBold(True)
        about.setFont(font)
        hint = QLabel("What worked, and where. Your colleagues see it with your name and today's date.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text);")

        self.text = QPlainTextEdit(self.tip.text)
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName("Tip")
        self.text.setPlaceholderText("e.g. The MA re-checks any BP of 140/90 or more after 5 minutes' rest; "
                                     "a sticker on the monitor reminds her.")
        self.text.setMinimumHeight(110)
        self.link = QLineEdit(self.tip.link)
        self.link.setAccessibleName("Link")
        self.link.setMaxLength(MAX_LINK)
        self.link.setPlaceholderText("https:// (optional)")
        self.ownership = QComboBox()
        self.ownership.setAccessibleName("Suits ownership")
        _choices(self.ownership, Ownership, self.tip.ownership)
        self.ehr_vendor = QComboBox()
        self.ehr_vendor.setEditable(True)
        self.ehr_vendor.setAccessibleName("Suits EHR vendor")
        self.ehr_vendor.addItem("")
        self.ehr_vendor.addItems(sorted({v for v in vendors if v.strip()}, key=str.lower))
        self.ehr_vendor.setCurrentText(self.tip.ehr_vendor)
        vendor_edit = self.ehr_vendor.lineEdit()
        assert vendor_edit is not None  # editable combo boxes have one
        vendor_edit.setPlaceholderText("Any")
        vendor_edit.setMaxLength(100)
        self.practice_size = QComboBox()
        self.practice_size.setAccessibleName("Suits practice size")
        _choices(self.practice_size, PracticeSize, self.tip.size)

        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        for field, label, widget in (("text", "&Tip", self.text), ("link", "&Link", self.link),
                                     ("ownership", "&Ownership", self.ownership),
                                     ("ehr_vendor", "&EHR vendor", self.ehr_vendor),
                                     ("size", "Si&ze", self.practice_size)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            self.errors.add_row(form, field, caption, widget, self)
        traits = QLabel("The practices it suits (Any = every practice):")
        traits.setStyleSheet("color: palette(placeholder-text);")
        form.insertRow(2, traits)

        self.buttons = QDialogButtonBox()
        self.save_button = self._add_save_cancel(self.buttons, "&Save tip")
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self.text.setFocus()

    def value(self) -> Tip:
        return dataclasses.replace(self.tip, text=self.text.toPlainText().strip(), link=self.link.text().strip(),
                                   ownership=self.ownership.currentData() or "",
                                   ehr_vendor=self.ehr_vendor.currentText().strip(),
                                   size=self.practice_size.currentData() or "")

    def _save(self) -> None:
        tip, today, toolkit = self.value(), self.ctx.today(), self.ctx.toolkit
        try:
            dataclasses.replace(tip, written_on=tip.written_on or today,
                                written_by=tip.written_by or "you").validate(today=today)
        except ValidationError as exc:
            self._show(exc)
            return
        self.errors.clear()
        self.buttons.setEnabled(False)
        StoreOp(self.ctx.ops, lambda s: s.save_tip(tip, toolkit, today=today), initiator=self) \
            .success(lambda _c: self._done(tip.id)).failure(self._failed).run()

    def _show(self, exc: ValidationError) -> None:
        self.errors.show(exc)
        first = next((p.field for p in exc.problems if p.field in self.errors.labels), "text")
        widgets: dict[str, QWidget] = {"text": self.text, "link": self.link, "ownership": self.ownership,
                                       "ehr_vendor": self.ehr_vendor, "size": self.practice_size}
        widgets.get(first, self.text).setFocus()

"""A diary entry: write a new one, change one of mine, or (a supervisor) read one a colleague
shared, read-only with its author's name.

Private by default: "Share with my supervisor" starts unticked. The entry is checked here first
(the store's own rules, plus strategy ids from the toolkit), then written off the UI thread; a
refusal keeps the dialog open with each message beside its field, so nothing typed is lost.
Unticking the box on a shared entry takes the share back before the new words are saved, so
words written since never leave this computer (the server keeps a blank tombstone only)."""

from __future__ import annotations

import dataclasses
import re
from typing import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...core.errors import FieldProblem, ValidationError
from ...core.model import DiaryEntry, Practice, new_id
from ...core.vocab import DiaryTag
from ..context import AppContext
from ..ops import StoreOp
from ..widgets.date_field import DateField
from ..widgets.field_errors import FieldErrors, error_label
from .saving import SavesOffThread

# Alt+letters of the tags, chosen so none clashes with the other fields (D, E, P, T, H, S).
TAG_LABELS = {"barrier": "&Barrier", "success": "S&uccess", "question": "&Question", "idea": "&Idea"}
SHARE_NOTE = "Your supervisor will be able to read this entry after your next sync."
PRIVATE_NOTE = "Private: only you can read it. It is never printed and never leaves this computer."


def parse_strategies(text: str, known: frozenset[str]) -> list[str]:
    """"B1, s4 B2" -> ["B1", "S4", "B2"]; an id the toolkit lacks is an error naming it."""
    ids: list[str] = []
    for word in re.split(r"[,;\s]+", text.strip()):
        if not word:
            continue
        sid = word.upper()
        if sid not in known:
            raise ValidationError([FieldProblem("strategies", f"There is no strategy {word!r} in the toolkit; "
                                                              "type ids such as B1, S4")])
        if sid not in ids:
            ids.append(sid)
    return ids


class DiaryEntryDialog(SavesOffThread, QDialog):
    """Emits `saved(entry_id)` once the store has committed."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, *, practices: Sequence[Practice], entry: DiaryEntry | None = None,
                 shared: bool = False, read_only: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.entry = entry or DiaryEntry(written_on=ctx.today(), text="")
        self.is_new = entry is None
        self.was_shared = shared
        self.read_only = read_only
        if read_only:
            title = f"Diary entry by {self.entry.written_by}"
        else:
            title = "Edit diary entry" if entry else "New diary entry"
        self.setWindowTitle(title)
        self.setObjectName("DiaryEntryDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        self.date = DateField()
        self.date.setAccessibleName("Date")
        self.date.set_value(self.entry.written_on or ctx.today())
        self.text = QPlainTextEdit(self.entry.text)
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName("Entry")
        self.text.setPlaceholderText("What happened, what you noticed, what you will try next.")
        self.text.setMinimumHeight(160)
        self.tags: dict[str, QCheckBox] = {}
        tag_row = QHBoxLayout()
        for tag in DiaryTag:
            box = QCheckBox(TAG_LABELS.get(tag.value, tag.label))
            box.setAccessibleName(f"Tag: {tag.label}")
            box.setChecked(tag.value in self.entry.tags)
            self.tags[tag.value] = box
            tag_row.addWidget(box)
        tag_row.addStretch(1)
        self.practice = QComboBox()
        self.practice.setAccessibleName("Practice")
        self.practice.addItem("None", "")
        for p in practices:
            self.practice.addItem(p.name, p.id)
        if self.entry.about_practice and self.practice.findData(self.entry.about_practice) < 0:
            self.practice.addItem(self.entry.about_practice, self.entry.about_practice)  # not on this computer
        self.practice.setCurrentIndex(max(0, self.practice.findData(self.entry.about_practice)))
        self.strategies = QLineEdit(", ".join(self.entry.strategies))
        self.strategies.setAccessibleName("Strategies")
        self.strategies.setPlaceholderText("optional, e.g. B1, S4")
        self.share = QCheckBox("S&hare with my supervisor")
        self.share.setChecked(shared)
        self.share_note = QLabel()
        self.share_note.setWordWrap(True)
        self.share_note.setStyleSheet("color: palette(placeholder-text);")
        self.share.toggled.connect(self._share_toggled)
        self._share_toggled(shared)

        self.errors = FieldErrors(error_label(self))
        form = QFormLayout()
        fields: tuple[tuple[str, str, QWidget], ...] = (("written_on", "&Date", self.date),
                                                        ("text", "&Entry", self.text))
        for field, label, widget in fields:
            caption = QLabel(label)
            caption.setBuddy(widget)
            self.errors.add_row(form, field, caption, widget, self)
        tags_box = QVBoxLayout()
        tags_box.setSpacing(1)
        tags_box.addLayout(tag_row)
        tags_box.addWidget(self.errors.add("tags", self))
        form.addRow(QLabel("Tags"), tags_box)
        fields = (("about_practice", "&Practice", self.practice), ("strategies", "S&trategies", self.strategies))
        for field, label, widget in fields:
            caption = QLabel(label)
            caption.setBuddy(widget)
            self.errors.add_row(form, field, caption, widget, self)
        share_box = QVBoxLayout()
        share_box.setSpacing(1)
        share_box.addWidget(self.share)
        share_box.addWidget(self.share_note)
        form.addRow("", share_box)

        self.buttons = QDialogButtonBox()
        if read_only:
            author = QLabel(f"Written by {self.entry.written_by} and shared with you. Only they can change it.")
            author.setWordWrap(True)
            form.insertRow(0, author)
            for w in (self.date, self.practice, self.share, *self.tags.values()):
                w.setEnabled(False)
            self.text.setReadOnly(True)
            self.strategies.setReadOnly(True)
            self.share.setVisible(False)
            self.share_note.setVisible(False)
            close = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
            close.setAccessibleName("Close")
            close.setDefault(True)
            self.save_button = None
        else:
            self.save_button = self._add_save_cancel(self.buttons, "&Save entry")
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors.general)
        layout.addWidget(self.buttons)
        self.resize(600, self.sizeHint().height())
        self.text.setFocus()

    def _share_toggled(self, on: bool) -> None:
        if on:
            self.share_note.setText(SHARE_NOTE)
        elif self.was_shared:
            self.share_note.setText("Saving takes the share back: your supervisor will no longer see it, "
                                    "and the server keeps no copy of the words.")
        else:
            self.share_note.setText(PRIVATE_NOTE)

    def value(self) -> DiaryEntry:
        """The entry as typed (strategies parsed: a ValidationError names an unknown one)."""
        return dataclasses.replace(
            self.entry, written_on=self.date.value(), text=self.text.toPlainText().strip(),
            tags=[t for t, box in self.tags.items() if box.isChecked()],
            about_practice=self.practice.currentData() or "",
            strategies=parse_strategies(self.strategies.text(), self.ctx.toolkit.ids),
            shared=self.share.isChecked())

    def _save(self) -> None:
        if self.read_only:
            return
        today = self.ctx.today()
        try:
            entry = self.value()
            entry.validate(today=today)
        except ValidationError as exc:
            self._show(exc)
            return
        self.errors.clear()
        self.buttons.setEnabled(False)
        unshare = not self.is_new and self.was_shared and not entry.shared
        share = entry.shared and not self.was_shared
        # Taking a share back: the shared entry becomes a tombstone (nothing of its words) and the
        # entry is kept here, private, under a new id, so edited words never reach the server.
        saved_id = new_id() if unshare else entry.id

        def work(s):
            if unshare:
                s.delete_diary_entry(entry.id)
                return s.save_diary_entry(dataclasses.replace(entry, id=saved_id, shared=False), today=today)
            changes = s.save_diary_entry(entry, today=today)
            return changes | s.share_diary_entry(entry.id, True) if share else changes
        StoreOp(self.ctx.ops, work, initiator=self).success(lambda _c: self._done(saved_id)).failure(
            self._failed).run()

    def _show(self, exc: ValidationError) -> None:
        self.errors.show(exc)
        widgets = {"written_on": self.date, "text": self.text, "about_practice": self.practice,
                   "strategies": self.strategies, "tags": next(iter(self.tags.values()))}
        first = next((p.field for p in exc.problems if p.field in widgets), "text")
        widgets[first].setFocus()

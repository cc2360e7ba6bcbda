"""Diary: the facilitator's dated reflections, newest first, with a search (as you type), a tag
filter and a practice filter. Entries are private until shared with the supervisor, one by one;
nothing here is ever printed on a leave-behind (reports/ never reads the diary).

A supervisor also sees the entries their facilitators shared, read-only with the author's
name, and can filter by facilitator.

Keyboard: Ctrl+N new entry, Ctrl+F search; in the list Enter opens the entry, Delete deletes
mine (after asking); Alt+N new, Alt+E edit, Alt+D delete, Alt+H share or stop sharing, Alt+S
search, Alt+T tag, Alt+R practice, Alt+F facilitator.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...core.model import DiaryEntry, Practice
from ...core.vocab import DiaryTag
from ..context import AppContext
from ..dialogs.diary_dialog import DiaryEntryDialog
from ..labels import fmt_date
from ..models.diary_model import DiaryModel, DiaryRow, tags_text
from ..ops import QueryOp, StoreOp
from ..widgets.confirm import confirm
from ..widgets.keyboard import table_keys
from .base_view import BaseView

SEARCH_DELAY_MS = 120  # a query per pause in typing, not per key
SHARE_TEXT = ("Your supervisor will be able to read this entry (its date, words, tags, practice and strategies) "
              "after your next sync. You can stop sharing it at any time.")
UNSHARE_TEXT = ("Your supervisor will no longer see it after your next sync. The server keeps no copy of the "
                "words; the entry stays on this computer, private.")


class DiaryView(BaseView):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.practices: list[Practice] = []
        self.dialog: DiaryEntryDialog | None = None
        self._generation = 0
        self._select: str | None = None

        self.search = QLineEdit(placeholderText="Search the words of your entries (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the diary")
        self.tag = QComboBox()
        self.tag.setAccessibleName("Tag filter")
        self.tag.addItem("All tags", None)
        for t in DiaryTag:
            self.tag.addItem(t.label, t.value)
        self.practice = QComboBox()
        self.practice.setAccessibleName("Practice filter")
        self.practice.addItem("All practices", None)
        self.author = QComboBox()
        self.author.setAccessibleName("Facilitator filter")
        self.author.addItem("Everyone", None)
        self.count = QLabel()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        for combo in (self.tag, self.practice, self.author):
            combo.currentIndexChanged.connect(lambda _i: self.reload())

        top = QHBoxLayout()
        for text, widget, stretch in (("&Search", self.search, 1), ("&Tag", self.tag, 0),
                                      ("P&ractice", self.practice, 0), ("&Facilitator", self.author, 0)):
            label = QLabel(text)
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget, stretch)
            if widget is self.author:
                self.author_label = label
        top.addWidget(self.count)
        self.practice.setMinimumContentsLength(18)

        self.model = DiaryModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Diary entries")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(DiaryModel.ENTRY, QHeaderView.ResizeMode.Stretch)
        for col, width in ((DiaryModel.DATE, 100), (DiaryModel.TAGS, 130), (DiaryModel.PRACTICE, 170),
                           (DiaryModel.SHARING, 150)):
            header.resizeSection(col, width)
        self.keys = table_keys(self.table, on_delete=lambda _rows: self.delete())
        self.table.activated.connect(lambda _i: self.open_current())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._on_current())
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("The entry")
        self.preview.setOpenLinks(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(self.table)
        split.addWidget(self.preview)
        split.setSizes([380, 220])

        self.new_button = QPushButton("&New entry…")
        self.new_button.setToolTip("A new diary entry (Ctrl+N)")
        self.edit_button = QPushButton("&Edit…")
        self.delete_button = QPushButton("&Delete")
        self.share_button = QPushButton("S&hare with my supervisor")
        for button, name in ((self.new_button, "New diary entry"), (self.edit_button, "Edit the entry"),
                             (self.delete_button, "Delete the entry"), (self.share_button, "Share or stop sharing")):
            button.setAccessibleName(name)
        self.new_button.clicked.connect(self.new_entry)
        self.edit_button.clicked.connect(self.open_current)
        self.delete_button.clicked.connect(self.delete)
        self.share_button.clicked.connect(self.toggle_share)
        self.privacy = QLabel("Entries are private unless you share them. Nothing from the diary is ever printed.")
        self.privacy.setStyleSheet("color: palette(placeholder-text);")
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button, self.share_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.privacy)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.setTabOrder(self.table, self.new_button)
        self._update_buttons()

    # -- data -----------------------------------------------------------------------------

    @property
    def supervisor(self) -> bool:
        return self.ctx.role == "supervisor"

    def is_relevant(self, changes) -> bool:
        return bool(changes.entities & {"diary_entry", "practice"})

    def focus_search(self) -> bool:
        self.search.setFocus()
        self.search.selectAll()
        return True

    def new_item(self) -> bool:
        self.new_entry()
        return True

    def reload(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        search, tag = self.search.text(), self.tag.currentData()
        practice_id, author = self.practice.currentData(), self.author.currentData()

        def load(s):
            entries = s.diary_entries(search=search, tag=tag, written_by=author, practice_id=practice_id)
            authors = sorted({e.written_by for e in s.diary_entries()} - {s.facilitator}, key=str.lower)
            return entries, s.practices(), s.facilitator, authors
        QueryOp(self.ctx.ops, load).success(
            lambda r: self._show(*r) if generation == self._generation else None).run()

    def _show(self, entries: list[DiaryEntry], practices: list[Practice], me: str, authors: list[str]) -> None:
        self.practices = practices
        names = {p.id: p.name for p in practices}
        self._fill(self.practice, [(p.name, p.id) for p in practices])
        self._fill(self.author, [("Mine", me)] + [(a, a) for a in authors])
        self.author.setVisible(self.supervisor)
        self.author_label.setVisible(self.supervisor)
        current = self.current()
        keep = self._select or (current.entry.id if current else None)
        self._select = None
        old_row = self.table.currentIndex().row()
        had_focus = self.table.hasFocus()
        self.model.set_rows([DiaryRow(e, names.get(e.about_practice, e.about_practice), e.written_by == me)
                             for e in entries])
        total = len(entries)
        filtered = bool(self.search.text().strip() or self.tag.currentData() or self.practice.currentData()
                        or self.author.currentData())
        self.count.setText(f"{total} {'entry' if total == 1 else 'entries'}{' found' if filtered else ''}")
        row = self.model.index_of(keep) if keep else -1
        if row < 0 and entries:
            row = min(max(old_row, 0), total - 1)
        if row >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        if had_focus:
            self.table.setFocus()
        self._on_current()

    @staticmethod
    def _fill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
        """Refill a filter's choices after its first ("All …") keeping the one chosen."""
        chosen = combo.currentData()
        if [(combo.itemText(i), combo.itemData(i)) for i in range(1, combo.count())] == items:
            return
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for text, data in items:
            combo.addItem(text, data)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def current(self) -> DiaryRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() and index.row() < self.model.rowCount() else None

    def _on_current(self) -> None:
        row = self.current()
        self.preview.setHtml(_preview(row) if row else
                             "<p>No entry here yet. <b>New entry…</b> (Ctrl+N) writes one.</p>"
                             if not self.search.text() else "<p>No entry matches.</p>")
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.current()
        mine = bool(row and row.mine)
        self.edit_button.setText("&Edit…" if row is None or mine else "&Open…")
        self.edit_button.setEnabled(row is not None)
        self.delete_button.setEnabled(mine)
        self.share_button.setEnabled(mine)
        self.share_button.setText("Stop s&haring" if row and row.mine and row.entry.shared
                                  else "S&hare with my supervisor")

    # -- actions --------------------------------------------------------------------------

    def new_entry(self) -> None:
        practice = self.practice.currentData() or ""
        draft = DiaryEntry(written_on=self.ctx.today(), text="", about_practice=practice)
        self._open(DiaryEntryDialog(self.ctx, practices=self.practices, entry=None, parent=self.window()),
                   draft if practice else None)

    def open_current(self) -> None:
        row = self.current()
        if row is None:
            return
        self._open(DiaryEntryDialog(self.ctx, practices=self.practices, entry=row.entry, shared=row.entry.shared,
                                    read_only=not row.mine, parent=self.window()))

    def _open(self, dialog: DiaryEntryDialog, preset: DiaryEntry | None = None) -> None:
        if preset is not None:  # a new entry starts on the practice the list is filtered to
            dialog.practice.setCurrentIndex(max(0, dialog.practice.findData(preset.about_practice)))
        self.dialog = dialog
        dialog.saved.connect(self._saved)
        dialog.finished.connect(lambda _r: self.table.setFocus())
        dialog.open()

    def _saved(self, entry_id: str) -> None:
        self._select = entry_id
        self.reload()

    def delete(self) -> None:
        row = self.current()
        if row is None or not row.mine:
            return
        entry_id = row.entry.id
        more = (" Your supervisor will no longer see it; the server keeps no copy of the words."
                if row.entry.shared else "")
        confirm(self, "Delete the entry?", f"Delete your entry of {fmt_date(row.entry.written_on)}?",
                "&Delete", lambda: self._write(lambda s: s.delete_diary_entry(entry_id)),
                informative=f"It is removed from this computer and cannot be brought back.{more}",
                after=self.table.setFocus)

    def toggle_share(self) -> None:
        row = self.current()
        if row is None or not row.mine:
            return
        entry_id = row.entry.id
        if row.entry.shared:
            confirm(self, "Stop sharing?", "Stop sharing this entry with your supervisor?", "&Stop sharing",
                    lambda: self._write(lambda s: s.share_diary_entry(entry_id, False)),
                    informative=UNSHARE_TEXT, after=self.table.setFocus)
        else:
            confirm(self, "Share with your supervisor?", "Share this entry with your supervisor?", "S&hare",
                    lambda: self._write(lambda s: s.share_diary_entry(entry_id, True), select=entry_id),
                    informative=SHARE_TEXT, after=self.table.setFocus)

    def _write(self, work, *, select: str | None = None) -> None:
        self._select = select
        StoreOp(self.ctx.ops, work, initiator=self).run()  # the Changes signal redraws the list


def _preview(row: DiaryRow) -> str:
    e, entry = html.escape, row.entry
    facts = [fmt_date(entry.written_on), row.sharing]
    if entry.tags:
        facts.append(tags_text(entry))
    if row.practice:
        facts.append(row.practice)
    if entry.strategies:
        facts.append("Strategies " + ", ".join(entry.strategies))
    if not row.mine:
        facts.insert(0, f"By {entry.written_by}")
    body = "".join(f"<p>{e(p)}</p>" for p in entry.text.split("\n\n")).replace("\n", "<br>")
    return f"<p><i>{e(' · '.join(facts))}</i></p>{body}"

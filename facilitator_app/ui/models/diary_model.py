"""Diary entries as a table, newest first: date, tags, practice, the first line, and who can
read it (Private, Shared, or for a supervisor the colleague who shared it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from ...core.model import DiaryEntry
from ...core.vocab import DiaryTag
from ..labels import fmt_date
from .row_table_model import Column, RowTableModel


@dataclass(frozen=True)
class DiaryRow:
    """An entry with what the list needs beside it: the practice's name and whether it is mine."""

    entry: DiaryEntry
    practice: str  # the practice's name ("" for none; its id if this computer does not have it)
    mine: bool

    @property
    def sharing(self) -> str:
        if not self.mine:
            return f"Shared by {self.entry.written_by}"
        return "Shared" if self.entry.shared else "Private"


def tags_text(entry: DiaryEntry) -> str:
    return ", ".join(DiaryTag.label_of(t) for t in entry.tags)


def first_line(text: str, chars: int = 120) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= chars else line[:chars - 1].rstrip() + "…"


def search_text(row: DiaryRow) -> str:
    return " ".join((row.entry.text, tags_text(row.entry), row.practice, row.entry.written_by))


class DiaryModel(RowTableModel[DiaryRow]):
    DATE, TAGS, PRACTICE, ENTRY, SHARING = range(5)

    columns = (
        Column("Date", lambda r: fmt_date(r.entry.written_on), sort_key=lambda r: r.entry.written_on),
        Column("Tags", lambda r: tags_text(r.entry)),
        Column("Practice", lambda r: r.practice),
        Column("Entry", lambda r: first_line(r.entry.text)),
        Column("Who can read it", lambda r: r.sharing,
               tooltip="Private: only you. Shared: you and your supervisor."),
    )

    def extra_data(self, record: DiaryRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == self.ENTRY:
            return record.entry.text
        return None

    def index_of(self, entry_id: str) -> int:
        return next((i for i, r in enumerate(self.rows()) if r.entry.id == entry_id), -1)

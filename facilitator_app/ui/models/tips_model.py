"""Field tips as a table: the tip (with the practices it suits and its link), who wrote it and
when, how many found it helpful, and whether a supervisor pinned or hid it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ...core.model import Tip
from ...core.vocab import Ownership, PracticeSize
from ...store.peer import TipView
from ..labels import fmt_date
from .row_table_model import Column, RowTableModel

HIDDEN_COLOR = QColor("#757575")


def traits_text(tip: Tip) -> str:
    """The practices a tip says it suits, in words ("" when it suits any)."""
    parts = [Ownership.label_of(tip.ownership) if tip.ownership else "",
             tip.ehr_vendor.strip(), PracticeSize.label_of(tip.size) if tip.size else ""]
    return " · ".join(p for p in parts if p)


def byline(view: TipView | Tip) -> str:
    tip = view.tip if isinstance(view, TipView) else view
    return f"by {tip.written_by or 'unknown'} on {fmt_date(tip.written_on)}"


def badges(view: TipView, *, supervisor: bool) -> str:
    """Pinned / hidden, said the way the reader needs it: the author learns why others no longer see it."""
    out = []
    if view.tip.pinned:
        out.append("Pinned")
    if view.tip.hidden:
        out.append("Hidden by your supervisor" if view.mine and not supervisor else "Hidden")
    if view.marked_by_me:
        out.append("You found it helpful")
    return " · ".join(out)


def tip_text(view: TipView) -> str:
    """The tip as one cell: its words, then the traits and the link on their own lines."""
    lines = [view.tip.text.strip()]
    traits = traits_text(view.tip)
    if traits:
        lines.append(f"Suits: {traits}")
    if view.tip.link:
        lines.append(view.tip.link)
    return "\n".join(lines)


class TipsModel(RowTableModel[TipView]):
    TIP, BY, HELPFUL, STATUS = range(4)

    def __init__(self, parent=None, *, supervisor: bool = False):
        super().__init__(parent)
        self.supervisor = supervisor
        self.columns = (
            Column("Tip", tip_text),
            Column("Written", byline),
            Column("Helpful", lambda v: str(v.helpful), align_right=True,
                   tooltip="How many facilitators marked the tip helpful"),
            Column("Status", lambda v: badges(v, supervisor=self.supervisor)),
        )

    def extra_data(self, record: TipView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and record.tip.hidden:
            return HIDDEN_COLOR
        if role == Qt.ItemDataRole.ToolTipRole and column == self.TIP:
            return record.tip.text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.columns[column].display(record)
        return None

    def index_of(self, tip_id: str) -> int:
        return next((i for i, v in enumerate(self.rows()) if v.tip.id == tip_id), -1)

"""Sync issues: conflicts with both values, who and when, resolved by choosing one; changes
the server rejected, with its reason; and records from the server this computer could not use
(set aside by the tolerant reader, store/pulled.py), with the reason."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.record_labels import UNSHOWABLE, record_label
from ..context import AppContext
from ..ops import QueryOp, StoreOp, describe_error
from ..widgets.keyboard import table_keys
from .base_view import BaseView

HIDDEN_FIELDS = {"id", "practice_id", "strategy_id"}
OUTCOMES = {
    "superseded": "The other value is newer, so the server kept it. Yours is kept here.",
    "applied_conflict": "Yours is newer, so the server kept it. The other value is kept here.",
}


def _fmt(fields: Any) -> str:
    """A change as a facilitator reads it: field names in words, no ids, short values."""
    if not isinstance(fields, dict):
        return "(no readable fields)"
    parts = []
    for key, value in fields.items():
        if key in HIDDEN_FIELDS or (key == "deleted" and not value):
            continue
        if key == "deleted":
            parts.append("deleted")
            continue
        if value in (None, "", []):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
        text = UNSHOWABLE.sub(" ", text)
        text = text if len(text) <= 60 else text[:57] + "…"
        parts.append(f"{UNSHOWABLE.sub(' ', str(key))[:40].replace('_', ' ')}: {text}")
    return "; ".join(parts) or "(no visible change)"


class SyncIssuesView(BaseView):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.conflicts_data: list = []
        self.rejected_data: list = []
        self.set_aside_data: list = []
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.conflicts = QTableWidget(0, 6)
        self.conflicts.setAccessibleName("Conflicts")
        self.conflicts.setHorizontalHeaderLabels(["Record", "Your value", "You / when", "Server's value",
                                                  "By", "Outcome"])
        self.conflicts.setWordWrap(True)
        self.rejected = QTableWidget(0, 4)
        self.rejected.setAccessibleName("Rejected changes")
        self.rejected.setHorizontalHeaderLabels(["Record", "Change", "Server's reason", "When"])
        self.set_aside = QTableWidget(0, 3)
        self.set_aside.setAccessibleName("Records from the server this computer could not use")
        self.set_aside.setHorizontalHeaderLabels(["Record", "Why this computer could not use it", "Received"])
        for table in (self.conflicts, self.rejected, self.set_aside):
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table_keys(self.conflicts)
        table_keys(self.set_aside)
        self.rejected_keys = table_keys(self.rejected, on_delete=self._dismiss_rows, confirm_delete=(
            "Dismiss the selected refused change? It stays in the server's log; it is removed from this list."))
        self.rejected.setToolTip("Delete dismisses the selected change")
        self.keep_mine = QPushButton("Keep &my value")
        self.keep_mine.setAccessibleName("Keep my value")
        self.keep_mine.clicked.connect(lambda: self._resolve("mine"))
        self.keep_theirs = QPushButton("Keep the &server's value")
        self.keep_theirs.setAccessibleName("Keep the server's value")
        self.keep_theirs.clicked.connect(lambda: self._resolve("theirs"))
        self.dismiss = QPushButton("&Dismiss")
        self.dismiss.setAccessibleName("Dismiss the selected rejected change")
        self.dismiss.clicked.connect(self._dismiss)
        self.dismiss_record = QPushButton("Dismiss &record")
        self.dismiss_record.setAccessibleName("Dismiss the selected record from the server")
        self.dismiss_record.clicked.connect(self._dismiss_record)
        self.message = QLabel()
        cbox = QGroupBox("Conflicts: the same field was changed in two places")
        cl = QVBoxLayout(cbox)
        cl.addWidget(self.conflicts)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.keep_theirs)
        row.addWidget(self.keep_mine)
        cl.addLayout(row)
        rbox = QGroupBox("Changes the server did not accept")
        rl = QVBoxLayout(rbox)
        rl.addWidget(self.rejected)
        row2 = QHBoxLayout()
        row2.addStretch(1)
        row2.addWidget(self.dismiss)
        rl.addLayout(row2)
        sbox = QGroupBox("Records from the server this computer could not use")
        sl = QVBoxLayout(sbox)
        explain = QLabel("This computer keeps the version it had of each one; a corrected version from the server "
                         "replaces the entry. Tell whoever changed it, or your data team, what the reason says.")
        explain.setWordWrap(True)
        sl.addWidget(explain)
        sl.addWidget(self.set_aside)
        row3 = QHBoxLayout()
        row3.addStretch(1)
        row3.addWidget(self.dismiss_record)
        sl.addLayout(row3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(cbox, 3)
        layout.addWidget(rbox, 2)
        layout.addWidget(sbox, 2)

    @property
    def service(self):
        return self.ctx.sync.service if self.ctx.sync is not None else None

    def reload(self) -> None:
        service = self.service
        if service is None:
            self.intro.setText("Sync is not available in this build.")
            return
        def load(_store):
            conflicts, rejected, set_aside = service.conflicts(), service.quarantined(), service.rejected_rows()
            store = service.store()
            labels = {(i.entity, i.row_id): record_label(i.entity, i.row_id, i.fields,
                                                         store.label_facts(i.entity, i.row_id, i.practice_id))
                      for i in [*rejected, *set_aside]}
            labels.update({(c.entity, c.row_id): record_label(c.entity, c.row_id, c.local_fields,
                                                              store.label_facts(c.entity, c.row_id, c.practice_id))
                           for c in conflicts})
            return conflicts, rejected, set_aside, labels

        QueryOp(self.ctx.ops, load).success(self._loaded).failure(
            lambda e: self.intro.setText(describe_error(e))).run()

    def _loaded(self, data) -> None:
        self.conflicts_data, self.rejected_data, self.set_aside_data, labels = data
        self.intro.setText(
            "Nothing was lost: when two people change the same field, the server keeps one value and records "
            "the other here. Choose which one to keep."
            if self.conflicts_data or self.rejected_data or self.set_aside_data
            else "No sync issues. Conflicts and rejected changes appear here after a sync.")
        self.conflicts.setRowCount(len(self.conflicts_data))
        for row, c in enumerate(self.conflicts_data):
            cells = (labels[(c.entity, c.row_id)], _fmt(c.local_fields),
                     f"{c.local_author or 'you'} · {c.detected_at[:16].replace('T', ' ')}", _fmt(c.current_fields),
                     c.current_author, OUTCOMES.get(c.outcome, c.outcome.replace("_", " ")))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.conflicts.setItem(row, col, item)
        self.conflicts.resizeRowsToContents()
        self.rejected.setRowCount(len(self.rejected_data))
        for row, q in enumerate(self.rejected_data):
            for col, text in enumerate((labels[(q.entity, q.row_id)], _fmt(q.fields), q.reason,
                                        q.quarantined_at[:16].replace("T", " "))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.rejected.setItem(row, col, item)
        self.rejected.resizeRowsToContents()
        self.set_aside.setRowCount(len(self.set_aside_data))
        for row, r in enumerate(self.set_aside_data):
            when = r.received_at[:16].replace("T", " ")
            for col, text in enumerate((labels[(r.entity, r.row_id)], r.reason,
                                        when + (" (found when this computer's data was upgraded)"
                                                if r.source == "upgrade" else ""))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.set_aside.setItem(row, col, item)
        self.set_aside.resizeRowsToContents()
        self.dismiss_record.setEnabled(bool(self.set_aside_data))
        has = bool(self.conflicts_data)
        self.keep_mine.setEnabled(has)
        self.keep_theirs.setEnabled(has)
        self.dismiss.setEnabled(bool(self.rejected_data))
        if has and not self.conflicts.selectionModel().selectedRows():
            self.conflicts.selectRow(0)

    def _resolve(self, choice: str) -> None:
        rows = self.conflicts.selectionModel().selectedRows()
        if not rows or self.service is None:
            return
        conflict = self.conflicts_data[rows[0].row()]
        service = self.service
        StoreOp(self.ctx.ops, lambda _s: service.resolve_conflict(conflict.id, choice)).success(
            lambda _r: self._resolved(choice)).failure(lambda e: self.message.setText(describe_error(e))).run()

    def _resolved(self, choice: str) -> None:
        self.message.setText("Kept your value; it will be sent at the next sync." if choice == "mine"
                             else "Kept the server's value.")
        self.refresh()
        if self.ctx.sync is not None:
            self.ctx.sync.refresh_status()

    def _dismiss(self) -> None:
        rows = self.rejected.selectionModel().selectedRows()
        if rows:
            self._dismiss_rows([rows[0].row()])

    def _dismiss_rows(self, rows: list[int]) -> None:
        if self.service is None:
            return
        ids = [self.rejected_data[r].mutation_id for r in rows if r < len(self.rejected_data)]
        service = self.service

        def work(_s) -> None:
            for mutation_id in ids:
                service.dismiss_quarantined(mutation_id)
        StoreOp(self.ctx.ops, work).success(lambda _r: self.refresh()).failure(
            lambda e: self.message.setText(describe_error(e))).run()

    def _dismiss_record(self) -> None:
        rows = self.set_aside.selectionModel().selectedRows()
        if not rows or self.service is None:
            return
        entry = self.set_aside_data[rows[0].row()]
        service = self.service
        StoreOp(self.ctx.ops, lambda _s: service.dismiss_rejected_row(entry.id)).success(
            lambda _r: self._record_dismissed()).failure(lambda e: self.message.setText(describe_error(e))).run()

    def _record_dismissed(self) -> None:
        self.refresh()
        if self.ctx.sync is not None:
            self.ctx.sync.refresh_status()


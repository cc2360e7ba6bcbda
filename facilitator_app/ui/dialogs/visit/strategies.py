"""Strategies worked on: the toolkit's strategies, the practice's chosen ones first, each with
its status before the visit, the status it leaves the visit with, and a short note.

Only the practice's chosen strategies (and any worked on in this visit) are listed until "Show
every strategy" is ticked, so the table is as tall as its rows and never scrolls inside the page.
Keyboard: arrows move, Space ticks, F4 (or Alt+Down) opens "Status after", typing on the note
starts it.

Below the table, for the strategies ticked as worked on, the colleagues' field tips that suit the
practice: a count and the top one per strategy (all of them in the tooltip and the accessible
description); a Tab stop only while there is something to read, so the form's keys are unchanged.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ....core.model import ChecklistItem, StrategyWork, Tip
from ....core.toolkit import Toolkit
from ....core.vocab import StrategyStatus
from ...labels import status_label
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
)

S_WORKED, S_STRATEGY, S_BEFORE, S_AFTER, S_NOTE = range(5)
UNCHOSEN = (StrategyStatus.NOT_SELECTED, StrategyStatus.DECLINED)


def default_after(before: str) -> str:
    """Working on a strategy the practice had not started puts it in progress."""
    if before in (StrategyStatus.NOT_SELECTED, StrategyStatus.SELECTED, StrategyStatus.DECLINED):
        return StrategyStatus.IN_PROGRESS.value
    return before


class StrategiesSection(Section[VisitFields]):
    FIELDS = ("strategies",)

    def __init__(self, errors: FieldErrors, toolkit: Toolkit, checklist: list[ChecklistItem],
                 selected: list[str], parent: QWidget | None = None, *, tips: Sequence[Tip] = ()):
        super().__init__("&Strategies worked on", errors, parent)
        self.tips: dict[str, list[Tip]] = {}
        for tip in tips:
            self.tips.setdefault(tip.strategy_id, []).append(tip)
        self.before = {i.strategy_id: i.status for i in checklist}
        chosen = set(selected) | {sid for sid, st in self.before.items() if st not in UNCHOSEN}
        self.chosen = chosen
        ordered = [s for s in toolkit.strategies if s.id in chosen] + \
                  [s for s in toolkit.strategies if s.id not in chosen]
        self.table = QTableWidget(len(ordered), 5, self)
        self.table.setAccessibleName("Strategies worked on")
        self.table.setHorizontalHeaderLabels(["Worked on", "Strategy (★ chosen by the practice)", "Status before",
                                              "Status after", "Note"])
        self.table.verticalHeader().setVisible(False)
        compact_rows(self.table)
        rows_show_focus(self.table)
        self.table.setWordWrap(False)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(S_STRATEGY, QHeaderView.ResizeMode.Stretch)
        for col, width in ((S_WORKED, 80), (S_BEFORE, 105), (S_AFTER, 130), (S_NOTE, 230)):
            h.resizeSection(col, width)
        self.delegate = LiveEditDelegate(self.table)
        self.delegate.edited.connect(self.touch)
        self.rows: dict[str, int] = {}
        # "Status after" of each row: a combo box once the row is on screen (made when first shown:
        # 35 of them would make the form slow to open), else the value it will show.
        self.after: dict[str, QComboBox] = {}
        self._after: dict[str, str] = {}
        for row, s in enumerate(ordered):
            self.rows[s.id] = row
            worked = QTableWidgetItem()
            worked.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            worked.setCheckState(Qt.CheckState.Unchecked)
            worked.setData(Qt.ItemDataRole.UserRole, s.id)
            worked.setData(Qt.ItemDataRole.AccessibleTextRole, f"Worked on {s.id}")
            self.table.setItem(row, S_WORKED, worked)
            title = QTableWidgetItem(f"{'★ ' if s.id in chosen else ''}{s.id}  {s.title}")
            title.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            title.setToolTip(s.summary)
            self.table.setItem(row, S_STRATEGY, title)
            before = self.before.get(s.id, StrategyStatus.NOT_SELECTED.value)
            self.table.setItem(row, S_BEFORE, self._before_item(before))
            self._after[s.id] = default_after(before)
            note = QTableWidgetItem("")
            note.setData(Qt.ItemDataRole.AccessibleTextRole, f"Note on {s.id}")
            self.table.setItem(row, S_NOTE, note)
        self.keys = table_keys(self.table)
        self.table.itemChanged.connect(self._item_changed)
        self.watch(self.table)
        self.show_all = QCheckBox(f"Show every strategy ({len(ordered)})")
        self.show_all.setAccessibleName("Show every strategy of the toolkit")
        self.show_all.setChecked(not chosen)
        self.show_all.toggled.connect(self._filter_rows)
        hint = QLabel("Space ticks; F4 opens Status after.")
        hint.setStyleSheet("color: palette(placeholder-text);")
        bottom = QHBoxLayout()
        bottom.addWidget(self.show_all)
        bottom.addStretch(1)
        bottom.addWidget(hint)
        self.tips_line = QLabel()
        self.tips_line.setWordWrap(True)
        self.tips_line.setAccessibleName("Field tips for the strategies worked on")
        self.tips_line.setTextFormat(Qt.TextFormat.PlainText)
        self.tips_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                               | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tips_line.setStyleSheet("QLabel { background: palette(alternate-base); padding: 3px 6px; }"
                                     "QLabel:focus { border: 1px dashed palette(highlight); }")
        self.tips_line.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(errors.add("strategies", self))
        layout.addWidget(self.tips_line)
        layout.addLayout(bottom)
        self._order: list[str] = []  # the strategies of the visit as stored (kept in that order)
        self._stored: dict[str, StrategyWork] = {}
        self._filter_rows()
        if ordered:
            self.table.setCurrentCell(0, S_WORKED)

    @staticmethod
    def _before_item(status: str) -> QTableWidgetItem:
        item = QTableWidgetItem(status_label(status))
        item.setData(Qt.ItemDataRole.UserRole, status)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    def _combo(self, sid: str) -> QComboBox:
        """The row's Status after combo box, made on first need."""
        combo = self.after.get(sid)
        if combo is None:
            combo = QComboBox()
            for st in StrategyStatus:
                combo.addItem(st.label, st.value)
            select_or_add(combo, self._after[sid], status_label(self._after[sid]))
            combo.setAccessibleName(f"Status after, {sid}")
            combo.setEnabled(self._worked(sid))
            combo.currentIndexChanged.connect(self.touch)
            self.table.setCellWidget(self.rows[sid], S_AFTER, combo)
            self.after[sid] = combo
        return combo

    def status_after(self, sid: str) -> str:
        combo = self.after.get(sid)
        return combo.currentData() if combo is not None else self._after[sid]

    def _set_after(self, sid: str, status: str) -> None:
        self._after[sid] = status
        combo = self.after.get(sid)
        if combo is not None:
            select_or_add(combo, status, status_label(status))

    def _worked(self, sid: str) -> bool:
        return self.table.item(self.rows[sid], S_WORKED).checkState() == Qt.CheckState.Checked

    def _filter_rows(self) -> None:
        """Chosen strategies and those worked on always show; the others when Show every strategy is ticked."""
        every = self.show_all.isChecked()
        for sid, row in self.rows.items():
            hidden = not (every or sid in self.chosen or self._worked(sid))
            self.table.setRowHidden(row, hidden)
            if not hidden:
                self._combo(sid)
        visible = sum(not self.table.isRowHidden(r) for r in range(self.table.rowCount()))
        fit_to_rows(self.table, min_rows=1, max_rows=max(1, visible))

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != S_WORKED:
            return
        sid = item.data(Qt.ItemDataRole.UserRole)
        self._combo(sid).setEnabled(item.checkState() == Qt.CheckState.Checked)
        self._show_tips()

    def _show_tips(self) -> None:
        """One line per ticked strategy with tips: how many, and the best one (pinned, then most helpful)."""
        lines, full = [], []
        for sid in self.rows:
            tips = self.tips.get(sid, [])
            if not tips or not self._worked(sid):
                continue
            top = " ".join(tips[0].text.split())
            count = "1 field tip" if len(tips) == 1 else f"{len(tips)} field tips"
            lines.append(f"{sid} · {count}: “{top[:110]}{'…' if len(top) > 110 else ''}” "
                         f"({tips[0].written_by or 'unknown'})")
            full += [f"{sid}: {t.text.strip()} ({t.written_by or 'unknown'})" + (f" {t.link}" if t.link else "")
                     for t in tips]
        shown = bool(lines)
        self.tips_line.setText("\n".join(lines[:4]) + (f"\n…and {len(lines) - 4} more strategies with tips"
                                                       if len(lines) > 4 else ""))
        self.tips_line.setToolTip("\n".join(full))
        self.tips_line.setAccessibleDescription("\n".join(full))
        self.tips_line.setFocusPolicy(Qt.FocusPolicy.StrongFocus if shown else Qt.FocusPolicy.NoFocus)
        if shown != self.tips_line.isVisibleTo(self):
            self.tips_line.setVisible(shown)

    def set_strategy(self, sid: str, *, worked: bool, after: str | None = None, note: str | None = None) -> None:
        """Tick (or untick) a strategy and set its status after and note, as the user would."""
        row = self.rows[sid]
        self.table.item(row, S_WORKED).setCheckState(check_state(worked))
        if after is not None:
            self._set_after(sid, after)
        if note is not None:
            self.table.item(row, S_NOTE).setText(note)

    # -- value ------------------------------------------------------------------------------

    def _show(self, v: VisitFields) -> None:
        works: list[StrategyWork] = v["strategies"]
        self._order = [w.strategy_id for w in works]
        self._stored = {w.strategy_id: w for w in works}
        for sid, row in self.rows.items():
            w = self._stored.get(sid)
            before = w.status_before if w else self.before.get(sid, StrategyStatus.NOT_SELECTED.value)
            self.table.setItem(row, S_BEFORE, self._before_item(before))
            self.table.item(row, S_WORKED).setCheckState(check_state(w is not None))
            self._set_after(sid, w.status_after if w else default_after(before))
            if sid in self.after:
                self.after[sid].setEnabled(w is not None)
            self.table.item(row, S_NOTE).setText(w.note if w else "")
        self._filter_rows()
        self._show_tips()

    def _read(self) -> VisitFields:
        worked = [sid for sid in self.rows if self._worked(sid)]
        # Stored order first; a strategy this toolkit does not have (a cooperative's own) is kept as stored.
        order = [sid for sid in self._order if sid in worked or sid not in self.rows] + \
                [sid for sid in worked if sid not in self._order]
        out = []
        for sid in order:
            if sid not in self.rows:
                out.append(self._stored[sid])
                continue
            row = self.rows[sid]
            out.append(StrategyWork(sid, self.table.item(row, S_BEFORE).data(Qt.ItemDataRole.UserRole),
                                    self.status_after(sid), self.table.item(row, S_NOTE).text()))
        return {"strategies": out}

    def commit_editor(self) -> None:
        self.delegate.commit_open_editor()

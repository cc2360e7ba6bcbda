"""Today: what needs attention now. Visits this week and month, upcoming contacts, next steps
overdue or due this week (closed from here: today_steps.py), practices with no contact for 45+
days, intensity per practice (actual vs plan, as bars), unsynced changes, unsaved visit drafts;
for a supervisor, a per-facilitator table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.intensity import FacilitatorIntensity, facilitator_totals
from ...store.queries import PracticeSummary, UpcomingContact, VisitCounts
from ..context import AppContext
from ..labels import days_ago, fmt_date, fmt_hours
from ..ops import QueryOp, StoreOp
from ..widgets.intensity_bars import IntensityBars, IntensityRow
from ..widgets.keyboard import table_keys
from .base_view import BaseView
from .today_steps import TodayStepsPanel

MAX_BARS = 15
DRAFT_KIND = "visit"  # the drafts Today lists (and puts back on undo)
DRAFT_KEY_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass
class TodayData:
    counts: VisitCounts
    upcoming: list[UpcomingContact]
    summaries: list[PracticeSummary]
    pending: int
    drafts: list[tuple[str, dict[str, Any]]]
    facilitators: list[FacilitatorIntensity] | None


def load_today(store, today: date, *, supervisor: bool) -> TodayData:
    return TodayData(counts=store.visit_counts(today=today), upcoming=store.upcoming_contacts(today=today, days=14),
                     summaries=store.practice_summaries(today=today),
                     pending=store.pending_changes(), drafts=store.drafts(DRAFT_KIND),
                     facilitators=facilitator_totals(store.visits(), today=today) if supervisor else None)


def _card(title: str) -> tuple[QFrame, QLabel]:
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(frame)
    value = QLabel("—")
    f = value.font()
    f.setPointSizeF(f.pointSizeF() * 2)
    f.setBold(True)
    value.setFont(f)
    value.setAccessibleName(title)
    layout.addWidget(value)
    layout.addWidget(QLabel(title))
    return frame, value


def _list(name: str) -> QListWidget:
    lst = QListWidget()
    lst.setAccessibleName(name)
    lst.setMinimumHeight(72)
    lst.setWordWrap(True)
    lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return lst


class TodayView(BaseView):
    open_practice = Signal(str)
    open_step = Signal(str, str)  # practice id, step id: the practice's Next steps tab
    open_draft = Signal(dict)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.data: TodayData | None = None
        cards = QHBoxLayout()
        self.week_card, self.week = _card("visits this week")
        self.month_card, self.month = _card("visits this month")
        self.hours_card, self.hours = _card("hours this month")
        self.pending_card, self.pending = _card("changes not yet synced")
        for c in (self.week_card, self.month_card, self.hours_card, self.pending_card):
            cards.addWidget(c)

        self.upcoming = _list("Upcoming contacts")
        self.no_contact = _list("No contact for 45 days or more")
        self.drafts = _list("Unsaved visit drafts")
        self.next_steps = TodayStepsPanel(ctx)
        self.next_steps.open_step.connect(self.open_step)
        for lst in (self.upcoming, self.no_contact):
            lst.itemActivated.connect(self._on_item)  # Enter or a double click
        self.drafts.itemActivated.connect(self._on_draft)
        for lst in (self.upcoming, self.no_contact):
            table_keys(lst)
        self.drafts_keys = table_keys(self.drafts, on_delete=self._discard_drafts)
        self.drafts.setToolTip("Enter opens the draft; Delete discards it (Ctrl+Z puts it back)")
        self.boxes: dict[str, QGroupBox] = {}
        lists = QWidget()
        grid = QGridLayout(lists)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, (title, lst) in enumerate((("Upcoming contacts (14 days)", self.upcoming),
                                          ("No contact for 45+ days", self.no_contact),
                                          ("Unsaved visit drafts", self.drafts))):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(lst)
            self.boxes[title] = box
            grid.addWidget(box, i, 0)
        box = QGroupBox("Next steps: overdue and due in the next 7 days")
        QVBoxLayout(box).addWidget(self.next_steps)
        self.boxes["Next steps"] = box
        grid.addWidget(box, 0, 1, 3, 1)  # the list the day's work is closed from: the whole height
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 5)

        self.bars = IntensityBars()
        # The bars get their own scroll area: the lists above grow with the window, and the page
        # itself never scrolls (no table inside a scrolled page).
        self.bars_scroll = QScrollArea()
        self.bars_scroll.setWidgetResizable(True)
        self.bars_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.bars_scroll.setWidget(self.bars)
        self.bars_scroll.setMinimumHeight(90)
        bars_box = QGroupBox("Intensity: actual against planned (practices furthest behind plan first)")
        QVBoxLayout(bars_box).addWidget(self.bars_scroll)

        self.facilitators = QTableWidget(0, 5)
        self.facilitators.setAccessibleName("Facilitators")
        self.facilitators.setHorizontalHeaderLabels(["Facilitator", "Practices", "Visits", "Hours", "Last log"])
        self.facilitators.verticalHeader().setVisible(False)
        self.facilitators.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.facilitators.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.facilitators.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.facilitators.verticalHeader().setDefaultSectionSize(24)
        table_keys(self.facilitators)
        self.fac_box = QGroupBox("Facilitators (supervisor view)")
        QVBoxLayout(self.fac_box).addWidget(self.facilitators)
        self.fac_box.setVisible(False)

        self.heading = QLabel()
        f = self.heading.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setBold(True)
        self.heading.setFont(f)
        bottom = QWidget()
        bl = QHBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(bars_box, 3)
        bl.addWidget(self.fac_box, 2)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(lists)
        self.split.addWidget(bottom)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([1, 1])  # half each to start; the user can drag the handle
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(cards)
        layout.addWidget(self.split, 1)

    def reload(self) -> None:
        today, supervisor = self.ctx.today(), self.ctx.role == "supervisor"
        QueryOp(self.ctx.ops, lambda s: load_today(s, today, supervisor=supervisor)).success(self._loaded).run()
        self.next_steps.reload()

    def _loaded(self, d: TodayData) -> None:
        self.data = d
        today = self.ctx.today()
        self.heading.setText(f"Today · {today:%A, %B} {today.day}")
        self.week.setText(str(d.counts.this_week))
        self.month.setText(str(d.counts.this_month))
        self.hours.setText(fmt_hours(d.counts.hours_this_month))
        self.pending.setText(str(d.pending))

        def fill(lst: QListWidget, rows: list[tuple[str, str | None]], empty: str) -> None:
            lst.clear()
            for text, pid in rows:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, pid)
                lst.addItem(item)
            if not rows:
                item = QListWidgetItem(empty)
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                lst.addItem(item)

        fill(self.upcoming, [(f"{fmt_date(u.date)} · {u.practice_name}", u.practice_id) for u in d.upcoming],
             "No contacts planned in the next 14 days")
        stale = sorted((s for s in d.summaries if s.needs_contact),
                       key=lambda s: -(s.days_since_contact if s.days_since_contact is not None else 10**6))
        fill(self.no_contact, [(f"{s.name} · last contact {days_ago(s.days_since_contact)}", s.id) for s in stale],
             "Every active practice was contacted in the last 45 days")
        names = {s.id: s.name for s in d.summaries}
        self.drafts.clear()
        for key, payload in reversed(d.drafts):
            v = payload.get("visit", {})
            item = QListWidgetItem(f"{names.get(v.get('practice_id'), 'Unknown practice')} · visit of {v.get('date')} "
                                   f"(draft saved {str(payload.get('saved_at', '')).replace('T', ' ')})")
            item.setData(Qt.ItemDataRole.UserRole, payload)
            item.setData(DRAFT_KEY_ROLE, key)
            self.drafts.addItem(item)
        if not d.drafts:
            item = QListWidgetItem("No unsaved drafts")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.drafts.addItem(item)

        planned = [s for s in d.summaries if s.status == "active" and s.planned_visits]
        planned.sort(key=lambda s: (s.hours / s.planned_hours if s.planned_hours else 1.0, s.name))
        self.bars.set_rows([IntensityRow(s.name, s.visits, s.planned_visits or 0, s.hours, s.planned_hours or 0.0)
                            for s in planned[:MAX_BARS]])

        self.fac_box.setVisible(d.facilitators is not None)
        if d.facilitators is not None:
            self.facilitators.setRowCount(len(d.facilitators))
            for row, f in enumerate(d.facilitators):
                for col, text in enumerate((f.facilitator, str(f.practices), str(f.visits), fmt_hours(f.hours),
                                            days_ago(f.days_since_last_contact))):
                    self.facilitators.setItem(row, col, QTableWidgetItem(text))

    def _on_item(self, item: QListWidgetItem) -> None:
        pid = item.data(Qt.ItemDataRole.UserRole)
        if pid:
            self.open_practice.emit(pid)

    def _discard_drafts(self, rows: list[int]):
        """Delete on the drafts list: drop those drafts; the returned undo writes them back."""
        items = [self.drafts.item(r) for r in rows]
        dropped = [(i.data(DRAFT_KEY_ROLE), i.data(Qt.ItemDataRole.UserRole)) for i in items
                   if i is not None and i.data(DRAFT_KEY_ROLE)]
        if not dropped:
            return None

        def drop(s) -> None:
            for key, _payload in dropped:
                s.drop_draft(key)

        def put_back(s) -> None:
            for key, payload in dropped:
                s.save_draft(key, DRAFT_KIND, payload)
        StoreOp(self.ctx.ops, drop).success(lambda _r: self.refresh()).run()
        return lambda: StoreOp(self.ctx.ops, put_back).success(lambda _r: self.refresh()).run()

    def _on_draft(self, item: QListWidgetItem) -> None:
        payload = item.data(Qt.ItemDataRole.UserRole)
        if payload:
            self.open_draft.emit(payload)

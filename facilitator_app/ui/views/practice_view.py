"""Practice: profile and contacts, the facilitation plan, the strategy checklist, visit history,
next steps and measures of one practice, in tabs."""

from __future__ import annotations

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QTabWidget, QVBoxLayout, QWidget

from ...core.errors import NotFoundError
from ...core.vocab import CHOSEN_STATUSES, DONE_STATUSES, PracticeStatus
from ..context import AppContext
from ..labels import fmt_hours
from ..ops import QueryOp
from .base_view import BaseView
from .practice.bundle import PracticeBundle, load_bundle
from .practice.checklist_tab import ChecklistTab
from .practice.measures_tab import MeasuresTab
from .practice.plan_tab import PlanTab
from .practice.profile_tab import ProfileTab
from .practice.steps_tab import NextStepsTab, tab_title
from .practice.visits_tab import VisitsTab


class PracticeView(BaseView):
    new_visit = Signal(str)        # practice id
    open_visit = Signal(str)       # visit id
    print_visit = Signal(str)      # visit id
    print_progress = Signal(str)   # practice id
    save_visit_pdf = Signal(str)   # visit id
    save_progress_pdf = Signal(str)  # practice id
    practice_missing = Signal()

    PROFILE, PLAN, CHECKLIST, VISITS, NEXT_STEPS, MEASURES = range(6)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.practice_id: str | None = None
        self.bundle: PracticeBundle | None = None
        self.heading = QLabel("No practice open")
        f = self.heading.font()
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        self.heading.setFont(f)
        self.subtitle = QLabel()
        self.new_visit_button = QPushButton("New visit (Ctrl+N)")
        self.new_visit_button.setAccessibleName("New visit")
        self.new_visit_button.clicked.connect(lambda: self._emit_for_practice(self.new_visit))
        self.progress_button = QPushButton("Pro&gress report")  # G: every other letter is taken on some tab
        self.progress_button.setAccessibleName("Progress report")
        self.progress_button.setToolTip("Print the practice's progress report, or save it as PDF")
        menu = QMenu(self.progress_button)
        menu.addAction("&Print…", lambda: self._emit_for_practice(self.print_progress))
        menu.addAction("&Save PDF…", lambda: self._emit_for_practice(self.save_progress_pdf))
        self.progress_button.setMenu(menu)
        self.profile = ProfileTab(ctx)
        self.plan = PlanTab(ctx)
        self.checklist = ChecklistTab(ctx)
        self.visits = VisitsTab(ctx)
        self.steps = NextStepsTab(ctx)
        self.measures = MeasuresTab(ctx)
        self.visits.new_visit.connect(lambda: self._emit_for_practice(self.new_visit))
        self.visits.open_visit.connect(self.open_visit)
        self.visits.print_visit.connect(self.print_visit)
        self.visits.save_visit_pdf.connect(self.save_visit_pdf)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Practice sections")
        # Alt+letter of each tab; no field or button of any tab may use F, P, C, V, X or M
        # (tests/ui/test_keyboard_screens.py checks every screen's mnemonics are unique).
        for widget, label in ((self.profile, "Pro&file and contacts"), (self.plan, "&Plan"),
                              (self.checklist, "&Checklist"), (self.visits, "&Visits"), (self.steps, tab_title(0)),
                              (self.measures, "&Measures")):
            self.tabs.addTab(widget, label)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.heading)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        head.addWidget(self.progress_button)
        head.addWidget(self.new_visit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)
        self.tabs.setEnabled(False)

    def show_practice(self, practice_id: str) -> None:
        self.practice_id = practice_id
        self.refresh()

    def _emit_for_practice(self, signal: SignalInstance) -> None:
        """Emit `signal` with the practice shown; nothing while no practice is open."""
        if self.practice_id:
            signal.emit(self.practice_id)

    def show_step(self, practice_id: str, step_id: str) -> None:
        """Open the practice on its Next steps tab with step `step_id` selected."""
        self.tabs.setCurrentWidget(self.steps)
        self.steps.show_step(step_id)
        self.show_practice(practice_id)

    def is_relevant(self, changes) -> bool:
        return self.practice_id is not None and (self.practice_id in changes.practice_ids or not changes.practice_ids)

    def reload(self) -> None:
        if not self.practice_id:
            return
        pid, toolkit, today = self.practice_id, self.ctx.toolkit, self.ctx.today()
        QueryOp(self.ctx.ops, lambda s: load_bundle(s, toolkit, pid, today)).success(self._loaded).failure(
            self._failed).run()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, NotFoundError):
            self.practice_id = None
            self.heading.setText("This practice was removed")
            self.tabs.setEnabled(False)
            self.practice_missing.emit()
        else:
            self.ctx.ops.unhandled_error.emit("Could not load the practice", str(exc))

    def _loaded(self, bundle: PracticeBundle) -> None:
        if bundle.id != self.practice_id:
            return  # the user opened another practice meanwhile
        self.bundle = bundle
        p = bundle.practice
        self.heading.setText(p.name)
        implemented = sum(1 for i in bundle.checklist if i.status in DONE_STATUSES)
        chosen = sum(1 for i in bundle.checklist if i.status in CHOSEN_STATUSES)
        hours = sum(v.minutes for v in bundle.visits) / 60
        plan = bundle.plan
        dose = (f"{len(bundle.visits)} of {plan.planned_visits} visits, {fmt_hours(hours)} of "
                f"{fmt_hours(plan.planned_hours)} hours" if plan
                else f"{len(bundle.visits)} visits, {fmt_hours(hours)} hours")
        where = ", ".join(x for x in (p.region, p.state) if x)
        status = PracticeStatus.label_of(p.status)
        self.subtitle.setText(f"{where + ' · ' if where else ''}{status} · {dose} · "
                              f"{implemented} of {chosen} selected strategies implemented · "
                              f"{len(bundle.open_steps)} open next steps")
        self.tabs.setEnabled(True)
        for tab in (self.profile, self.plan, self.checklist, self.visits, self.steps, self.measures):
            tab.set_bundle(bundle)
        self.tabs.setTabText(self.tabs.indexOf(self.steps), tab_title(len(bundle.open_steps)))

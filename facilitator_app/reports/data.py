"""Plain data for the reports, gathered from the Store's public reads and the toolkit.

Why a separate step: the PDF code then needs neither a database nor a toolkit, so the GUI can
gather on its store thread and render on a worker, and tests can check the numbers directly.
Every vocabulary value is turned into its label here, so the PDF prints words, not codes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any, Sequence

from ..core.model import FacilitationPlan, MeasureValue, Practice, Tip, Visit
from ..core.toolkit import Quitline, Resource, Toolkit, ToolkitError
from ..core.vocab import (
    CHOSEN_STATUSES,
    DOMAINS,
    DONE_STATUSES,
    MEASURE_TARGET,
    Activity,
    Cadence,
    ContactRole,
    Labeled,
    Measure,
    PdsaDecision,
    PracticeStatus,
    StepStatus,
    StrategyStatus,
    VisitMode,
)
from ..store import Store

SMOKING_DOMAIN = "S"
MAX_QUARTERS = 12  # a run chart wider than three years is unreadable on a page
Day = date  # the type under another name, for classes whose field `date` hides it


def _label(kind: type[Labeled], value: str) -> str:
    """The label of a vocabulary value; an unknown value (from a newer app) prints as typed."""
    if value in kind.choices():
        return kind.label_of(value)
    return str(value or "").replace("_", " ").capitalize()


@dataclass(frozen=True)
class FacilitatorContact:
    name: str = ""
    email: str = ""
    phone: str = ""

    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class PracticeInfo:
    id: str
    name: str
    address: str = ""
    state: str = ""
    phone: str = ""
    status_label: str = ""
    ehr_vendor: str = ""
    region: str = ""
    enrolled_on: date | None = None
    end_on: date | None = None


@dataclass(frozen=True)
class AttendeeLine:
    name: str
    role_label: str


@dataclass(frozen=True)
class StrategyLine:
    id: str
    title: str
    before_label: str
    after_label: str
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.before_label != self.after_label


@dataclass(frozen=True)
class StepLine:
    action: str
    owner: str = ""
    due: date | None = None
    status: str = "open"
    closing_note: str = ""
    closed_on: date | None = None
    made_on: date | None = None  # set when an earlier visit made the step (it is carried over)

    @property
    def status_label(self) -> str:
        return _label(StepStatus, self.status)


@dataclass(frozen=True)
class MeasureResult:
    """One ABCS measure on the leave-behind: its latest quarter as of the visit and the change
    from the quarter before it (the most recent earlier value, named, so a gap is never hidden)."""

    code: str
    label: str
    cms_id: str
    title: str
    quarter: str = ""  # empty: no data yet
    period_end: date | None = None
    numerator: int = 0
    denominator: int = 0
    version: str = ""
    previous_quarter: str = ""
    previous_numerator: int = 0
    previous_denominator: int = 0
    previous_version: str = ""

    @property
    def has_data(self) -> bool:
        return bool(self.quarter and self.denominator)

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.has_data else None

    @property
    def previous_rate(self) -> float | None:
        return self.previous_numerator / self.previous_denominator if self.previous_denominator else None

    @property
    def change_points(self) -> float | None:
        """Percentage points since the previous value, rates compared (never raw counts: the
        denominator moves from quarter to quarter); None without a previous value."""
        if self.rate is None or self.previous_rate is None:
            return None
        return round((self.rate - self.previous_rate) * 100, 1)

    @property
    def version_changed(self) -> bool:
        return bool(self.version and self.previous_version and self.version != self.previous_version)


@dataclass(frozen=True)
class PdsaLines:
    aim: str = ""
    change: str = ""
    prediction: str = ""
    result: str = ""
    decision_label: str = ""

    def rows(self) -> list[tuple[str, str]]:
        """The filled-in parts only, in Plan-Do-Study-Act order."""
        pairs = [("Aim", self.aim), ("Change we are testing", self.change), ("Prediction", self.prediction),
                 ("What happened", self.result), ("Decision", self.decision_label)]
        return [(k, v) for k, v in pairs if v and v.strip()]


@dataclass(frozen=True)
class FieldTipLine:
    """A colleague's field tip the facilitator ticked for the leave-behind: its words, its link
    and the author's name, nothing else of theirs."""

    text: str
    link: str = ""
    by: str = ""


@dataclass(frozen=True)
class StrategyHelp:
    """What the practice can use on its own for one strategy: EHR tips, resources, and the
    field tips the facilitator chose to leave with it."""

    id: str
    title: str
    ehr_tips: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()  # the toolkit's own entries
    field_tips: tuple[FieldTipLine, ...] = ()


@dataclass(frozen=True)
class VisitSummaryData:
    practice: PracticeInfo
    facilitator: FacilitatorContact
    visit_id: str
    date: date
    start_time: time | None
    mode_label: str
    minutes: int
    planned: bool
    attendees: tuple[AttendeeLine, ...] = ()
    activities: tuple[str, ...] = ()
    strategies: tuple[StrategyLine, ...] = ()
    notes: str = ""  # the notes for the practice only: private notes are never printed
    data_reviewed: str = ""
    pdsa: PdsaLines | None = None
    # What is open after this visit, soonest due first: the steps it made, and earlier ones still open.
    next_steps: tuple[StepLine, ...] = ()
    closed_steps: tuple[StepLine, ...] = ()  # earlier steps closed since the last visit, or at this one
    previous_visit: Day | None = None
    measures: tuple[MeasureResult, ...] = ()  # all four ABCS measures, in A, B, C, S order
    target: float = MEASURE_TARGET
    help: tuple[StrategyHelp, ...] = ()
    quitlines: tuple[Quitline, ...] = ()  # the practice's state line first, then the national ones
    resources_left: tuple[str, ...] = ()
    next_contact: Day | None = None
    generated_on: Day = field(default_factory=Day.today)
    toolkit_version: str = ""


# -- shared pieces -----------------------------------------------------------------------------

def practice_info(practice: Practice) -> PracticeInfo:
    return PracticeInfo(id=practice.id, name=practice.name, address=practice.address, state=practice.state,
                        phone=practice.phone, status_label=_label(PracticeStatus, practice.status),
                        ehr_vendor=practice.ehr_vendor, region=practice.region,
                        enrolled_on=practice.enrolled_on, end_on=practice.end_on)


def facilitator_contact(store: Store) -> FacilitatorContact:
    """The facilitator's details from their profile (Settings), only what is present.

    Without a name nothing is printed at all: a phone number alone does not say whom to call,
    and no stand-in (the account's user id, the computer's login name) is ever used."""
    profile = store.facilitator_profile()
    name = (profile.name or "").strip()
    if not name:
        return FacilitatorContact()
    return FacilitatorContact(name=name, email=(profile.email or "").strip(), phone=(profile.phone or "").strip())


def _strategy_title(toolkit: Toolkit, strategy_id: str) -> str:
    try:
        return toolkit.get(strategy_id).title
    except ToolkitError:  # a strategy a customized toolkit no longer has: keep the id, never fail
        return "(not in this toolkit)"


# -- visit summary -----------------------------------------------------------------------------

def gather_visit_summary(store: Store, toolkit: Toolkit, visit_key: str, *,
                         today: date | None = None, tip_ids: Sequence[str] = ()) -> VisitSummaryData:
    """Everything the leave-behind prints for a visit (by id or 8+ character prefix), with the
    field tips `tip_ids` the facilitator ticked (only live, unhidden tips of strategies worked on;
    reports never read the diary)."""
    visit = store.find_visit(visit_key.strip())
    practice = store.practice(visit.practice_id)
    chosen = set(tip_ids)
    tips = [v.tip for v in store.tips() if v.tip.id in chosen and not v.tip.hidden] if chosen else []
    return visit_summary_data(visit, practice, toolkit, facilitator_contact(store),
                              steps=store.next_steps(visit.practice_id),
                              previous_visit=previous_visit_date(store, visit),
                              measures=store.measures(visit.practice_id), today=today, tips=tips)


def leave_behind_tips(store: Store, visit_key: str) -> list[Tip]:
    """The field tips a leave-behind may offer: for the strategies worked on at the visit, not
    hidden, suiting the practice (ownership, EHR vendor, size), in the visit's strategy order."""
    visit = store.find_visit(visit_key.strip())
    practice = store.practice(visit.practice_id)
    order = {w.strategy_id: i for i, w in enumerate(visit.strategies)}
    tips = [v.tip for v in store.tips() if v.tip.strategy_id in order and not v.tip.hidden
            and v.tip.suits(ownership=practice.ownership, ehr_vendor=practice.ehr_vendor,
                            clinicians=practice.clinicians)]
    return sorted(tips, key=lambda t: order[t.strategy_id])  # stable: the store's order within a strategy


def previous_visit_date(store: Store, visit: Visit) -> date | None:
    """The date of the practice's last visit before this one's day, if any.

    Looks in the 120 days before first (practices are seen about monthly), and only then at the
    whole history, so a practice with years of visits does not load them all for one date."""
    if visit.date == date.min:  # an odd date from an older record: nothing can come before it
        return None
    until = visit.date - timedelta(days=1)
    window = visit.date - timedelta(days=120) if visit.date > date.min + timedelta(days=120) else None
    for since in (window, None) if window else (None,):
        earlier = [v.date for v in store.visits(visit.practice_id, since=since, until=until)]
        if earlier:
            return max(earlier)
    return None


def split_steps(visit: Visit, steps: Sequence[Any], previous_visit: date | None) -> tuple[list[Any], list[Any]]:
    """The practice's steps as they stood when this visit ended: (still to do, closed since the last visit).

    Still to do: the steps this visit made, and earlier visits' steps open at its end (open now,
    or closed after its date). Closed since the last visit: closed at this visit, or closed after
    the previous visit's date up to this visit's date. `steps` are rows carrying the date of the
    visit that made them (`visit_date`): a step made after this visit belongs to neither list,
    and a step closed on an unknown date (an old done flag) only to the visit that closed it."""
    todo, closed = [], []
    for s in steps:
        if s.practice_id != visit.practice_id:
            continue
        if s.visit_id == visit.id:
            todo.append(s)
            continue
        made = getattr(s, "visit_date", None)
        if made is not None and made > visit.date:
            continue
        if s.status == StepStatus.OPEN:
            todo.append(s)
        elif s.closed_in_visit == visit.id or (
                s.closed_on is not None and s.closed_on <= visit.date
                and (previous_visit is None or s.closed_on > previous_visit)):
            closed.append(s)
        elif s.closed_on is not None and s.closed_on > visit.date:
            todo.append(s)  # still open that day; the row says when it was closed since
    return todo, closed


def _step_line(step: Any, visit: Visit) -> StepLine:
    made = getattr(step, "visit_date", None) if step.visit_id != visit.id else None
    return StepLine(step.action, step.owner, step.due, step.status, step.closing_note, step.closed_on, made)


def measure_results(values: Sequence[Any], *, as_of: date) -> tuple[MeasureResult, ...]:
    """Each ABCS measure's latest quarter ending on or before `as_of`, and the value before it.

    As of the visit, so a leave-behind printed again later says what it said that day. A
    quarter with a zero denominator (no patients in the measure) is no result."""
    out = []
    for m in Measure:
        per_quarter: dict[str, Any] = {}
        for v in sorted((v for v in values if v.measure == m.value and v.denominator and v.period_end <= as_of),
                        key=lambda v: v.period_end):
            per_quarter[quarter_label(v.period_end)] = v
        points = list(per_quarter.values())
        if not points:
            out.append(MeasureResult(m.value, m.label, m.cms_id, m.title))
            continue
        last = points[-1]
        prev = points[-2] if len(points) > 1 else None
        out.append(MeasureResult(
            m.value, m.label, m.cms_id, m.title, quarter=quarter_label(last.period_end), period_end=last.period_end,
            numerator=last.numerator, denominator=last.denominator, version=last.version,
            previous_quarter=quarter_label(prev.period_end) if prev else "",
            previous_numerator=prev.numerator if prev else 0, previous_denominator=prev.denominator if prev else 0,
            previous_version=prev.version if prev else ""))
    return tuple(out)


def visit_summary_data(visit: Visit, practice: Practice, toolkit: Toolkit, contact: FacilitatorContact, *,
                       steps: Sequence[Any] = (), previous_visit: date | None = None,
                       measures: Sequence[Any] = (), today: date | None = None,
                       tips: Sequence[Tip] = ()) -> VisitSummaryData:
    """Build the summary from already-loaded records: the practice's next steps (rows with
    `visit_date`, as `Store.next_steps` lists them), its measure values, the date of the
    visit before this one, and the field tips chosen for its help section (a tip of a strategy
    not worked on is left out). Of the visit's notes only those for the practice are taken."""
    strategies = tuple(
        StrategyLine(id=w.strategy_id, title=_strategy_title(toolkit, w.strategy_id),
                     before_label=_label(StrategyStatus, w.status_before),
                     after_label=_label(StrategyStatus, w.status_after), note=w.note)
        for w in visit.strategies)
    help_items: list[StrategyHelp] = []
    smoking = False
    for work in visit.strategies:
        try:
            s = toolkit.get(work.strategy_id)
        except ToolkitError:
            continue
        smoking = smoking or s.domain == SMOKING_DOMAIN
        field_tips = tuple(FieldTipLine(t.text.strip(), t.link.strip(), t.written_by)
                           for t in tips if t.strategy_id == s.id and t.text.strip())
        if s.ehr_tips or s.resources or field_tips:
            help_items.append(StrategyHelp(id=s.id, title=s.title, ehr_tips=s.ehr_tips,
                                           resources=s.resources, field_tips=field_tips))
    quitlines = tuple(toolkit.quitline_for(practice.state)) if smoking else ()
    pdsa = None
    if visit.pdsa and not visit.pdsa.is_empty():
        p = visit.pdsa
        pdsa = PdsaLines(aim=p.aim, change=p.change, prediction=p.prediction, result=p.result,
                         decision_label=_label(PdsaDecision, p.decision) if p.decision else "")
    todo, closed = split_steps(visit, steps, previous_visit)
    todo.sort(key=lambda s: (s.due or date.max, getattr(s, "visit_date", None) or visit.date, s.position))
    closed.sort(key=lambda s: (s.closed_on or visit.date, getattr(s, "visit_date", None) or visit.date, s.position))
    return VisitSummaryData(
        practice=practice_info(practice), facilitator=contact, visit_id=visit.id, date=visit.date,
        start_time=visit.start_time, mode_label=_label(VisitMode, visit.mode), minutes=visit.minutes,
        planned=visit.planned,
        attendees=tuple(AttendeeLine(a.name, _label(ContactRole, a.role)) for a in visit.attendees if a.name.strip()),
        activities=tuple(_label(Activity, a) for a in visit.activities),
        strategies=strategies, notes=visit.practice_notes, data_reviewed=visit.data_reviewed, pdsa=pdsa,
        next_steps=tuple(_step_line(s, visit) for s in todo), closed_steps=tuple(_step_line(s, visit) for s in closed),
        previous_visit=previous_visit, measures=measure_results(measures, as_of=visit.date),
        help=tuple(help_items), quitlines=quitlines,
        resources_left=tuple(r for r in visit.resources_left if r.strip()),
        next_contact=visit.next_contact, generated_on=today or date.today(), toolkit_version=toolkit.version)


# -- practice progress report ------------------------------------------------------------------

@dataclass(frozen=True)
class ModeRow:
    label: str
    visits: int
    hours: float


@dataclass(frozen=True)
class Engagement:
    first_contact: date | None
    last_contact: date | None
    visits: int
    hours: float
    planned_visits: int | None
    planned_hours: float | None
    cadence_label: str
    by_mode: tuple[ModeRow, ...]

    @property
    def months_active(self) -> float:
        """Months of facilitation, first to latest contact (how H3 measured dose)."""
        if not self.first_contact or not self.last_contact:
            return 0.0
        return round((self.last_contact - self.first_contact).days / 30.44, 1)


@dataclass(frozen=True)
class ChecklistRow:
    id: str
    title: str
    status: str
    status_label: str
    owner: str = ""
    target_date: date | None = None
    reason: str = ""
    steps_done: int = 0
    step_count: int = 0


@dataclass(frozen=True)
class DomainGroup:
    code: str
    label: str
    rows: tuple[ChecklistRow, ...]  # every strategy of the domain, toolkit order

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def worked_rows(self) -> tuple[ChecklistRow, ...]:
        """Strategies the practice chose or declined: the ones worth a table row."""
        return tuple(r for r in self.rows if r.status != StrategyStatus.NOT_SELECTED)

    @property
    def not_selected_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rows if r.status == StrategyStatus.NOT_SELECTED)


@dataclass(frozen=True)
class MeasurePoint:
    quarter: str
    period_end: date
    numerator: int
    denominator: int

    @property
    def rate(self) -> float:
        return self.numerator / self.denominator if self.denominator else 0.0


@dataclass(frozen=True)
class MeasureSeries:
    code: str
    label: str
    cms_id: str
    title: str
    points: tuple[MeasurePoint, ...]
    version: str = ""


@dataclass(frozen=True)
class OpenStepLine:
    action: str
    owner: str
    due: date | None
    visit_date: date | None
    overdue: bool


@dataclass(frozen=True)
class ProgressData:
    practice: PracticeInfo
    facilitator: FacilitatorContact
    engagement: Engagement
    domains: tuple[DomainGroup, ...]
    implemented: int
    selected: int
    total_strategies: int
    measures: tuple[MeasureSeries, ...]
    open_steps: tuple[OpenStepLine, ...]
    selected_in_plan: int = 0
    target: float = MEASURE_TARGET
    generated_on: date = field(default_factory=date.today)
    toolkit_version: str = ""


def quarter_label(day: date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def engagement_for(visits: list[Visit], plan: FacilitationPlan | None) -> Engagement:
    by_mode: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        by_mode[v.mode].append(v)
    rows = []
    for mode in VisitMode:  # vocabulary order, so every report lists modes the same way
        group = by_mode.pop(mode.value, [])
        if group:
            rows.append(ModeRow(mode.label, len(group), round(sum(v.minutes for v in group) / 60, 2)))
    for code, group in by_mode.items():  # unknown modes from a newer app still count
        rows.append(ModeRow(_label(VisitMode, code), len(group), round(sum(v.minutes for v in group) / 60, 2)))
    dates = [v.date for v in visits]
    return Engagement(first_contact=min(dates) if dates else None, last_contact=max(dates) if dates else None,
                      visits=len(visits), hours=round(sum(v.minutes for v in visits) / 60, 2),
                      planned_visits=plan.planned_visits if plan else None,
                      planned_hours=plan.planned_hours if plan else None,
                      cadence_label=_label(Cadence, plan.cadence) if plan else "", by_mode=tuple(rows))


def measure_series(values: Sequence[MeasureValue]) -> tuple[MeasureSeries, ...]:
    """One series per ABCS measure with data, one point per quarter (the latest value in it)."""
    out = []
    for m in Measure:
        per_quarter: dict[str, MeasureValue] = {}
        for v in sorted((v for v in values if v.measure == m.value and v.denominator), key=lambda v: v.period_end):
            per_quarter[quarter_label(v.period_end)] = v
        if not per_quarter:
            continue
        latest = list(per_quarter.values())[-MAX_QUARTERS:]
        points = tuple(MeasurePoint(quarter_label(v.period_end), v.period_end, v.numerator, v.denominator)
                       for v in latest)
        out.append(MeasureSeries(code=m.value, label=m.label, cms_id=m.cms_id, title=m.title, points=points,
                                 version=latest[-1].version))
    return tuple(out)


def gather_progress(store: Store, toolkit: Toolkit, practice_key: str, *,
                    today: date | None = None) -> ProgressData:
    """Everything the practice progress report prints (practice by id, 8+ char prefix or name)."""
    today = today or date.today()
    practice = store.find_practice(practice_key)
    visits = store.visits(practice.id)
    plan = store.plan(practice.id)
    items = store.checklist(practice.id, toolkit)
    by_domain: dict[str, list[ChecklistRow]] = defaultdict(list)
    for item in items:
        s = toolkit.get(item.strategy_id)
        by_domain[s.domain].append(ChecklistRow(
            id=s.id, title=s.title, status=item.status, status_label=_label(StrategyStatus, item.status),
            owner=item.owner, target_date=item.target_date, reason=item.reason,
            steps_done=len(set(item.steps_done)), step_count=len(s.steps)))
    domains = tuple(DomainGroup(code, DOMAINS[code], tuple(by_domain[code])) for code in DOMAINS if by_domain[code])
    implemented = sum(1 for i in items if i.status in DONE_STATUSES)
    selected = sum(1 for i in items if i.status in CHOSEN_STATUSES)
    steps = tuple(OpenStepLine(action=s.action, owner=s.owner, due=s.due, visit_date=s.visit_date,
                               overdue=s.is_overdue(today))
                  for s in store.open_next_steps(practice.id))
    return ProgressData(
        practice=practice_info(practice), facilitator=facilitator_contact(store),
        engagement=engagement_for(visits, plan), domains=domains, implemented=implemented, selected=selected,
        total_strategies=len(toolkit.strategies), measures=measure_series(store.measures(practice.id)),
        open_steps=steps, selected_in_plan=len(plan.selected_strategies) if plan else 0,
        generated_on=today, toolkit_version=toolkit.version)


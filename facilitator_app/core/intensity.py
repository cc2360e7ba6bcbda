"""Facilitation intensity roll-ups: how much facilitation each practice got, and from whom.

Pure functions over domain objects (no SQL), so the server's supervisor report and the GUI's
Today screen compute the same numbers. Dose follows the EvidenceNOW measures: visits and hours by
mode, planned vs actual, months from first to last contact, days since the last contact, and
strategies implemented of those selected and of the whole toolkit.

Who a visit is credited to: `credited` maps a visit id to the account that logged it (the
server knows each row's author); only a visit missing from it falls back to the free-text
`facilitator` field, which anyone can type anything into.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from .model import ChecklistItem, FacilitationPlan, Practice, Visit
from .vocab import CHOSEN_STATUSES, DONE_STATUSES, StrategyStatus, VisitMode

Credits = Mapping[str, str]  # visit id -> who is credited with it

DAYS_PER_MONTH = 30.44
IN_PERSON_MODES = frozenset({VisitMode.ON_SITE, VisitMode.GROUP})


@dataclass(frozen=True)
class ModeTotals:
    visits: int = 0
    hours: float = 0.0


@dataclass(frozen=True)
class PracticeIntensity:
    practice_id: str
    name: str
    status: str
    facilitators: tuple[str, ...]
    visits: int
    hours: float
    in_person_hours: float
    by_mode: dict[str, ModeTotals]
    planned_visits: int | None
    planned_hours: float | None
    visits_pct_of_plan: float | None
    hours_pct_of_plan: float | None
    first_contact: date | None
    last_contact: date | None
    months_active: float
    days_since_last_contact: int | None
    strategies_selected: int
    strategies_implemented: int
    strategies_total: int


@dataclass(frozen=True)
class FacilitatorIntensity:
    facilitator: str
    practices: int
    visits: int
    hours: float
    by_mode: dict[str, ModeTotals]
    last_contact: date | None
    days_since_last_contact: int | None


@dataclass(frozen=True)
class IntensityReport:
    today: date
    practices: list[PracticeIntensity]
    facilitators: list[FacilitatorIntensity] = field(default_factory=list)


def _by_mode(visits: Iterable[Visit]) -> dict[str, ModeTotals]:
    counts: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for v in visits:
        counts[v.mode][0] += 1
        counts[v.mode][1] += v.minutes / 60
    return {mode: ModeTotals(int(c), round(h, 2)) for mode, (c, h) in sorted(counts.items())}


def _pct(actual: float, planned: float | None) -> float | None:
    return round(100 * actual / planned, 1) if planned else None


def _credit(visit: Visit, credited: Credits | None) -> str:
    return credited.get(visit.id, visit.facilitator) if credited is not None else visit.facilitator


def _in_window(visit: Visit, start: date | None, today: date) -> bool:
    return visit.date <= today and (start is None or visit.date >= start)


def practice_intensity(practice: Practice, visits: Iterable[Visit], *, plan: FacilitationPlan | None,
                       checklist: Iterable[ChecklistItem], today: date, strategies_total: int = 35,
                       credited: Credits | None = None, start: date | None = None) -> PracticeIntensity:
    """One practice's dose. Visits dated after `today` are plans, not contacts, and are left out;
    with `start`, so are visits before it (a month's or a quarter's dose)."""
    done = sorted((v for v in visits if _in_window(v, start, today)), key=lambda v: v.date)
    hours = round(sum(v.minutes for v in done) / 60, 2)
    in_person = round(sum(v.minutes for v in done if v.mode in IN_PERSON_MODES) / 60, 2)
    first, last = (done[0].date, done[-1].date) if done else (None, None)
    items = list(checklist)
    declined = {i.strategy_id for i in items if i.status == StrategyStatus.DECLINED}
    selected = {i.strategy_id for i in items if i.status in CHOSEN_STATUSES}
    if plan:
        selected |= set(plan.selected_strategies) - declined
    implemented = {i.strategy_id for i in items if i.status in DONE_STATUSES}
    return PracticeIntensity(
        practice_id=practice.id, name=practice.name, status=practice.status,
        facilitators=tuple(sorted({name for v in done if (name := _credit(v, credited))})),
        visits=len(done), hours=hours, in_person_hours=in_person, by_mode=_by_mode(done),
        planned_visits=plan.planned_visits if plan else None, planned_hours=plan.planned_hours if plan else None,
        visits_pct_of_plan=_pct(len(done), plan.planned_visits if plan else None),
        hours_pct_of_plan=_pct(hours, plan.planned_hours if plan else None),
        first_contact=first, last_contact=last,
        months_active=round((last - first).days / DAYS_PER_MONTH, 1) if first and last else 0.0,
        days_since_last_contact=(today - last).days if last else None,
        strategies_selected=len(selected | implemented), strategies_implemented=len(implemented),
        strategies_total=strategies_total)


def facilitator_totals(visits: Iterable[Visit], *, today: date,
                       assignments: Mapping[str, Iterable[str]] | None = None,
                       credited: Credits | None = None, start: date | None = None) -> list[FacilitatorIntensity]:
    """Per facilitator: practices (assigned, else visited), visits, hours by mode, last contact
    (visits from `start`, when given, to `today`)."""
    mine: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        name = _credit(v, credited)
        if _in_window(v, start, today) and name:
            mine[name].append(v)
    names = set(mine) | set(assignments or {})
    out = []
    for name in sorted(names):
        vs = mine.get(name, [])
        practices = set((assignments or {}).get(name, ())) or {v.practice_id for v in vs}
        last = max((v.date for v in vs), default=None)
        out.append(FacilitatorIntensity(
            facilitator=name, practices=len(practices), visits=len(vs),
            hours=round(sum(v.minutes for v in vs) / 60, 2), by_mode=_by_mode(vs), last_contact=last,
            days_since_last_contact=(today - last).days if last else None))
    return out


def intensity_report(practices: Iterable[Practice], visits: Iterable[Visit], *,
                     plans: Iterable[FacilitationPlan] = (), checklist: Iterable[ChecklistItem] = (),
                     today: date, strategies_total: int = 35,
                     assignments: Mapping[str, Iterable[str]] | None = None,
                     credited: Credits | None = None, start: date | None = None) -> IntensityReport:
    """The whole roll-up for a set of practices, sorted by days since last contact (longest first).
    With `start`, only visits from that day to `today` count (the dashboard's month or quarter)."""
    visits = list(visits)
    by_practice: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        by_practice[v.practice_id].append(v)
    plan_of = {p.practice_id: p for p in plans}
    items: dict[str, list[ChecklistItem]] = defaultdict(list)
    for item in checklist:
        items[item.practice_id].append(item)
    rows = [practice_intensity(p, by_practice.get(p.id, []), plan=plan_of.get(p.id), checklist=items.get(p.id, []),
                               today=today, strategies_total=strategies_total, credited=credited, start=start)
            for p in practices]
    rows.sort(key=lambda r: (-(r.days_since_last_contact if r.days_since_last_contact is not None else 10**6), r.name))
    return IntensityReport(today=today, practices=rows,
                           facilitators=facilitator_totals(visits, today=today, assignments=assignments,
                                                           credited=credited, start=start))

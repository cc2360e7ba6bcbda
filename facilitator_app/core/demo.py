"""Realistic synthetic practices, visits, checklists and measures for demos, screenshots and
benchmarks. Deterministic for a seed; every record passes validation.

Demo data is loaded without outbox rows (see Store.bulk_insert), so it is never pushed to a
cooperative's server.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Iterable, Protocol, Sequence

from .errors import FieldKitError
from .model import (
    new_id,
    Attendee,
    ChecklistItem,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    MeasureValue,
    NextStep,
    Pdsa,
    Practice,
    StrategyWork,
    Visit,
)
from .toolkit import Toolkit, load_toolkit
from .vocab import Activity, ContactRole, Measure, StrategyStatus

_PLACES = ["Prairie", "Lakeside", "Riverbend", "Oak Park", "Maple Grove", "Cedar Hills", "Fox Valley",
           "Northshore", "Driftless", "Wabash", "Kettle Moraine", "Sangamon", "Door County", "Hoosier Hills",
           "Rock River", "Brown County", "Illini", "Menominee", "Tippecanoe", "Kankakee"]
_KINDS = ["Family Medicine", "Family Practice", "Internal Medicine", "Primary Care", "Community Health Center",
          "Medical Group", "Health Partners", "Rural Health Clinic"]
_REGIONS = {"IL": ["Chicago", "Central Illinois", "Southern Illinois"], "IN": ["Indianapolis", "Northern Indiana"],
            "WI": ["Milwaukee", "Madison", "Northern Wisconsin"]}
_CITIES = {"IL": ["Peoria", "Springfield", "Champaign", "Joliet", "Rockford"],
           "IN": ["Lafayette", "Muncie", "Bloomington", "Kokomo"],
           "WI": ["Green Bay", "Eau Claire", "La Crosse", "Wausau", "Madison"]}
_EHRS = ["Epic", "athenahealth", "eClinicalWorks", "NextGen", "Allscripts", "Greenway", "Practice Fusion"]
_FIRST = ["Maria", "James", "Linh", "Aisha", "Robert", "Sofia", "Kwame", "Emily", "Jorge", "Priya", "Daniel",
          "Grace", "Tomasz", "Fatima", "Michael", "Hannah", "Carlos", "Mei", "Ana", "Samuel"]
_LAST = ["Garcia", "Nguyen", "Johnson", "Okafor", "Kowalski", "Patel", "Smith", "Muñoz", "Larson", "Chen",
         "Williams", "Schmidt", "O'Brien", "Haddad", "Brown", "Jensen", "Rivera", "Kim", "Novak", "Davis"]
_STEPS = ["Pull the list of patients with uncontrolled BP from the registry", "Draft the standing order for repeat BP",
          "Schedule staff training on BP measurement", "Review the ABCS report with the QI team",
          "Set up the quitline fax referral form in the EHR", "Share clinician-level statin rates at the staff meeting",
          "Test the aspirin reminder with two clinicians", "Call patients overdue for a BP check",
          "Order validated automated BP cuffs", "Add tobacco status to the rooming workflow"]
_NOTES = ["Team engaged; the medical assistant lead has taken over BP re-checks.",
          "Clinic short-staffed this month; kept the visit short and focused on one change.",
          "Reviewed the quarterly ABCS report together; the practice leader wants clinician-level data next time.",
          "Walked through the EHR fields where aspirin must be recorded for the measure to count.",
          "The champion ran a small PDSA on the repeat-BP standing order and wants to spread it.",
          "Discussed the quitline e-referral; IT contact needed from the EHR vendor."]
_PRACTICE_NOTES = ["Great progress on the repeat-BP standing order: keep recording the second reading.",
                   "Remember: the quarterly ABCS report is due at the end of the month.", "", ""]
_BARRIERS = ["Staff turnover at the front desk", "EHR report does not match the eCQM specification",
             "Clinicians worried about time per visit", "", "", ""]
_SOURCES = ["EHR report", "EHR report", "Registry", "Chart audit"]
_PROGRESSION = [StrategyStatus.SELECTED, StrategyStatus.IN_PROGRESS, StrategyStatus.IMPLEMENTED, StrategyStatus.SUSTAINED]


DEMO_FLAG = "demo"  # the meta key that marks a file as demo data (never adopted into an account)


class DemoTarget(Protocol):
    """What loading demo data needs of the local store (store.Store), without core importing it."""

    @property
    def facilitator(self) -> str: ...

    def practices(self) -> Sequence[object]: ...

    def bulk_insert(self, objects: Iterable[object], *, outbox: bool, meta: dict[str, str] | None = None) -> int: ...


class NotEmptyError(FieldKitError):
    """Demo data goes only into a database with no practices of its own."""


@dataclass(frozen=True)
class DemoLoaded:
    records: int
    practices: int
    visits: int


def load_demo(store: DemoTarget, *, today: date, toolkit: Toolkit, practices: int = 12, months: int = 12,
              seed: int = 1, visits_per_month: float = 1.0) -> DemoLoaded:
    """Fill an empty database with demo data: the "Start with demo data" button and `facilitator-app demo`.

    The rows and the demo flag commit in one transaction: rows left behind without the flag would
    look like the facilitator's own records and be adopted into their account at sign-in. No
    outbox rows, so nothing of it is ever sent to a server."""
    if store.practices():
        raise NotEmptyError("This database already has practices; demo data goes only into an empty one.")
    objects = generate(practices=practices, months=months, seed=seed, today=today, toolkit=toolkit,
                       visits_per_month=visits_per_month, facilitator=store.facilitator or "Demo Facilitator")
    count = store.bulk_insert(objects, outbox=False, meta={DEMO_FLAG: "1"})
    return DemoLoaded(count, practices, sum(isinstance(o, Visit) for o in objects))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def generate(*, practices: int = 12, months: int = 12, seed: int = 1, today: date | None = None,
             visits_per_month: float = 1.0, facilitator: str = "Demo Facilitator",
             toolkit: Toolkit | None = None) -> list[object]:
    """Entities for `practices` practices, each facilitated for up to `months` months before `today`."""
    rng = random.Random(seed)
    today = today or date.today()
    toolkit = toolkit or load_toolkit()
    ids = [s.id for s in toolkit.strategies]
    steps_of = {s.id: len(s.steps) for s in toolkit.strategies}
    out: list[object] = []
    names_used: set[str] = set()
    for n in range(practices):
        state = rng.choice(["IL", "IL", "IN", "WI"])
        name = f"{rng.choice(_PLACES)} {rng.choice(_KINDS)}"
        if name in names_used:
            name = f"{name} {rng.choice(_CITIES[state])}"
        if name in names_used:
            name = f"{name} #{n + 1}"
        names_used.add(name)
        active_months = rng.randint(max(1, months // 2), max(1, months))
        enrolled = today - timedelta(days=int(active_months * 30.4))
        status = rng.choices(["active", "paused", "withdrawn"], weights=[88, 7, 5])[0]
        practice = Practice(
            name=name, address=f"{rng.randint(100, 9999)} {rng.choice(['Main', 'Oak', 'State', 'Lincoln'])} St, "
                                f"{rng.choice(_CITIES[state])}",  # the state is its own field
            state=state, phone=f"({rng.randint(200, 989)}) 555-{rng.randint(1000, 9999)}",
            clinicians=rng.randint(1, 10), ownership=rng.choice(["clinician_owned", "clinician_owned", "health_system", "fqhc", "other"]),
            ehr_vendor=rng.choice(_EHRS), region=rng.choice(_REGIONS[state]), status=status, enrolled_on=enrolled)
        out.append(practice)
        pid = practice.id
        leader = Contact(pid, _person(rng), ContactRole.PRACTICE_LEADER.value,
                         email=f"leader{n}@example.org", phone=practice.phone)
        champion = Contact(pid, _person(rng), ContactRole.CHAMPION.value, email=f"champion{n}@example.org")
        ma = Contact(pid, _person(rng), ContactRole.MA_NURSE.value)
        out += [leader, champion, ma]
        selected = rng.sample(ids, rng.randint(4, 12))
        planned_visits = max(1, round(months * visits_per_month))
        out.append(FacilitationPlan(pid, cadence="monthly", planned_visits=planned_visits,
                                    planned_hours=float(planned_visits), selected_strategies=selected,
                                    set_by=leader.name, agreed_on=enrolled))
        status_of = {sid: StrategyStatus.SELECTED for sid in selected}
        visit_total = max(1, round(active_months * visits_per_month * rng.uniform(0.6, 1.1)))
        span = max(1, (today - enrolled).days - 1)
        days = sorted(rng.sample(range(span), min(visit_total, span)))
        open_steps: list[NextStep] = []
        for i, offset in enumerate(days):
            day = enrolled + timedelta(days=offset)
            visit_id = new_id()
            for step in open_steps:  # "since last visit": most of last time's steps are done
                roll = rng.random()
                if roll < 0.75:
                    step.status, step.closed_on, step.closed_by, step.closed_in_visit = "done", day, facilitator, visit_id
                elif roll < 0.82:
                    step.status, step.closed_on, step.closed_by, step.closed_in_visit = "dropped", day, facilitator, visit_id
                    step.closing_note = rng.choice(["The practice chose another approach", "No longer needed"])
            open_steps = [s for s in open_steps if s.status == "open"]
            worked = []
            for sid in rng.sample(selected, min(len(selected), rng.randint(1, 3))):
                before = status_of[sid]
                after: StrategyStatus
                if before in (StrategyStatus.SUSTAINED, StrategyStatus.DECLINED):
                    after = before
                elif rng.random() < 0.04:
                    after = StrategyStatus.DECLINED
                else:
                    after = _PROGRESSION[min(_PROGRESSION.index(before) + (rng.random() < 0.6), 3)]
                status_of[sid] = after
                worked.append(StrategyWork(sid, before.value, after.value))
            mode = rng.choices(["on_site", "phone", "video", "email", "group"], weights=[60, 15, 15, 6, 4])[0]
            is_last = i == len(days) - 1
            next_steps = [NextStep(pid, visit_id, rng.choice(_STEPS), owner=rng.choice([leader.name, champion.name, ma.name]),
                                   due=day + timedelta(days=rng.randint(7, 35)), position=n)
                          for n in range(rng.randint(0, 2))]
            open_steps += next_steps
            out.extend(next_steps)
            pdsa = None
            if rng.random() < 0.25:
                pdsa = Pdsa(aim="Repeat BP for every reading of 140/90 or above",
                            change="MA repeats BP after 5 minutes of rest", prediction="Half of high first readings fall below 140/90",
                            result="" if is_last else "Repeat readings recorded for most patients",
                            decision="" if is_last else rng.choice(["adopt", "adapt"]))
            out.append(Visit(
                practice_id=pid, date=day, id=visit_id, facilitator=facilitator, start_time=time(rng.choice([8, 9, 10, 13, 14, 15]), rng.choice([0, 30])),
                mode=mode, minutes=rng.choice([30, 45, 60, 60, 60, 75, 90, 120]) if mode != "email" else 15,
                travel_minutes=rng.choice([20, 30, 45, 60]) if mode == "on_site" else 0,
                planned=rng.random() < 0.85,
                attendees=[Attendee(c.name, c.role) for c in rng.sample([leader, champion, ma], rng.randint(1, 3))],
                activities=rng.sample(Activity.choices(), rng.randint(1, 3)), strategies=worked,
                key_drivers=rng.sample(["Use of own data", "Standardized care processes", "Team-based care"], rng.randint(0, 2)),
                pdsa=pdsa, data_reviewed=rng.choice(["", "Quarterly ABCS report", "BP registry list"]),
                barriers=rng.choice(_BARRIERS), engagement=rng.randint(2, 5), private_notes=rng.choice(_NOTES),
                practice_notes=rng.choice(_PRACTICE_NOTES),
                next_contact=(day + timedelta(days=rng.randint(21, 40))) if status == "active" else None,
                resources_left=rng.sample(["Quitline cards", "BP measurement poster", "Statin guideline summary"], rng.randint(0, 2))))
        for sid in ids:
            st = status_of.get(sid, StrategyStatus.NOT_SELECTED)
            if st == StrategyStatus.NOT_SELECTED:
                continue
            done = sorted(rng.sample(range(1, steps_of[sid] + 1), {StrategyStatus.SELECTED: 0, StrategyStatus.IN_PROGRESS: 2,
                                                                     StrategyStatus.DECLINED: 0}.get(st, steps_of[sid])))
            out.append(ChecklistItem(pid, sid, st.value, reason="Not a priority for the practice this year" if st == StrategyStatus.DECLINED else "",
                                     owner=rng.choice([leader.name, champion.name, ma.name]), steps_done=done,
                                     target_date=today + timedelta(days=rng.randint(10, 120)) if st in (StrategyStatus.SELECTED, StrategyStatus.IN_PROGRESS) else None))
            if rng.random() < 0.3:
                out.append(ChecklistNote(pid, sid, rng.choice(_NOTES), written_on=today - timedelta(days=rng.randint(1, 90)),
                                         author=facilitator))
        quarters = _quarter_ends(enrolled - timedelta(days=92), today)
        for measure in Measure:
            rate = rng.uniform(0.50, 0.68)
            denominator = rng.randint(80, 900)
            for q in quarters:
                rate = min(0.95, max(0.2, rate + rng.uniform(-0.01, 0.03)))
                denominator = max(20, denominator + rng.randint(-15, 15))
                out.append(MeasureValue(pid, measure.value, q, round(rate * denominator), denominator,
                                        version=f"{measure.cms_id}v{q.year - 2012}", source=rng.choice(_SOURCES)))
    return out


def _quarter_ends(start: date, end: date) -> list[date]:
    """Quarter-end dates (Mar 31, Jun 30, Sep 30, Dec 31) from `start` to `end`."""
    out: list[date] = []
    year, q = start.year, (start.month - 1) // 3
    while True:
        month = q * 3 + 3
        last = date(year + (month == 12), (month % 12) + 1, 1) - timedelta(days=1)
        if last > end:
            return out
        if last >= start:
            out.append(last)
        q += 1
        if q == 4:
            year, q = year + 1, 0

"""The records a facilitator keeps, and the rules each value must follow.

Every entity is a plain dataclass with a client-generated UUID `id` and a `practice_id` (the
unit of access on the server). `validate()` returns every problem at once, each message written
for a facilitator, so a form can show them all beside their fields.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Literal

from .errors import FieldProblem, ValidationError
from .kinds import covers_every_entity
from .vocab import (
    Activity,
    Cadence,
    ContactRole,
    DiaryTag,
    Disruption,
    Measure,
    Ownership,
    PdsaDecision,
    PracticeSize,
    PracticeStatus,
    StepStatus,
    StrategyStatus,
    US_STATES,
    VisitMode,
    declined_reason_problem,
)

Day = date  # for annotations inside a class with a field named `date`, which hides the type there

MAX_VISIT_MINUTES = 720
MAX_TRAVEL_MINUTES = 600
MAX_TEXT = 100_000  # long free text: notes, barriers, data reviewed
SHORT_TEXT = 200  # names, owners, single-line fields without a limit of their own
MAX_LIST = 200  # items in any list field (attendees, strategies worked on, resources...)
MAX_COUNT = 10_000_000  # a measure's numerator or denominator: patients of one practice
# No record of this program predates 2000; an earlier year is a typing slip (0026 for 2026).
MIN_DATE = date(2000, 1, 1)
FUTURE_YEARS = 5  # how far ahead a due, target or end date may be
PHONE_RE = re.compile(r"^[0-9A-Za-z+().\-\s/x]{7,30}$")  # one bounded class: linear
MAX_EMAIL = 254
# Characters that have no place in a name or other single-line text: C0/C1 controls, and the
# bidirectional overrides, embeddings and isolates that can make a name display as another.
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI_CONTROLS + "]")
_MULTILINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]")


def new_id() -> str:
    return str(uuid.uuid4())


def checklist_id(practice_id: str, strategy_id: str) -> str:
    """Checklist rows are keyed by (practice, strategy) so two offline creates merge."""
    return f"{practice_id}:{strategy_id}"


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def looks_like_email(value: str) -> bool:
    """name@domain.tld without a regular expression, so a hostile 60,000-character value costs
    one pass, not a backtracking search (the length is checked before this runs)."""
    if len(value) > MAX_EMAIL or any(ch.isspace() for ch in value) or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    labels = domain.split(".")
    return bool(local) and len(labels) >= 2 and all(labels)


class _Checker:
    """Collects problems so a form can show all of them, not just the first."""

    def __init__(self, today: date) -> None:
        self.problems: list[FieldProblem] = []
        self.today = today

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(FieldProblem(field_name, message))

    def required(self, field_name: str, value: str, label: str) -> None:
        if not isinstance(value, str) or not value.strip():
            self.add(field_name, f"{label} is required")

    def text(self, field_name: str, value: object, label: str, limit: int = SHORT_TEXT, *,
             multiline: bool = False) -> bool:
        """Length first (so nothing slow ever runs on a huge value), then characters."""
        if not isinstance(value, str):
            self.add(field_name, f"{label} must be text")
            return False
        if len(value) > limit:
            self.add(field_name, f"{label} is too long (at most {limit:,} characters)")
            return False
        bad = (_MULTILINE_BAD if multiline else _LINE_BAD).search(value)
        if bad:
            what = "a line break" if bad.group() in "\r\n" else f"an invisible control character (U+{ord(bad.group()):04X})"
            self.add(field_name, f"{label} contains {what}; retype it without")
            return False
        return True

    def int_range(self, field_name: str, value: object, label: str, low: int, high: int) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(field_name, f"{label} must be between {low:,} and {high:,}")

    def enum(self, field_name: str, value: object, kind: type, label: str) -> None:
        if value not in kind.choices():  # type: ignore[attr-defined]
            self.add(field_name, f"{label} must be one of: {', '.join(kind.choices())}")  # type: ignore[attr-defined]

    def day(self, field_name: str, value: object, label: str, *, latest: date | None = None,
            required: bool = False) -> None:
        """A date from 2000 up to `latest` (default: five years after today)."""
        if value is None:
            if required:
                self.add(field_name, f"{label} is required")
            return
        if not isinstance(value, date):
            self.add(field_name, f"{label} must be a date like 2026-03-31")
            return
        latest = latest or add_years(self.today, FUTURE_YEARS)
        if value < MIN_DATE:
            self.add(field_name, f"{label} {value.isoformat()} is before 2000: check the year")
        elif value > latest:
            self.add(field_name, f"{label} {value.isoformat()} is too far ahead (latest {latest.isoformat()})")

    def items(self, field_name: str, values: object, label: str, limit: int = MAX_LIST) -> bool:
        if not isinstance(values, list):
            self.add(field_name, f"{label} must be a list")
            return False
        if len(values) > limit:
            self.add(field_name, f"{label}: at most {limit} entries")
            return False
        return True

    def email(self, field_name: str, value: str) -> None:
        if value and self.text(field_name, value, "Email", MAX_EMAIL) and not looks_like_email(value):
            self.add(field_name, f"Email {value!r} does not look like an email address (name@example.org)")

    def phone(self, field_name: str, value: str) -> None:
        if value and self.text(field_name, value, "Phone", 30) and not PHONE_RE.match(value):
            self.add(field_name, f"Phone {value!r} does not look like a phone number")

    def raise_if_any(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)


@dataclass
class Practice:
    name: str
    id: str = field(default_factory=new_id)
    address: str = ""
    state: str = ""
    phone: str = ""
    clinicians: int | None = None
    ownership: str = Ownership.OTHER.value
    ehr_vendor: str = ""
    region: str = ""
    status: str = PracticeStatus.ACTIVE.value
    enrolled_on: date | None = None
    end_on: date | None = None

    @property
    def practice_id(self) -> str:
        return self.id

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.required("name", self.name, "Practice name")
        c.text("name", self.name, "Practice name")
        c.text("address", self.address, "Address", 500, multiline=True)
        if c.text("state", self.state, "State", 20) and self.state and self.state.upper() not in US_STATES:
            c.add("state", f"State {self.state!r} is not a US state code (for example IL, IN, WI)")
        c.phone("phone", self.phone)
        c.int_range("clinicians", self.clinicians, "Number of clinicians", 0, 500)
        c.enum("ownership", self.ownership, Ownership, "Ownership")
        c.enum("status", self.status, PracticeStatus, "Status")
        c.text("ehr_vendor", self.ehr_vendor, "EHR vendor", 100)
        c.text("region", self.region, "Region", 100)
        c.day("enrolled_on", self.enrolled_on, "Enrollment date")
        c.day("end_on", self.end_on, "End date")
        if isinstance(self.enrolled_on, date) and isinstance(self.end_on, date) and self.end_on < self.enrolled_on:
            c.add("end_on", "End date cannot be before the enrollment date")
        c.raise_if_any()


@dataclass
class Contact:
    practice_id: str
    name: str
    role: str = ContactRole.OTHER.value
    email: str = ""
    phone: str = ""
    id: str = field(default_factory=new_id)

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.required("name", self.name, "Contact name")
        c.text("name", self.name, "Contact name")
        c.enum("role", self.role, ContactRole, "Role")
        c.email("email", self.email)
        c.phone("phone", self.phone)
        c.raise_if_any()


@dataclass
class FacilitationPlan:
    """What the practice leader agreed to: pace, dose, and which strategies to pursue."""

    practice_id: str
    cadence: str = Cadence.MONTHLY.value
    planned_visits: int = 12
    planned_hours: float = 12.0
    selected_strategies: list[str] = field(default_factory=list)
    set_by: str = ""
    agreed_on: date | None = None
    notes: str = ""

    @property
    def id(self) -> str:
        return self.practice_id

    def validate(self, *, today: date, strategy_ids: frozenset[str] | None = None) -> None:
        c = _Checker(today)
        c.enum("cadence", self.cadence, Cadence, "Cadence")
        c.int_range("planned_visits", self.planned_visits, "Planned visits", 0, 200)
        hours = self.planned_hours
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours) \
                or not 0 <= hours <= 1000:
            c.add("planned_hours", "Planned hours must be a number from 0 to 1000")
        if c.items("selected_strategies", self.selected_strategies, "Selected strategies", 100):
            for s in self.selected_strategies:
                c.text("selected_strategies", s, "Strategy id", 20)
            if strategy_ids is not None:
                unknown = [s for s in self.selected_strategies if s not in strategy_ids]
                if unknown:
                    c.add("selected_strategies", f"Unknown strategy id(s): {', '.join(map(str, unknown))}")
            if len(set(self.selected_strategies)) != len(self.selected_strategies):
                c.add("selected_strategies", "A strategy is listed twice")
        c.text("set_by", self.set_by, "Set by")
        c.day("agreed_on", self.agreed_on, "Agreed on")
        c.text("notes", self.notes, "Notes", MAX_TEXT, multiline=True)
        c.raise_if_any()


@dataclass
class Attendee:
    name: str
    role: str = ContactRole.OTHER.value


@dataclass
class StrategyWork:
    """A strategy worked on during a visit, with the status change it led to."""

    strategy_id: str
    status_before: str = StrategyStatus.NOT_SELECTED.value
    status_after: str = StrategyStatus.IN_PROGRESS.value
    note: str = ""


@dataclass
class Pdsa:
    """One Plan-Do-Study-Act cycle discussed at the visit."""

    aim: str = ""
    change: str = ""
    prediction: str = ""
    result: str = ""
    decision: str = ""  # adopt / adapt / abandon, empty while the cycle runs

    def is_empty(self) -> bool:
        return not any((self.aim, self.change, self.prediction, self.result, self.decision))


@dataclass
class Visit:
    """One encounter with a practice (on-site, phone, video, email or a group session).

    Its next steps are records of their own (`NextStep`), so a later visit, a phone call or a
    colleague can close them. Notes come in two boxes: `practice_notes` are printed on the
    leave-behind, `private_notes` never leave the program (facilitator and supervisors)."""

    practice_id: str
    date: date
    id: str = field(default_factory=new_id)
    facilitator: str = ""
    start_time: time | None = None
    mode: str = VisitMode.ON_SITE.value
    minutes: int = 60
    travel_minutes: int = 0
    planned: bool = True
    attendees: list[Attendee] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    strategies: list[StrategyWork] = field(default_factory=list)
    key_drivers: list[str] = field(default_factory=list)
    pdsa: Pdsa | None = None
    data_reviewed: str = ""
    barriers: str = ""
    disruptions: list[str] = field(default_factory=list)
    engagement: int | None = None
    practice_notes: str = ""
    private_notes: str = ""
    next_contact: Day | None = None
    resources_left: list[str] = field(default_factory=list)

    def validate(self, *, today: Day, strategy_ids: frozenset[str] | None = None) -> None:
        c = _Checker(today)
        c.day("date", self.date, "Visit date", latest=add_years(today, 1), required=True)
        c.text("facilitator", self.facilitator, "Facilitator")
        c.enum("mode", self.mode, VisitMode, "Mode")
        if self.minutes is None:
            c.add("minutes", f"Minutes must be between 1 and {MAX_VISIT_MINUTES}")
        c.int_range("minutes", self.minutes, "Minutes", 1, MAX_VISIT_MINUTES)
        c.int_range("travel_minutes", self.travel_minutes, "Travel minutes", 0, MAX_TRAVEL_MINUTES)
        c.int_range("engagement", self.engagement, "Engagement rating", 1, 5)
        if self.start_time is not None and not isinstance(self.start_time, time):
            c.add("start_time", "Start time must be a time like 09:30")
        if not isinstance(self.planned, bool):
            c.add("planned", "Planned must be true or false")
        if c.items("attendees", self.attendees, "Attendees"):
            for i, a in enumerate(self.attendees, 1):
                c.required("attendees", a.name, f"Attendee {i}: name")
                c.text("attendees", a.name, f"Attendee {i}: name")
                if a.role not in ContactRole.choices():
                    c.add("attendees", f"Attendee {i}: role must be one of: {', '.join(ContactRole.choices())}")
        if c.items("activities", self.activities, "Activities"):
            for activity in self.activities:
                if activity not in Activity.choices():
                    c.add("activities", f"Activity {str(activity)[:40]!r} must be one of: {', '.join(Activity.choices())}")
        seen: set[str] = set()
        if c.items("strategies", self.strategies, "Strategies"):
            for s in self.strategies:
                if not c.text("strategies", s.strategy_id, "Strategy id", 20):
                    continue
                if strategy_ids is not None and s.strategy_id not in strategy_ids:
                    c.add("strategies", f"Unknown strategy {s.strategy_id!r} (see the toolkit for ids such as B1)")
                if s.strategy_id in seen:
                    c.add("strategies", f"Strategy {s.strategy_id} is listed twice")
                seen.add(s.strategy_id)
                for label, value in (("before", s.status_before), ("after", s.status_after)):
                    if value not in StrategyStatus.choices():
                        c.add("strategies", f"Strategy {s.strategy_id}: status {label} must be one of: "
                              f"{', '.join(StrategyStatus.choices())}")
                c.text("strategies", s.note, f"Strategy {s.strategy_id}: note", 2000, multiline=True)
        if c.items("key_drivers", self.key_drivers, "Key drivers"):
            for k in self.key_drivers:
                c.text("key_drivers", k, "Key driver")
        if self.pdsa is not None:
            for name in ("aim", "change", "prediction", "result"):
                c.text("pdsa", getattr(self.pdsa, name), f"PDSA {name}", 2000, multiline=True)
            if self.pdsa.decision and self.pdsa.decision not in PdsaDecision.choices():
                c.add("pdsa", "PDSA decision must be adopt, adapt or abandon")
        if c.items("disruptions", self.disruptions, "Disruptions"):
            for d in self.disruptions:
                if d not in Disruption.choices():
                    c.add("disruptions", f"Disruption {str(d)[:40]!r} must be one of: {', '.join(Disruption.choices())}")
        c.day("next_contact", self.next_contact, "Next contact date")
        if isinstance(self.date, date) and isinstance(self.next_contact, date) and self.next_contact < self.date:
            c.add("next_contact", "Next contact date cannot be before the visit date")
        if c.items("resources_left", self.resources_left, "Resources left"):
            for r in self.resources_left:
                c.text("resources_left", r, "Resource left", 300)
        c.text("practice_notes", self.practice_notes, "Notes for the practice", MAX_TEXT, multiline=True)
        c.text("private_notes", self.private_notes, "Private notes", MAX_TEXT, multiline=True)
        c.text("barriers", self.barriers, "Barriers", MAX_TEXT, multiline=True)
        c.text("data_reviewed", self.data_reviewed, "Data reviewed", MAX_TEXT, multiline=True)
        c.raise_if_any()

    @property
    def hours(self) -> float:
        return self.minutes / 60


@dataclass
class NextStep:
    """An action agreed at a visit, with an owner at the practice and a due date.

    A record of its own, not a line inside the visit: it is usually closed later, at the next
    visit, on a phone call or by a second facilitator of the practice, and each of its fields
    syncs on its own, so two people closing different steps offline never conflict."""

    practice_id: str
    visit_id: str
    action: str
    id: str = field(default_factory=new_id)
    owner: str = ""
    due: date | None = None
    position: int = 0  # order within the visit that made it
    status: str = StepStatus.OPEN.value
    closed_on: date | None = None
    closed_by: str = ""
    closing_note: str = ""
    closed_in_visit: str = ""  # the visit at which it was closed, if it was

    @property
    def is_open(self) -> bool:
        return self.status == StepStatus.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due is not None and self.due < today

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.required("action", self.action, "Next step")
        c.text("action", self.action, "Next step", 1000, multiline=True)
        c.required("visit_id", self.visit_id, "The visit that made the step")
        c.text("visit_id", self.visit_id, "Visit id")
        c.text("owner", self.owner, "Owner")
        c.day("due", self.due, "Due date")
        c.int_range("position", self.position, "Position", 0, 9999)
        c.enum("status", self.status, StepStatus, "Status")
        # A day of slack: the server's "today" is UTC, a laptop's is local time.
        c.day("closed_on", self.closed_on, "Closed on", latest=today + timedelta(days=1))
        c.text("closed_by", self.closed_by, "Closed by")
        c.text("closing_note", self.closing_note, "Closing note", 2000, multiline=True)
        c.text("closed_in_visit", self.closed_in_visit, "Visit id")
        c.raise_if_any()


def legacy_step_id(visit_id: str, index: int) -> str:
    """The id a next step gets when it moves out of an older visit record (list position `index`).

    Derived, not random: the laptop's own migration, the server's migration and the server's
    conversion of an old app's unsent visit must all give the same step the same id, so the
    copies merge instead of doubling."""
    return str(uuid.uuid5(_LEGACY_STEP_NAMESPACE, f"{visit_id}/{index}"))


_LEGACY_STEP_NAMESPACE = uuid.UUID("6f1c2b1e-5a0d-4c55-9a43-0f5d7e3b8a21")


def legacy_step_record(practice_id: str, visit_id: str, index: int, step: object) -> dict[str, object] | None:
    """A next step stored inside an older visit (`{"action", "owner", "due", "done"}`) as a
    NextStep record, or None when the entry is not a step at all. Done flags are kept: a done
    step is closed as done (its closing date was never recorded)."""
    if not isinstance(step, dict):
        return None
    action, owner, due = step.get("action"), step.get("owner"), step.get("due")
    return {"id": legacy_step_id(visit_id, index), "practice_id": practice_id, "visit_id": visit_id,
            "action": action if isinstance(action, str) else "",
            "owner": owner if isinstance(owner, str) else "",
            "due": due if isinstance(due, str) and due else None, "position": index,
            "status": StepStatus.DONE.value if step.get("done") is True else StepStatus.OPEN.value,
            "closed_on": None, "closed_by": "", "closing_note": "", "closed_in_visit": ""}


@dataclass(frozen=True)
class StepClosure:
    """What a visit (or a call) decided about an earlier next step: done, dropped, or open again."""

    step_id: str
    status: str  # a StepStatus value
    note: str = ""


@dataclass
class ChecklistItem:
    """Where one practice stands on one of the 35 strategies."""

    practice_id: str
    strategy_id: str
    status: str = StrategyStatus.NOT_SELECTED.value
    reason: str = ""
    owner: str = ""
    target_date: date | None = None
    steps_done: list[int] = field(default_factory=list)

    @property
    def id(self) -> str:
        return checklist_id(self.practice_id, self.strategy_id)

    def validate(self, *, today: date, step_count: int | None = None) -> None:
        c = _Checker(today)
        c.text("strategy_id", self.strategy_id, "Strategy id", 20)
        c.enum("status", self.status, StrategyStatus, "Status")
        if problem := declined_reason_problem(self.status, self.reason):
            c.add("reason", problem)
        c.text("reason", self.reason, "Reason", 2000, multiline=True)
        c.text("owner", self.owner, "Owner")
        c.day("target_date", self.target_date, "Target date")
        if c.items("steps_done", self.steps_done, "Steps done", 100):
            limit = step_count if step_count is not None else 100
            bad = [n for n in self.steps_done if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit]
            if bad:
                c.add("steps_done", f"Step {bad[0]} does not exist: this strategy has steps 1 to {limit}")
            elif len(set(self.steps_done)) != len(self.steps_done):
                c.add("steps_done", "A step is listed twice")
        c.raise_if_any()


@dataclass
class ChecklistNote:
    """A dated note on a strategy. Append-only, so two people's notes both survive a sync.
    On the server, `author` is always the account that sent it."""

    practice_id: str
    strategy_id: str
    text: str
    written_on: date | None = None  # the store fills in the day it is saved
    author: str = ""
    id: str = field(default_factory=new_id)

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.text("strategy_id", self.strategy_id, "Strategy id", 20)
        c.required("text", self.text, "Note")
        c.text("text", self.text, "Note", MAX_TEXT, multiline=True)
        c.day("written_on", self.written_on, "Written on", latest=today + timedelta(days=1), required=True)
        c.text("author", self.author, "Author")
        c.raise_if_any()


@dataclass
class MeasureRevision:
    """The numbers a measure value had before an import replaced them (kept so a replaced
    quarter can always be traced back)."""

    numerator: int
    denominator: int
    replaced_on: date
    version: str = ""
    source: str = ""


MAX_REVISIONS = 50  # a quarter's value replaced more often than this is not plausible


@dataclass
class MeasureValue:
    """A practice's rolling 12-month rate for one ABCS measure, as of a quarter's end.

    `history` holds the earlier numbers an import replaced, oldest first."""

    practice_id: str
    measure: str
    period_end: date
    numerator: int
    denominator: int
    version: str = ""
    source: str = "EHR report"
    id: str = field(default_factory=new_id)
    history: list[MeasureRevision] = field(default_factory=list)

    @property
    def cms_id(self) -> str:
        return Measure(self.measure).cms_id if self.measure in Measure.choices() else ""

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.enum("measure", self.measure, Measure, "Measure")
        c.day("period_end", self.period_end, "Period end date", latest=add_years(today, 1), required=True)
        counts_ok = True
        for name, value, label in (("numerator", self.numerator, "Numerator"),
                                   ("denominator", self.denominator, "Denominator")):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
                c.add(name, f"{label} must be a whole number from 0 to {MAX_COUNT:,}")
                counts_ok = False
        if counts_ok:
            if self.denominator == 0:
                c.add("denominator", "Denominator must be more than 0")
            elif self.numerator > self.denominator:
                c.add("numerator", "Numerator cannot be larger than denominator")
        c.text("version", self.version, "Measure version", 40)
        c.text("source", self.source, "Source", 200)
        if c.items("history", self.history, "Earlier values", MAX_REVISIONS):
            for i, r in enumerate(self.history, 1):
                if not isinstance(r, MeasureRevision):
                    c.add("history", f"Earlier value {i} must be a record")
                    continue
                c.int_range("history", r.numerator, f"Earlier value {i}: numerator", 0, MAX_COUNT)
                c.int_range("history", r.denominator, f"Earlier value {i}: denominator", 0, MAX_COUNT)
                c.day("history", r.replaced_on, f"Earlier value {i}: replaced on", required=True,
                      latest=today + timedelta(days=2))  # the laptop may be a day ahead
                c.text("history", r.version, f"Earlier value {i}: measure version", 40)
                c.text("history", r.source, f"Earlier value {i}: source", 200)
        c.raise_if_any()


# -- records of the cooperative and of one person, not of a practice -------------------------
#
# Their `practice_id` holds a scope key, never a practice: the server stores its own key
# ("~coop:<n>" for the cooperative, "~user:<n>" for one account) and a laptop writes the bare
# prefix until the server's key comes back with the next pull. No practice id starts with "~".
SCOPE_MARK = "~"
COOPERATIVE_SCOPE = "~coop"
PERSONAL_SCOPE = "~user"
COOPERATIVE_ENTITIES = frozenset({"tip", "tip_mark"})
PERSONAL_ENTITIES = frozenset({"diary_entry"})
Scope = Literal["practice", "cooperative", "personal"]
MAX_LINK = 500
_LINK_RE = re.compile(r"^https?://[^\s/?#]+\.[^\s]*$", re.IGNORECASE)


def scope_of(entity: str) -> Scope:
    """Who may read an entity's rows: a practice's people, a whole cooperative, or one person
    (and their supervisors, for what they chose to share)."""
    if entity in COOPERATIVE_ENTITIES:
        return "cooperative"
    return "personal" if entity in PERSONAL_ENTITIES else "practice"


def scope_key(scope: Scope, number: int) -> str:
    """The server's scope key of a cooperative's or an account's records."""
    return f"{COOPERATIVE_SCOPE if scope == 'cooperative' else PERSONAL_SCOPE}:{number}"


def tip_mark_id(tip_id: str, user: str) -> str:
    """One "helpful" mark per person and tip: the id is fixed by both, so marks made offline on
    two laptops by one person are one record, and marks by different people never collide."""
    return f"{tip_id}:{hashlib.sha256(user.encode()).hexdigest()[:16]}"


@dataclass
class Tip:
    """What worked at which kind of practice, written by a facilitator for the whole cooperative.

    `written_by` is the account that wrote it (the server's to say); only they edit its words or
    withdraw it, and only a supervisor pins or hides it. The traits say which practices it
    suits ("" = any)."""

    strategy_id: str
    text: str
    written_on: date | None = None  # the store fills in the day it is saved
    link: str = ""
    ownership: str = ""
    ehr_vendor: str = ""
    size: str = ""
    written_by: str = ""
    pinned: bool = False
    hidden: bool = False
    practice_id: str = COOPERATIVE_SCOPE
    id: str = field(default_factory=new_id)

    def suits(self, *, ownership: str, ehr_vendor: str, clinicians: int | None) -> bool:
        """Whether the tip's traits fit a practice (a trait the tip leaves empty fits any)."""
        size = PracticeSize.of(clinicians)
        return ((not self.ownership or self.ownership == ownership)
                and (not self.ehr_vendor or self.ehr_vendor.strip().lower() == (ehr_vendor or "").strip().lower())
                and (not self.size or size is None or self.size == size))

    def validate(self, *, today: date, strategy_ids: frozenset[str] | None = None) -> None:
        c = _Checker(today)
        if c.text("strategy_id", self.strategy_id, "Strategy", 20):
            if not self.strategy_id.strip():
                c.add("strategy_id", "Choose the strategy the tip is about")
            elif strategy_ids is not None and self.strategy_id not in strategy_ids:
                c.add("strategy_id", f"There is no strategy {self.strategy_id!r} in the toolkit")
        c.required("text", self.text, "Tip")
        c.text("text", self.text, "Tip", 4000, multiline=True)
        c.day("written_on", self.written_on, "Written on", latest=today + timedelta(days=1), required=True)
        if c.text("link", self.link, "Link", MAX_LINK) and self.link and not _LINK_RE.match(self.link):
            c.add("link", f"Link {self.link[:80]!r} must be a web address starting with https:// or http://")
        if self.ownership:
            c.enum("ownership", self.ownership, Ownership, "Ownership")
        c.text("ehr_vendor", self.ehr_vendor, "EHR vendor", 100)
        if self.size:
            c.enum("size", self.size, PracticeSize, "Practice size")
        c.text("written_by", self.written_by, "Written by")
        c.raise_if_any()


@dataclass
class TipMark:
    """One person's "this helped me" on a tip (`helpful` False takes it back)."""

    tip_id: str
    by: str = ""
    helpful: bool = True
    practice_id: str = COOPERATIVE_SCOPE
    id: str = ""

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.required("tip_id", self.tip_id, "Tip")
        c.text("tip_id", self.tip_id, "Tip id")
        c.text("by", self.by, "Marked by")
        c.raise_if_any()


@dataclass
class DiaryEntry:
    """A facilitator's dated reflection. Private unless `shared` with their supervisor: a private
    entry is kept apart on the laptop and never sent anywhere (see store/diary.py)."""

    written_on: date | None
    text: str
    tags: list[str] = field(default_factory=list)
    about_practice: str = ""  # the practice it is about, if any
    strategies: list[str] = field(default_factory=list)
    shared: bool = False
    written_by: str = ""
    practice_id: str = PERSONAL_SCOPE
    id: str = field(default_factory=new_id)

    def validate(self, *, today: date) -> None:
        c = _Checker(today)
        c.day("written_on", self.written_on, "Date", latest=today + timedelta(days=1), required=True)
        c.required("text", self.text, "Entry")
        c.text("text", self.text, "Entry", MAX_TEXT, multiline=True)
        if c.items("tags", self.tags, "Tags", 10):
            for tag in self.tags:
                if tag not in DiaryTag.choices():
                    c.add("tags", f"Tag {str(tag)[:40]!r} is not one of: {', '.join(DiaryTag.choices())}")
                    break
        c.text("about_practice", self.about_practice, "Practice")
        if c.items("strategies", self.strategies, "Strategies", 35):
            if not all(isinstance(s, str) and 0 < len(s) <= 20 for s in self.strategies):
                c.add("strategies", "Strategies must be strategy ids such as B3")
        c.text("written_by", self.written_by, "Written by")
        c.raise_if_any()


def blank_diary_entry(entry_id: str, scope: str, *, written_by: str) -> dict[str, object]:
    """What the server keeps of a diary entry whose share was taken back or that was deleted:
    that it existed, and nothing of what it said."""
    return {"written_on": None, "text": "", "tags": [], "about_practice": "", "strategies": [], "shared": False,
            "written_by": written_by, "practice_id": scope, "id": entry_id, "deleted": True}


@dataclass
class FacilitatorProfile:
    """How the facilitator signs the leave-behinds: name, email and phone. Local only."""

    name: str = ""
    email: str = ""
    phone: str = ""

    def validate(self) -> None:
        c = _Checker(MIN_DATE)  # no dates here
        c.required("name", self.name, "Your name")
        c.text("name", self.name, "Your name")
        c.email("email", self.email)
        c.phone("phone", self.phone)
        c.raise_if_any()


ENTITY_TYPES: dict[str, type] = {
    "practice": Practice,
    "contact": Contact,
    "plan": FacilitationPlan,
    "visit": Visit,
    "next_step": NextStep,
    "checklist": ChecklistItem,
    "checklist_note": ChecklistNote,
    "measure": MeasureValue,
    "tip": Tip,
    "tip_mark": TipMark,
    "diary_entry": DiaryEntry,
}
covers_every_entity(ENTITY_TYPES, "core.model.ENTITY_TYPES")
# Entities whose rows are only ever created, never edited (merge = keep every one).
APPEND_ONLY = frozenset({"checklist_note"})
# Longest id a record may have (server columns and checklist ids `practice:strategy` included).
MAX_ID = 200
MAX_PRACTICE_ID = MAX_ID - 21  # room for ":" and a strategy id in checklist ids


def validate_entity(obj: object, *, today: date, strategy_ids: frozenset[str] | None = None,
                    step_count: int | None = None) -> None:
    """Run an entity's own validation with the context it takes (one call for every kind)."""
    if isinstance(obj, (Visit, FacilitationPlan, Tip)):
        obj.validate(today=today, strategy_ids=strategy_ids)
    elif isinstance(obj, ChecklistItem):
        obj.validate(today=today, step_count=step_count)
    else:
        obj.validate(today=today)  # type: ignore[attr-defined]


def id_problem(entity: str, row_id: object, practice_id: object) -> str | None:
    """Why a record's ids cannot be stored, or None. A practice id leaves room for the strategy
    in checklist ids (`practice:strategy`), so no laptop can build an id the server refuses."""
    for label, value, limit in (("id", row_id, MAX_PRACTICE_ID if entity in ("practice", "plan") else MAX_ID),
                                ("practice id", practice_id, MAX_PRACTICE_ID)):
        if not isinstance(value, str) or not value.strip():
            return f"The record's {label} is missing"
        if len(value) > limit:
            return f"The record's {label} is too long ({len(value)} characters; at most {limit})"
        if _LINE_BAD.search(value):
            return f"The record's {label} contains a control character"
    scope = scope_of(entity)
    assert isinstance(practice_id, str)  # checked above
    if scope == "practice" and practice_id.startswith(SCOPE_MARK):
        return f"The record's practice id may not start with {SCOPE_MARK!r}"
    prefix = COOPERATIVE_SCOPE if scope == "cooperative" else PERSONAL_SCOPE
    if scope != "practice" and practice_id.split(":", 1)[0] != prefix:
        return f"The record's scope must be {prefix!r}"
    return None

"""The records a facilitator keeps, and the rules each value must follow.

Every entity is a plain dataclass with a client-generated UUID `id` and a `practice_id` (the
unit of access on the server). `validate()` returns every problem at once, each message written
for a facilitator, so a form can show them all beside their fields.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, time

from .errors import FieldProblem, ValidationError
from .vocab import (
    Activity,
    Cadence,
    ContactRole,
    Disruption,
    Measure,
    Ownership,
    PdsaDecision,
    PracticeStatus,
    StrategyStatus,
    US_STATES,
    VisitMode,
)

MAX_VISIT_MINUTES = 720
MAX_TRAVEL_MINUTES = 600
MAX_TEXT = 100_000
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9A-Za-z+().\-\s/x]{7,30}$")


def new_id() -> str:
    return str(uuid.uuid4())


def checklist_id(practice_id: str, strategy_id: str) -> str:
    """Checklist rows are keyed by (practice, strategy) so two offline creates merge."""
    return f"{practice_id}:{strategy_id}"


class _Checker:
    """Collects problems so a form can show all of them, not just the first."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, field_name: str, message: str) -> None:
        self.problems.append(FieldProblem(field_name, message))

    def required(self, field_name: str, value: str, label: str) -> None:
        if not (value or "").strip():
            self.add(field_name, f"{label} is required")

    def length(self, field_name: str, value: str, label: str, limit: int) -> None:
        if value and len(value) > limit:
            self.add(field_name, f"{label} is too long (at most {limit:,} characters)")

    def int_range(self, field_name: str, value: int | None, label: str, low: int, high: int) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(field_name, f"{label} must be between {low} and {high}")

    def enum(self, field_name: str, value: str, kind: type, label: str) -> None:
        if value not in kind.choices():
            self.add(field_name, f"{label} must be one of: {', '.join(kind.choices())}")

    def email(self, field_name: str, value: str) -> None:
        if value and not EMAIL_RE.match(value):
            self.add(field_name, f"Email {value!r} does not look like an email address (name@example.org)")

    def phone(self, field_name: str, value: str) -> None:
        if value and not PHONE_RE.match(value):
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

    def validate(self) -> None:
        c = _Checker()
        c.required("name", self.name, "Practice name")
        c.length("name", self.name, "Practice name", 200)
        c.length("address", self.address, "Address", 500)
        if self.state and self.state.upper() not in US_STATES:
            c.add("state", f"State {self.state!r} is not a US state code (for example IL, IN, WI)")
        c.phone("phone", self.phone)
        c.int_range("clinicians", self.clinicians, "Number of clinicians", 0, 500)
        c.enum("ownership", self.ownership, Ownership, "Ownership")
        c.enum("status", self.status, PracticeStatus, "Status")
        c.length("ehr_vendor", self.ehr_vendor, "EHR vendor", 100)
        c.length("region", self.region, "Region", 100)
        if self.enrolled_on and self.end_on and self.end_on < self.enrolled_on:
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

    def validate(self) -> None:
        c = _Checker()
        c.required("name", self.name, "Contact name")
        c.length("name", self.name, "Contact name", 200)
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

    def validate(self, strategy_ids: frozenset[str] | None = None) -> None:
        c = _Checker()
        c.enum("cadence", self.cadence, Cadence, "Cadence")
        c.int_range("planned_visits", self.planned_visits, "Planned visits", 0, 200)
        if not isinstance(self.planned_hours, (int, float)) or not 0 <= self.planned_hours <= 1000:
            c.add("planned_hours", "Planned hours must be between 0 and 1000")
        if strategy_ids is not None:
            unknown = [s for s in self.selected_strategies if s not in strategy_ids]
            if unknown:
                c.add("selected_strategies", f"Unknown strategy id(s): {', '.join(unknown)}")
        if len(set(self.selected_strategies)) != len(self.selected_strategies):
            c.add("selected_strategies", "A strategy is listed twice")
        c.length("notes", self.notes, "Notes", MAX_TEXT)
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
class NextStep:
    action: str
    owner: str = ""
    due: date | None = None
    done: bool = False


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
    """One encounter with a practice (on-site, phone, video, email or a group session)."""

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
    notes: str = ""
    next_steps: list[NextStep] = field(default_factory=list)
    next_contact: date | None = None
    resources_left: list[str] = field(default_factory=list)

    def validate(self, strategy_ids: frozenset[str] | None = None) -> None:
        c = _Checker()
        if not isinstance(self.date, date):
            c.add("date", "Visit date is required")
        elif self.date > date.today().replace(year=date.today().year + 1):
            c.add("date", "Visit date is more than a year in the future")
        c.enum("mode", self.mode, VisitMode, "Mode")
        c.int_range("minutes", self.minutes, "Minutes", 1, MAX_VISIT_MINUTES)
        if self.minutes is None:
            c.add("minutes", f"Minutes must be between 1 and {MAX_VISIT_MINUTES}")
        c.int_range("travel_minutes", self.travel_minutes, "Travel minutes", 0, MAX_TRAVEL_MINUTES)
        c.int_range("engagement", self.engagement, "Engagement rating", 1, 5)
        for i, a in enumerate(self.attendees, 1):
            c.required("attendees", a.name, f"Attendee {i}: name")
            if a.role not in ContactRole.choices():
                c.add("attendees", f"Attendee {i}: role must be one of: {', '.join(ContactRole.choices())}")
        for a in self.activities:
            if a not in Activity.choices():
                c.add("activities", f"Activity {a!r} must be one of: {', '.join(Activity.choices())}")
        seen: set[str] = set()
        for s in self.strategies:
            if strategy_ids is not None and s.strategy_id not in strategy_ids:
                c.add("strategies", f"Unknown strategy {s.strategy_id!r} (see the toolkit for ids such as B1)")
            if s.strategy_id in seen:
                c.add("strategies", f"Strategy {s.strategy_id} is listed twice")
            seen.add(s.strategy_id)
            for label, value in (("before", s.status_before), ("after", s.status_after)):
                if value not in StrategyStatus.choices():
                    c.add("strategies", f"Strategy {s.strategy_id}: status {label} must be one of: "
                          f"{', '.join(StrategyStatus.choices())}")
        if self.pdsa and self.pdsa.decision and self.pdsa.decision not in PdsaDecision.choices():
            c.add("pdsa", "PDSA decision must be adopt, adapt or abandon")
        for d in self.disruptions:
            if d not in Disruption.choices():
                c.add("disruptions", f"Disruption {d!r} must be one of: {', '.join(Disruption.choices())}")
        for i, step in enumerate(self.next_steps, 1):
            c.required("next_steps", step.action, f"Next step {i}: action")
            c.length("next_steps", step.action, f"Next step {i}: action", 1000)
        if isinstance(self.date, date) and self.next_contact and self.next_contact < self.date:
            c.add("next_contact", "Next contact date cannot be before the visit date")
        c.length("notes", self.notes, "Notes", MAX_TEXT)
        c.length("barriers", self.barriers, "Barriers", MAX_TEXT)
        c.length("data_reviewed", self.data_reviewed, "Data reviewed", MAX_TEXT)
        c.raise_if_any()

    @property
    def hours(self) -> float:
        return self.minutes / 60


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

    def validate(self, step_count: int | None = None) -> None:
        c = _Checker()
        c.enum("status", self.status, StrategyStatus, "Status")
        if self.status == StrategyStatus.DECLINED and not self.reason.strip():
            c.add("reason", "Give a reason when the practice declines a strategy")
        c.length("reason", self.reason, "Reason", 2000)
        c.length("owner", self.owner, "Owner", 200)
        if step_count is not None:
            bad = [n for n in self.steps_done if not 1 <= n <= step_count]
            if bad:
                c.add("steps_done", f"Step {bad[0]} does not exist: this strategy has steps 1 to {step_count}")
        c.raise_if_any()


@dataclass
class ChecklistNote:
    """A dated note on a strategy. Append-only, so two people's notes both survive a sync."""

    practice_id: str
    strategy_id: str
    text: str
    written_on: date = field(default_factory=date.today)
    author: str = ""
    id: str = field(default_factory=new_id)

    def validate(self) -> None:
        c = _Checker()
        c.required("text", self.text, "Note")
        c.length("text", self.text, "Note", MAX_TEXT)
        c.raise_if_any()


@dataclass
class MeasureValue:
    """A practice's rolling 12-month rate for one ABCS measure, as of a quarter's end."""

    practice_id: str
    measure: str
    period_end: date
    numerator: int
    denominator: int
    version: str = ""
    source: str = "EHR report"
    id: str = field(default_factory=new_id)

    @property
    def cms_id(self) -> str:
        return Measure(self.measure).cms_id if self.measure in Measure.choices() else ""

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def validate(self) -> None:
        c = _Checker()
        c.enum("measure", self.measure, Measure, "Measure")
        if not isinstance(self.period_end, date):
            c.add("period_end", "Period end date is required")
        for name, value, label in (("numerator", self.numerator, "Numerator"),
                                   ("denominator", self.denominator, "Denominator")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                c.add(name, f"{label} must be a whole number, 0 or more")
        if isinstance(self.numerator, int) and isinstance(self.denominator, int):
            if self.denominator == 0 and self.numerator == 0:
                c.add("denominator", "Denominator must be more than 0")
            elif self.numerator > self.denominator:
                c.add("numerator", "Numerator cannot be larger than denominator")
        c.length("version", self.version, "Measure version", 40)
        c.length("source", self.source, "Source", 200)
        c.raise_if_any()


@dataclass
class FacilitatorProfile:
    """How the facilitator signs the leave-behinds: name, email and phone. Local only."""

    name: str = ""
    email: str = ""
    phone: str = ""

    def validate(self) -> None:
        c = _Checker()
        c.required("name", self.name, "Your name")
        c.length("name", self.name, "Your name", 200)
        c.email("email", self.email)
        c.phone("phone", self.phone)
        c.raise_if_any()


ENTITY_TYPES: dict[str, type] = {
    "practice": Practice,
    "contact": Contact,
    "plan": FacilitationPlan,
    "visit": Visit,
    "checklist": ChecklistItem,
    "checklist_note": ChecklistNote,
    "measure": MeasureValue,
}
# Entities whose rows are only ever created, never edited (merge = keep every one).
APPEND_ONLY = frozenset({"checklist_note"})

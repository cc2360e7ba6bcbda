"""Controlled vocabularies of the domain, each value with the label a facilitator reads.

Values are stable identifiers stored in the database and sent over sync; labels may change.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Self


class Labeled(StrEnum):
    """A StrEnum whose members carry a human label (the second tuple item)."""

    _value_: str
    label: str

    # `label` has a default only so that type checkers accept the lookup `Kind(value)`, which the
    # enum machinery routes past this method; a member defined without its label still fails here.
    def __new__(cls, value: str, label: str = "") -> Self:
        if not label:
            raise TypeError(f"{cls.__name__} member {value!r} needs a label")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def parse(cls, text: str, *, what: str) -> Self:
        """Accept a value or a label, any case; raise ValueError naming the choices."""
        def norm(t: str) -> str:
            return t.strip().lower().replace("-", "_").replace(" ", "_")
        key = norm(text or "")
        for member in cls:
            if key in (norm(member.value), norm(member.label)):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"{what} must be one of: {choices} (got {text!r})")

    @classmethod
    def choices(cls) -> list[str]:
        return list(_values(cls))

    @classmethod
    def label_of(cls, value: object, default: str = "-") -> str:
        """The label of a stored value, or the value itself when it is not one of ours (a
        record from another version must still display, never crash a list or a report)."""
        member = cls._value2member_map_.get(value)
        if isinstance(member, Labeled):
            return member.label
        return default if value in (None, "") else str(value)


@cache
def _values(kind: type[Labeled]) -> tuple[str, ...]:
    """Worked out once per vocabulary: the server validates every pushed row against these, and
    iterating an enum costs several microseconds each time."""
    return tuple(m.value for m in kind)


class Ownership(Labeled):
    CLINICIAN_OWNED = ("clinician_owned", "Clinician-owned")
    HEALTH_SYSTEM = ("health_system", "Health system")
    FQHC = ("fqhc", "FQHC")
    OTHER = ("other", "Other")


class PracticeStatus(Labeled):
    ACTIVE = ("active", "Active")
    PAUSED = ("paused", "Paused")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class ContactRole(Labeled):
    PRACTICE_LEADER = ("practice_leader", "Practice leader")
    CHAMPION = ("champion", "Champion")
    CLINICIAN = ("clinician", "Clinician")
    MA_NURSE = ("ma_nurse", "MA/nurse")
    OFFICE_MANAGER = ("office_manager", "Office manager")
    OTHER = ("other", "Other")


class VisitMode(Labeled):
    ON_SITE = ("on_site", "On-site")
    PHONE = ("phone", "Phone")
    VIDEO = ("video", "Video")
    EMAIL = ("email", "Email")
    GROUP = ("group", "Group/learning session")


class Activity(Labeled):
    """The five categories H3 grouped its 27 facilitator activities into."""

    DOING_TASKS = ("doing_tasks", "Doing tasks")
    PROJECT_MANAGEMENT = ("project_management", "Project management")
    CONSULTING = ("consulting", "Consulting")
    TEACHING = ("teaching", "Teaching")
    COACHING = ("coaching", "Coaching")


class StrategyStatus(Labeled):
    NOT_SELECTED = ("not_selected", "Not selected")
    SELECTED = ("selected", "Selected")
    IN_PROGRESS = ("in_progress", "In progress")
    IMPLEMENTED = ("implemented", "Implemented")
    SUSTAINED = ("sustained", "Sustained")
    DECLINED = ("declined", "Declined")


DECLINED_NEEDS_REASON = "Give a reason when the practice declines a strategy"


def declined_reason_problem(status: object, reason: object) -> str | None:
    """The one rule on a checklist reason: a declined strategy needs one (why the practice said no
    is what the next facilitator and the progress report need). Used by the model's validation,
    the checklist screen and `facilitator-app checklist set`."""
    if status == StrategyStatus.DECLINED and not (isinstance(reason, str) and reason.strip()):
        return DECLINED_NEEDS_REASON
    return None


def reason_kept(status: object, reason: str) -> str:
    """The reason stored with `status`: the text given (trimmed) for a declined strategy, none for
    any other status, so a strategy taken up again does not carry an old refusal."""
    return reason.strip() if status == StrategyStatus.DECLINED else ""


# Statuses that count as "implemented" in roll-ups (sustained implies implemented).
DONE_STATUSES = frozenset({StrategyStatus.IMPLEMENTED, StrategyStatus.SUSTAINED})
# Statuses that mean the practice chose to work on the strategy.
CHOSEN_STATUSES = frozenset(
    {StrategyStatus.SELECTED, StrategyStatus.IN_PROGRESS, StrategyStatus.IMPLEMENTED, StrategyStatus.SUSTAINED}
)


class StepStatus(Labeled):
    """Where a next step stands. Closed steps (done or dropped) keep who closed them and when."""

    OPEN = ("open", "Open")
    DONE = ("done", "Done")
    DROPPED = ("dropped", "Dropped")


class Cadence(Labeled):
    WEEKLY = ("weekly", "Weekly")
    BIWEEKLY = ("biweekly", "Every two weeks")
    MONTHLY = ("monthly", "Monthly")
    QUARTERLY = ("quarterly", "Quarterly")
    AS_NEEDED = ("as_needed", "As needed")


class PdsaDecision(Labeled):
    ADOPT = ("adopt", "Adopt")
    ADAPT = ("adapt", "Adapt")
    ABANDON = ("abandon", "Abandon")


class Disruption(Labeled):
    CLINICIAN_LOSS = ("clinician_loss", "Lost a clinician")
    STAFF_TURNOVER = ("staff_turnover", "Staff turnover")
    OWNERSHIP_CHANGE = ("ownership_change", "Ownership change")
    EHR_CHANGE = ("ehr_change", "EHR change")
    OTHER = ("other", "Other")


class PracticeSize(Labeled):
    """Sizes a field tip may say it suits, by the number of clinicians."""

    SOLO = ("solo", "Solo (1 clinician)")
    SMALL = ("small", "Small (2-5 clinicians)")
    LARGER = ("larger", "Larger (6 or more)")

    @classmethod
    def of(cls, clinicians: int | None) -> "PracticeSize | None":
        if clinicians is None or clinicians < 1:
            return None
        return cls.SOLO if clinicians == 1 else cls.SMALL if clinicians <= 5 else cls.LARGER


class DiaryTag(Labeled):
    """How a facilitator files a diary entry, so they and their supervisor can find it again."""

    BARRIER = ("barrier", "Barrier")
    SUCCESS = ("success", "Success")
    QUESTION = ("question", "Question")
    IDEA = ("idea", "Idea")


class Measure(Labeled):
    """The ABCS clinical quality measures; `cms_id` names the eCQM."""

    A = ("A", "Aspirin")
    B = ("B", "Blood pressure")
    C = ("C", "Cholesterol")
    S = ("S", "Smoking")

    @property
    def cms_id(self) -> str:
        return MEASURE_CMS[self]

    @property
    def title(self) -> str:  # type: ignore[override]  # shadows str.title(), on purpose: the eCQM title
        return MEASURE_TITLES[self]


MEASURE_CMS = {Measure.A: "CMS164", Measure.B: "CMS165", Measure.C: "CMS347", Measure.S: "CMS138"}
MEASURE_TITLES = {
    Measure.A: "Aspirin or antiplatelet for ischemic vascular disease",
    Measure.B: "Controlling high blood pressure",
    Measure.C: "Statin therapy for cardiovascular disease",
    Measure.S: "Tobacco screening and cessation",
}
MEASURE_TARGET = 0.70  # Million Hearts target for each ABCS measure.

DOMAINS = {"A": "Aspirin", "B": "Blood pressure", "C": "Cholesterol", "S": "Smoking", "X": "Cross-cutting"}
ARMS = {"POC": "Point of care", "PM": "Population management", "both": "Both"}

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)

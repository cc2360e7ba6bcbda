"""What a measure file holds, read but not yet written: the values to record, what was skipped
and why, and what is wrong with it. The readers build it; the store writes it in one go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..errors import FieldKitError
from ..model import MeasureValue
from ..vocab import Measure

MAX_FILE_BYTES = 50 * 1024 * 1024  # a QRDA III of the four ABCS measures is a few hundred KB


class MeasureFileError(FieldKitError):
    """The whole file is refused (hostile, damaged, too big, not a measure file): nothing of it
    is recorded."""


@dataclass(frozen=True)
class PlannedValue:
    """One quarter's numbers for one measure, as the measure defines the rate."""

    measure: str  # Measure code A/B/C/S
    period_end: date
    numerator: int
    denominator: int
    version: str = ""
    where: str = ""  # "line 4", "measure 2 (Controlling High Blood Pressure)"
    detail: str = ""  # how the numbers were derived, e.g. "denominator 640 - exclusions 12"
    note: str = ""  # said in the recorded source, e.g. "population 3 of 3"

    @property
    def key(self) -> tuple[str, date]:
        return self.measure, self.period_end


@dataclass(frozen=True)
class Skipped:
    """Something in the file that is not recorded, with the reason (a measure the app does not
    track, a measure with no patients)."""

    what: str
    reason: str
    where: str = ""


@dataclass(frozen=True)
class Problem:
    """A specific fault in one place of the file (a row, a measure entry)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass
class ImportPlan:
    file_name: str
    kind: str  # "QRDA III", "CSV", "XLSX"
    values: list[PlannedValue] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def source(self, value: PlannedValue, today: date) -> str:
        """The `source` a value from this file records: the file, its kind, the day and, where
        the numbers were chosen among a measure's groups, which."""
        name = self.file_name if len(self.file_name) <= 120 else self.file_name[:117] + "..."
        return f"{self.kind} file {name}, imported {today.isoformat()}" + (f"; {value.note}" if value.note else "")


@dataclass
class ImportOutcome:
    """What importing a plan into a practice's measures does (or did): values added, values
    already recorded with the same numbers, values replaced (with the old value), and values
    that differ from what is recorded but were not replaced."""

    added: list[PlannedValue] = field(default_factory=list)
    unchanged: list[PlannedValue] = field(default_factory=list)
    replaced: list[tuple[PlannedValue, MeasureValue]] = field(default_factory=list)
    conflicting: list[tuple[PlannedValue, MeasureValue]] = field(default_factory=list)
    written: bool = False


class MeasureConflictError(FieldKitError):
    """The file has other numbers for quarters already recorded, and replacing was not asked."""

    def __init__(self, outcome: ImportOutcome):
        self.outcome = outcome
        lines = [f"{Measure(p.measure).cms_id} {p.period_end.isoformat()}: recorded {old.numerator}/{old.denominator}, "
                 f"file {p.numerator}/{p.denominator}" for p, old in outcome.conflicting]
        super().__init__(f"The file has different numbers for {len(lines)} quarter(s) already recorded: "
                         + "; ".join(lines) + ". Nothing was imported. Import again with replacing allowed to "
                         "replace them (the old numbers are kept in each value's history).")


def check_duplicates(plan: ImportPlan) -> None:
    """A file giving two sets of numbers for the same measure and quarter is ambiguous: say
    where both are rather than pick one."""
    seen: dict[tuple[str, date], PlannedValue] = {}
    for value in plan.values:
        first = seen.setdefault(value.key, value)
        if first is not value:
            plan.problems.append(Problem(value.where, (
                f"a second value for {Measure(value.measure).cms_id} for the period ending "
                f"{value.period_end.isoformat()} (the first is at {first.where}); keep one")))

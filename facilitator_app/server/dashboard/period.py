"""The period a dashboard page covers: a month, a quarter or the program to date, ending on an
"as of" day (today by default, or any earlier day to look back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

KINDS = {"month": "Month", "quarter": "Quarter", "program": "Program to date"}


@dataclass(frozen=True)
class Period:
    kind: str  # one of KINDS
    end: date  # inclusive: the "as of" day

    @property
    def start(self) -> date | None:
        """First day counted; None for the program to date (every visit up to `end`)."""
        if self.kind == "month":
            return self.end.replace(day=1)
        if self.kind == "quarter":
            return date(self.end.year, 3 * ((self.end.month - 1) // 3) + 1, 1)
        return None

    @property
    def label(self) -> str:
        end = f"{self.end:%-d %b %Y}"
        if self.kind == "month":
            return f"{self.end:%B %Y}, 1 to {end}"
        if self.kind == "quarter":
            return f"Q{(self.end.month - 1) // 3 + 1} {self.end.year}, {self.start:%-d %b} to {end}"
        return f"Program to date, up to {end}"

    def query(self) -> dict[str, str]:
        return {"period": self.kind, "end": self.end.isoformat()}


def parse_period(kind: str | None, end: str | None, *, today: date) -> tuple[Period, list[str]]:
    """The period asked for, and what was wrong with the request (the page then shows the
    default in its place and says why)."""
    problems: list[str] = []
    if kind not in KINDS:
        if kind:
            problems.append(f"There is no period called {kind[:40]!r}; showing this month.")
        kind = "month"
    day = today
    if end:
        try:
            day = date.fromisoformat(end.strip())
        except ValueError:
            problems.append(f"{end[:40]!r} is not a date like {today.isoformat()}; showing today.")
        else:
            if day > today:
                problems.append(f"{day.isoformat()} is in the future; showing today ({today.isoformat()}).")
                day = today
            elif day.year < 2000:
                problems.append(f"{day.isoformat()} is before 2000: check the year; showing today.")
                day = today
    return Period(kind, day), problems

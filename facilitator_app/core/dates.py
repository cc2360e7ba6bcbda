"""Dates typed the quick way: `+1w`, `+2w`, `+1m`, `next visit`, `tomorrow`, or 2026-03-31.

Why: due dates are typed at the end of a visit, standing in a doorway; "in two weeks" is how
the practice says it. Every shortcut counts from a day passed in (the visit's date), never
from the clock, so a visit logged late still gets the due dates that were agreed.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_RELATIVE = re.compile(r"^\+\s*(\d{1,3})\s*([dwmy])$")
SHORTCUTS_HELP = "a date like 2026-03-31, or +3d, +1w, +2w, +1m, tomorrow, next visit"


class DateTextError(ValueError):
    """The text is not a date or a shortcut; the message says what to type."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1m = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def parse_day(text: str, *, base: date, next_visit: date | None = None, what: str = "Due date") -> date | None:
    """The date `text` means, counted from `base`; None for an empty text."""
    key = " ".join(text.strip().lower().split())
    if not key:
        return None
    if key == "today":
        return base
    if key == "tomorrow":
        return base + timedelta(days=1)
    if key in ("next visit", "next contact", "nv"):
        if next_visit is None:
            raise DateTextError(f"{what}: 'next visit' needs the next contact date filled in first")
        return next_visit
    found = _RELATIVE.match(key)
    if found:
        count, unit = int(found.group(1)), found.group(2)
        try:
            if unit == "d":
                return base + timedelta(days=count)
            if unit == "w":
                return base + timedelta(weeks=count)
            return add_months(base, count * (12 if unit == "y" else 1))
        except (OverflowError, ValueError):
            raise DateTextError(f"{what} {text.strip()!r} is too far ahead") from None
    try:
        return date.fromisoformat(key)
    except ValueError:
        raise DateTextError(f"{what} {text.strip()!r} must be {SHORTCUTS_HELP}") from None

"""Why a facilitator's row needs a lead's attention: each rule gives a sentence with the number
that broke it, so the lead reads the reason, not just a red mark."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .queries import FacilitatorRow

DOSE_MIN_PCT = 75  # visits below this share of the period's pro-rated plan
LATE_MEDIAN_DAYS = 7  # median log delay above a week
LATE_P90_DAYS = 14  # one visit in ten logged more than two weeks late
COMPLETE_MIN_PCT = 80  # visits with notes, a strategy and a next step
STEP_DETAIL_MIN_PCT = 80  # next steps with an owner and a due date
OVERDUE_MIN = 3  # overdue next steps
STALLED_MIN = 2  # practices without contact for 45+ days (each one is listed on the practices page)

RULES = [
    f"visits below {DOSE_MIN_PCT}% of the plan for the period (plans pro-rated over each practice's enrolment)",
    f"{STALLED_MIN} or more active practices without contact for 45 days or more",
    f"median log delay over {LATE_MEDIAN_DAYS} days, or 90th percentile over {LATE_P90_DAYS} days",
    f"fewer than {COMPLETE_MIN_PCT}% of visits with notes, a strategy and a next step",
    f"fewer than {STEP_DETAIL_MIN_PCT}% of next steps with an owner and a due date",
    f"{OVERDUE_MIN} or more overdue next steps",
]


def _days(n: float) -> str:
    return f"{n:g} day" + ("" if n == 1 else "s")


def flags_for(row: "FacilitatorRow") -> list[tuple[str, str]]:
    """(short tag for the table, sentence with the number) for every rule the row breaks."""
    out = []
    pct = row.pct_of_plan
    if pct is not None and row.expected_visits and row.expected_visits >= 1 and pct < DOSE_MIN_PCT:
        out.append(("Below plan", f"Visits at {pct:g}% of plan ({row.visits} of {row.expected_visits:g} expected)"))
    if row.stalled >= STALLED_MIN:
        plural = "s" if row.stalled != 1 else ""
        out.append(("No contact", f"{row.stalled} practice{plural} without contact for 45+ days"))
    if row.lag_median is not None and row.lag_median > LATE_MEDIAN_DAYS:
        out.append(("Late logs", f"Logs visits late: median {_days(round(row.lag_median, 1))} after the visit"))
    elif row.lag_p90 is not None and row.lag_p90 > LATE_P90_DAYS:
        out.append(("Late logs", f"Some logs very late: 1 in 10 arrives after {_days(round(row.lag_p90, 1))}"))
    if row.complete_pct is not None and row.complete_pct < COMPLETE_MIN_PCT:
        out.append(("Incomplete logs",
                    f"Incomplete logs: {row.complete_pct:g}% of visits have notes, a strategy and a next step"))
    if row.steps_detail_pct is not None and row.steps_detail_pct < STEP_DETAIL_MIN_PCT:
        out.append(("Steps lack owner/due",
                    f"Next steps without owner or due date: only {row.steps_detail_pct:g}% have both"))
    if row.overdue_steps >= OVERDUE_MIN:
        out.append(("Overdue steps", f"{row.overdue_steps} next steps overdue"))
    return out

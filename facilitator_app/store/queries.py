"""Read-only roll-ups the screens and reports need, computed in SQL so they stay fast at
20,000 visits. Each function takes a connection and returns plain dataclasses.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

NO_CONTACT_DAYS = 45


@dataclass(frozen=True)
class PracticeSummary:
    id: str
    name: str
    region: str
    state: str
    status: str
    last_visit: date | None
    visits: int
    hours: float
    planned_visits: int | None
    planned_hours: float | None
    implemented: int
    selected: int
    next_contact: date | None
    days_since_contact: int | None

    @property
    def needs_contact(self) -> bool:
        """No contact for 45+ days (or never), for active practices."""
        return self.status == "active" and (self.days_since_contact is None or self.days_since_contact >= NO_CONTACT_DAYS)


_SUMMARY_SQL = """
SELECT p.id, p.name, p.region, p.state, p.status,
       v.last_visit, coalesce(v.visits, 0) AS visits, coalesce(v.minutes, 0) AS minutes,
       pl.planned_visits, pl.planned_hours,
       coalesce(c.implemented, 0) AS implemented, coalesce(c.selected, 0) AS selected,
       (SELECT next_contact FROM visits lv WHERE lv.practice_id = p.id AND lv.deleted = 0
         ORDER BY lv.date DESC, lv.start_time DESC LIMIT 1) AS next_contact
FROM practices p
LEFT JOIN (SELECT practice_id, count(*) AS visits, sum(minutes) AS minutes, max(date) AS last_visit
           FROM visits WHERE deleted = 0 GROUP BY practice_id) v ON v.practice_id = p.id
LEFT JOIN plans pl ON pl.id = p.id AND pl.deleted = 0
LEFT JOIN (SELECT practice_id,
                  sum(status IN ('implemented', 'sustained')) AS implemented,
                  sum(status IN ('selected', 'in_progress', 'implemented', 'sustained')) AS selected
           FROM checklist WHERE deleted = 0 GROUP BY practice_id) c ON c.practice_id = p.id
WHERE p.deleted = 0
ORDER BY p.name COLLATE NOCASE
"""


def _d(text: str | None) -> date | None:
    """A stored date, or None when there is none (or it cannot be read: a list must still show)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def practice_summaries(conn: sqlite3.Connection, today: date) -> list[PracticeSummary]:
    out = []
    for r in conn.execute(_SUMMARY_SQL):
        last = _d(r["last_visit"])
        out.append(PracticeSummary(
            id=r["id"], name=r["name"], region=r["region"] or "", state=r["state"] or "", status=r["status"],
            last_visit=last, visits=r["visits"], hours=round(r["minutes"] / 60, 2),
            planned_visits=r["planned_visits"], planned_hours=r["planned_hours"],
            implemented=r["implemented"], selected=r["selected"], next_contact=_d(r["next_contact"]),
            days_since_contact=(today - last).days if last else None))
    return out


@dataclass(frozen=True)
class UpcomingContact:
    practice_id: str
    practice_name: str
    date: date
    visit_id: str


def upcoming_contacts(conn: sqlite3.Connection, today: date, days: int) -> list[UpcomingContact]:
    """The next contact date set at each practice's latest visit, if it falls in the window."""
    rows = conn.execute("""
        SELECT v.practice_id, p.name, v.next_contact, v.id FROM visits v
        JOIN practices p ON p.id = v.practice_id AND p.deleted = 0
        WHERE v.deleted = 0 AND v.next_contact BETWEEN ? AND ?
          AND v.id = (SELECT id FROM visits lv WHERE lv.practice_id = v.practice_id AND lv.deleted = 0
                      ORDER BY lv.date DESC, lv.start_time DESC LIMIT 1)
        ORDER BY v.next_contact, p.name""", (today.isoformat(), (today + timedelta(days=days)).isoformat()))
    return [UpcomingContact(r[0], r[1], date.fromisoformat(r[2]), r[3]) for r in rows]


@dataclass(frozen=True)
class StepRow:
    """A next step as the lists show it: the record's fields plus its practice's name and the
    date of the visit that made it."""

    id: str
    practice_id: str
    practice_name: str
    visit_id: str
    visit_date: date | None
    action: str
    owner: str
    due: date | None
    position: int
    status: str
    closed_on: date | None
    closed_by: str
    closing_note: str
    closed_in_visit: str

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due is not None and self.due < today


_STEP_SQL = """
    SELECT s.id, s.practice_id, p.name, s.visit_id, v.date, s.action, s.owner, s.due, s.position, s.status,
           s.closed_on, s.closed_by, s.closing_note, s.closed_in_visit
    FROM next_steps s JOIN practices p ON p.id = s.practice_id AND p.deleted = 0
    LEFT JOIN visits v ON v.id = s.visit_id
    WHERE s.deleted = 0 AND (v.id IS NULL OR v.deleted = 0)"""


def next_steps(conn: sqlite3.Connection, *, practice_id: str | None = None, statuses: tuple[str, ...] = (),
               due_before: date | None = None, visit_id: str | None = None,
               closed_in_visit: str | None = None) -> list[StepRow]:
    """Steps, soonest due first (no due date last), then by the visit that made them.

    `due_before` keeps steps due on or before that day; `closed_in_visit` adds the steps that
    visit closed (whatever `statuses` says), for a visit form reopened later."""
    sql, params = _STEP_SQL, []
    if practice_id:
        sql += " AND s.practice_id = ?"
        params.append(practice_id)
    if visit_id:
        sql += " AND s.visit_id = ?"
        params.append(visit_id)
    wanted = []
    if statuses:
        wanted.append(f"s.status IN ({', '.join('?' * len(statuses))})")
        params.extend(statuses)
    if closed_in_visit:
        wanted.append("s.closed_in_visit = ?")
        params.append(closed_in_visit)
    if wanted:
        sql += " AND (" + " OR ".join(wanted) + ")"
    if due_before:
        sql += " AND s.due <= ?"
        params.append(due_before.isoformat())
    sql += " ORDER BY coalesce(s.due, '9999'), v.date, s.position, p.name"
    return [StepRow(r[0], r[1], r[2], r[3], _d(r[4]), r[5] or "", r[6] or "", _d(r[7]), r[8] or 0, r[9] or "open",
                    _d(r[10]), r[11] or "", r[12] or "", r[13] or "") for r in conn.execute(sql, params)]


def steps_to_review(steps: list[StepRow], visit_id: str, visit_date: date | None) -> list[StepRow]:
    """What a visit's "Since last visit" lists, from the practice's steps: the open steps made by
    other visits up to this visit's date (an old visit opened again cannot close what was agreed
    after it), and the steps this visit already closed (a saved visit reopened). One rule for the
    store and the visit form, which applies it to the steps it already has."""
    return [s for s in steps if s.visit_id != visit_id and (
        s.closed_in_visit == visit_id
        or (s.is_open and (visit_date is None or s.visit_date is None or s.visit_date <= visit_date)))]


@dataclass(frozen=True)
class VisitCounts:
    this_week: int
    this_month: int
    hours_this_month: float


def visit_counts(conn: sqlite3.Connection, today: date) -> VisitCounts:
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    r = conn.execute("""
        SELECT sum(date >= ?), sum(date >= ?), sum(CASE WHEN date >= ? THEN minutes ELSE 0 END)
        FROM visits WHERE deleted = 0 AND date <= ?""",
                     (week_start.isoformat(), month_start.isoformat(), month_start.isoformat(),
                      today.isoformat())).fetchone()
    return VisitCounts(r[0] or 0, r[1] or 0, round((r[2] or 0) / 60, 2))

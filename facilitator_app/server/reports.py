"""Supervisor roll-ups computed from the synced rows in the user's scope."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, and_, select

from ..core.codec import from_record
from ..core.intensity import IntensityReport, intensity_report
from ..core.model import ENTITY_TYPES
from . import tables as t
from .accounts import User
from .records import toolkit_for
from .scope import readable_practice_ids


def _objects(conn: Connection, user: User, entity: str) -> list[tuple[Any, str]]:
    """(domain object, row author) of every live row of an entity in scope."""
    in_scope = t.rows.c.practice_id.in_(readable_practice_ids(user).scalar_subquery())
    rows = conn.execute(select(t.rows.c.data, t.rows.c.author).where(
        and_(t.rows.c.entity == entity, t.rows.c.deleted.is_(False), in_scope))).all()
    return [(from_record(ENTITY_TYPES[entity], json.loads(r.data)), r.author) for r in rows]


def display_names(conn: Connection, names: Iterable[str]) -> dict[str, str]:
    """User name -> how reports show the person: the full name when set, with the user name added
    when two people would otherwise show the same (their totals must not merge)."""
    names = set(names)
    full: dict[str, str] = {}
    for chunk in _chunks(sorted(names), 500):
        full.update({n: f for n, f in conn.execute(select(t.users.c.name, t.users.c.full_name)
                                                   .where(t.users.c.name.in_(chunk))) if f})
    labels = {n: full.get(n, n) for n in names}
    taken = Counter(labels.values())
    return {n: (f"{label} ({n})" if taken[label] > 1 and n in full else label) for n, label in labels.items()}


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def intensity(conn: Connection, user: User, *, today: date, start: date | None = None) -> IntensityReport:
    """Visits are credited to the account that logged them on the server (the row's author), never
    to the free-text facilitator field; people show by their full name when the admin set one."""
    practices = [p for p, _ in _objects(conn, user, "practice")]
    visits_by = _objects(conn, user, "visit")
    plans = [p for p, _ in _objects(conn, user, "plan")]
    checklist = [c for c, _ in _objects(conn, user, "checklist")]
    scope_ids = {p.id for p in practices}
    q = (select(t.users.c.name, t.assignments.c.practice_id)
         .join(t.assignments, t.assignments.c.user_id == t.users.c.id))
    if user.role == "facilitator":
        q = q.where(t.users.c.id == user.id)
    assigned: dict[str, set[str]] = {}
    for name, pid in conn.execute(q):
        if pid in scope_ids:
            assigned.setdefault(name, set()).add(pid)
    shown = display_names(conn, {a for _, a in visits_by} | set(assigned))
    assignments = {shown[name]: pids for name, pids in assigned.items()}
    credited = {v.id: shown[author] for v, author in visits_by}
    total = len(toolkit_for(conn, user.cooperative_id).strategies)
    return intensity_report(practices, [v for v, _ in visits_by], plans=plans, checklist=checklist, today=today,
                            strategies_total=total, assignments=assignments, credited=credited, start=start)

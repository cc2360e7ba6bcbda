"""Supervisor roll-ups computed from the synced rows in the user's scope."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

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


def intensity(conn: Connection, user: User, *, today: date) -> IntensityReport:
    practices = [p for p, _ in _objects(conn, user, "practice")]
    visits = []
    for visit, author in _objects(conn, user, "visit"):
        visit.facilitator = author  # the account that logged it, not a free-text name
        visits.append(visit)
    plans = [p for p, _ in _objects(conn, user, "plan")]
    checklist = [c for c, _ in _objects(conn, user, "checklist")]
    scope_ids = {p.id for p in practices}
    q = (select(t.users.c.name, t.assignments.c.practice_id)
         .join(t.assignments, t.assignments.c.user_id == t.users.c.id))
    if user.role == "facilitator":
        q = q.where(t.users.c.id == user.id)
    assignments: dict[str, set[str]] = {}
    for name, pid in conn.execute(q):
        if pid in scope_ids:
            assignments.setdefault(name, set()).add(pid)
    total = len(toolkit_for(conn, user.cooperative_id).strategies)
    return intensity_report(practices, visits, plans=plans, checklist=checklist, today=today,
                            strategies_total=total, assignments=assignments)


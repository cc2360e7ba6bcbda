"""One practice in full, for its page: the records of a single practice are few (a year of
visits, 35 checklist rows, a few dozen measures), so they are decoded into the app's own types
and the dose comes from core.intensity, the very function the API's report uses."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select

from ...core.codec import from_record
from ...core.intensity import PracticeIntensity, practice_intensity
from ...core.model import ENTITY_TYPES, ChecklistItem, FacilitationPlan, MeasureValue, Practice, Visit
from ...core.toolkit import Toolkit
from ...core.vocab import DOMAINS
from .. import tables as t
from ..records import toolkit_for
from ..reports import display_names
from .queries import Ctx


@dataclass
class PracticeDetail:
    practice: Practice
    cooperative_id: int
    plan: FacilitationPlan | None
    dose: PracticeIntensity  # program to date, up to the period's end
    visits: list[Visit]  # newest first, up to the period's end
    credited: dict[str, str]  # visit id -> who logged it (as shown)
    checklist: list[tuple[str, list[tuple[Any, ChecklistItem | None]]]]  # domain label -> (strategy, item)
    measures: dict[str, list[tuple[date, float]]]  # measure code -> (period end, rate)
    facilitators: list[str]


def practice_detail(ctx: Ctx, practice_id: str) -> PracticeDetail | None:
    """None when the practice is not in the viewer's scope (or does not exist: the same answer)."""
    in_scope = ctx.conn.execute(select(t.practices.c.cooperative_id).where(
        and_(t.practices.c.id == practice_id, t.practices.c.id.in_(ctx.scope)))).first()
    if in_scope is None:
        return None
    objs: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    for entity, data, author in ctx.conn.execute(
            select(t.rows.c.entity, t.rows.c.data, t.rows.c.author)
            .where(and_(t.rows.c.practice_id == practice_id, t.rows.c.deleted.is_(False),
                        t.rows.c.entity.in_(["practice", "plan", "visit", "checklist", "measure"])))):
        objs[entity].append((from_record(ENTITY_TYPES[entity], json.loads(data)), author))
    if not objs["practice"]:
        return None
    practice = objs["practice"][0][0]
    end = ctx.period.end
    plan = objs["plan"][0][0] if objs["plan"] else None
    visits = sorted((v for v, _ in objs["visit"] if v.date <= end), key=lambda v: (v.date, v.id), reverse=True)
    authors = {v.id: a for v, a in objs["visit"]}
    shown = display_names(ctx.conn, set(authors.values()))
    credited = {vid: shown[a] for vid, a in authors.items()}
    items = [c for c, _ in objs["checklist"]]
    toolkit: Toolkit = toolkit_for(ctx.conn, int(in_scope[0]))
    dose = practice_intensity(practice, visits, plan=plan, checklist=items, today=end,
                              strategies_total=len(toolkit.strategies), credited=credited)
    by_id = {c.strategy_id: c for c in items}
    checklist = []
    for domain, label in DOMAINS.items():
        strategies = [s for s in toolkit.strategies if s.domain == domain]
        if strategies:
            checklist.append((label, [(s, by_id.get(s.id)) for s in strategies]))
    measures: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for m, _ in sorted(objs["measure"], key=lambda p: p[0].period_end):
        if isinstance(m, MeasureValue) and m.rate is not None and m.period_end <= end:
            measures[m.measure].append((m.period_end, m.rate))
    assigned = [n for (n,) in ctx.conn.execute(
        select(t.users.c.name).join(t.assignments, t.assignments.c.user_id == t.users.c.id)
        .where(t.assignments.c.practice_id == practice_id).order_by(t.users.c.name))]
    return PracticeDetail(practice, int(in_scope[0]), plan, dose, visits, credited, checklist, dict(measures), assigned)


__all__ = ["PracticeDetail", "practice_detail", "Visit"]

"""A realistic cooperative on a server database, for the dashboard's benchmark and screenshots.

Each facilitator's practices come from `core.demo.generate` (records that pass validation),
stored as the server stores them: canonical records in `rows` (author = the facilitator's
account), one `mutation_log` entry per record whose `received_ms` is the day the laptop synced
it (a few days after the visit, later for some facilitators), assignments and the practices
table. Written in bulk, not pushed: a year of a cooperative through the API takes minutes.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine, insert, update

from facilitator_app.core.codec import to_record
from facilitator_app.core.demo import generate
from facilitator_app.core.model import DiaryEntry, NextStep, Visit, scope_key
from facilitator_app.server import accounts
from facilitator_app.server import tables as t
from facilitator_app.server.db import write_tx
from facilitator_app.server.records import dumps

PASSWORD = "dashboard-password-1"
CLOCK = "001700000000000-000000-000000000000"


def _ms(day: date, hour: int = 18) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc).timestamp() * 1000)


def load_cooperative(engine: Engine, *, cooperative: str, facilitators: int, practices: int, today: date,
                     months: int = 12, seed: int = 7, supervisor: str | None = "sue") -> list[str]:
    """Create the cooperative, its supervisor and facilitators, and their practices' records.
    Returns the facilitators' user names."""
    rng = random.Random(seed)
    names = []
    with write_tx(engine) as conn:
        accounts.add_cooperative(conn, cooperative, actor="tests")
        coop_id = accounts.cooperative_id(conn, cooperative)
        if supervisor:
            accounts.add_user(conn, supervisor, role="supervisor", cooperative=cooperative, password=PASSWORD,
                              full_name="Sue Supervisor", actor="tests")
    per = [practices // facilitators + (1 if i < practices % facilitators else 0) for i in range(facilitators)]
    sv = 1
    for i in range(facilitators):
        name = f"{cooperative.lower().replace(' ', '-')}-f{i + 1:02d}"
        names.append(name)
        # Most facilitators log promptly and completely; some log late, some leave things out:
        # the flags have something to find, and most rows have none.
        profile = rng.choices(["good", "late", "sloppy"], weights=[70, 15, 15])[0]
        late = profile == "late"
        objs = generate(practices=per[i], months=months, seed=seed * 1000 + i, today=today, facilitator=name,
                        visits_per_month=1.6 if profile == "good" else rng.choice([0.8, 1.0, 1.2]))
        if profile == "good":
            objs += _steps_for_bare_visits(objs, today=today)
            for step in objs:  # and follows up: steps get closed soon after they fall due
                overdue = isinstance(step, NextStep) and step.status == "open" and step.due
                if overdue and step.due < today - timedelta(days=3):
                    step.status, step.closed_on, step.closed_by = "done", step.due, name
        rows, log, practice_ids = [], [], []
        for obj in objs:
            if isinstance(obj, Visit):
                obj.facilitator = name
                if profile == "sloppy" and rng.random() < 0.4:
                    obj.private_notes = obj.practice_notes = ""
            if isinstance(obj, NextStep) and obj.closed_by:
                obj.closed_by = name
            record = to_record(obj)
            entity = {"Practice": "practice", "Contact": "contact", "FacilitationPlan": "plan", "Visit": "visit",
                      "NextStep": "next_step", "ChecklistItem": "checklist", "ChecklistNote": "checklist_note",
                      "MeasureValue": "measure"}[type(obj).__name__]
            if entity == "practice":
                practice_ids.append(record["id"])
            rows.append({"entity": entity, "id": record["id"], "practice_id": record["practice_id"],
                         "data": dumps(record), "clocks": dumps({"*": CLOCK}), "deleted": False, "author": name,
                         "editors": "{}", "sv": sv})
            sv += 1
            if entity == "visit":
                lag = rng.choice([0, 0, 1, 1, 2, 3, 5]) + (rng.choice([5, 9, 14, 21, 30]) if late else 0)
                received = min(obj.date + timedelta(days=lag), today)
            else:
                received = today - timedelta(days=rng.randint(0, 300))
            log.append({"client_id": f"bench-{name}", "mutation_id": len(log) + 1, "uuid": str(uuid.uuid4()),
                        "user_id": 0, "sv": sv, "hlc": CLOCK, "clamped_from": None, "entity": entity,
                        "row_id": record["id"], "practice_id": record["practice_id"], "args": "{}",
                        "outcome": "applied", "reason": None, "received_ms": _ms(received)})
        with write_tx(engine) as conn:
            accounts.add_user(conn, name, role="facilitator", cooperative=cooperative, password=PASSWORD,
                              full_name=f"Facilitator {i + 1:02d}", actor="tests")
            user_id = accounts.get_user(conn, name).id
            for entry in log:
                entry["user_id"] = user_id
            conn.execute(insert(t.practices), [{"id": p, "cooperative_id": coop_id, "created_by": name,
                                                "created_ms": _ms(today)} for p in practice_ids])
            conn.execute(insert(t.assignments), [{"user_id": user_id, "practice_id": p, "assigned_ms": _ms(today)}
                                                 for p in practice_ids])
            rows += _shared_diary(rng, user_id=user_id, name=name, practice_ids=practice_ids, today=today,
                                  first_sv=sv)
            sv += 3
            for chunk in range(0, len(rows), 2000):
                conn.execute(insert(t.rows), rows[chunk:chunk + 2000])
                conn.execute(insert(t.mutation_log), log[chunk:chunk + 2000])
    with write_tx(engine) as conn:
        conn.execute(update(t.counter).where(t.counter.c.id == 1).values(value=sv))
    return names


_REFLECTIONS = [
    ("barrier", "The MA lead pushed back on repeat blood pressures: too little time per room. A rooming audit?"),
    ("success", "The registry report ran for the first time and the champion printed it for the huddle herself."),
    ("question", "How do others handle a practice owner who cancels every second visit?"),
    ("idea", "A one-page quitline fax checklist at the front desk, like the one Door County uses."),
]


def _shared_diary(rng: random.Random, *, user_id: int, name: str, practice_ids: list[str], today: date,
                  first_sv: int) -> list[dict[str, object]]:
    """Three diary entries the facilitator shared with their supervisor (the facilitator page lists them)."""
    out = []
    for k, (tag, text) in enumerate(rng.sample(_REFLECTIONS, 3)):
        entry = DiaryEntry(today - timedelta(days=7 * k + rng.randint(0, 6)), text, tags=[tag], shared=True,
                           about_practice=rng.choice(practice_ids) if practice_ids and k != 2 else "",
                           written_by=name, practice_id=scope_key("personal", user_id))
        out.append({"entity": "diary_entry", "id": entry.id, "practice_id": entry.practice_id,
                    "data": dumps({**to_record(entry), "deleted": False}), "clocks": dumps({"*": CLOCK}),
                    "deleted": False, "author": name, "editors": "{}", "sv": first_sv + k})
    return out


def _steps_for_bare_visits(objs: list[object], *, today: date) -> list[NextStep]:
    """A next step (owner and due date set) for each generated visit that made none: a careful
    facilitator's log."""
    made = {o.visit_id for o in objs if isinstance(o, NextStep)}
    out = []
    for v in objs:
        if isinstance(v, Visit) and v.id not in made:
            due = v.date + timedelta(days=21)
            closed = due + timedelta(days=5) < today
            out.append(NextStep(v.practice_id, v.id, "Review the registry list with the QI team",
                                owner="Practice leader",
                                due=due, status="done" if closed else "open", closed_on=due if closed else None,
                                closed_by=""))
    return out

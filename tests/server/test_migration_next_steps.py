"""The server's migration that moves next steps out of stored visits (Alembic 0003), on SQLite
and PostgreSQL: every step kept with its done flag, its clock and its editor, under the id the
laptops' own migration gives it; notes become private notes; every changed row gets a new version."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import Engine, insert, select, update

from facilitator_app.core.model import legacy_step_id
from facilitator_app.server import tables as t
from facilitator_app.server.db import make_engine
from facilitator_app.server.migrate import alembic_config, head_revision, schema_state
from facilitator_app.server.settings import Settings

CLOCK = "001790000000000-000000-abcdefabcdef"
LATER = "001790000500000-000003-abcdefabcdef"


def upgrade_to(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_stored_steps_become_records(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url))
    try:
        upgrade_to(engine, "0001")
        visit = {"id": "v1", "practice_id": "p1", "date": "2026-10-05", "mode": "on_site", "minutes": 60,
                 "notes": "Private observations", "deleted": False,
                 "next_steps": [{"action": "Order cuffs", "owner": "Ann", "due": "2026-10-20", "done": True},
                                {"action": "Fax form", "owner": "", "due": "20261101", "done": False},
                                {"action": " ", "done": False}, "not a step"]}
        with engine.begin() as conn:
            conn.execute(update(t.counter).values(value=41))
            conn.execute(insert(t.rows), [
                {"entity": "visit", "id": "v1", "practice_id": "p1", "data": json.dumps(visit),
                 "clocks": json.dumps({"*": CLOCK, "next_steps": LATER, "notes": LATER}),
                 "deleted": False, "author": "ann", "editors": json.dumps({"next_steps": "bo", "notes": "ann"}),
                 "sv": 40},
                {"entity": "contact", "id": "c1", "practice_id": "p1", "data": json.dumps({"name": "Ann"}),
                 "clocks": json.dumps({"*": CLOCK}), "deleted": False, "author": "ann", "editors": "{}", "sv": 41}])
        upgrade_to(engine, "head")
        assert schema_state(engine).current == head_revision()
        with engine.connect() as conn:
            rows = {(r.entity, r.id): r for r in conn.execute(select(t.rows))}
            counter = conn.execute(select(t.counter.c.value)).scalar_one()
        assert counter == 42
        v = rows[("visit", "v1")]
        data = json.loads(v.data)
        assert data["private_notes"] == "Private observations" and data["practice_notes"] == ""
        assert "notes" not in data and "next_steps" not in data and v.sv == 42
        assert json.loads(v.clocks) == {"*": CLOCK, "private_notes": LATER}
        assert json.loads(v.editors) == {"private_notes": "ann"}
        first, second = rows[("next_step", legacy_step_id("v1", 0))], rows[("next_step", legacy_step_id("v1", 1))]
        assert len([k for k in rows if k[0] == "next_step"]) == 2
        one, two = json.loads(first.data), json.loads(second.data)
        assert (one["action"], one["owner"], one["due"], one["status"], one["visit_id"]) == (
            "Order cuffs", "Ann", "2026-10-20", "done", "v1")
        assert (two["status"], two["due"], two["position"]) == ("open", "2026-11-01", 1)
        assert json.loads(first.clocks) == {"*": LATER} and json.loads(first.editors)["status"] == "bo"
        assert first.author == "ann" and first.sv == 42 and first.practice_id == "p1"
        assert rows[("contact", "c1")].sv == 41  # untouched
        upgrade_to(engine, "head")  # running it again changes nothing
        with engine.connect() as conn:
            assert conn.execute(select(t.counter.c.value)).scalar_one() == 42
    finally:
        engine.dispose()

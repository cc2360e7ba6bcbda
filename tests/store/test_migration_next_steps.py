"""Upgrading a laptop database from before next steps were records (schema 2 -> 3): nothing
recorded is lost, done flags included, and the file is backed up first."""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from facilitator_app.core.model import legacy_step_id
from facilitator_app.store import MigrationError, Store, schema
from facilitator_app.store.sync_state import SyncState

CLOCK = "001790000000000-000000-abcdefabcdef"
LATER = "001790000500000-000003-abcdefabcdef"


def old_database(path: Path) -> None:
    """A file as version 2 of the app left it, written with its own migrations."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    for step in schema.MIGRATIONS[:2]:
        conn.execute("BEGIN")
        step(db)
        conn.execute("COMMIT")
    conn.execute("PRAGMA user_version = 2")
    rows = [
        ("meta", {"key": "client_id", "value": "abcdefab-cdef-4000-8000-000000000001"}),
        ("meta", {"key": "hlc", "value": LATER}),
        ("meta", {"key": "cursor", "value": "7"}),
        ("meta", {"key": "facilitator", "value": getpass.getuser()}),
        ("practices", {"id": "p1", "practice_id": "p1", "name": "Oak Clinic", "status": "active",
                       "ownership": "other", "updated_at": CLOCK, "author": "ann", "deleted": 0,
                       "clocks": json.dumps({"*": CLOCK})}),
        ("visits", {"id": "v1", "practice_id": "p1", "date": "2026-10-05", "mode": "on_site", "minutes": 60,
                    "travel_minutes": 0, "planned": 1, "attendees": "[]", "activities": "[]", "strategies": "[]",
                    "key_drivers": "[]", "disruptions": "[]", "resources_left": "[]",
                    "notes": "Leader seemed tired; the MA is leaving",
                    "next_steps": json.dumps([
                        {"action": "Order cuffs", "owner": "Ann", "due": "2026-10-20", "done": True},
                        {"action": "Fax the form", "owner": "", "due": None, "done": False},
                        {"action": "", "owner": "", "due": None, "done": False}]),
                    "updated_at": LATER, "author": "ann", "deleted": 0,
                    "clocks": json.dumps({"*": CLOCK, "next_steps": LATER, "notes": LATER})}),
        ("visits", {"id": "v2", "practice_id": "p1", "date": "2026-11-02", "mode": "phone", "minutes": 20,
                    "travel_minutes": 0, "planned": 1, "notes": "", "next_steps": None,
                    "updated_at": CLOCK, "author": "ann", "deleted": 0, "clocks": json.dumps({"*": CLOCK})}),
    ]
    for table, row in rows:
        db[table].insert(row)
    outbox_args = {"entity": "visit", "id": "v1", "practice_id": "p1",
                   "fields": {"notes": "Leader seemed tired; the MA is leaving", "minutes": 60},
                   "base": {"notes": CLOCK, "minutes": CLOCK}}
    conn.execute("INSERT INTO outbox(uuid, name, hlc, args, created_at) VALUES ('u-1', 'put', ?, ?, 'now')",
                 (LATER, json.dumps(outbox_args)))
    conn.execute("INSERT INTO sync_shadow(entity, row_id, field, value, clock) VALUES "
                 "('visit', 'v1', 'notes', '\"server notes\"', ?), ('visit', 'v1', 'next_steps', '[]', ?)",
                 (CLOCK, CLOCK))
    draft = {"visit": {"id": "v9", "practice_id": "p1", "date": "2026-11-20", "notes": "typed, not saved",
                       "next_steps": [{"action": "Call the lab", "owner": "Bo", "due": None, "done": False}]},
             "due_texts": ["2026-12-0"], "is_new": True, "saved_at": "2026-11-20T10:00:00"}
    conn.execute("INSERT INTO drafts(key, kind, payload, updated_at) VALUES ('visit:v9', 'visit', ?, 'now')",
                 (json.dumps(draft),))
    conn.close()


def test_steps_move_out_of_visits_with_their_done_flags(tmp_path: Path) -> None:
    path = tmp_path / "local.sqlite"
    old_database(path)
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
        steps = store.next_steps("p1")
        assert [(s.id, s.action, s.owner, s.status, s.position) for s in sorted(steps, key=lambda s: s.position)] == [
            (legacy_step_id("v1", 0), "Order cuffs", "Ann", "done", 0),
            (legacy_step_id("v1", 1), "Fax the form", "", "open", 1)]  # the empty entry was never a step
        row = store.conn.execute("SELECT clocks, author FROM next_steps WHERE id = ?",
                                 (legacy_step_id("v1", 0),)).fetchone()
        assert json.loads(row["clocks"]) == {"*": LATER} and row["author"] == "ann"
        visit = store.visit("v1")
        assert visit.private_notes == "Leader seemed tired; the MA is leaving" and visit.practice_notes == ""
        clocks = json.loads(store.conn.execute("SELECT clocks FROM visits WHERE id = 'v1'").fetchone()[0])
        assert clocks == {"*": CLOCK, "private_notes": LATER}
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(visits)")}
        assert "notes" not in columns and "next_steps" not in columns
        assert store.visit("v2").private_notes == "" and store.next_steps("p1", visit_id="v2") == []
        # Unsent edits: renamed in place, same mutation (the server converts an unsent step list itself).
        (mutation,) = SyncState(store).outbox_batch(max_count=10, max_bytes=10**6)
        assert (mutation.uuid, mutation.args["fields"]) == ("u-1", {
            "private_notes": "Leader seemed tired; the MA is leaving", "minutes": 60})
        assert mutation.args["base"] == {"private_notes": CLOCK, "minutes": CLOCK}
        shadows = store.conn.execute("SELECT field, value FROM sync_shadow").fetchall()
        assert [tuple(s) for s in shadows] == [("private_notes", '"server notes"')]
        # A draft keeps what was typed, in the new shape.
        draft = store.load_draft("visit:v9")
        assert draft["visit"]["private_notes"] == "typed, not saved" and "next_steps" not in draft["visit"]
        assert draft["steps"] == [{"id": legacy_step_id("v9", 0), "action": "Call the lab", "owner": "Bo",
                                   "due_text": "2026-12-0"}]
        # The computer's login name no longer signs leave-behinds.
        assert store.get_meta("facilitator") == "" and store.facilitator_profile().name == ""
        assert store.get_meta("cursor") == "7"
    backups = list((tmp_path / "backups").iterdir())
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 2
        assert "Order cuffs" in copy.execute("SELECT next_steps FROM visits WHERE id = 'v1'").fetchone()[0]


def test_a_failed_upgrade_puts_the_old_file_back(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "local.sqlite"
    old_database(path)

    def broken(db: sqlite_utils.Database) -> None:
        schema.m003_next_steps_and_notes(db)
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:2], broken, *schema.MIGRATIONS[3:]])
    monkeypatch.setattr("facilitator_app.store.db.MIGRATIONS", schema.MIGRATIONS)
    with pytest.raises(MigrationError, match="restored"):
        Store.open(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert "Order cuffs" in conn.execute("SELECT next_steps FROM visits WHERE id = 'v1'").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1

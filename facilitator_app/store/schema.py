"""Ordered schema migrations. Each step is frozen once released: never edit one, add the next.

`PRAGMA user_version` holds how many steps a file has had. Steps take a sqlite-utils Database
inside the migration transaction opened by `db.migrate`.
"""

from __future__ import annotations

from typing import Callable

import sqlite_utils

# Columns every synced entity table has besides its own fields: the clock of the latest write,
# who made it, the tombstone, and the clock of every field (for the server's merge `base`).
META_COLUMNS = {"updated_at": str, "author": str, "deleted": int, "clocks": str}


def _entity_table(db: sqlite_utils.Database, name: str, columns: dict[str, type]) -> None:
    db[name].create({"id": str, "practice_id": str, **columns, **META_COLUMNS}, pk="id",
                    not_null={"id", "practice_id"}, defaults={"deleted": 0, "clocks": "{}", "author": ""})


def m001_initial(db: sqlite_utils.Database) -> None:
    _entity_table(db, "practices", {
        "name": str, "address": str, "state": str, "phone": str, "clinicians": int, "ownership": str,
        "ehr_vendor": str, "region": str, "status": str, "enrolled_on": str, "end_on": str})
    _entity_table(db, "contacts", {"name": str, "role": str, "email": str, "phone": str})
    _entity_table(db, "plans", {
        "cadence": str, "planned_visits": int, "planned_hours": float, "selected_strategies": str,
        "set_by": str, "agreed_on": str, "notes": str})
    _entity_table(db, "visits", {
        "date": str, "facilitator": str, "start_time": str, "mode": str, "minutes": int,
        "travel_minutes": int, "planned": int, "attendees": str, "activities": str, "strategies": str,
        "key_drivers": str, "pdsa": str, "data_reviewed": str, "barriers": str, "disruptions": str,
        "engagement": int, "notes": str, "next_steps": str, "next_contact": str, "resources_left": str})
    _entity_table(db, "checklist", {
        "strategy_id": str, "status": str, "reason": str, "owner": str, "target_date": str, "steps_done": str})
    _entity_table(db, "checklist_notes", {"strategy_id": str, "text": str, "written_on": str})
    _entity_table(db, "measures", {
        "measure": str, "period_end": str, "numerator": int, "denominator": int, "version": str, "source": str})
    for table in ("contacts", "plans", "visits", "checklist", "checklist_notes", "measures"):
        db[table].create_index(["practice_id"])
    db["visits"].create_index(["practice_id", "date"], index_name="idx_visits_practice_date")
    db["visits"].create_index(["date"])
    db["measures"].create_index(["practice_id", "measure", "period_end"], index_name="idx_measures_period")
    # AUTOINCREMENT: a plain rowid restarts at 1 once the outbox drains, and the server would
    # then drop new edits as already seen.
    db.execute("""
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            hlc TEXT NOT NULL,
            args TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    db["meta"].create({"key": str, "value": str}, pk="key")
    # Unsaved form contents (visit drafts), kept so nothing typed is lost; never synced.
    db["drafts"].create({"key": str, "kind": str, "payload": str, "updated_at": str}, pk="key")


Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = [m001_initial]

ENTITY_TABLES = {
    "practice": "practices",
    "contact": "contacts",
    "plan": "plans",
    "visit": "visits",
    "checklist": "checklist",
    "checklist_note": "checklist_notes",
    "measure": "measures",
}

"""Ordered schema migrations. Each step is frozen once released: never edit one, add the next.

`PRAGMA user_version` holds how many steps a file has had. Steps take a sqlite-utils Database
inside the migration transaction opened by `db.migrate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # imported lazily: only migrations need it, and it costs ~0.4 s at start-up
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


Migration = Callable[["sqlite_utils.Database"], None]
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


def m002_sync(db: sqlite_utils.Database) -> None:
    """Sync bookkeeping: mutations the server refused, and conflicts kept for the Sync issues
    screen. Both are kept until the facilitator deals with them; neither is ever pushed."""
    db.execute("""
        CREATE TABLE sync_quarantine (
            mutation_id INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL,
            hlc TEXT NOT NULL,
            args TEXT NOT NULL,
            reason TEXT NOT NULL,
            client_id TEXT NOT NULL,
            quarantined_at TEXT NOT NULL,
            dismissed_at TEXT
        )""")
    db.execute("""
        CREATE TABLE sync_conflicts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            mutation_uuid TEXT NOT NULL,
            entity TEXT NOT NULL,
            row_id TEXT NOT NULL,
            practice_id TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT,
            local_fields TEXT NOT NULL,
            local_hlc TEXT NOT NULL,
            local_author TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            resolved_at TEXT,
            resolution TEXT,
            UNIQUE (mutation_uuid)
        )""")
    db.execute("CREATE INDEX idx_sync_conflicts_open ON sync_conflicts(resolved_at)")
    # The server's value of a field that arrived while a local edit of it was still unsent. If
    # the server later answers that our edit lost, this is the value that won; if ours won, the
    # next pull overwrites it anyway. Without it a lost edit would linger here forever.
    db.execute("""
        CREATE TABLE sync_shadow (
            entity TEXT NOT NULL,
            row_id TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT,
            clock TEXT NOT NULL,
            PRIMARY KEY (entity, row_id, field)
        )""")


MIGRATIONS.append(m002_sync)

"""Ordered schema migrations. Each step is frozen once released: never edit one, add the next.

`PRAGMA user_version` holds how many steps a file has had. Steps take a sqlite-utils Database
inside the migration transaction opened by `db.migrate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..core.kinds import covers_every_entity

if TYPE_CHECKING:  # imported lazily: only migrations need it, and it costs ~0.4 s at start-up
    import sqlite_utils

# Columns every synced entity table has besides its own fields: the clock of the latest write,
# who made it, the tombstone, and the clock of every field (for the server's merge `base`).
META_COLUMNS = {"updated_at": str, "author": str, "deleted": int, "clocks": str}


def _entity_table(db: sqlite_utils.Database, name: str, columns: dict[str, type]) -> None:
    db.table(name).create({"id": str, "practice_id": str, **columns, **META_COLUMNS}, pk="id",
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
        db.table(table).create_index(["practice_id"])
    db.table("visits").create_index(["practice_id", "date"], index_name="idx_visits_practice_date")
    db.table("visits").create_index(["date"])
    db.table("measures").create_index(["practice_id", "measure", "period_end"], index_name="idx_measures_period")
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
    db.table("meta").create({"key": str, "value": str}, pk="key")
    # Unsaved form contents (visit drafts), kept so nothing typed is lost; never synced.
    db.table("drafts").create({"key": str, "kind": str, "payload": str, "updated_at": str}, pk="key")


Migration = Callable[["sqlite_utils.Database"], None]
MIGRATIONS: list[Migration] = [m001_initial]

ENTITY_TABLES: dict[str, str] = {
    "practice": "practices",
    "contact": "contacts",
    "plan": "plans",
    "visit": "visits",
    "next_step": "next_steps",  # from m003 on
    "checklist": "checklist",
    "checklist_note": "checklist_notes",
    "measure": "measures",
    "tip": "tips",  # from m005 on
    "tip_mark": "tip_marks",  # from m005 on
    "diary_entry": "diary_entries",  # from m005 on: shared entries only (see m005)
}
covers_every_entity(ENTITY_TABLES, "store.schema.ENTITY_TABLES")


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


def m003_next_steps_and_notes(db: sqlite_utils.Database) -> None:
    """Next steps become records of their own; a visit's notes split into notes for the practice
    (printed) and private notes (never printed).

    Nothing recorded is lost: every step inside a visit becomes a `next_steps` row with the id
    `legacy_step_id(visit, position)` (the server's migration derives the same ids), its done
    flag kept as status `done`, and the visit's clock for the list; existing notes become
    private notes (the safe default: they were never meant for the practice). Unsent edits in
    the outbox are renamed in place (`notes` -> `private_notes`); an unsent `next_steps` list
    is left as it is and converted by the server. Drafts are converted to the new form."""
    import getpass
    import json

    from ..core.model import legacy_step_record

    conn = db.conn
    _entity_table(db, "next_steps", {
        "visit_id": str, "action": str, "owner": str, "due": str, "position": int, "status": str,
        "closed_on": str, "closed_by": str, "closing_note": str, "closed_in_visit": str})
    conn.execute("CREATE INDEX idx_next_steps_practice ON next_steps(practice_id, status, due)")
    conn.execute("CREATE INDEX idx_next_steps_visit ON next_steps(visit_id)")
    conn.execute("CREATE INDEX idx_next_steps_status_due ON next_steps(status, due)")
    conn.execute("ALTER TABLE visits ADD COLUMN practice_notes TEXT")
    conn.execute("ALTER TABLE visits ADD COLUMN private_notes TEXT")

    step_rows = []
    for vid, pid, steps_json, notes, clocks_json, author, updated_at, deleted in conn.execute(
            "SELECT id, practice_id, next_steps, notes, clocks, author, updated_at, deleted FROM visits").fetchall():
        clocks = _json_object(clocks_json)
        steps_clock = clocks.get("next_steps") or clocks.get("*") or updated_at or ""
        try:
            steps = json.loads(steps_json) if steps_json else []
        except ValueError:
            steps = []
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            record = legacy_step_record(pid, vid, i, step)
            if record is None or not record["action"]:
                continue
            step_rows.append((record["id"], pid, vid, record["action"], record["owner"], record["due"], i,
                              record["status"], steps_clock, author or "", 1 if deleted else 0,
                              json.dumps({"*": steps_clock})))
        if "notes" in clocks:
            clocks["private_notes"] = clocks.pop("notes")
        clocks.pop("next_steps", None)
        conn.execute("UPDATE visits SET private_notes = ?, practice_notes = '', clocks = ? WHERE id = ?",
                     (notes or "", json.dumps(clocks), vid))
    conn.executemany(
        "INSERT OR IGNORE INTO next_steps (id, practice_id, visit_id, action, owner, due, position, status, closed_on, "
        "closed_by, closing_note, closed_in_visit, updated_at, author, deleted, clocks) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '', '', ?, ?, ?, ?)", step_rows)
    conn.execute("ALTER TABLE visits DROP COLUMN next_steps")
    conn.execute("ALTER TABLE visits DROP COLUMN notes")

    # Unsent edits: the new name for the notes field (same mutation, same id and uuid).
    for oid, args_json in conn.execute("SELECT id, args FROM outbox").fetchall():
        args = json.loads(args_json)
        if args.get("entity") != "visit" or "notes" not in args.get("fields", {}):
            continue
        args["fields"]["private_notes"] = args["fields"].pop("notes")
        if "notes" in args.get("base", {}):
            args["base"]["private_notes"] = args["base"].pop("notes")
        conn.execute("UPDATE outbox SET args = ? WHERE id = ?", (json.dumps(args, ensure_ascii=False), oid))
    conn.execute("DELETE FROM sync_shadow WHERE entity = 'visit' AND field = 'next_steps'")
    conn.execute("UPDATE OR REPLACE sync_shadow SET field = 'private_notes' WHERE entity = 'visit' AND field = 'notes'")
    # A refetch under way copied the old tables: start it again with the new ones.
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'fresh\\_%' "
                                "ESCAPE '\\'").fetchall():
        conn.execute(f'DROP TABLE "{name}"')
        conn.execute("INSERT INTO meta(key, value) VALUES ('needs_refetch', '1') "
                     "ON CONFLICT(key) DO UPDATE SET value = '1'")

    for key, payload_json in conn.execute("SELECT key, payload FROM drafts WHERE kind = 'visit'").fetchall():
        payload = json.loads(payload_json)
        conn.execute("UPDATE drafts SET payload = ? WHERE key = ?",
                     (json.dumps(convert_visit_draft(payload), ensure_ascii=False), key))

    # Earlier versions signed leave-behinds with the computer's login name until a name was
    # typed in Settings. The login name is not the facilitator's name: ask instead.
    try:
        login = getpass.getuser()
    except Exception:  # no login name in a sandbox or service account
        login = ""
    if login:
        conn.execute("UPDATE meta SET value = '' WHERE key = 'facilitator' AND value = ?", (login,))


def convert_visit_draft(payload: dict[str, Any]) -> dict[str, Any]:
    """An unsaved visit form from before next steps were records, in the current draft shape:
    `{"visit": record, "steps": [{"id", "action", "owner", "due_text"}], "closures": [], ...}`."""
    from ..core.model import legacy_step_id

    visit = dict(payload.get("visit") or {})
    if "next_steps" not in visit and "notes" not in visit:
        return payload
    due_texts = list(payload.get("due_texts") or [])
    steps = []
    for i, step in enumerate(visit.pop("next_steps", None) or []):
        if not isinstance(step, dict):
            continue
        due_text = due_texts[i] if i < len(due_texts) and due_texts[i] else (step.get("due") or "")
        steps.append({"id": legacy_step_id(str(visit.get("id", "")), i), "action": step.get("action") or "",
                      "owner": step.get("owner") or "", "due_text": due_text})
    visit["private_notes"] = visit.pop("notes", "") or ""
    visit.setdefault("practice_notes", "")
    out = {k: v for k, v in payload.items() if k != "due_texts"}
    out.update(visit=visit, steps=steps, closures=payload.get("closures", []))
    return out


def _json_object(text: str | None) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


MIGRATIONS.append(m003_next_steps_and_notes)


def m004_rejected_rows(db: sqlite_utils.Database) -> None:
    """Rows from the server this computer could not use (the tolerant reader, store/pulled.py),
    kept as received with the reason, for the Sync issues screen; one entry per record, replaced
    by a later bad version and removed by a later good one.

    Rows already here are read the same way once: a NULL where a list or text belongs (a field an
    older server did not send) takes the field's default; a row that still cannot be read (text
    where a number belongs, a date that is not a date, damaged JSON, Infinity) is moved into the
    new table, kept as it was, so no screen, command or report meets it again. The record's rules
    (lengths, date ranges) are not applied to these: the facilitator's own records stay where
    they are. When a row was moved, the next sync fetches everything again, so a good version on
    the server replaces it."""
    from datetime import datetime, timezone

    from .pulled import Unusable, reader, received_json, stored_item

    conn = db.conn
    conn.execute("""
        CREATE TABLE sync_rejected_rows (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            row_id TEXT NOT NULL,
            practice_id TEXT NOT NULL,
            version INTEGER,
            fields TEXT NOT NULL,
            clocks TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            deleted INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL,
            received_at TEXT NOT NULL,
            dismissed_at TEXT,
            source TEXT NOT NULL DEFAULT 'pull',
            in_refetch INTEGER NOT NULL DEFAULT 0,
            UNIQUE (entity, row_id)
        )""")
    at = datetime.now(timezone.utc)
    now = at.isoformat(timespec="milliseconds")
    moved = 0
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for entity, name in ENTITY_TABLES.items():
        if name not in existing:  # a table of a later step
            continue
        read = reader(entity)
        own = [c for c in read.columns if c not in META_COLUMNS and c not in ("id", "practice_id")]
        for row in conn.execute(f"SELECT * FROM {name}").fetchall():
            try:
                values = read.read(stored_item(entity, row), today=at.date(), memo={}, validate=False)
            except Unusable as exc:
                record = {k: row[k] for k in row.keys() if k not in META_COLUMNS}
                conn.execute(
                    "INSERT OR REPLACE INTO sync_rejected_rows(entity, row_id, practice_id, fields, clocks, author, "
                    "deleted, reason, received_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'upgrade')",
                    (entity, str(row["id"]), str(row["practice_id"]), received_json(record),
                     row["clocks"] if isinstance(row["clocks"], str) else "{}", row["author"] or "",
                     1 if row["deleted"] else 0, f"Found unreadable when this computer's data was upgraded: {exc}",
                     now))
                conn.execute(f"DELETE FROM {name} WHERE id = ?", (row["id"],))
                moved += 1
                continue
            repaired = {c: v for c, v in zip(read.columns, values, strict=False)
                        if c in own and row[c] is None and v is not None}
            if repaired:  # a field an older server did not send: its default, as a pull stores it now
                conn.execute(f"UPDATE {name} SET {', '.join(f'{c} = ?' for c in repaired)} WHERE id = ?",
                             [*repaired.values(), row["id"]])
    for (table_name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'fresh\\_%' "
                                      "ESCAPE '\\'").fetchall():
        conn.execute(f'DROP TABLE "{table_name}"')  # a refetch under way: start it again, read the new way
        moved += 1
    if moved and conn.execute("SELECT value FROM meta WHERE key = 'server'").fetchone():
        conn.execute("INSERT INTO meta(key, value) VALUES ('needs_refetch', '1') "
                     "ON CONFLICT(key) DO UPDATE SET value = '1'")


MIGRATIONS.append(m004_rejected_rows)


def m005_tips_and_diary(db: sqlite_utils.Database) -> None:
    """Field tips and their helpful marks (records of the whole cooperative), and the diary.

    A diary entry is private until the facilitator shares it: private entries live in
    `diary_private`, which no sync code reads, so they cannot reach the outbox or a pull by
    mistake; shared ones (the facilitator's own, or for a supervisor those shared with them) are
    the synced `diary_entries`. A laptop that synced before this version fetches everything once
    more, so it gets the tips its colleagues wrote while it ran the older app."""
    diary_columns: dict[str, type] = {
        "written_on": str, "text": str, "tags": str, "about_practice": str, "strategies": str, "shared": int,
        "written_by": str}
    _entity_table(db, "tips", {
        "strategy_id": str, "text": str, "written_on": str, "link": str, "ownership": str, "ehr_vendor": str,
        "size": str, "written_by": str, "pinned": int, "hidden": int})
    _entity_table(db, "tip_marks", {"tip_id": str, "by": str, "helpful": int})
    _entity_table(db, "diary_entries", diary_columns)
    _entity_table(db, "diary_private", diary_columns)
    db.conn.execute("CREATE INDEX idx_tips_strategy ON tips(strategy_id)")
    db.conn.execute("CREATE INDEX idx_tip_marks_tip ON tip_marks(tip_id)")
    db.conn.execute("CREATE INDEX idx_diary_entries_day ON diary_entries(written_on)")
    db.conn.execute("CREATE INDEX idx_diary_private_day ON diary_private(written_on)")
    for (table_name,) in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE "
                                         "'fresh\\_%' ESCAPE '\\'").fetchall():
        db.conn.execute(f'DROP TABLE "{table_name}"')  # a refetch under way: start it again with the new tables
    if db.conn.execute("SELECT value FROM meta WHERE key = 'server'").fetchone():
        db.conn.execute("INSERT INTO meta(key, value) VALUES ('needs_refetch', '1') "
                        "ON CONFLICT(key) DO UPDATE SET value = '1'")


MIGRATIONS.append(m005_tips_and_diary)
PRIVATE_DIARY_TABLE = "diary_private"  # never synced; see m005


def m006_measure_history(db: sqlite_utils.Database) -> None:
    """Measure values keep the numbers an import replaced (`MeasureValue.history`, a JSON list,
    synced like any other field)."""
    if "history" not in {c.name for c in db.table("measures").columns}:  # a file re-upgraded from a lower version
        db.execute("ALTER TABLE measures ADD COLUMN history TEXT NOT NULL DEFAULT '[]'")


MIGRATIONS.append(m006_measure_history)

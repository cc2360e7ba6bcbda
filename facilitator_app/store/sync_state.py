"""Every read and write the sync engine makes to the local database.

Why here: nothing outside `store/` writes SQL, and every step that must be atomic is one
transaction in this module: acknowledging pushed mutations, applying one pulled page together
with its cursor, re-numbering the outbox after a copied file is detected, and swapping freshly
refetched tables in while keeping every unsent edit.

Pending-field rule: a field that has an unsent local edit is never overwritten by a pull. The
server's value for it is parked in `sync_shadow`; once our edit is acknowledged the shadow is
applied. If our edit won, the same sync's pull brings the newer version and overwrites it; if
it lost, the shadow *is* the winner. Either way the client ends equal to the server.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol, Sequence

from ..core.hlc import HybridClock, Timestamp, clock_of, node_id
from ..core.model import APPEND_ONLY
from .rows import columns, json_columns, row_to_record, table
from .schema import ENTITY_TABLES
from .store import Store

FRESH_PREFIX = "fresh_"
META_COLUMNS = ("updated_at", "author", "deleted", "clocks")  # _RowLayout.values fills them in this order


@dataclass(frozen=True)
class OutboxMutation:
    id: int
    uuid: str
    name: str
    hlc: str
    args: dict[str, Any]
    size_bytes: int


class IncomingRow(Protocol):
    """One pulled row as the store reads it. The protocol's RowChange has exactly these
    attributes, so the engine hands its rows over as they are (the store imports no sync)."""

    @property
    def entity(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def practice_id(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, Any]: ...
    @property
    def clocks(self) -> Mapping[str, str]: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def author(self) -> str: ...


@dataclass(frozen=True)
class MutationOutcome:
    id: int
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class AckSummary:
    acknowledged: int
    rejected: int
    conflicts: int


@dataclass(frozen=True)
class Quarantined:
    mutation_id: int
    entity: str
    row_id: str
    practice_id: str
    fields: dict[str, Any]
    reason: str
    quarantined_at: str


@dataclass(frozen=True)
class ConflictRecord:
    id: int
    entity: str
    row_id: str
    practice_id: str
    outcome: str
    reason: str | None
    local_fields: dict[str, Any]
    current_fields: dict[str, Any]
    local_hlc: str
    local_author: str
    current_author: str
    detected_at: str
    resolved_at: str | None
    resolution: str | None


@dataclass(frozen=True)
class SyncMeta:
    client_id: str
    cursor: int
    scope_epoch: int | None
    last_sync: str | None
    refetch_cursor: int | None
    needs_refetch: bool


_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once: pulls apply thousands of rows
_encode_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]  # what encode does for a str


@dataclass(frozen=True)
class _RowLayout:
    """How a pulled row of one entity becomes the values of its table's columns, worked out once.

    Why: a first sync stores tens of thousands of rows, and building a dict per row and then a
    list from it cost as much as everything else on this computer together."""

    columns: tuple[str, ...]  # the entity's fields, then the META_COLUMNS it does not have itself
    field_names: tuple[str, ...]
    json_positions: tuple[int, ...]
    id_position: int
    practice_position: int
    meta_positions: tuple[int, ...]  # which META_COLUMNS follow the fields, in order
    note_author_position: int | None  # an append-only note keeps the author it was written with

    def values(self, item: IncomingRow) -> list[Any]:
        row = list(map(item.fields.get, self.field_names))
        row[self.id_position] = item.id
        row[self.practice_position] = item.practice_id
        for i in self.json_positions:
            value = row[i]
            if value is not None:  # a missing or null value stays NULL (json_each('null') yields a row)
                row[i] = "[]" if value.__class__ is list and not value else _encode_json(value)
        clocks = item.clocks
        if len(clocks) == 1 and "*" in clocks:  # the usual row: one clock for every field
            clock = clocks["*"]
            clocks_text = '{"*":' + _encode_string(clock) + "}"
        else:
            clock, clocks_text = max(clocks.values(), default=""), _encode_json(clocks)
        author = item.author or ""
        if self.note_author_position is not None:
            author = row[self.note_author_position] = row[self.note_author_position] or author
        meta = (clock, author, 1 if item.deleted else 0, clocks_text)
        row += [meta[i] for i in self.meta_positions]
        return row

    def upsert_sql(self, name: str) -> str:
        cols = ", ".join(map(_q, self.columns))
        updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in self.columns if c != "id")
        return (f"INSERT INTO {name} ({cols}) VALUES ({', '.join('?' * len(self.columns))}) "
                f"ON CONFLICT(id) DO UPDATE SET {updates}")


@cache
def _layout(entity: str) -> _RowLayout:
    fields = columns(entity)
    meta = tuple(i for i, c in enumerate(META_COLUMNS) if c not in fields)
    cols = fields + tuple(META_COLUMNS[i] for i in meta)
    js = json_columns(entity)
    note_author = fields.index("author") if "author" in fields and entity in APPEND_ONLY else None
    return _RowLayout(cols, fields, tuple(i for i, c in enumerate(fields) if c in js), cols.index("id"),
                      cols.index("practice_id"), meta, note_author)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class SyncState:
    """The sync engine's view of one `Store` (shares its connection and lock)."""

    def __init__(self, store: Store):
        self.store = store

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.store._raw_tx() as conn:  # noqa: SLF001 - same package, same lock
            yield conn

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.store._lock:  # noqa: SLF001
            return self.store.conn.execute(sql, params).fetchall()

    # -- meta -----------------------------------------------------------------------------

    def meta(self) -> SyncMeta:
        values = {r[0]: r[1] for r in self._read("SELECT key, value FROM meta")}
        epoch = values.get("scope_epoch")
        refetch = values.get("refetch_cursor")
        return SyncMeta(client_id=values.get("client_id", ""), cursor=int(values.get("cursor") or 0),
                        scope_epoch=int(epoch) if epoch else None, last_sync=values.get("last_sync") or None,
                        refetch_cursor=int(refetch) if refetch else None,
                        needs_refetch=values.get("needs_refetch") == "1")

    @staticmethod
    def _set(conn: sqlite3.Connection, key: str, value: str | None) -> None:
        if value is None:
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         (key, value))

    @staticmethod
    def _observe(conn: sqlite3.Connection, server_hlc: str) -> None:
        """Move the local clock past the server's, so later local edits order after what we saw."""
        node = conn.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()[0]
        last = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
        clock = HybridClock(node_id(node), last[0] if last and last[0] else None)
        try:
            clock.observe(server_hlc)
        except ValueError:
            return  # a malformed clock from the server is ignored, not fatal
        SyncState._set(conn, "hlc", clock.last)

    def record_sync_finished(self, server_hlc: str | None = None) -> str:
        at = _now()
        with self._tx() as conn:
            self._set(conn, "last_sync", at)
            if server_hlc:
                self._observe(conn, server_hlc)
        return at

    def set_account(self, *, server_url: str, user: str) -> None:
        with self._tx() as conn:
            self._set(conn, "server", server_url)
            self._set(conn, "user", user)

    # -- outbox ---------------------------------------------------------------------------

    def pending_count(self) -> int:
        return self._read("SELECT count(*) FROM outbox")[0][0]

    def outbox_batch(self, *, max_count: int, max_bytes: int) -> list[OutboxMutation]:
        """The oldest unsent mutations, at most `max_count` and about `max_bytes` of JSON."""
        rows = self._read("SELECT id, uuid, name, hlc, args FROM outbox ORDER BY id LIMIT ?", (max_count,))
        out: list[OutboxMutation] = []
        total = 0
        for r in rows:
            size = len(r["args"].encode()) + len(r["uuid"]) + len(r["hlc"]) + 80
            if out and total + size > max_bytes:
                break
            total += size
            out.append(OutboxMutation(r["id"], r["uuid"], r["name"], r["hlc"], json.loads(r["args"]), size))
        return out

    def acknowledge_push(self, last_mutation_id: int, outcomes: Iterable[MutationOutcome], server_hlc: str) -> AckSummary:
        """One transaction: quarantine rejected mutations with the server's reason, keep a record
        of conflicts and lost edits for the Sync issues screen, drop every mutation up to
        `last_mutation_id` from the outbox, apply parked server values, observe the server clock."""
        outcomes = list(outcomes)
        rejected = conflicts = 0
        with self._tx() as conn:
            client_id = conn.execute("SELECT value FROM meta WHERE key='client_id'").fetchone()[0]
            user = (conn.execute("SELECT value FROM meta WHERE key='user'").fetchone() or [""])[0]
            for result in outcomes:
                if result.id > last_mutation_id or result.outcome in ("applied",):
                    continue
                row = conn.execute("SELECT * FROM outbox WHERE id = ?", (result.id,)).fetchone()
                if row is None:
                    continue
                if result.outcome == "rejected":
                    rejected += 1
                    conn.execute(
                        "INSERT OR IGNORE INTO sync_quarantine(mutation_id, uuid, hlc, args, reason, client_id, "
                        "quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (row["id"], row["uuid"], row["hlc"], row["args"],
                         result.reason or "The server refused this change without saying why.", client_id, _now()))
                    self._set(conn, "needs_refetch", "1")  # bring back the server's value of what was refused
                elif result.outcome in ("applied_conflict", "superseded"):
                    conflicts += 1
                    args = json.loads(row["args"])
                    conn.execute(
                        "INSERT OR IGNORE INTO sync_conflicts(mutation_uuid, entity, row_id, practice_id, outcome, "
                        "reason, local_fields, local_hlc, local_author, detected_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (row["uuid"], args["entity"], args["id"], args["practice_id"], result.outcome, result.reason,
                         json.dumps(args["fields"], ensure_ascii=False), row["hlc"], user or "", _now()))
            acknowledged = self._drop_acknowledged(conn, last_mutation_id)
            self._observe(conn, server_hlc)
        return AckSummary(acknowledged, rejected, conflicts)

    def _drop_acknowledged(self, conn: sqlite3.Connection, last_mutation_id: int) -> int:
        cur = conn.execute("DELETE FROM outbox WHERE id <= ?", (last_mutation_id,))
        if cur.rowcount:
            self._apply_shadows(conn)
        return cur.rowcount

    @staticmethod
    def _pending(conn: sqlite3.Connection) -> dict[tuple[str, str], set[str]]:
        """(entity, id) -> fields with an unsent local edit."""
        pending: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (args,) in conn.execute("SELECT args FROM outbox"):
            a = json.loads(args)
            pending[(a["entity"], a["id"])].update(a["fields"])
        return pending

    def pending_fields(self) -> dict[tuple[str, str], set[str]]:
        with self.store._lock:  # noqa: SLF001
            return self._pending(self.store.conn)

    def _apply_shadows(self, conn: sqlite3.Connection) -> None:
        shadows = conn.execute("SELECT entity, row_id, field, value, clock FROM sync_shadow").fetchall()
        if not shadows:
            return
        pending = self._pending(conn)
        for s in shadows:
            if s["field"] in pending.get((s["entity"], s["row_id"]), ()):
                continue
            name = table(s["entity"])
            conn.execute(f"UPDATE {name} SET {_q(s['field'])} = ?, clocks = json_set(coalesce(clocks, '{{}}'), ?, ?) "
                         "WHERE id = ?", (json.loads(s["value"]), f"$.{s['field']}", s["clock"], s["row_id"]))
            conn.execute("DELETE FROM sync_shadow WHERE entity = ? AND row_id = ? AND field = ?",
                         (s["entity"], s["row_id"], s["field"]))

    # -- pull -----------------------------------------------------------------------------

    def apply_page(self, rows: Sequence[IncomingRow], *, cursor: int, last_mutation_id: int, server_hlc: str,
                   scope_epoch: int | None, toolkit_version: str | None = None, refetch: bool = False,
                   during: Callable[[], None] | None = None) -> int:
        """One pulled page in one transaction: acknowledge, upsert, move the cursor.

        With `refetch`, rows go into the fresh_* tables and the cursor is the refetch cursor;
        `swap_refetched` later moves them in. `during` runs after the rows are written and before
        the commit (a named crash point for tests).
        """
        with self._tx() as conn:
            self._drop_acknowledged(conn, last_mutation_id)
            if refetch:
                self._ensure_fresh_tables(conn)
                self._upsert(conn, rows, prefix=FRESH_PREFIX, pending={})
                self._set(conn, "refetch_cursor", str(cursor))
                self._set(conn, "refetch_epoch", "" if scope_epoch is None else str(scope_epoch))
            else:
                self._upsert(conn, rows, prefix="", pending=self._pending(conn))
                self._set(conn, "cursor", str(cursor))
                if scope_epoch is not None:
                    self._set(conn, "scope_epoch", str(scope_epoch))
            if toolkit_version is not None:
                self._set(conn, "toolkit_version", toolkit_version)
            self._observe(conn, server_hlc)
            if during is not None:
                during()
        return len(rows)

    def _upsert(self, conn: sqlite3.Connection, rows: Sequence[IncomingRow], *, prefix: str,
                pending: Mapping[tuple[str, str], set[str]]) -> None:
        by_entity: dict[str, list[IncomingRow]] = defaultdict(list)
        for r in rows:
            if r.entity in ENTITY_TABLES:
                by_entity[r.entity].append(r)
        for entity, items in by_entity.items():
            layout = _layout(entity)
            name = prefix + table(entity)
            plain, guarded = [], []
            for item in items:
                values = layout.values(item)
                fields = pending.get((entity, item.id))
                if fields:
                    guarded.append((item, dict(zip(layout.columns, values)), fields))
                else:
                    plain.append(values)
            if plain:
                conn.executemany(layout.upsert_sql(name), plain)
            for item, values, fields in guarded:
                self._upsert_guarded(conn, entity, name, item, values, fields)

    def _upsert_guarded(self, conn: sqlite3.Connection, entity: str, name: str, item: IncomingRow,
                        values: dict[str, Any], fields: set[str]) -> None:
        """Upsert a row that has unsent local edits: keep those fields, park the server's values."""
        current = conn.execute(f"SELECT * FROM {name} WHERE id = ?", (item.id,)).fetchone()
        if current is None:  # pending edits of a row we do not have: nothing local to protect
            cols = list(values)
            conn.execute(f"INSERT INTO {name} ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})",
                         [values[c] for c in cols])
            return
        local_clocks = json.loads(current["clocks"] or "{}")
        server_clocks = json.loads(values["clocks"])
        merged = dict(values)
        for f in fields:
            column = f if f in values or f == "deleted" else None
            if column is None:
                continue
            conn.execute("INSERT INTO sync_shadow(entity, row_id, field, value, clock) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT(entity, row_id, field) DO UPDATE SET value = excluded.value, clock = excluded.clock",
                         (entity, item.id, f, json.dumps(values.get(f)), clock_of(server_clocks, f) or ""))
            merged[f] = current[f]
            local = clock_of(local_clocks, f)
            if local:
                server_clocks[f] = local
        merged["clocks"] = json.dumps(server_clocks, sort_keys=True)
        merged["updated_at"] = max([current["updated_at"] or "", values["updated_at"] or ""])
        sets = ", ".join(f"{_q(c)} = ?" for c in merged if c != "id")
        conn.execute(f"UPDATE {name} SET {sets} WHERE id = ?", [merged[c] for c in merged if c != "id"] + [item.id])

    # -- refetch (409 reset) --------------------------------------------------------------

    def request_refetch(self) -> None:
        with self._tx() as conn:
            self._set(conn, "needs_refetch", "1")

    def begin_refetch(self) -> None:
        """Start (or restart) a full refetch into empty fresh_* tables."""
        with self._tx() as conn:
            self._drop_fresh_tables(conn)
            self._ensure_fresh_tables(conn)
            self._set(conn, "refetch_cursor", "0")
            self._set(conn, "needs_refetch", "1")

    def _ensure_fresh_tables(self, conn: sqlite3.Connection) -> None:
        for name in ENTITY_TABLES.values():
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name = ?", (name,)).fetchone()[0]
            fresh_sql = re.sub(r'^CREATE TABLE\s+(\[[^\]]+\]|"[^"]+"|`[^`]+`|\w+)',
                               f'CREATE TABLE IF NOT EXISTS "{FRESH_PREFIX}{name}"', sql, count=1)
            conn.execute(fresh_sql)

    @staticmethod
    def _drop_fresh_tables(conn: sqlite3.Connection) -> None:
        for name in ENTITY_TABLES.values():
            conn.execute(f'DROP TABLE IF EXISTS "{FRESH_PREFIX}{name}"')

    def swap_refetched(self) -> None:
        """Replace every entity table by its refetched copy in one transaction, keeping each
        unsent local edit on top (and the server's value of it parked as a shadow)."""
        with self._tx() as conn:
            pending = self._pending(conn)
            kept: list[tuple[str, sqlite3.Row, sqlite3.Row | None, set[str]]] = []
            for (entity, row_id), fields in pending.items():
                name = table(entity)
                old = conn.execute(f"SELECT * FROM {name} WHERE id = ?", (row_id,)).fetchone()
                fresh = conn.execute(f'SELECT * FROM "{FRESH_PREFIX}{name}" WHERE id = ?', (row_id,)).fetchone()
                if old is not None:
                    kept.append((entity, old, fresh, fields))
            conn.execute("DELETE FROM sync_shadow")
            for name in ENTITY_TABLES.values():
                conn.execute(f"DELETE FROM {name}")
                conn.execute(f'INSERT INTO {name} SELECT * FROM "{FRESH_PREFIX}{name}"')
            for entity, old, fresh, fields in kept:
                name = table(entity)
                if fresh is None:
                    cols = old.keys()
                    conn.execute(f"INSERT INTO {name} ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})",
                                 [old[c] for c in cols])
                    continue
                merged = {c: fresh[c] for c in fresh.keys()}
                fresh_clocks = json.loads(fresh["clocks"] or "{}")
                clocks = dict(fresh_clocks)
                old_clocks = json.loads(old["clocks"] or "{}")
                for f in fields:
                    if f not in merged:
                        continue
                    conn.execute("INSERT OR REPLACE INTO sync_shadow(entity, row_id, field, value, clock) VALUES (?,?,?,?,?)",
                                 (entity, old["id"], f, json.dumps(fresh[f]), clock_of(fresh_clocks, f) or ""))
                    merged[f] = old[f]
                    local = clock_of(old_clocks, f)
                    if local:
                        clocks[f] = local
                merged["clocks"] = json.dumps(clocks, sort_keys=True)
                sets = ", ".join(f"{_q(c)} = ?" for c in merged if c != "id")
                conn.execute(f"UPDATE {name} SET {sets} WHERE id = ?", [merged[c] for c in merged if c != "id"] + [old["id"]])
            refetch = {r[0]: r[1] for r in conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('refetch_cursor', 'refetch_epoch')")}
            self._set(conn, "cursor", refetch.get("refetch_cursor") or "0")
            self._set(conn, "scope_epoch", refetch.get("refetch_epoch") or None)
            for key in ("refetch_cursor", "refetch_epoch", "needs_refetch"):
                self._set(conn, key, None)
            self._drop_fresh_tables(conn)

    # -- copied database file (409 client_reset) ------------------------------------------

    def renumber_for_new_client(self) -> str:
        """Give this file a new client id and number its unsent mutations 1..n for it.

        The server saw another install use our ids, so this file is a copy. Under a new id the
        numbering restarts; every unsent edit is kept, in order, with its uuid.
        """
        new_id = str(uuid.uuid4())
        with self._tx() as conn:
            rows = conn.execute("SELECT id, uuid, name, hlc, args, created_at FROM outbox ORDER BY id").fetchall()
            conn.execute("DELETE FROM outbox")
            conn.executemany("INSERT INTO outbox(id, uuid, name, hlc, args, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                             [(i, r["uuid"], r["name"], r["hlc"], r["args"], r["created_at"]) for i, r in enumerate(rows, 1)])
            conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (len(rows),))
            old = conn.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()[0]
            self._set(conn, "client_id", new_id)
            self._set(conn, "previous_client_id", old)
            last = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
            if last and last[0]:
                t = Timestamp.parse(last[0])
                self._set(conn, "hlc", str(Timestamp(t.wall_ms, t.counter, new_id)))
        return new_id

    # -- quarantine and conflicts ---------------------------------------------------------

    def quarantined(self, *, include_dismissed: bool = False) -> list[Quarantined]:
        rows = self._read("SELECT * FROM sync_quarantine WHERE ? OR dismissed_at IS NULL ORDER BY mutation_id",
                          (1 if include_dismissed else 0,))
        out = []
        for r in rows:
            a = json.loads(r["args"])
            out.append(Quarantined(r["mutation_id"], a["entity"], a["id"], a["practice_id"], a["fields"], r["reason"],
                                   r["quarantined_at"]))
        return out

    def dismiss_quarantined(self, mutation_id: int) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE sync_quarantine SET dismissed_at = ? WHERE mutation_id = ?", (_now(), mutation_id))

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictRecord]:
        rows = self._read("SELECT * FROM sync_conflicts WHERE ? OR resolved_at IS NULL ORDER BY id",
                          (1 if include_resolved else 0,))
        out = []
        for r in rows:
            local = json.loads(r["local_fields"])
            current, author = self._current_values(r["entity"], r["row_id"], local)
            out.append(ConflictRecord(r["id"], r["entity"], r["row_id"], r["practice_id"], r["outcome"], r["reason"],
                                      local, current, r["local_hlc"], r["local_author"], author, r["detected_at"],
                                      r["resolved_at"], r["resolution"]))
        return out

    def _current_values(self, entity: str, row_id: str, fields: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        rows = self._read(f"SELECT * FROM {table(entity)} WHERE id = ?", (row_id,))
        if not rows:
            return {}, ""
        record = row_to_record(entity, rows[0])
        record["deleted"] = bool(rows[0]["deleted"])
        return {k: record.get(k) for k in fields}, rows[0]["author"] or ""

    def record_label(self, entity: str, row_id: str, practice_id: str, fields: Mapping[str, Any]) -> str:
        """What a facilitator calls this record ("Visit to Oak Clinic on 2026-03-18"), for the
        Sync issues screen. The practice may be gone from this computer (unassigned): say so."""
        rows = self._read("SELECT name FROM practices WHERE id = ?", (practice_id,))
        name = rows[0][0] if rows else (fields.get("name") if entity == "practice" else None)
        practice = name or "a practice no longer on this computer"
        if entity == "practice":
            return f"Practice {practice}"
        if entity == "visit":
            when = fields.get("date") or (self._read("SELECT date FROM visits WHERE id = ?", (row_id,)) or [[None]])[0][0]
            return f"Visit to {practice}" + (f" on {when}" if when else "")
        strategy = row_id.split(":", 1)[1] if entity == "checklist" and ":" in row_id else fields.get("strategy_id")
        return {
            "checklist": f"{practice}: strategy {strategy}",
            "checklist_note": f"{practice}: note on strategy {strategy or ''}".rstrip(),
            "contact": f"Contact at {practice}",
            "plan": f"{practice}: facilitation plan",
            "measure": f"{practice}: ABCS measure",
        }.get(entity, f"{entity.replace('_', ' ')} at {practice}")

    def conflict(self, conflict_id: int) -> ConflictRecord | None:
        return next((c for c in self.conflicts(include_resolved=True) if c.id == conflict_id), None)

    def resolve_conflict(self, conflict_id: int, *, keep_mine: bool) -> bool:
        """Close a conflict. Keeping mine writes my values again as a new local edit (with its own
        outbox row), so it syncs and wins by clock. Returns whether a new edit was written."""
        found = self.conflict(conflict_id)
        if found is None:
            raise KeyError(conflict_id)
        wrote = False
        with self.store.transaction() as tx:
            if keep_mine:
                differing = {k: v for k, v in found.local_fields.items() if found.current_fields.get(k) != v}
                if differing and found.entity not in APPEND_ONLY:
                    record = {"id": found.row_id, "practice_id": found.practice_id, **differing}
                    wrote = self.store._put(tx, found.entity, record)  # noqa: SLF001 - the edit path, outbox included
            tx.conn.execute("UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE id = ?",
                            (_now(), "mine" if keep_mine else "theirs", conflict_id))
        return wrote

    # -- reads for tests and status -------------------------------------------------------

    def snapshot(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every row (tombstones included) as (entity, id) -> record + deleted, for comparisons."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for entity in ENTITY_TABLES:
            for r in self._read(f"SELECT * FROM {table(entity)}"):
                record = row_to_record(entity, r)
                record["deleted"] = bool(r["deleted"])
                out[(entity, r["id"])] = record
        return out


def _q(name: str) -> str:
    return f'"{name}"'


__all__ = ["SyncState", "IncomingRow", "MutationOutcome", "OutboxMutation", "AckSummary", "Quarantined",
           "ConflictRecord", "SyncMeta", "json_columns"]

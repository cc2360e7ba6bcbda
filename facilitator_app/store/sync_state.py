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
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache
from typing import Any, Iterable, Mapping, Protocol, Sequence

from ..core import faults
from ..core.hlc import Timestamp, clock_of
from ..core.kinds import Outcome
from ..core.model import APPEND_ONLY
from .meta import load_clock, put_meta, save_clock
from .pulled import INT64_MAX, INT64_MIN, Unusable, day_of_clock, entity_problem, reader, received_json
from .rows import json_columns, row_to_record, table
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
    """One pulled row as objects carry it (the protocol's RowChange has exactly these
    attributes). `apply_page` also takes the row as the JSON object received, which is what the
    engine hands over: every value is then checked by the tolerant reader (store/pulled.py)."""

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


_ROW_KEYS = ("entity", "id", "practice_id", "fields", "clocks", "deleted", "author", "version")


def _as_mapping(row: Mapping[str, Any] | IncomingRow) -> Mapping[str, Any]:
    if row.__class__ is dict:
        return row
    return {k: getattr(row, k, None) for k in _ROW_KEYS}


@dataclass(frozen=True)
class MutationOutcome:
    id: int
    outcome: Outcome
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
    outcome: Outcome
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


@dataclass(frozen=True)
class RejectedRow:
    """A row from the server this computer could not use, kept as received with the reason."""

    id: int
    entity: str
    row_id: str
    practice_id: str
    version: int | None
    fields: Any  # as received (may hold values SQLite's JSON cannot: they are why it is here)
    fields_json: str  # the same, as kept (Python's JSON: Infinity and NaN written as such)
    deleted: bool
    author: str
    reason: str
    received_at: str
    dismissed_at: str | None
    source: str  # "pull", or "upgrade" for a row found unreadable when this computer's data was upgraded


@dataclass(frozen=True)
class PageApplied:
    received: int
    set_aside: int  # rows this computer could not use (see sync_rejected_rows)


# What SQLite raises for one row's values (a number it cannot hold, text that is not Unicode): the
# row is set aside. Anything else (the disk, a lock) fails the page as before, to be retried.
_ROW_ERRORS = (OverflowError, UnicodeEncodeError, ValueError, sqlite3.InterfaceError, sqlite3.ProgrammingError,
               sqlite3.DataError, sqlite3.IntegrityError)


@cache
def _upsert_sql(name: str, cols: tuple[str, ...]) -> str:
    names = ", ".join(map(_q, cols))
    updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in cols if c != "id")
    return (f"INSERT INTO {name} ({names}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}")


def _text_of(value: Any, limit: int = 1000) -> str:
    return (value if isinstance(value, str) else "" if value is None else repr(value))[:limit]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class SyncState:
    """The sync engine's view of one `Store` (shares its connection and lock)."""

    def __init__(self, store: Store):
        self.store = store

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.store.write()

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.store.read(sql, params)

    # -- meta -----------------------------------------------------------------------------

    def meta(self) -> SyncMeta:
        values = {r[0]: r[1] for r in self._read("SELECT key, value FROM meta")}
        epoch = values.get("scope_epoch")
        refetch = values.get("refetch_cursor")
        return SyncMeta(client_id=values.get("client_id", ""), cursor=int(values.get("cursor") or 0),
                        scope_epoch=int(epoch) if epoch else None, last_sync=values.get("last_sync") or None,
                        refetch_cursor=int(refetch) if refetch else None,
                        needs_refetch=values.get("needs_refetch") == "1")

    _set = staticmethod(put_meta)

    @staticmethod
    def _observe(conn: sqlite3.Connection, server_hlc: str) -> None:
        """Move the local clock past the server's, so later local edits order after what we saw."""
        clock = load_clock(conn)
        try:
            clock.observe(server_hlc)
        except ValueError:
            return  # a malformed clock from the server is ignored, not fatal
        save_clock(conn, clock)

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
        count: int = self._read("SELECT count(*) FROM outbox")[0][0]
        return count

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

    def apply_page(self, rows: Sequence[Mapping[str, Any] | IncomingRow], *, cursor: int, last_mutation_id: int, server_hlc: str,
                   scope_epoch: int | None, toolkit_version: str | None = None, refetch: bool = False,
                   today: date | None = None) -> PageApplied:
        """One pulled page in one transaction: acknowledge, upsert, move the cursor.

        Every row is read by the tolerant reader first (store/pulled.py); a row this computer
        cannot use is set aside in `sync_rejected_rows` with the reason, and the page and the
        cursor go on without it. `today` is the day rows are validated against (default: the
        later of this computer's day and the server's, from its clock: a laptop whose clock is
        behind must not refuse what the server accepted today).

        With `refetch`, rows go into the fresh_* tables and the cursor is the refetch cursor;
        `swap_refetched` later moves them in. The fault point "mid_page_apply" (core/faults.py) is
        after the rows are written and before the commit.
        """
        if today is None:
            today = max(filter(None, (date.today(), day_of_clock(server_hlc))))
        items = [_as_mapping(r) for r in rows]
        with self._tx() as conn:
            self._drop_acknowledged(conn, last_mutation_id)
            if refetch:
                self._ensure_fresh_tables(conn)
                set_aside = self._upsert(conn, items, prefix=FRESH_PREFIX, pending={}, today=today)
                self._set(conn, "refetch_cursor", str(cursor))
                self._set(conn, "refetch_epoch", "" if scope_epoch is None else str(scope_epoch))
            else:
                set_aside = self._upsert(conn, items, prefix="", pending=self._pending(conn), today=today)
                self._set(conn, "cursor", str(cursor))
                if scope_epoch is not None:
                    self._set(conn, "scope_epoch", str(scope_epoch))
            if toolkit_version is not None:
                self._set(conn, "toolkit_version", toolkit_version)
            self._observe(conn, server_hlc)
            faults.reached("mid_page_apply", self.store)
        return PageApplied(len(rows), set_aside)

    def _upsert(self, conn: sqlite3.Connection, rows: Sequence[Mapping[str, Any]], *, prefix: str,
                pending: Mapping[tuple[str, str], set[str]], today: date) -> int:
        """Store every usable row; set the others aside with their reason. Returns how many were."""
        by_entity: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        rejected: list[tuple[Mapping[str, Any], str]] = []
        for r in rows:
            entity = r.get("entity")
            problem = entity_problem(entity)
            if problem:
                rejected.append((r, problem))
            else:  # entity_problem passed it: one of the entity names
                by_entity[str(entity)].append(r)
        earlier = {(r[0], r[1]) for r in conn.execute("SELECT entity, row_id FROM sync_rejected_rows")}
        stored: list[tuple[str, str]] = []
        for entity, items in by_entity.items():
            read = reader(entity).read
            columns = reader(entity).columns
            name = prefix + table(entity)
            sql = _upsert_sql(name, columns)
            memo: dict[tuple[Any, ...], str | None] = {}
            plain: list[list[Any]] = []
            plain_items: list[Mapping[str, Any]] = []
            guarded: list[tuple[Mapping[str, Any], dict[str, Any], set[str]]] = []
            for item in items:
                try:
                    values = read(item, today=today, memo=memo)
                except Unusable as exc:
                    rejected.append((item, str(exc)))
                    continue
                fields = pending.get((entity, item["id"])) if pending else None
                if fields:
                    guarded.append((item, dict(zip(columns, values)), fields))
                else:
                    plain.append(values)
                    plain_items.append(item)
            if plain:
                try:
                    conn.executemany(sql, plain)
                except _ROW_ERRORS:
                    # One row SQLite refuses: store the others one by one (re-storing those already
                    # written is harmless: the same upsert) and set that one aside.
                    for item, values in zip(plain_items, plain):
                        try:
                            conn.execute(sql, values)
                        except _ROW_ERRORS as exc:
                            rejected.append((item, _storage_reason(exc)))
            for item, by_column, fields in guarded:
                conn.execute("SAVEPOINT guarded")  # its parked values go with it, or not at all
                try:
                    self._upsert_guarded(conn, entity, name, item["id"], by_column, fields)
                except _ROW_ERRORS as exc:
                    conn.execute("ROLLBACK TO guarded")
                    rejected.append((item, _storage_reason(exc)))
                conn.execute("RELEASE guarded")
            if earlier:
                stored += [(entity, item["id"]) for item in plain_items if (entity, item["id"]) in earlier]
                stored += [(entity, item["id"]) for item, _, _ in guarded if (entity, item["id"]) in earlier]
        failed = {(_text_of(item.get("entity"), 40), _text_of(item.get("id"))) for item, _ in rejected}
        cleared = [key for key in stored if key not in failed]
        if cleared:  # a later good version replaces what was set aside
            conn.executemany("DELETE FROM sync_rejected_rows WHERE entity = ? AND row_id = ?", cleared)
        if rejected:
            self._set_aside(conn, rejected, in_refetch=bool(prefix))
        return len(rejected)

    @staticmethod
    def _set_aside(conn: sqlite3.Connection, rejected: Sequence[tuple[Mapping[str, Any], str]], *,
                   in_refetch: bool) -> None:
        at = _now()
        values = []
        for item, reason in rejected:
            version = item.get("version")
            values.append((_text_of(item.get("entity"), 40), _text_of(item.get("id")), _text_of(item.get("practice_id")),
                           version if version.__class__ is int and INT64_MIN <= version <= INT64_MAX else None,
                           received_json(item.get("fields")), received_json(item.get("clocks")),
                           _text_of(item.get("author"), 200), 1 if item.get("deleted") is True else 0, reason, at,
                           1 if in_refetch else 0))
        conn.executemany(
            "INSERT INTO sync_rejected_rows(entity, row_id, practice_id, version, fields, clocks, author, deleted, "
            "reason, received_at, in_refetch, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pull') "
            "ON CONFLICT(entity, row_id) DO UPDATE SET practice_id = excluded.practice_id, version = excluded.version, "
            "fields = excluded.fields, clocks = excluded.clocks, author = excluded.author, deleted = excluded.deleted, "
            "reason = excluded.reason, received_at = excluded.received_at, in_refetch = excluded.in_refetch, "
            "source = 'pull', dismissed_at = NULL", values)

    def _upsert_guarded(self, conn: sqlite3.Connection, entity: str, name: str, row_id: str,
                        values: dict[str, Any], fields: set[str]) -> None:
        """Upsert a row that has unsent local edits: keep those fields, park the server's values."""
        current = conn.execute(f"SELECT * FROM {name} WHERE id = ?", (row_id,)).fetchone()
        if current is None:  # pending edits of a row we do not have: nothing local to protect
            cols = list(values)
            conn.execute(f"INSERT INTO {name} ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})",
                         [values[c] for c in cols])
            return
        merged = _keep_pending(conn, entity, local=current, server=values, fields=fields)
        merged["updated_at"] = max([current["updated_at"] or "", values["updated_at"] or ""])
        sets = ", ".join(f"{_q(c)} = ?" for c in merged if c != "id")
        conn.execute(f"UPDATE {name} SET {sets} WHERE id = ?", [merged[c] for c in merged if c != "id"] + [row_id])

    # -- refetch (409 reset) --------------------------------------------------------------

    def request_refetch(self) -> None:
        with self._tx() as conn:
            self._set(conn, "needs_refetch", "1")

    def begin_refetch(self) -> None:
        """Start (or restart) a full refetch into empty fresh_* tables."""
        with self._tx() as conn:
            self._drop_fresh_tables(conn)
            self._ensure_fresh_tables(conn)
            conn.execute("UPDATE sync_rejected_rows SET in_refetch = 0 WHERE in_refetch = 1")
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
            # Rows the refetch set aside: the version this computer had stays (as in a pull).
            carried: list[tuple[str, sqlite3.Row]] = []
            for entity, row_id in conn.execute("SELECT entity, row_id FROM sync_rejected_rows WHERE in_refetch = 1"
                                               ).fetchall():
                if entity in ENTITY_TABLES and (entity, row_id) not in pending:
                    old = conn.execute(f"SELECT * FROM {table(entity)} WHERE id = ?", (row_id,)).fetchone()
                    if old is not None:
                        carried.append((entity, old))
            conn.execute("UPDATE sync_rejected_rows SET in_refetch = 0 WHERE in_refetch = 1")
            conn.execute("DELETE FROM sync_shadow")
            for name in ENTITY_TABLES.values():
                conn.execute(f"DELETE FROM {name}")
                conn.execute(f'INSERT INTO {name} SELECT * FROM "{FRESH_PREFIX}{name}"')
            for entity, old in carried:
                cols = old.keys()
                conn.execute(f"INSERT OR IGNORE INTO {table(entity)} ({', '.join(map(_q, cols))}) "
                             f"VALUES ({', '.join('?' * len(cols))})", [old[c] for c in cols])
            for entity, old, fresh, fields in kept:
                name = table(entity)
                if fresh is None:
                    cols = old.keys()
                    conn.execute(f"INSERT INTO {name} ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})",
                                 [old[c] for c in cols])
                    continue
                merged = _keep_pending(conn, entity, local=old, server={c: fresh[c] for c in fresh.keys()},
                                       fields=fields)
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

    def rejected_rows(self, *, include_dismissed: bool = False) -> list[RejectedRow]:
        """Rows from the server this computer could not use, oldest first."""
        rows = self._read("SELECT * FROM sync_rejected_rows WHERE ? OR dismissed_at IS NULL ORDER BY id",
                          (1 if include_dismissed else 0,))
        out = []
        for r in rows:
            try:
                fields = json.loads(r["fields"])
            except ValueError:
                fields = r["fields"]
            out.append(RejectedRow(r["id"], r["entity"], r["row_id"], r["practice_id"], r["version"], fields,
                                   r["fields"], bool(r["deleted"]), r["author"], r["reason"], r["received_at"], r["dismissed_at"],
                                   r["source"]))
        return out

    def dismiss_rejected_row(self, entry_id: int) -> bool:
        """Hide an entry from Sync issues (the server's row stays recorded). False if unknown."""
        with self._tx() as conn:
            cur = conn.execute("UPDATE sync_rejected_rows SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL",
                               (_now(), entry_id))
            return cur.rowcount > 0 or conn.execute("SELECT 1 FROM sync_rejected_rows WHERE id = ?",
                                                    (entry_id,)).fetchone() is not None

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
                    wrote = self.store.put(tx, found.entity, record)  # the edit path, outbox included
            tx.conn.execute("UPDATE sync_conflicts SET resolved_at = ?, resolution = ? WHERE id = ?",
                            (_now(), "mine" if keep_mine else "theirs", conflict_id))
        return wrote


def _keep_pending(conn: sqlite3.Connection, entity: str, *, local: sqlite3.Row, server: Mapping[str, Any],
                  fields: set[str]) -> dict[str, Any]:
    """The pending-field rule (see the module's docstring), in one place for pulls and refetches:
    the server's row with each field that has an unsent local edit kept as it is here, with its
    local clock, and the server's value of that field parked in `sync_shadow`. Returns the row's
    column values to store."""
    server_clocks = json.loads(server["clocks"] or "{}")
    local_clocks = json.loads(local["clocks"] or "{}")
    merged = dict(server)
    for f in fields:
        if f not in server:  # a field this version does not keep
            continue
        conn.execute("INSERT INTO sync_shadow(entity, row_id, field, value, clock) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT(entity, row_id, field) DO UPDATE SET value = excluded.value, clock = excluded.clock",
                     (entity, local["id"], f, json.dumps(server[f]), clock_of(server_clocks, f) or ""))
        merged[f] = local[f]
        clock = clock_of(local_clocks, f)
        if clock:
            server_clocks[f] = clock
    merged["clocks"] = json.dumps(server_clocks, sort_keys=True)
    return merged


def _q(name: str) -> str:
    return f'"{name}"'


def _storage_reason(exc: BaseException) -> str:
    if isinstance(exc, OverflowError):
        return "It holds a number too large for this computer's database."
    if isinstance(exc, UnicodeEncodeError):
        return "It holds text that is not valid Unicode."
    return f"This computer's database cannot keep one of its values ({type(exc).__name__}: {str(exc)[:120]})."


__all__ = ["SyncState", "IncomingRow", "MutationOutcome", "OutboxMutation", "AckSummary", "Quarantined",
           "ConflictRecord", "SyncMeta", "RejectedRow", "PageApplied", "json_columns"]

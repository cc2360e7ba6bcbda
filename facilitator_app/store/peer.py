# mypy: disable-error-code="misc"
# (methods of a mixin typed by the class they are mixed into: mypy checks each body against
# `Store` itself, and only objects that `Store` is not a supertype of the mixin.)
"""Field tips (the cooperative's shared know-how) and the facilitator's diary, as `Store` methods.

Tips and their "helpful" marks are records of the whole cooperative and sync like any other.
A diary entry is private until shared: private entries live in `diary_private`, a table no
sync code reads, and are written here without an outbox row; sharing copies the whole entry into
the synced `diary_entries` (one outbox row with every field), and taking a share back sends a
tombstone that blanks the server's copy and keeps the words here, private again under a new id.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from ..core.codec import to_record
from ..core.errors import FieldProblem, NotFoundError, ValidationError
from ..core.model import COOPERATIVE_SCOPE, PERSONAL_SCOPE, DiaryEntry, Tip, TipMark, new_id, tip_mark_id
from ..core.toolkit import Toolkit
from .rows import columns, row_to_entity, to_row_values
from .schema import PRIVATE_DIARY_TABLE

if TYPE_CHECKING:
    from .store import Changes, Store, _Tx

# What only a tip's author changes, and what only a supervisor changes (the server checks both).
TIP_WORDS = ("strategy_id", "text", "link", "ownership", "ehr_vendor", "size")
TIP_FLAGS = ("pinned", "hidden")


@dataclass(frozen=True)
class TipView:
    """A tip as a list shows it: how many found it helpful, and whether I did and wrote it."""

    tip: Tip
    helpful: int
    marked_by_me: bool
    mine: bool


class TipsAndDiary:
    """Mixed into `Store`: every method runs on the store's connection, lock and edit path."""

    # -- tips ---------------------------------------------------------------------------

    def save_tip(self: Store, tip: Tip, toolkit: Toolkit | None = None, *, today: date | None = None) -> Changes:
        """Add a tip, or change the words of one of mine (a colleague's tip is theirs to edit)."""
        today = today or date.today()
        me = self.facilitator
        with self._lock:
            row = self.conn.execute("SELECT written_by, deleted, practice_id, pinned, hidden FROM tips WHERE id = ?",
                                    (tip.id,)).fetchone()
        if row is not None and (row["deleted"] or row["written_by"] != me):
            raise ValidationError([FieldProblem("text", "Only the facilitator who wrote a tip can change it"
                                                if not row["deleted"] else "This tip was withdrawn")])
        tip = dataclasses.replace(tip, written_by=me if row is None else row["written_by"],
                                  written_on=tip.written_on or today,
                                  practice_id=COOPERATIVE_SCOPE if row is None else row["practice_id"],
                                  pinned=False if row is None else bool(row["pinned"]),
                                  hidden=False if row is None else bool(row["hidden"]))
        tip.validate(today=today, strategy_ids=toolkit.ids if toolkit else None)
        record = to_record(tip)
        if row is not None:
            record = {k: record[k] for k in ("id", "practice_id", *TIP_WORDS)}
        with self.transaction() as tx:
            self.put(tx, "tip", record)
        return tx.changes()

    def withdraw_tip(self: Store, tip_id: str) -> Changes:
        tip = self.tip(tip_id)
        if tip.written_by != self.facilitator:
            raise ValidationError([FieldProblem("id", f"Only {tip.written_by or 'its author'} can withdraw this tip")])
        return self.delete("tip", tip.id)

    def mark_tip(self: Store, tip_id: str, helpful: bool = True) -> Changes:
        """My one "helpful" mark on a tip (False takes it back)."""
        tip = self.tip(tip_id)
        me = self.facilitator
        if not me:
            raise ValidationError([FieldProblem("by", "Sign in (or type your name in Settings) before marking tips")])
        mark = TipMark(tip_id=tip.id, by=me, helpful=helpful, practice_id=tip.practice_id, id=tip_mark_id(tip.id, me))
        with self.transaction() as tx:
            self.put(tx, "tip_mark", to_record(mark))
        return tx.changes()

    def flag_tip(self: Store, tip_id: str, *, pinned: bool | None = None, hidden: bool | None = None) -> Changes:
        """Pin or hide a tip: a supervisor's call (the server refuses it from anyone else)."""
        tip = self.tip(tip_id)
        flags = {k: v for k, v in (("pinned", pinned), ("hidden", hidden)) if v is not None}
        with self.transaction() as tx:
            self.put(tx, "tip", {"id": tip.id, "practice_id": tip.practice_id, **flags})
        return tx.changes()

    def tip(self: Store, tip_id: str) -> Tip:
        return self._get(Tip, tip_id)

    def find_tip(self: Store, key: str) -> Tip:
        """A tip by id or id prefix (6+ characters), as `tip list` prints it."""
        key = key.strip()
        with self._lock:
            rows = self.conn.execute("SELECT * FROM tips WHERE deleted = 0 AND (id = ? OR (length(?) >= 6 AND "
                                     "id LIKE ? || '%')) LIMIT 2", (key, key, key)).fetchall()
        if len(rows) != 1:
            raise NotFoundError(f"There is no tip with id {key!r}" if not rows
                                else f"More than one tip starts with {key!r}; give more of its id")
        return row_to_entity(Tip, rows[0])

    def tips(self: Store, strategy_id: str | None = None, *, include_hidden: bool = False) -> list[TipView]:
        """Live tips, pinned first, then the most helpful, then the newest. Hidden tips are left
        out unless asked for (supervisors), except my own: I see that mine was hidden."""
        me = self.facilitator
        where = ["t.deleted = 0"]
        params: list[Any] = [me]
        if strategy_id:
            where.append("t.strategy_id = ?")
            params.append(strategy_id)
        if not include_hidden:
            where.append("(t.hidden = 0 OR t.written_by = ?)")
            params.append(me)
        sql = (f"SELECT t.*, (SELECT count(*) FROM tip_marks m WHERE m.tip_id = t.id AND m.deleted = 0 "
               f"AND m.helpful = 1) AS n_helpful, EXISTS (SELECT 1 FROM tip_marks m WHERE m.tip_id = t.id "
               f"AND m.deleted = 0 AND m.helpful = 1 AND m.by = ?) AS by_me FROM tips t WHERE {' AND '.join(where)} "
               f"ORDER BY t.pinned DESC, n_helpful DESC, t.written_on DESC, t.rowid DESC")
        with self._lock:
            rows = self.conn.execute(sql, params).fetchall()
        return [TipView(row_to_entity(Tip, r), int(r["n_helpful"]), bool(r["by_me"]), r["written_by"] == me)
                for r in rows]

    # -- diary --------------------------------------------------------------------------

    def save_diary_entry(self: Store, entry: DiaryEntry, *, today: date | None = None) -> Changes:
        """Save an entry where it lives: a private one only on this computer, a shared one synced."""
        today = today or date.today()
        entry = dataclasses.replace(entry, written_by=entry.written_by or self.facilitator)
        entry.validate(today=today)
        if entry.about_practice:
            self.practice(entry.about_practice)  # a practice on this computer, or a clear error
        current, shared = self._diary_row(entry.id)
        if current is not None and current.written_by != self.facilitator:
            raise _not_yours(current, "change")
        if shared or (current is None and entry.shared):
            return self._put_shared_entry(dataclasses.replace(entry, shared=True))
        self._put_private_entry(dataclasses.replace(entry, shared=False))
        return self._diary_changes(entry.id)

    def share_diary_entry(self: Store, entry_id: str, shared: bool = True) -> Changes:
        """Share a private entry with my supervisor, or take a share back (the server keeps a blank
        tombstone; the words stay here, private, under a new id: the last of the returned ids)."""
        entry, is_shared = self._diary_row(entry_id)
        if entry is None:
            raise NotFoundError(f"There is no diary entry with id {entry_id!r}")
        if entry.written_by != self.facilitator:
            raise _not_yours(entry, "share")
        if shared == is_shared:
            from .store import Changes
            return Changes()
        if shared:
            with self.transaction() as tx:
                self.put(tx, "diary_entry", to_record(dataclasses.replace(entry, shared=True)))
                tx.conn.execute(f"DELETE FROM {PRIVATE_DIARY_TABLE} WHERE id = ?", (entry_id,))
            return tx.changes()
        private = dataclasses.replace(entry, shared=False, id=new_id(), practice_id=PERSONAL_SCOPE)
        with self.transaction() as tx:
            self._withdraw_shared(tx, entry)
            self._insert_private(tx.conn, private)
            tx.changed.append(("diary_entry", private.id, PERSONAL_SCOPE))  # the last id: where it is now
        return tx.changes()

    def delete_diary_entry(self: Store, entry_id: str) -> Changes:
        entry, shared = self._diary_row(entry_id)
        if entry is None:
            raise NotFoundError(f"There is no diary entry with id {entry_id!r}")
        if entry.written_by != self.facilitator:
            raise _not_yours(entry, "delete")
        if shared:
            with self.transaction() as tx:
                self._withdraw_shared(tx, entry)
            return tx.changes()
        with self.write() as conn:
            conn.execute(f"DELETE FROM {PRIVATE_DIARY_TABLE} WHERE id = ?", (entry_id,))
        return self._diary_changes(entry_id)

    def diary_entry(self: Store, entry_id: str) -> DiaryEntry:
        entry, _ = self._diary_row(entry_id)
        if entry is None:
            raise NotFoundError(f"There is no diary entry with id {entry_id!r}")
        return entry

    def find_diary_entry(self: Store, key: str) -> DiaryEntry:
        """An entry by id or id prefix (6+ characters), as `diary list` prints it."""
        key = key.strip()
        found = [e for e in self.diary_entries() if e.id == key or (len(key) >= 6 and e.id.startswith(key))]
        if len(found) != 1:
            raise NotFoundError(f"There is no diary entry with id {key!r}" if not found
                                else f"More than one diary entry starts with {key!r}; give more of its id")
        return found[0]

    def diary_entries(self: Store, *, search: str = "", tag: str | None = None, written_by: str | None = None,
                      practice_id: str | None = None) -> list[DiaryEntry]:
        """Entries newest first: mine (private and shared) and, for a supervisor, those shared
        with them. `search` matches words in the text, any case."""
        clauses, params = ["deleted = 0"], []
        if search.strip():
            clauses.append("instr(lower(text), ?) > 0")
            params.append(search.strip().lower())
        if tag:
            clauses.append("EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)")
            params.append(tag)
        if written_by is not None:
            clauses.append("written_by = ?")
            params.append(written_by)
        if practice_id:
            clauses.append("about_practice = ?")
            params.append(practice_id)
        where = " AND ".join(clauses)
        sql = (f"SELECT *, rowid AS r FROM diary_entries WHERE {where} UNION ALL "
               f"SELECT *, -rowid AS r FROM {PRIVATE_DIARY_TABLE} WHERE {where} ORDER BY written_on DESC, r DESC")
        with self._lock:
            rows = self.conn.execute(sql, params + params).fetchall()
        return [row_to_entity(DiaryEntry, r) for r in rows]

    def _diary_row(self: Store, entry_id: str) -> tuple[DiaryEntry | None, bool]:
        with self._lock:
            for name, shared in (("diary_entries", True), (PRIVATE_DIARY_TABLE, False)):
                row = self.conn.execute(f"SELECT * FROM {name} WHERE id = ? AND deleted = 0", (entry_id,)).fetchone()
                if row is not None:
                    return row_to_entity(DiaryEntry, row), shared
        return None, False

    def _withdraw_shared(self: Store, tx: _Tx, entry: DiaryEntry) -> None:
        """Take a shared entry back: a tombstone for the server, which then keeps none of its words
        (server/push.py), and every unsent change of it reduced to that tombstone, so words
        written since the last sync never leave this computer. Its copy here is blanked too."""
        self.put(tx, "diary_entry", {"id": entry.id, "practice_id": entry.practice_id, "deleted": True})
        tx.conn.execute("UPDATE outbox SET args = json_set(args, '$.fields', json('{\"deleted\": true}'), '$.base', "
                        "json('{}')) WHERE json_extract(args, '$.entity') = 'diary_entry' "
                        "AND json_extract(args, '$.id') = ?", (entry.id,))
        tx.conn.execute("DELETE FROM sync_shadow WHERE entity = 'diary_entry' AND row_id = ?", (entry.id,))
        blank = to_row_values("diary_entry", _BLANK_ENTRY)
        tx.conn.execute(f"UPDATE diary_entries SET {', '.join(f'{c} = ?' for c in blank)} WHERE id = ?",
                        [*blank.values(), entry.id])

    def _put_shared_entry(self: Store, entry: DiaryEntry) -> Changes:
        with self.transaction() as tx:
            current = self._current(tx.conn, "diary_entry", entry.id)
            record = to_record(entry)
            if current is not None:
                record["practice_id"] = current["practice_id"]  # the server's scope key, once it came back
            self.put(tx, "diary_entry", record)
        return tx.changes()

    def _put_private_entry(self: Store, entry: DiaryEntry) -> None:
        with self.write() as conn:
            conn.execute(f"DELETE FROM {PRIVATE_DIARY_TABLE} WHERE id = ?", (entry.id,))
            self._insert_private(conn, entry)

    @staticmethod
    def _insert_private(conn: Any, entry: DiaryEntry) -> None:
        values = to_row_values("diary_entry", to_record(entry))
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        row = {**{c: values.get(c) for c in columns("diary_entry")}, "updated_at": now, "author": entry.written_by,
               "deleted": 0, "clocks": "{}"}
        conn.execute(f"INSERT INTO {PRIVATE_DIARY_TABLE} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     list(row.values()))

    @staticmethod
    def _diary_changes(entry_id: str) -> Changes:
        from .store import Changes
        return Changes(frozenset({"diary_entry"}), frozenset(), (entry_id,))


# What a withdrawn share leaves on the server: the entry's date and nothing of its words.
_BLANK_ENTRY: dict[str, Any] = {"text": "", "tags": [], "about_practice": "", "strategies": [], "shared": False}


def _not_yours(entry: DiaryEntry, verb: str) -> ValidationError:
    return ValidationError([FieldProblem("text", f"This entry is {entry.written_by}'s; only they can {verb} it")])

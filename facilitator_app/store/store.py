"""`Store`: every local read and write the app makes.

A local edit is one transaction: the domain row, its outbox row and the clock advance commit
together, so the UI can say "saved" only when all three are on disk, and a failed edit leaves
neither the row nor the outbox changed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, TypeVar

from ..core.codec import entity_of, to_record
from ..core.record_labels import LabelFacts
from ..core.errors import FieldProblem, NotFoundError, ValidationError
from ..core.hlc import DEFAULT_FIELD, HybridClock, clock_of
from ..core.measure_import.plan import ImportOutcome, ImportPlan, MeasureConflictError
from ..core.model import (
    APPEND_ONLY,
    ChecklistItem,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    FacilitatorProfile,
    MAX_REVISIONS,
    MeasureRevision,
    MeasureValue,
    NextStep,
    Practice,
    StepClosure,
    Visit,
    checklist_id,
    id_problem,
    scope_of,
    validate_entity,
)
from ..core.toolkit import Toolkit
from ..core.vocab import StepStatus, StrategyStatus, reason_kept
from . import queries
from .db import backup_file, open_database
from .meta import load_clock, put_meta, save_clock
from .peer import TipsAndDiary
from .rows import columns, entity_name, row_to_entity, table, to_row_values

DATA_FILE = "local.sqlite"
T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    """What an operation changed, so each view can decide whether to redraw."""

    entities: frozenset[str] = frozenset()
    practice_ids: frozenset[str] = frozenset()
    ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entities)

    def __or__(self, other: "Changes") -> "Changes":
        return Changes(self.entities | other.entities, self.practice_ids | other.practice_ids, self.ids + other.ids)


@dataclass
class _Tx:
    """An open write transaction: the connection, the clock, and what has changed so far."""

    conn: sqlite3.Connection
    clock: HybridClock
    author: str
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (entity, id, practice_id)

    def changes(self) -> Changes:
        return Changes(frozenset(e for e, _, _ in self.changed), frozenset(p for _, _, p in self.changed),
                       tuple(i for _, i, _ in self.changed))


class Store(TipsAndDiary):
    """A facilitator's local database. Thread-safe: one lock serializes every statement."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path
        self._lock = threading.RLock()
        with self._lock:
            if self.get_meta("client_id") is None:
                self._init_identity()

    @classmethod
    def open(cls, path: Path | str) -> "Store":
        path = Path(path)
        return cls(open_database(path), path)

    @classmethod
    def open_in(cls, data_dir: Path | str) -> "Store":
        return cls.open(Path(data_dir) / DATA_FILE)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def reopen(self, path: Path | str | None = None) -> None:
        """Open `path` (by default the same file) again in this very object, after `close`.

        Why in place: the GUI's screens, its operations and the sync service all hold this one
        Store; switching account or restoring a backup swaps the file under them, so no copy of
        "the active store" can be left pointing at a closed one."""
        with self._lock:
            self.conn.close()  # a no-op when already closed
            target = Path(path) if path is not None else self.path
            self.conn = open_database(target)
            self.path = target
            if self.get_meta("client_id") is None:
                self._init_identity()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity and settings ------------------------------------------------------------

    def _init_identity(self) -> None:
        with self.write() as conn:
            for key, value in (("client_id", str(uuid.uuid4())), ("hlc", ""), ("cursor", "0"), ("facilitator", "")):
                conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        with self.write() as conn:
            put_meta(conn, key, value)

    @property
    def client_id(self) -> str:
        return self.get_meta("client_id") or ""

    PROFILE_KEYS = {"name": "facilitator", "email": "facilitator_email", "phone": "facilitator_phone"}

    def facilitator_profile(self) -> FacilitatorProfile:
        return FacilitatorProfile(**{f: self.get_meta(k, "") or "" for f, k in self.PROFILE_KEYS.items()})

    def set_facilitator_profile(self, profile: FacilitatorProfile) -> None:
        """Saved in one transaction; printed on every leave-behind as 'Your facilitator'."""
        profile.validate()
        with self.write() as conn:
            for field_name, key in self.PROFILE_KEYS.items():
                put_meta(conn, key, getattr(profile, field_name).strip())

    @property
    def facilitator(self) -> str:
        """Who is recording: the signed-in account (the server records visits under it), else the
        name the facilitator gave. Never the computer's login name."""
        return self.get_meta("user") or self.get_meta("facilitator") or ""

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE) under the store's lock, committed on success and
        rolled back on any error: the unit every writer in `store/` builds on."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                # A commit can fail (a full disk): end the transaction so the next edit can start.
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """A write transaction with the clock loaded; the advanced clock is saved with the commit."""
        with self.write() as conn:
            tx = _Tx(conn, load_clock(conn), self.facilitator)
            yield tx
            save_clock(conn, tx.clock)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of one query, under the store's lock (the connection is shared with the sync thread)."""
        with self._lock:
            rows: list[sqlite3.Row] = self.conn.execute(sql, params).fetchall()
        return rows

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection for several reads that must see one state (no write comes between)."""
        with self._lock:
            yield self.conn

    def _current(self, conn: sqlite3.Connection, entity: str, row_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = conn.execute(f"SELECT * FROM {table(entity)} WHERE id = ?", (row_id,)).fetchone()
        return row

    def put(self, tx: _Tx, entity: str, record: dict[str, Any]) -> bool:
        """Write the fields of `record` that differ from the stored row, plus one outbox row.

        Returns False (and writes nothing) when nothing differs.
        """
        conn = tx.conn
        row_id = record["id"]
        current = self._current(conn, entity, row_id)
        values = to_row_values(entity, record)
        if current is None:
            record = {"deleted": False, **record}
            values = to_row_values(entity, record)
            changed = dict(values)
            clocks: dict[str, str] = {}  # a new row: every field gets this edit's clock (the default)
        else:
            if entity in APPEND_ONLY:
                return False
            if current["deleted"] and "deleted" not in record:
                # Saving a record over its tombstone (a plan or checklist row whose id is fixed by
                # the practice): the save brings it back, else it would be saved invisibly.
                record = {**record, "deleted": False}
                values = to_row_values(entity, record)
            changed = {k: v for k, v in values.items() if k != "id" and current[k] != v}
            clocks = json.loads(current["clocks"] or "{}")
        if not changed:
            return False
        hlc = tx.clock.now()
        base = {k: clock_of(clocks, k) for k in changed if k != "id"}
        if current is None:
            clocks = {DEFAULT_FIELD: hlc}
        else:
            for k in changed:
                clocks[k] = hlc
        meta = {"updated_at": hlc, "author": tx.author, "clocks": json.dumps(clocks)}
        if current is None:
            row = {**{c: None for c in columns(entity)}, "deleted": 0, **changed, **meta}
            if entity in APPEND_ONLY and record.get("author"):
                row["author"] = record["author"]
            names = list(row)
            conn.execute(f"INSERT INTO {table(entity)} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [row[n] for n in names])
        else:
            row = {**changed, **meta}
            conn.execute(f"UPDATE {table(entity)} SET {', '.join(f'{n} = ?' for n in row)} WHERE id = ?",
                         [*row.values(), row_id])
        fields = {k: record[k] for k in changed if k != "id"}
        args = {"entity": entity, "id": row_id, "practice_id": record["practice_id"], "fields": fields, "base": base}
        conn.execute("INSERT INTO outbox(uuid, name, hlc, args, created_at) VALUES (?, 'put', ?, ?, ?)",
                     (str(uuid.uuid4()), hlc, json.dumps(args, ensure_ascii=False), _utcnow()))
        tx.changed.append((entity, row_id, record["practice_id"]))
        return True

    def _save(self, obj: Any, *, today: date | None = None, **context: Any) -> Changes:
        validate_entity(obj, today=today or date.today(), **context)
        entity = entity_of(obj)
        with self.transaction() as tx:
            if entity != "practice" and scope_of(entity) == "practice":
                self._require_practice(tx.conn, obj.practice_id)
            self.put(tx, entity, to_record(obj))
        return tx.changes()

    def _require_practice(self, conn: sqlite3.Connection, practice_id: str) -> None:
        row = conn.execute("SELECT deleted FROM practices WHERE id = ?", (practice_id,)).fetchone()
        if row is None or row[0]:
            raise NotFoundError(f"There is no practice with id {practice_id!r}")

    # -- edits ----------------------------------------------------------------------------

    def save_practice(self, practice: Practice, *, today: date | None = None) -> Changes:
        if isinstance(practice.state, str):
            practice.state = practice.state.upper()
        problem = id_problem("practice", practice.id, practice.id)
        if problem:
            raise ValidationError([FieldProblem("id", problem)])
        if isinstance(practice.name, str):
            with self._lock:
                twin = self.conn.execute(
                    "SELECT 1 FROM practices WHERE deleted = 0 AND id != ? AND lower(trim(name)) = lower(trim(?))",
                    (practice.id, practice.name)).fetchone()
            if twin:
                raise ValidationError([FieldProblem("name", f"There is already a practice called {practice.name.strip()!r}; "
                                                            "give this one a name that tells them apart")])
        return self._save(practice, today=today)

    def save_contact(self, contact: Contact, *, today: date | None = None) -> Changes:
        return self._save(contact, today=today)

    def save_plan(self, plan: FacilitationPlan, toolkit: Toolkit | None = None, *, today: date | None = None) -> Changes:
        """Save the plan; strategies newly selected in it become 'selected' on the checklist."""
        plan.validate(today=today or date.today(), strategy_ids=toolkit.ids if toolkit else None)
        with self.transaction() as tx:
            self._require_practice(tx.conn, plan.practice_id)
            self.put(tx, "plan", to_record(plan))
            for sid in plan.selected_strategies:
                item = self._checklist_row(tx.conn, plan.practice_id, sid)
                if item.status in (StrategyStatus.NOT_SELECTED, StrategyStatus.DECLINED):
                    item.status, item.reason = StrategyStatus.SELECTED.value, ""
                    self.put(tx, "checklist", to_record(item))
        return tx.changes()

    def save_visit(self, visit: Visit, toolkit: Toolkit | None = None, *, steps: Sequence[NextStep] | None = None,
                   closures: Sequence[StepClosure] = (), today: date | None = None) -> Changes:
        """Save a visit, the next steps it made and what it decided about earlier steps, and move
        each strategy it worked on to its new checklist status: all in one transaction.

        `steps` is the whole list of steps this visit made (None leaves them as they are): a new
        id is added, a known one has only its action, owner, due date and order updated (so a
        step closed meanwhile, here or by a colleague, stays closed), and a step of this visit
        that is no longer listed is deleted. `closures` close (done, dropped) or reopen earlier
        steps of the practice as part of this visit."""
        today = today or date.today()
        if not visit.facilitator:
            visit.facilitator = self.facilitator
        visit.validate(today=today, strategy_ids=toolkit.ids if toolkit else None)
        steps = None if steps is None else [dataclasses.replace(s, practice_id=visit.practice_id, visit_id=visit.id,
                                                                 position=i) for i, s in enumerate(steps)]
        problems = []
        for i, step in enumerate(steps or [], 1):
            try:
                step.validate(today=today)
            except ValidationError as exc:
                problems += [FieldProblem("next_steps", f"Next step {i}: {p.message}") for p in exc.problems]
        if problems:
            raise ValidationError(problems)
        with self.transaction() as tx:
            self._require_practice(tx.conn, visit.practice_id)
            self.put(tx, "visit", to_record(visit))
            for work in visit.strategies:
                item = self._checklist_row(tx.conn, visit.practice_id, work.strategy_id)
                if work.status_after != work.status_before and item.status != work.status_after:
                    item.status = work.status_after
                    item.reason = reason_kept(item.status, item.reason.strip() or work.note.strip()
                                              or "Declined at visit")
                    self.put(tx, "checklist", to_record(item))
            if steps is not None:
                self._put_visit_steps(tx, visit, steps)
            for closure in closures:
                self._close_step(tx, closure, on=min(visit.date, today), visit_id=visit.id,
                                 practice_id=visit.practice_id)
        return tx.changes()

    # Fields of a step the visit that made it edits; its status and closing belong to whoever
    # closes it, and a re-saved visit must never write them back.
    _STEP_EDIT_FIELDS = ("action", "owner", "due", "position")

    def _put_visit_steps(self, tx: _Tx, visit: Visit, steps: Sequence[NextStep]) -> None:
        existing = {r["id"]: r for r in tx.conn.execute(
            "SELECT id, visit_id, practice_id, deleted FROM next_steps WHERE visit_id = ?", (visit.id,))}
        for step in steps:
            current = existing.get(step.id) or tx.conn.execute(
                "SELECT id, visit_id, practice_id, deleted FROM next_steps WHERE id = ?", (step.id,)).fetchone()
            if current is not None and current["visit_id"] != visit.id:
                raise ValidationError([FieldProblem("next_steps", f"Next step {step.action!r} belongs to another visit")])
            record = to_record(step)
            if current is not None and not current["deleted"]:
                record = {k: record[k] for k in ("id", "practice_id", *self._STEP_EDIT_FIELDS)}
            self.put(tx, "next_step", record)
        kept = {s.id for s in steps}
        for step_id, row in existing.items():
            if step_id not in kept and not row["deleted"]:
                self.put(tx, "next_step", {"id": step_id, "practice_id": row["practice_id"], "deleted": True})

    def _close_step(self, tx: _Tx, closure: StepClosure, *, on: date, visit_id: str = "",
                    practice_id: str | None = None) -> None:
        row = tx.conn.execute("SELECT * FROM next_steps WHERE id = ? AND deleted = 0", (closure.step_id,)).fetchone()
        if row is None or (practice_id is not None and row["practice_id"] != practice_id):
            raise NotFoundError(f"There is no next step with id {closure.step_id!r} at this practice")
        if closure.status not in StepStatus.choices():
            raise ValidationError([FieldProblem("status", f"A step is {', '.join(StepStatus.choices())}, "
                                                          f"not {closure.status!r}")])
        note = closure.note.strip()
        if closure.status == StepStatus.DROPPED and not note:
            raise ValidationError([FieldProblem("closing_note", f"Say why the step {row['action']!r} is dropped")])
        if closure.status == StepStatus.OPEN:
            fields: dict[str, Any] = {"status": "open", "closed_on": None, "closed_by": "", "closing_note": note,
                                      "closed_in_visit": ""}
        elif row["status"] == closure.status and row["closing_note"] == note:
            return  # already closed this way: keep who closed it and when
        else:
            fields = {"status": closure.status, "closed_on": on.isoformat(), "closed_by": tx.author,
                      "closing_note": note, "closed_in_visit": visit_id}
        if len(note) > 2000:
            raise ValidationError([FieldProblem("closing_note", "Closing note is too long (at most 2,000 characters)")])
        self.put(tx, "next_step", {"id": row["id"], "practice_id": row["practice_id"], **fields})

    def close_next_step(self, step_id: str, status: str, *, note: str = "", today: date | None = None,
                        visit_id: str = "") -> Changes:
        """Mark a step done, drop it (a note saying why is required) or reopen it (status open)."""
        with self.transaction() as tx:
            self._close_step(tx, StepClosure(step_id, status, note), on=today or date.today(), visit_id=visit_id)
        return tx.changes()

    def save_next_step(self, step: NextStep, *, today: date | None = None) -> Changes:
        """Save one step's own fields (an edit outside the visit form, e.g. a new due date)."""
        step.validate(today=today or date.today())
        with self.transaction() as tx:
            self._require_practice(tx.conn, step.practice_id)
            self.put(tx, "next_step", to_record(step))
        return tx.changes()

    def set_checklist(self, item: ChecklistItem, toolkit: Toolkit | None = None,
                      note: ChecklistNote | None = None, *, today: date | None = None) -> Changes:
        """Save a checklist row and, optionally, a dated note about it, in one transaction."""
        today = today or date.today()
        steps = len(toolkit.get(item.strategy_id).steps) if toolkit else None
        item.validate(today=today, step_count=steps)
        if note is None:
            return self._save(item, today=today, step_count=steps)
        if not note.author:
            note.author = self.facilitator
        note.written_on = note.written_on or today
        note.validate(today=today)
        with self.transaction() as tx:
            self._require_practice(tx.conn, item.practice_id)
            self.put(tx, "checklist", to_record(item))
            self.put(tx, "checklist_note", to_record(note))
        return tx.changes()

    def add_checklist_note(self, note: ChecklistNote, *, today: date | None = None) -> Changes:
        if not note.author:
            note.author = self.facilitator
        note.written_on = note.written_on or today or date.today()
        return self._save(note, today=today)

    def save_measure(self, value: MeasureValue, *, today: date | None = None) -> Changes:
        """Save a quarter's value; a second value for the same measure and quarter is refused
        (change the one recorded instead), so no roll-up or chart counts a quarter twice."""
        if isinstance(value.period_end, date):
            with self._lock:
                twin = self.conn.execute(
                    "SELECT numerator, denominator FROM measures WHERE deleted = 0 AND practice_id = ? AND measure = ? "
                    "AND period_end = ? AND id != ?",
                    (value.practice_id, value.measure, value.period_end.isoformat(), value.id)).fetchone()
            if twin:
                raise ValidationError([FieldProblem("period_end", (
                    f"{value.cms_id or value.measure} for the quarter ending {value.period_end.isoformat()} is already "
                    f"recorded ({twin[0]}/{twin[1]}); change that value instead of adding a second one"))])
        return self._save(value, today=today)

    def import_measures(self, plan: ImportPlan, *, practice_id: str, replace: bool, today: date,
                        dry_run: bool = False) -> tuple[ImportOutcome, Changes]:
        """Record a measure file's values for a practice in ONE transaction, or nothing.

        A quarter already recorded with the same numbers is left alone (importing a file twice
        changes nothing); with other numbers it is replaced only when `replace` is given, the
        old numbers going into the value's history; otherwise nothing at all is written
        (MeasureConflictError). `dry_run` says what would happen, reading only."""
        if plan.problems:
            raise ValidationError([FieldProblem("file", str(p)) for p in plan.problems])
        if dry_run:
            with self._lock:
                self._require_practice(self.conn, practice_id)
                outcome, _ = self._measure_outcome(self.conn, plan, practice_id, replace=replace, today=today)
            return outcome, Changes()
        with self.transaction() as tx:
            self._require_practice(tx.conn, practice_id)
            outcome, records = self._measure_outcome(tx.conn, plan, practice_id, replace=replace, today=today)
            if outcome.conflicting:
                raise MeasureConflictError(outcome)
            for record in records:  # a value that fails validation rolls back every one
                record.validate(today=today)
                self.put(tx, "measure", to_record(record))
            outcome.written = True
        return outcome, tx.changes()

    def _measure_outcome(self, conn: sqlite3.Connection, plan: ImportPlan, practice_id: str, *, replace: bool,
                         today: date) -> tuple[ImportOutcome, list[MeasureValue]]:
        """Compare a plan with what is recorded: the outcome, and the records to write."""
        outcome = ImportOutcome()
        records: list[MeasureValue] = []
        for value in plan.values:
            row = conn.execute(
                "SELECT * FROM measures WHERE deleted = 0 AND practice_id = ? AND measure = ? AND period_end = ? "
                "ORDER BY updated_at LIMIT 1", (practice_id, value.measure, value.period_end.isoformat())).fetchone()
            source = plan.source(value, today)
            if row is None:
                outcome.added.append(value)
                records.append(MeasureValue(practice_id, value.measure, value.period_end, value.numerator,
                                            value.denominator, version=value.version, source=source))
                continue
            old = row_to_entity(MeasureValue, row)
            if (old.numerator, old.denominator) == (value.numerator, value.denominator):
                outcome.unchanged.append(value)
            elif not replace:
                outcome.conflicting.append((value, old))
            else:
                outcome.replaced.append((value, old))
                earlier = MeasureRevision(old.numerator, old.denominator, today, old.version, old.source)
                records.append(dataclasses.replace(
                    old, numerator=value.numerator, denominator=value.denominator, version=value.version,
                    source=source, history=[*old.history, earlier][-MAX_REVISIONS:]))
        return outcome, records

    def delete(self, entity: str, row_id: str) -> Changes:
        """Tombstone a row: it disappears from every list, and the deletion syncs."""
        with self.transaction() as tx:
            row = self._current(tx.conn, entity, row_id)
            if row is None or row["deleted"]:
                raise NotFoundError(f"There is no {entity.replace('_', ' ')} with id {row_id!r}")
            self.put(tx, entity, {"id": row_id, "practice_id": row["practice_id"], "deleted": True})
        return tx.changes()

    # -- reads ----------------------------------------------------------------------------

    def _get(self, cls: type[T], row_id: str) -> T:
        entity = entity_name(cls)
        with self._lock:
            row = self.conn.execute(f"SELECT * FROM {table(entity)} WHERE id = ? AND deleted = 0",
                                    (row_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"There is no {entity.replace('_', ' ')} with id {row_id!r}")
        return row_to_entity(cls, row)

    def _list(self, cls: type[T], where: str = "", params: Iterable[Any] = (), order: str = "rowid") -> list[T]:
        entity = entity_name(cls)
        sql = f"SELECT * FROM {table(entity)} WHERE deleted = 0 {('AND ' + where) if where else ''} ORDER BY {order}"
        with self._lock:
            rows = self.conn.execute(sql, tuple(params)).fetchall()
        return [row_to_entity(cls, r) for r in rows]

    def practice(self, practice_id: str) -> Practice:
        return self._get(Practice, practice_id)

    def find_practice(self, key: str) -> Practice:
        """A practice by id, id prefix (8+ characters) or exact name (case-insensitive)."""
        key = key.strip()
        with self._lock:
            rows = self.conn.execute(
                "SELECT * FROM practices WHERE deleted = 0 AND (id = ? OR lower(name) = lower(?) "
                "OR (length(?) >= 8 AND id LIKE ? || '%')) LIMIT 2", (key, key, key, key)).fetchall()
        if len(rows) == 1:
            return row_to_entity(Practice, rows[0])
        if not rows:
            raise NotFoundError(f"No practice matches {key!r}. Use 'facilitator-app practice list' to see ids.")
        raise NotFoundError(f"More than one practice matches {key!r}; use its full id.")

    def practices(self) -> list[Practice]:
        return self._list(Practice, order="name COLLATE NOCASE")

    def contacts(self, practice_id: str) -> list[Contact]:
        return self._list(Contact, "practice_id = ?", (practice_id,), order="name COLLATE NOCASE")

    def plan(self, practice_id: str) -> FacilitationPlan | None:
        found = self._list(FacilitationPlan, "id = ?", (practice_id,))
        return found[0] if found else None

    def visit(self, visit_id: str) -> Visit:
        return self._get(Visit, visit_id)

    def find_visit(self, key: str) -> Visit:
        with self._lock:
            rows = self.conn.execute("SELECT * FROM visits WHERE deleted = 0 AND (id = ? OR "
                                     "(length(?) >= 8 AND id LIKE ? || '%')) LIMIT 2", (key, key, key)).fetchall()
        if len(rows) != 1:
            raise NotFoundError(f"No single visit matches {key!r}. Use 'facilitator-app visit list' to see ids.")
        return row_to_entity(Visit, rows[0])

    def visits(self, practice_id: str | None = None, *, since: date | None = None,
               until: date | None = None) -> list[Visit]:
        where, params = ["1 = 1"], []
        if practice_id:
            where.append("practice_id = ?")
            params.append(practice_id)
        if since:
            where.append("date >= ?")
            params.append(since.isoformat())
        if until:
            where.append("date <= ?")
            params.append(until.isoformat())
        return self._list(Visit, " AND ".join(where), params, order="date DESC, start_time DESC")

    def _checklist_row(self, conn: sqlite3.Connection, practice_id: str, strategy_id: str) -> ChecklistItem:
        row = conn.execute("SELECT * FROM checklist WHERE id = ? AND deleted = 0",
                           (checklist_id(practice_id, strategy_id),)).fetchone()
        return row_to_entity(ChecklistItem, row) if row else ChecklistItem(practice_id, strategy_id)

    def checklist_item(self, practice_id: str, strategy_id: str) -> ChecklistItem:
        with self._lock:
            return self._checklist_row(self.conn, practice_id, strategy_id)

    def checklist(self, practice_id: str, toolkit: Toolkit) -> list[ChecklistItem]:
        """One item per toolkit strategy, in toolkit order; unsaved ones are 'not selected'."""
        saved = {i.strategy_id: i for i in self._list(ChecklistItem, "practice_id = ?", (practice_id,))}
        return [saved.get(s.id) or ChecklistItem(practice_id, s.id) for s in toolkit.strategies]

    def checklist_notes(self, practice_id: str, strategy_id: str | None = None) -> list[ChecklistNote]:
        if strategy_id:
            return self._list(ChecklistNote, "practice_id = ? AND strategy_id = ?", (practice_id, strategy_id),
                              order="written_on, updated_at")
        return self._list(ChecklistNote, "practice_id = ?", (practice_id,), order="written_on, updated_at")

    def measures(self, practice_id: str) -> list[MeasureValue]:
        return self._list(MeasureValue, "practice_id = ?", (practice_id,), order="measure, period_end")

    # -- roll-ups for the screens ---------------------------------------------------------

    def practice_summaries(self, *, today: date | None = None) -> list[queries.PracticeSummary]:
        with self._lock:
            return queries.practice_summaries(self.conn, today or date.today())

    def upcoming_contacts(self, *, today: date | None = None, days: int = 30) -> list[queries.UpcomingContact]:
        with self._lock:
            return queries.upcoming_contacts(self.conn, today or date.today(), days)

    def overdue_next_steps(self, *, today: date | None = None) -> list[queries.StepRow]:
        """Open steps due before today, soonest first."""
        today = today or date.today()
        return [s for s in self.open_next_steps(due_before=today) if s.is_overdue(today)]

    def open_next_steps(self, practice_id: str | None = None, *, due_before: date | None = None) -> list[queries.StepRow]:
        with self._lock:
            return queries.next_steps(self.conn, practice_id=practice_id, statuses=("open",), due_before=due_before)

    def next_steps(self, practice_id: str | None = None, *, statuses: Sequence[str] = (),
                   visit_id: str | None = None) -> list[queries.StepRow]:
        """Steps of one practice (or all), optionally only some statuses or one visit's."""
        with self._lock:
            return queries.next_steps(self.conn, practice_id=practice_id, statuses=tuple(statuses), visit_id=visit_id)

    def steps_to_review(self, practice_id: str, visit_id: str, visit_date: date | None = None) -> list[queries.StepRow]:
        """What a visit form's "Since last visit" lists (queries.steps_to_review)."""
        with self._lock:
            rows = queries.next_steps(self.conn, practice_id=practice_id, statuses=("open",), closed_in_visit=visit_id)
        return queries.steps_to_review(rows, visit_id, visit_date)

    def next_step(self, step_id: str) -> NextStep:
        return self._get(NextStep, step_id)

    def find_next_step(self, key: str) -> NextStep:
        """A step by id or id prefix (8+ characters)."""
        key = key.strip()
        with self._lock:
            rows = self.conn.execute("SELECT * FROM next_steps WHERE deleted = 0 AND (id = ? OR "
                                     "(length(?) >= 8 AND id LIKE ? || '%')) LIMIT 2", (key, key, key)).fetchall()
        if len(rows) != 1:
            raise NotFoundError(f"No single next step matches {key!r}. "
                                "Use 'facilitator-app next-step list' to see ids.")
        return row_to_entity(NextStep, rows[0])

    def label_facts(self, entity: str, row_id: str, practice_id: str) -> LabelFacts:
        """What `core.record_labels.record_label` needs from this computer about a record."""
        name = self.read("SELECT name FROM practices WHERE id = ?", (practice_id,))
        day = self.read("SELECT date FROM visits WHERE id = ?", (row_id,)) if entity == "visit" else []
        return LabelFacts(practice_name=name[0][0] if name else None, visit_date=day[0][0] if day else None)

    def visit_counts(self, *, today: date | None = None) -> queries.VisitCounts:
        with self._lock:
            return queries.visit_counts(self.conn, today or date.today())

    def pending_changes(self) -> int:
        with self._lock:
            count: int = self.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        return count

    # -- drafts (never synced) ------------------------------------------------------------

    def save_draft(self, key: str, kind: str, payload: dict[str, Any]) -> None:
        with self.write() as conn:
            conn.execute("INSERT INTO drafts(key, kind, payload, updated_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at",
                         (key, kind, json.dumps(payload, ensure_ascii=False), _utcnow()))

    def load_draft(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self.conn.execute("SELECT payload FROM drafts WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def drafts(self, kind: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            rows = self.conn.execute("SELECT key, payload FROM drafts WHERE ? IS NULL OR kind = ? ORDER BY updated_at",
                                     (kind, kind)).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def drop_draft(self, key: str) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM drafts WHERE key = ?", (key,))

    # -- bulk -----------------------------------------------------------------------------

    def bulk_insert(self, objects: Iterable[Any], *, outbox: bool, author: str | None = None,
                    meta: dict[str, str] | None = None) -> int:
        """Insert many new entities in one transaction with executemany.

        `outbox=False` is for rows that must never sync (demo data). Row-at-a-time `_put` is
        about 4x slower for this.
        """
        by_entity: dict[str, list[dict[str, Any]]] = {}
        today = date.today()
        for obj in objects:
            validate_entity(obj, today=today)
            by_entity.setdefault(entity_of(obj), []).append(to_record(obj))
        count = 0
        with self.transaction() as tx:
            author = author if author is not None else tx.author
            outbox_rows = []
            for entity, records in by_entity.items():
                names = list(columns(entity)) + ["updated_at", "author", "deleted", "clocks"]
                rows = []
                for record in records:
                    hlc = tx.clock.now()
                    values = to_row_values(entity, record)
                    clocks = json.dumps({DEFAULT_FIELD: hlc})
                    row_author = (record.get("author") or author) if entity in APPEND_ONLY else author
                    rows.append([values.get(n) for n in columns(entity)] + [hlc, row_author, 0, clocks])
                    if outbox:
                        fields = {k: v for k, v in record.items() if k != "id"}
                        args = {"entity": entity, "id": record["id"], "practice_id": record["practice_id"],
                                "fields": fields, "base": {k: None for k in fields}}
                        outbox_rows.append((str(uuid.uuid4()), hlc, json.dumps(args, ensure_ascii=False), _utcnow()))
                tx.conn.executemany(f"INSERT INTO {table(entity)} ({', '.join(names)}) "
                                    f"VALUES ({', '.join('?' * len(names))})", rows)
                count += len(rows)
                tx.changed.extend((entity, r["id"], r["practice_id"]) for r in records[:1])
            if outbox_rows:
                tx.conn.executemany("INSERT INTO outbox(uuid, name, hlc, args, created_at) VALUES (?, 'put', ?, ?, ?)",
                                    outbox_rows)
            for key, value in (meta or {}).items():  # e.g. the demo flag, committed with the rows it describes
                put_meta(tx.conn, key, value)
        return count

    def backup(self, backup_dir: Path | None = None) -> Path:
        """A consistent copy of the whole database, for Settings > Back up."""
        with self._lock:
            return backup_file(self.conn, self.path, backup_dir or self.path.parent / "backups", label="manual")


def _utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


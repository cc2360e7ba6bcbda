"""`POST /sync/v1/push`: apply a client's numbered mutations in one transaction.

Order inside the transaction (see docs/server.md): bump the version counter first, bind the
client to the user, then for each mutation skip what was already seen (a different uuid there
means a copied database: 409 client_reset), stop at a gap, otherwise authorize, merge, validate
and log. A refused mutation is logged as `rejected` and counts as processed, so it never blocks
the queue behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from ..core import faults
from ..core.hlc import Timestamp, clock_of
from ..core.kinds import OUTCOMES, Outcome
from ..core.model import PERSONAL_ENTITIES, blank_diary_entry, legacy_step_id, legacy_step_record, scope_of
from ..core.toolkit import Toolkit
from ..sync.protocol import Mutation, MutationResult, PushRequest, PushResponse
from . import tables as t
from .accounts import User, practice_cooperative
from .clock import now_ms, server_hlc, today_utc
from .db import write_tx
from .deps import token_user
from .errors import ApiError
from .fastsql import Fast
from .merge import MergeResult, Rejected, StoredRow, canonical_record, check_put_shape, merge_put
from .records import (
    load_rows,
    log_entry,
    log_mutation,
    log_mutations,
    logged_mutation,
    practice_rows,
    record_conflicts,
    save_rows,
    toolkit_for,
)
from .scope import (
    SUPERVISOR_ENTITIES,
    ScopeRefused,
    own_scope_key,
    scoped_write_refusal,
    unknown_practice_refusal,
    write_refusal,
)
from .settings import CLOCK_SKEW_LIMIT_MS
from .text import storable, text_problem
from .versions import COUNTER, Versions

# Outcomes read back from the mutation log, as the protocol's type (this server wrote them).
_OUTCOMES: dict[str, Outcome] = {o: o for o in OUTCOMES}

@dataclass
class _Ctx:
    conn: Connection
    user: User
    client_id: str
    version: int
    versions: Versions
    clocks_seen: list[str]
    today: date
    toolkits: dict[int | None, Toolkit] = field(default_factory=dict)
    coops: dict[str, int | None] = field(default_factory=dict)
    refusals: dict[tuple[str, str], str | None] = field(default_factory=dict)
    rows: dict[tuple[str, str], StoredRow] = field(default_factory=dict)
    in_db: set[tuple[str, str]] = field(default_factory=set)
    dirty: dict[tuple[str, str], None] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)

    def coop_of(self, practice_id: str) -> int | None:
        if practice_id not in self.coops:
            self.coops[practice_id] = practice_cooperative(self.conn, practice_id)
        return self.coops[practice_id]

    def refusal(self, entity: str, practice_id: str, coop: int | None) -> str | None:
        key = (practice_id, _refusal_kind(entity))
        if key not in self.refusals:
            self.refusals[key] = write_refusal(self.conn, self.user, entity=entity, practice_id=practice_id,
                                               practice_coop=coop)
        return self.refusals[key]

    def pending_log(self, mutation_id: int) -> tuple[str, str, str | None] | None:
        """(uuid, outcome, reason) of a mutation processed earlier in this push, not yet inserted."""
        for e in self.logs:
            if e["mutation_id"] == mutation_id:
                return e["uuid"], e["outcome"], e["reason"]
        return None

    def flush(self) -> None:
        """Write every row this push changed, then the batched log entries."""
        new: list[tuple[str, str, StoredRow, int]] = []
        changed: list[tuple[str, str, StoredRow, int]] = []
        for key in self.dirty:
            sv = self.versions.for_row(self.conn, self.version)
            (changed if key in self.in_db else new).append((key[0], key[1], self.rows[key], sv))
        save_rows(self.conn, new, changed)
        log_mutations(self.conn, self.logs)

    def toolkit(self, cooperative_id: int | None) -> Toolkit:
        """Looked up once per push and cooperative, not once per mutation."""
        if cooperative_id not in self.toolkits:
            self.toolkits[cooperative_id] = toolkit_for(self.conn, cooperative_id)
        return self.toolkits[cooperative_id]


def apply_push(engine: Engine, user: User | str, req: PushRequest, *, versions: Versions = COUNTER,
               skew_limit_ms: int = CLOCK_SKEW_LIMIT_MS,
               queue_in_process: bool = True) -> PushResponse:
    """Apply a push (the fault point "push_before_commit" lets the concurrency test hold the
    transaction open); `queue_in_process=False` lets its threads stand for pushes from separate worker processes
    (which only the database orders; see db._WriteGate). `user` may be the request's bearer
    token: it is then checked in the push's own transaction (401 if it is no longer valid),
    which spares the API a connection and a transaction of its own for it."""
    problem = text_problem(req.client_id, "client_id") or next(
        (p for m in req.mutations if (p := text_problem(m.uuid, f"the uuid of change #{m.id}"))), None)
    if problem:
        raise ApiError(422, "invalid", f"Invalid request: {problem}.")
    prepared = [_prepare(m, skew_limit_ms) for m in req.mutations]
    checked: list[User] = []
    token = user if isinstance(user, str) else None
    first = (lambda conn: checked.append(token_user(conn, token))) if token is not None else None
    with write_tx(engine, serial=queue_in_process, first=first) as conn:
        user = checked[0] if checked else user
        assert isinstance(user, User)
        version = versions.begin_push(conn)
        last = _bind_client(conn, user, req.client_id)
        ctx = _Ctx(conn, user, req.client_id, version, versions, [], today_utc())
        ctx.rows = load_rows(conn, [(m.args.entity, m.args.id) for m in req.mutations
                                    if m.id > last and text_problem(m.args.id) is None])  # others are rejected
        ctx.in_db = set(ctx.rows)
        results: list[MutationResult] = []
        for m, ready in zip(req.mutations, prepared):
            if m.id <= last:
                logged = ctx.pending_log(m.id) or logged_mutation(conn, req.client_id, m.id)
                if logged is not None and logged[0] != m.uuid:
                    raise ApiError(409, "client_reset",
                                   f"Change #{m.id} from this installation was already received with different "
                                   "contents: this database looks like a copy of another installation. "
                                   "The app must register again as a new installation.",
                                   {"mutation_id": m.id})
                outcome, reason = (_OUTCOMES[logged[1]], logged[2]) if logged else ("superseded", "Already received.")
                results.append(MutationResult(id=m.id, outcome=outcome, reason=reason))
                continue
            if m.id != last + 1:
                break  # a gap: the missing mutation must arrive first
            outcome, reason = _apply_one(ctx, m, ready)
            results.append(MutationResult(id=m.id, outcome=outcome, reason=reason))
            last = m.id
        ctx.flush()
        _CLIENT_DONE.execute(conn, {"c": req.client_id, "last": last, "now": now_ms()})
        faults.reached("push_before_commit")
    return PushResponse(last_mutation_id=last, server_hlc=server_hlc(*ctx.clocks_seen), results=results)


# Built once (building a statement costs more than running it).
_CLIENT = Fast(select(t.clients.c.user_id, t.clients.c.last_mutation_id)
               .where(t.clients.c.client_id == bindparam("c")).with_for_update())
_CLIENT_DONE = Fast(update(t.clients).where(t.clients.c.client_id == bindparam("c"))
                    .values(last_mutation_id=bindparam("last"), last_seen_ms=bindparam("now")))


def _bind_client(conn: Connection, user: User, client_id: str) -> int:
    row = _CLIENT.first(conn, {"c": client_id})
    if row is None:
        now = now_ms()
        conn.execute(insert(t.clients).values(client_id=client_id, user_id=user.id, last_mutation_id=0,
                                              created_ms=now, last_seen_ms=now))
        return 0
    if row.user_id != user.id:
        raise ApiError(403, "forbidden", "This installation is registered to another user. Sign out and sign in "
                       "again so the app starts a separate database for you.")
    return int(row.last_mutation_id)


def _clamp(hlc: str, skew_limit_ms: int) -> tuple[str, str | None]:
    """The clock to use, and the original if it was too far ahead of server time."""
    try:
        ts = Timestamp.parse(hlc)
    except ValueError:
        raise Rejected(f"The change's clock {hlc[:60]!r} is not a valid clock value.") from None
    limit = now_ms() + skew_limit_ms
    if str(ts) != hlc:  # e.g. non-ASCII digits: would sort above every real clock and win forever
        raise Rejected(f"The change's clock {hlc[:60]!r} is not a valid clock value.")
    if ts.wall_ms > limit:
        return str(Timestamp(now_ms(), ts.counter, ts.node)), hlc
    return hlc, None


@dataclass(frozen=True)
class _Prepared:
    """What can be worked out about a mutation without the database, before the transaction:
    pushes run one at a time, so everything done here keeps the others from waiting."""

    args: dict[str, Any]  # as the mutation log keeps them
    hlc: str  # clamped to server time plus the skew limit
    clamped_from: str | None
    refused: str | None  # why it can never be applied, if that shows already


def _prepare(m: Mutation, skew_limit_ms: int) -> _Prepared:
    a = m.args
    # As the log keeps them: the request's own JSON values (what model_dump would copy), in the
    # model's field order. Nothing changes them later: merges and records build new values.
    args = {"entity": a.entity, "id": a.id, "practice_id": a.practice_id, "fields": a.fields, "base": a.base}
    problem = (text_problem(m.hlc, "the clock") or text_problem(a.id, "id")
               or text_problem(a.practice_id, "practice_id") or text_problem(a.fields, "fields", nul=False)
               or text_problem(a.base, "base", nul=False))
    if problem:
        return _Prepared(storable(args), storable(m.hlc), None, f"The change cannot be stored: {problem}.")
    try:
        hlc, clamped_from = _clamp(m.hlc, skew_limit_ms)
    except Rejected as exc:
        return _Prepared(args, m.hlc, None, str(exc))
    try:
        check_put_shape(a.entity, a.id, a.practice_id, a.fields)
    except Rejected as exc:
        return _Prepared(args, hlc, clamped_from, str(exc))
    return _Prepared(args, hlc, clamped_from, None)


def _apply_one(ctx: _Ctx, m: Mutation, prepared: _Prepared) -> tuple[Outcome, str | None]:
    conn, user, a = ctx.conn, ctx.user, m.args
    args, hlc, clamped_from = prepared.args, prepared.hlc, prepared.clamped_from
    fields, base, legacy_steps = a.fields, a.base, None
    writes: list[tuple[str, str, MergeResult, bool]] = []  # (entity, id, result, read from the database here)
    try:
        if prepared.refused:
            raise Rejected(prepared.refused)
        practice_id, new_practice = a.practice_id, False
        if scope_of(a.entity) != "practice":
            practice_id = _scoped_key(ctx, a.entity, a.id, fields)
            coop = user.cooperative_id
        else:
            coop = ctx.coop_of(a.practice_id)
            new_practice = coop is None
            if new_practice:
                unknown = unknown_practice_refusal(user, entity=a.entity, practice_id=a.practice_id)
                if unknown:
                    raise Rejected(unknown)
            else:
                refusal = ctx.refusal(a.entity, a.practice_id, coop)
                if refusal:
                    raise Rejected(refusal)
        current = ctx.rows.get((a.entity, a.id))
        if current is not None:
            if current.practice_id != practice_id:
                raise Rejected("A record cannot be moved to another practice.")
            if a.entity == "checklist_note":
                if _same_note(current, fields, hlc):  # re-sent by a copied laptop after its reset
                    _log(ctx, m, args, hlc, clamped_from, "applied", None)
                    return "applied", None
                _log(ctx, m, args, hlc, clamped_from, "superseded", "Notes are append-only; the first version is kept.")
                return "superseded", "Notes are append-only; the first version is kept."
            if a.entity == "visit" and current.author != user.name:
                raise Rejected(f"Only {current.author}, who logged this visit, can change it.")
        if a.entity == "visit":
            fields, base, legacy_steps = _convert_legacy_visit(fields, base)
        fields = _server_owned(ctx, a.entity, fields, current)
        if a.entity == "next_step" and current is None:
            _require_visit(ctx, fields.get("visit_id"), a.practice_id)
        toolkit = ctx.toolkit(coop if coop is not None else user.cooperative_id)
        if fields:
            result = merge_put(current, row_id=a.id, practice_id=practice_id, fields=fields, base=base,
                               hlc=hlc, user=user.name)
            if result.won:
                result.row.data = _canonical(ctx, a.entity, result.row, sent=fields, toolkit=toolkit)
            writes.append((a.entity, a.id, result, False))  # ctx.in_db knows the prefetched rows
        if legacy_steps is not None:
            visit = (writes[0][2].row if writes else current)
            if visit is None:
                raise Rejected("Next steps were sent for a visit the server does not have.")
            writes += _legacy_step_writes(ctx, a.id, a.practice_id, legacy_steps, base_clock=a.base.get("next_steps"),
                                          hlc=hlc, toolkit=toolkit)
    except Rejected as exc:
        reason = storable(str(exc))  # may quote the offending input
        _log(ctx, m, args, hlc, clamped_from, "rejected", reason)
        return "rejected", reason
    if new_practice:
        now = now_ms()
        conn.execute(insert(t.practices).values(id=a.id, cooperative_id=user.cooperative_id, created_by=user.name,
                                                created_ms=now))
        # The creator already holds the rows, so this assignment needs no scope reset.
        conn.execute(insert(t.assignments).values(user_id=user.id, practice_id=a.id, assigned_ms=now))
        ctx.coops[a.id] = user.cooperative_id
        for kind in ("supervisor", "practice", "other"):
            ctx.refusals[(a.id, kind)] = None
    won = any(r.won for _, _, r, _ in writes)
    conflicts = [(e, i, c) for e, i, r, _ in writes for c in r.conflicts]
    outcome: Outcome = ("applied_conflict" if conflicts and won
                        else "applied" if won or not writes else "superseded")
    if all(r.unchanged for _, _, r, _ in writes) and writes:
        outcome = "applied"  # the very value with the very clock the server has: nothing to do
    reason = None
    if conflicts:
        reason = "Also changed elsewhere: " + ", ".join(sorted({c.field for _, _, c in conflicts})) + "."
    elif outcome == "superseded":
        reason = "A newer change to the same field(s) is already on the server."
    for entity, row_id, result, read_here in writes:
        if result.won:
            ctx.rows[(entity, row_id)] = result.row
            ctx.dirty[(entity, row_id)] = None
            if read_here:
                ctx.in_db.add((entity, row_id))
    if won:
        ctx.clocks_seen.append(hlc)
    if conflicts and a.entity not in PERSONAL_ENTITIES:  # no diary words are kept beside the entry
        log_id = _log_now(ctx, m, args, hlc, clamped_from, outcome, reason)
        for entity, row_id, result, _ in writes:
            record_conflicts(conn, result.conflicts, sv=ctx.version, log_id=log_id, entity=entity, row_id=row_id,
                             practice_id=a.practice_id)
    else:
        _log(ctx, m, args, hlc, clamped_from, outcome, reason)
    return outcome, reason


def _scoped_key(ctx: _Ctx, entity: str, row_id: str, fields: dict[str, Any]) -> str:
    """The server's scope key for a tip, mark or diary entry this user may write (what the app
    sent as practice_id is only a placeholder); raise Rejected saying why not."""
    try:
        key = own_scope_key(ctx.user, scope_of(entity))
    except ScopeRefused as exc:
        raise Rejected(str(exc)) from None
    current = ctx.rows.get((entity, row_id))
    tip = None
    if entity == "tip_mark":
        tip_id = fields.get("tip_id", current.data.get("tip_id") if current is not None else None)
        if isinstance(tip_id, str):
            tip = ctx.rows.get(("tip", tip_id)) or load_rows(ctx.conn, [("tip", tip_id)]).get(("tip", tip_id))
    refusal = scoped_write_refusal(ctx.user, entity=entity, row_id=row_id, fields=fields, key=key,
                                   current=current, tip=tip)
    if refusal:
        raise Rejected(refusal)
    return key


def _refusal_kind(entity: str) -> str:
    """Entities that get the same answer from `write_refusal` for one practice and user."""
    return "supervisor" if entity in SUPERVISOR_ENTITIES else ("practice" if entity == "practice" else "other")


def _same_note(current: StoredRow, fields: dict[str, Any], hlc: str) -> bool:
    """The very note the server holds, sent again with its own clock (the author is the
    server's to set, so it is not compared)."""
    return clock_of(current.clocks, "text") == hlc and all(
        current.data.get(k) == v for k, v in fields.items() if k not in ("id", "practice_id", "author"))


def _server_owned(ctx: _Ctx, entity: str, fields: dict[str, Any], current: StoredRow | None) -> dict[str, Any]:
    """The sent fields with who-did-what replaced by what the server will store (see _canonical),
    before the merge: so a change re-sent with its own clock compares equal and is applied."""
    author = current.author if current is not None else ctx.user.name
    owned = {"visit": {"facilitator": author}, "checklist_note": {"author": author}, "tip": {"written_by": author},
             "tip_mark": {"by": author}, "diary_entry": {"written_by": author}}.get(entity, {})
    if entity == "next_step" and fields.get("closed_by"):
        owned = {"closed_by": ctx.user.name}
    if not any(k in fields and fields[k] != v for k, v in owned.items()):
        return fields
    return {**fields, **{k: v for k, v in owned.items() if k in fields}}


def _canonical(ctx: _Ctx, entity: str, row: StoredRow, *, sent: dict[str, Any], toolkit: Toolkit) -> dict[str, Any]:
    """The record stored for a merged row; who wrote it is the server's to say, not the client's:
    a visit's facilitator and a note's author are the account that created them, and a step's
    closer the account that closed it. A withdrawn diary entry keeps none of its words."""
    if entity == "diary_entry" and row.data.get("deleted") is True:
        return blank_diary_entry(row.data["id"], row.data["practice_id"], written_by=row.author)
    record = canonical_record(entity, row.data, sent=sent, toolkit=toolkit, today=ctx.today)
    if entity == "visit":
        record["facilitator"] = row.author
    elif entity == "checklist_note":
        record["author"] = row.author
    elif entity in ("tip", "diary_entry"):
        record["written_by"] = row.author
    elif entity == "tip_mark":
        record["by"] = row.author
    elif entity == "next_step" and "closed_by" in sent and record["closed_by"]:
        record["closed_by"] = ctx.user.name
    return record


def _convert_legacy_visit(fields: dict[str, Any], base: dict[str, str | None]
                          ) -> tuple[dict[str, Any], dict[str, str | None], Any]:
    """An older app's visit fields in today's shape: `notes` are private notes (the safe reading:
    they were never written for the practice), and `next_steps` (returned apart, None when not
    sent) become records of their own."""
    if "notes" not in fields and "next_steps" not in fields:
        return fields, base, None
    fields, base = dict(fields), dict(base)
    if "notes" in fields:
        fields["private_notes"] = fields.pop("notes")
        if "notes" in base:
            base["private_notes"] = base.pop("notes")
    steps = fields.pop("next_steps", None)
    base.pop("next_steps", None)
    return fields, base, ([] if steps is None else steps)


def _require_visit(ctx: _Ctx, visit_id: Any, practice_id: str) -> None:
    if not isinstance(visit_id, str) or not visit_id:
        return  # the record check names the missing visit
    visit = ctx.rows.get(("visit", visit_id))
    if visit is None:
        visit = load_rows(ctx.conn, [("visit", visit_id)]).get(("visit", visit_id))
    if visit is None or visit.practice_id != practice_id:
        raise Rejected("The visit this next step belongs to is not on the server; it must sync first.")


def _legacy_step_writes(ctx: _Ctx, visit_id: str, practice_id: str, steps: Any, *, base_clock: str | None,
                        hlc: str, toolkit: Toolkit) -> list[tuple[str, str, MergeResult, bool]]:
    """The next steps an older app kept inside a visit, merged into next_step records with the
    ids the migrations gave them. Done flags only ever close a step: the older app could not
    mark a step done, so a step it lists as not done is no reason to reopen one."""
    if not isinstance(steps, list):
        raise Rejected("Invalid value: next_steps must be a list.")
    in_db = practice_rows(ctx.conn, "next_step", practice_id)
    stored = {**in_db, **{i: r for (e, i), r in ctx.rows.items() if e == "next_step" and r.practice_id == practice_id}}
    legacy_ids = {legacy_step_id(visit_id, j): j for j in range(len(steps) + len(stored) + 1)}
    writes, produced = [], set()
    for i, step in enumerate(steps):
        record = legacy_step_record(practice_id, visit_id, i, step)
        if record is None:
            raise Rejected(f"Invalid value: next step {i + 1} is not a step.")
        step_id = str(record.pop("id"))
        record.pop("practice_id")
        produced.add(step_id)
        current = stored.get(step_id)
        if current is not None and not current.deleted:
            sent = {k: record[k] for k in ("action", "owner", "due", "position")}
            if record["status"] == "done":
                sent["status"] = "done"
        else:
            sent = record
        writes.append(_merge_step(ctx, step_id, practice_id, current, sent, base_clock, hlc, toolkit,
                                  read_here=step_id in in_db))
    for step_id, current in stored.items():
        if step_id in legacy_ids and step_id not in produced and not current.deleted:
            writes.append(_merge_step(ctx, step_id, practice_id, current, {"deleted": True}, base_clock, hlc, toolkit,
                                      read_here=step_id in in_db))
    return writes


def _merge_step(ctx: _Ctx, step_id: str, practice_id: str, current: StoredRow | None, sent: dict[str, Any],
                base_clock: str | None, hlc: str, toolkit: Toolkit, *, read_here: bool
                ) -> tuple[str, str, MergeResult, bool]:
    result = merge_put(current, row_id=step_id, practice_id=practice_id, fields=sent,
                       base={k: base_clock for k in sent}, hlc=hlc, user=ctx.user.name)
    if result.won:
        result.row.data = _canonical(ctx, "next_step", result.row, sent=sent, toolkit=toolkit)
    return "next_step", step_id, result, read_here


def _entry(ctx: _Ctx, m: Mutation, args: dict[str, Any], hlc: str, clamped_from: str | None, outcome: Outcome,
           reason: str | None) -> dict[str, Any]:
    if args.get("entity") in PERSONAL_ENTITIES:  # the log keeps which fields a diary change set, not its words
        args = {**args, "fields": dict.fromkeys(args.get("fields") or {}, "(not kept)")}
    return log_entry(client_id=ctx.client_id, mutation_id=m.id, uuid=m.uuid, user_id=ctx.user.id, sv=ctx.version,
                     hlc=hlc[:120], clamped_from=clamped_from, args=args, outcome=outcome, reason=reason)


def _log(ctx: _Ctx, m: Mutation, args: dict[str, Any], hlc: str, clamped_from: str | None, outcome: Outcome,
         reason: str | None) -> None:
    """Queue a log entry for the batched insert at the end of the push."""
    ctx.logs.append(_entry(ctx, m, args, hlc, clamped_from, outcome, reason))


def _log_now(ctx: _Ctx, m: Mutation, args: dict[str, Any], hlc: str, clamped_from: str | None, outcome: Outcome,
             reason: str | None) -> int:
    """Insert a log entry at once, for its id (conflict records point at it)."""
    return log_mutation(ctx.conn, _entry(ctx, m, args, hlc, clamped_from, outcome, reason))

"""The convergence model shared by the Hypothesis test and the broken-variant tests.

Four laptops against one real server, each with its own real SQLite file: two for facilitator A
(the same user on two computers), one for facilitator B and one for their supervisor. Two
practices of their cooperative: "home" starts with A, "moving" with B, and an admin may move
either between A and B at any step (`reassign`: the server's admin functions or its CLI). That
bumps both users' scope epochs, so their next pull is told to reset and the app downloads its
practices again, keeping unsent changes.

Steps: visits, checklist fields and notes, deletes (some of them refused by the server: a
practice no longer assigned, another facilitator's visit, a supervisor changing a visit), syncs
with injected faults (a crash after the push response, mid-page, an edit typed while a pull or a
refetch runs), restarts, clock skew from -1 day to +1 year, reassignments.

Invariants:
- after every step: PRAGMA integrity_check says "ok" for every laptop's file, and no edit is
  lost (each is still in its laptop's outbox or in the server's mutation log);
- after every sync: the cursor never moves back, and a pull never overwrites an unsent edit;
- at the end, after every laptop has synced twice (`check_final`): nothing unsent; each mutation
  processed once; the server refused exactly the edits the rules refuse, with the rule's reason,
  and each refused edit is in its laptop's Sync issues and in no row of the server; every laptop
  holds exactly the server's rows of its scope; and for every field the value is the one of the
  edit with the greatest clock among those the server accepted (newest edit wins).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import create_engine, select

from facilitator_app.core import faults
from facilitator_app.core.hlc import Timestamp, wall_clock_ms
from facilitator_app.core.model import ChecklistNote, Practice, Visit
from facilitator_app.server import tables as t
from facilitator_app.store import meta as meta_module
from facilitator_app.sync.engine import SyncEngine

from .conftest import PASSWORD, Laptop, unique

DAY_MS = 86_400_000
SKEWS_MS = (-DAY_MS, 0, 3_600_000, 365 * DAY_MS)
STRATEGIES = ("A1", "A2", "B1")
STATUSES = ("selected", "in_progress", "implemented")
FAULTS = ("none", "after_push_response", "mid_page_apply", "edit_during_pull")
PRACTICES = ("home", "moving")
FACILITATOR_LAPTOPS = ("fac1", "fac2", "facB")
LAPTOPS = (*FACILITATOR_LAPTOPS, "sup")
ACCOUNT_OF = {"fac1": "A", "fac2": "A", "facB": "B", "sup": "sup"}  # laptop -> account
# Fields the server writes itself, whatever was sent (server/push.py: _server_owned).
SERVER_OWNED = frozenset({("visit", "facilitator"), ("checklist_note", "author"), ("next_step", "closed_by")})
ACCEPTED = frozenset({"applied", "applied_conflict", "superseded"})


class SimulatedCrash(BaseException):
    """Stands for the process dying at a named point (BaseException: nothing may catch it)."""


class SkewedClocks:
    """Patches where the store makes its clock (store/meta.py: load_clock) so each laptop's edits
    use its own wall clock. `World.edit` checks that a skew ahead shows in the edit's clock, so
    this cannot silently stop working when the store makes its clock somewhere else."""

    def __init__(self, monkeypatch) -> None:
        self.skew_ms = 0
        real = meta_module.HybridClock
        monkeypatch.setattr(meta_module, "HybridClock",
                            lambda node, last=None: real(node, last, wall=lambda: wall_clock_ms() + self.skew_ms))


def integrity_problem(path: Path) -> str | None:
    """PRAGMA integrity_check of a laptop's file, read through a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        answer = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()
    return None if answer == ["ok"] else "; ".join(answer[:5])


def _assigned(conn, user: str) -> set[str]:
    """The practice ids assigned to this facilitator on the server now."""
    return {r[0] for r in conn.execute(select(t.assignments.c.practice_id).join(
        t.users, t.users.c.id == t.assignments.c.user_id).where(t.users.c.name == user))}


class World:
    def __init__(self, server_url: str, database_url: str, tmp: Path, clocks: SkewedClocks,
                 engine_class: type[SyncEngine] | None = None, client_factory=None,
                 stats: Counter | None = None):
        self.tmp = tmp
        self.clocks = clocks
        self.database_url = database_url
        self.server_db = create_engine(database_url)
        self.engine_class = engine_class or SyncEngine
        self.faults: dict[str, str] = {}
        self.skews: dict[str, int] = {}
        self.cursors: dict[str, int] = {}
        self.made_by: dict[str, str] = {}  # uuid of every local edit -> the laptop that made it
        self.verdicts: dict[str, str | None] = {}  # uuid -> why the rules refuse it (None: allowed)
        self.laptops: dict[str, Laptop] = {}
        self.users: dict[str, str] = {}  # account -> user name
        self.practices: dict[str, Practice] = {}
        self.server_url = server_url
        self.client_factory = client_factory
        self.stats = stats if stats is not None else Counter()
        self.counter = 0

    # -- setup ----------------------------------------------------------------------------

    def setup(self, add_user) -> None:
        coop = unique("coop")
        self.users = {"A": unique("facA"), "B": unique("facB"), "sup": unique("sup")}
        add_user(self.users["A"], PASSWORD, "facilitator", coop)
        add_user(self.users["B"], PASSWORD, "facilitator", coop)
        add_user(self.users["sup"], PASSWORD, "supervisor", coop)
        for name in LAPTOPS:
            self.laptops[name] = self._laptop(name)
            self.laptops[name].sign_in(self.users[ACCOUNT_OF[name]])
            self.skews[name] = 0
            self.cursors[name] = 0
        self.practices = {"home": Practice("Convergence Clinic", state="IL"),
                          "moving": Practice("Moving Clinic", state="IL")}
        self.edit("fac1", lambda s: s.save_practice(self.practices["home"]))
        self.sync("fac1")
        self.edit("facB", lambda s: s.save_practice(self.practices["moving"]))
        self.sync("facB")
        for name in ("fac2", "sup"):
            self.sync(name)

    def _laptop(self, name: str) -> Laptop:
        world = self

        class Engine(self.engine_class):  # type: ignore[misc, valid-type]
            def _crash(self, point: str) -> None:  # this laptop's fault points (core/faults.py)
                world._crash(name, point)
                super()._crash(point)
        laptop = Laptop(self.tmp / name, self.server_url)
        laptop.engine_factory = Engine
        laptop.client_factory = self.client_factory
        laptop.reopen()
        return laptop

    def _crash(self, name: str, point: str) -> None:
        if self.faults.get(name) == point:
            self.faults.pop(name)
            raise SimulatedCrash(point)

    # -- steps ----------------------------------------------------------------------------

    def outbox(self, name: str):
        return self.laptops[name].state.outbox_batch(max_count=10**6, max_bytes=10**9)

    def edit(self, name: str, action: Callable[[Any], object]) -> None:
        skew = self.clocks.skew_ms = self.skews[name]
        before = {m.uuid for m in self.outbox(name)}
        started = wall_clock_ms()
        try:
            action(self.laptops[name].store)
        finally:
            self.clocks.skew_ms = 0
        for m in self.outbox(name):
            if m.uuid not in before:
                self.made_by[m.uuid] = name
                assert skew <= 0 or Timestamp.parse(m.hlc).wall_ms >= started + skew, (
                    f"{name}: an edit with the clock {skew} ms ahead got the clock {m.hlc}: the skew is not applied")
        self.check_step()

    def has(self, name: str, practice: str) -> bool:
        """Whether this laptop holds the practice now (it can only edit what it has)."""
        return any(p.id == self.practices[practice].id for p in self.laptops[name].store.practices())

    def visit_ids(self, name: str, practice: str = "home") -> list[str]:
        return sorted(v.id for v in self.laptops[name].store.visits(self.practices[practice].id))

    def add_visit(self, name: str, minutes: int, practice: str = "home") -> None:
        if not self.has(name, practice):
            return
        when = dt.date(2026, 1, 1 + minutes % 28)
        pid = self.practices[practice].id
        self.edit(name, lambda s: s.save_visit(Visit(pid, when, minutes=minutes)))

    def change_visit(self, name: str, index: int, minutes: int, notes: str, practice: str = "home") -> None:
        if not self.has(name, practice):
            return
        ids = self.visit_ids(name, practice)
        if not ids:
            return self.add_visit(name, minutes, practice)
        visit = self.laptops[name].store.visit(ids[index % len(ids)])
        visit.minutes, visit.private_notes = minutes, notes
        self.edit(name, lambda s: s.save_visit(visit))

    def delete_visit(self, name: str, index: int, practice: str = "home") -> None:
        ids = self.visit_ids(name, practice) if self.has(name, practice) else []
        if ids:
            self.edit(name, lambda s: s.delete("visit", ids[index % len(ids)]))

    def set_checklist(self, name: str, strategy: str, status: str, owner: str, practice: str = "home") -> None:
        if not self.has(name, practice):
            return
        item = self.laptops[name].store.checklist_item(self.practices[practice].id, strategy)
        item.status, item.owner = status, owner
        self.edit(name, lambda s: s.set_checklist(item))

    def add_note(self, name: str, strategy: str, text: str, practice: str = "home") -> None:
        if not self.has(name, practice):
            return
        pid = self.practices[practice].id
        self.edit(name, lambda s: s.add_checklist_note(ChecklistNote(pid, strategy, text)))

    def set_skew(self, name: str, skew_ms: int) -> None:
        self.skews[name] = skew_ms

    def restart(self, name: str) -> None:
        self.laptops[name].close()
        self.laptops[name].reopen()
        self.check_step()

    def reassign(self, practice: str, to: str, *, admin: Callable[..., object] | None = None) -> bool:
        """An admin moves a practice to facilitator `to` ("A" or "B") from the other one.

        `admin(command, user, practice_id)` runs the server's CLI; without it the same
        functions run in-process (the CLI takes a second a call). Returns whether it moved."""
        from facilitator_app.server import accounts
        from facilitator_app.server.db import make_engine, write_tx
        from facilitator_app.server.settings import Settings

        pid = self.practices[practice].id
        other = "B" if to == "A" else "A"
        with self.server_db.connect() as conn:
            holders = {r[0] for r in conn.execute(select(t.users.c.name).join(
                t.assignments, t.assignments.c.user_id == t.users.c.id).where(t.assignments.c.practice_id == pid))}
        if self.users[to] in holders:
            return False
        if admin is not None:
            admin("unassign", self.users[other], pid)
            admin("assign", self.users[to], pid)
        else:
            engine = make_engine(Settings(database_url=self.database_url))
            try:
                with write_tx(engine) as conn:
                    accounts.unassign(conn, self.users[other], [pid], actor="tests")
                    accounts.assign(conn, self.users[to], [pid], actor="tests")
            finally:
                engine.dispose()
        self.stats["reassigned"] += 1
        self.check_step()
        return True

    def sync(self, name: str, fault: str = "none"):
        """One sync of one laptop with an injected fault; returns the report (None after a crash)."""
        laptop = self.laptops[name]
        self.judge_outbox(name)
        progress = None
        if fault == "edit_during_pull":
            typed: list[int] = []

            def progress(phase, done, total):  # noqa: F811 - the user types while the sync runs
                if phase in ("pull", "refetch") and not typed:
                    typed.append(1)
                    held = [p for p in PRACTICES if self.has(name, p)]
                    if held:
                        self.change_visit(name, self.counter, 30 + self.counter % 60,
                                          f"typed during sync {self.counter}", held[self.counter % len(held)])
                    self.counter += 1
        elif fault != "none":
            self.faults[name] = fault
        report = None
        store = laptop.store
        # The page apply's fault point is inside the store's transaction (SyncState.apply_page), not
        # the engine: this laptop's crash there is recognised by its store.
        in_page = faults.installed("mid_page_apply", lambda s: self._crash(name, "mid_page_apply") if s is store
                                   else None)
        try:
            with in_page:
                report = laptop.sync(progress=progress)
        except SimulatedCrash:
            self.stats["crashed"] += 1
            self.restart(name)
        finally:
            self.faults.pop(name, None)
        if report is not None:
            self.stats["refetched"] += report.refetched
            self.stats["rejected"] += report.rejected
            self.stats["conflicts"] += report.conflicts
        self.check_after_sync(name)
        self.check_step()
        return report

    # -- the rules' verdicts -------------------------------------------------------------

    def judge_outbox(self, name: str) -> None:
        """Before a sync: what the rules say of each unsent edit the server has not seen yet.

        Assignments only change between steps, so this is what holds when the push that
        follows is processed (an edit the server sees in a later sync is judged again then)."""
        outbox = [m for m in self.outbox(name)]
        if not outbox:
            return
        seen = set(self._logged([m.uuid for m in outbox]))
        account = ACCOUNT_OF[name]
        user = self.users[account]
        with self.server_db.connect() as conn:
            assigned = _assigned(conn, user)
            for m in outbox:
                if m.uuid not in seen:
                    self.verdicts[m.uuid] = verdict = self._verdict(conn, account, m.args, assigned)
                    if m.args["entity"] == "practice" and verdict is None and account != "sup":
                        assigned.add(m.args["practice_id"])  # its creator is assigned it in the same push

    def _verdict(self, conn, account: str, args: dict[str, Any], assigned: set[str]) -> str | None:
        """Why server/scope.py and server/push.py refuse this edit (a phrase of their reason), or None."""
        entity, practice_id = args["entity"], args["practice_id"]
        if account == "sup":
            return None if entity in ("checklist", "checklist_note") else "Supervisors may edit checklist items"
        if practice_id not in assigned:
            exists = conn.execute(select(t.practices.c.id).where(t.practices.c.id == practice_id)).first()
            if exists is None and entity == "practice":
                return None  # a facilitator creating a practice
            return "is not assigned to you"
        if entity == "visit":
            row = conn.execute(select(t.rows.c.author).where(t.rows.c.entity == "visit",
                                                             t.rows.c.id == args["id"])).first()
            if row is not None and row.author != self.users[account]:
                return f"Only {row.author}, who logged this visit, can change it"
        return None

    # -- invariants -----------------------------------------------------------------------

    def check_step(self) -> None:
        """After every step: every laptop's file is sound and no edit has been lost."""
        for name, laptop in self.laptops.items():
            problem = integrity_problem(laptop.store.path)
            assert problem is None, f"{name}: PRAGMA integrity_check failed: {problem}"
        unsent = {m.uuid for name in self.laptops for m in self.outbox(name)}
        missing = [u for u in self.made_by if u not in unsent]
        lost = set(missing) - set(self._logged(missing))
        assert not lost, (f"{len(lost)} edit(s) lost: neither in their laptop's outbox nor on the server "
                          f"(made on {sorted({self.made_by[u] for u in lost})})")

    def check_after_sync(self, name: str) -> None:
        state = self.laptops[name].state
        cursor = state.meta().cursor
        assert cursor >= self.cursors[name], f"{name}: the cursor moved back from {self.cursors[name]} to {cursor}"
        self.cursors[name] = cursor
        # A pull never overwrites a field with an unsent local edit: each such field still
        # shows the newest value this laptop wrote.
        snapshot = self.laptops[name].snapshot()
        newest: dict[tuple[str, str, str], object] = {}
        for m in state.outbox_batch(max_count=10**6, max_bytes=10**9):
            for field, value in m.args["fields"].items():
                newest[(m.args["entity"], m.args["id"], field)] = value
        for (entity, row_id, field), value in newest.items():
            row = snapshot.get((entity, row_id))
            assert row is not None and row.get(field) == value, (
                f"{name}: unsent local edit of {entity}.{field} was overwritten "
                f"({row and row.get(field)!r} != {value!r})")

    def _logged(self, uuids: list[str]) -> list[str]:
        """The uuids among these that the server's mutation log holds (once per time logged)."""
        found: list[str] = []
        with self.server_db.connect() as conn:
            for i in range(0, len(uuids), 500):
                found += [r[0] for r in conn.execute(select(t.mutation_log.c.uuid)
                                                     .where(t.mutation_log.c.uuid.in_(uuids[i:i + 500])))]
        return found

    def server_rows(self, practice_ids: set[str]) -> dict[tuple[str, str], dict]:
        with self.server_db.connect() as conn:
            rows = conn.execute(select(t.rows.c.entity, t.rows.c.id, t.rows.c.data, t.rows.c.deleted, t.rows.c.clocks)
                                .where(t.rows.c.practice_id.in_(sorted(practice_ids)))).all()
        return {(r.entity, r.id): {**json.loads(r.data), "deleted": bool(r.deleted),
                                   "__clocks": json.loads(r.clocks)} for r in rows}

    def scope(self, name: str) -> set[str]:
        """The practice ids this laptop's account may read now, as the server says."""
        if ACCOUNT_OF[name] == "sup":
            return {p.id for p in self.practices.values()}
        with self.server_db.connect() as conn:
            return _assigned(conn, self.users[ACCOUNT_OF[name]])

    def mutation_log(self) -> list:
        """The server's log entries of this world's edits."""
        uuids = sorted(self.made_by)
        out: list = []
        with self.server_db.connect() as conn:
            for i in range(0, len(uuids), 500):
                out += conn.execute(select(t.mutation_log.c.uuid, t.mutation_log.c.mutation_id, t.mutation_log.c.hlc,
                                           t.mutation_log.c.args, t.mutation_log.c.outcome, t.mutation_log.c.reason)
                                    .where(t.mutation_log.c.uuid.in_(uuids[i:i + 500]))).all()
        return out

    def outcomes(self) -> Counter:
        """How the server answered this world's edits so far."""
        return Counter(e.outcome for e in self.mutation_log())

    def check_final(self) -> None:
        for _round in range(2):
            for name in self.laptops:
                self.sync(name, "none")
        for name, laptop in self.laptops.items():
            assert laptop.store.pending_changes() == 0, f"{name}: changes left unsent"
        log = self.mutation_log()
        # each mutation is processed once: a replay (even one LWW turns into a no-op) is a bug
        processed = Counter(e.uuid for e in log)
        twice = [u for u, n in processed.items() if n > 1]
        assert not twice, f"mutations processed more than once: {twice[:3]}"
        lost = set(self.made_by) - set(processed)
        assert not lost, f"{len(lost)} local edits never reached the server"
        self.check_refusals(log)
        everything = self.server_rows({p.id for p in self.practices.values()})
        for entry in log:
            if entry.outcome == "rejected":
                args = json.loads(entry.args)
                row = everything.get((args["entity"], args["id"]))
                assert row is None or entry.hlc not in row["__clocks"].values(), (
                    f"a refused edit of {args['entity']} {args['id']} is on the server: {entry.reason}")
        for name, laptop in self.laptops.items():
            scope = self.scope(name)
            server = {k: v for k, v in everything.items() if v["practice_id"] in scope}
            local = laptop.snapshot()
            assert set(local) == set(server), f"{name}: rows differ from the server: {set(local) ^ set(server)}"
            for key, data in server.items():
                for field, value in data.items():
                    if field != "__clocks":
                        assert local[key].get(field) == value, (
                            f"{name}: {key} {field} differs from the server ({local[key].get(field)!r} here, "
                            f"{value!r} there)")
        self.check_newest_edit_wins(log, everything)
        self.check_step()

    def check_refusals(self, log: list) -> None:
        """The server refused exactly what the rules refuse, and each refusal reached Sync issues."""
        quarantined = {name: {q.mutation_id: q for q in laptop.service.quarantined()}
                       for name, laptop in self.laptops.items()}
        for entry in log:
            expected = self.verdicts.get(entry.uuid, "(never judged)")
            name = self.made_by[entry.uuid]
            if expected is None:
                assert entry.outcome != "rejected", f"a valid edit from {name} was rejected: {entry.reason}"
                continue
            assert entry.outcome == "rejected", (
                f"an edit from {name} the rules refuse ({expected!r}) was {entry.outcome}")
            assert expected in (entry.reason or ""), f"refused for {entry.reason!r}, expected {expected!r}"
            self.stats["refused"] += 1
            shown = quarantined[name].get(entry.mutation_id)
            assert shown is not None and shown.reason == entry.reason, (
                f"a change the server refused is not in {name}'s Sync issues: {entry.reason}")

    def check_newest_edit_wins(self, log: list, server: dict[tuple[str, str], dict]) -> None:
        """For every field written, the server holds the value of the accepted edit with the
        greatest clock (the clamped clock the server merged with, as its log keeps it). Notes are
        append-only, but each note here is written once, so the rule holds for them too."""
        newest: dict[tuple[str, str, str], tuple[str, Any]] = {}
        for entry in log:
            if entry.outcome not in ACCEPTED:
                continue
            args = json.loads(entry.args)
            for field, value in args["fields"].items():
                if (args["entity"], field) in SERVER_OWNED:
                    continue
                key = (args["entity"], args["id"], field)
                if key not in newest or entry.hlc > newest[key][0]:
                    newest[key] = (entry.hlc, value)
        for (entity, row_id, field), (hlc, value) in newest.items():
            row = server.get((entity, row_id))
            assert row is not None, f"{entity} {row_id} was accepted but is not on the server"
            assert row.get(field) == value, (
                f"newest edit did not win: {entity} {row_id} {field} is {row.get(field)!r} on the server, but the "
                f"accepted edit with the greatest clock ({hlc}) wrote {value!r}")

    def close(self) -> None:
        for laptop in self.laptops.values():
            laptop.close()
        self.server_db.dispose()

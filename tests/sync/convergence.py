"""The convergence model shared by the Hypothesis test and the broken-variant tests.

Three laptops: two for one facilitator (the same user on two computers) and one for the
supervisor of their cooperative, each with a real SQLite file, against a real server. Steps:
edits of visits, checklist fields and notes, deletes, syncs with injected faults (a crash
after the push response, mid-page, an edit typed while a sync runs), restarts, and clock skew
from -1 day to +1 year. `check_final` holds the invariants of issue 5 item 6a.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, select

from facilitator_app.core.hlc import wall_clock_ms
from facilitator_app.core.model import ChecklistNote, Practice, Visit
from facilitator_app.store import store as store_module
from facilitator_app.sync.engine import SyncEngine

from .conftest import PASSWORD, Laptop, unique

DAY_MS = 86_400_000
SKEWS_MS = (-DAY_MS, 0, 3_600_000, 365 * DAY_MS)
STRATEGIES = ("A1", "A2", "B1")
STATUSES = ("selected", "in_progress", "implemented")
FAULTS = ("none", "after_push_response", "mid_page_apply", "edit_during_pull")


class SimulatedCrash(BaseException):
    """Stands for the process dying at a named point (BaseException: nothing may catch it)."""


class SkewedClocks:
    """Patches the store's clock factory so each laptop's edits use its own wall clock."""

    def __init__(self, monkeypatch) -> None:
        self.skew_ms = 0
        real = store_module.HybridClock
        monkeypatch.setattr(store_module, "HybridClock",
                            lambda node, last=None: real(node, last, wall=lambda: wall_clock_ms() + self.skew_ms))


class World:
    engine_class: type[SyncEngine] = SyncEngine

    def __init__(self, server_url: str, database_url: str, tmp: Path, clocks: SkewedClocks,
                 engine_class: type[SyncEngine] | None = None, client_factory=None):
        self.tmp = tmp
        self.clocks = clocks
        self.server_db = create_engine(database_url)
        self.engine_class = engine_class or SyncEngine
        self.faults: dict[str, str] = {}
        self.skews: dict[str, int] = {}
        self.cursors: dict[str, int] = {}
        self.uuids: set[str] = set()
        self.laptops: dict[str, Laptop] = {}
        self.users: dict[str, str] = {}
        self.server_url = server_url
        self.client_factory = client_factory
        self.counter = 0

    # -- setup ----------------------------------------------------------------------------

    def setup(self, add_user) -> None:
        coop = unique("coop")
        fac, sup = unique("fac"), unique("sup")
        add_user(fac, PASSWORD, "facilitator", coop)
        add_user(sup, PASSWORD, "supervisor", coop)
        self.users = {"fac1": fac, "fac2": fac, "sup": sup}
        for name in self.users:
            self.laptops[name] = self._laptop(name)
            self.laptops[name].sign_in(self.users[name])
            self.skews[name] = 0
            self.cursors[name] = 0
        self.practice = Practice("Convergence Clinic", state="IL")
        self.edit("fac1", lambda s: s.save_practice(self.practice))
        self.sync("fac1", "none")
        for name in ("fac2", "sup"):
            self.sync(name, "none")

    def _laptop(self, name: str) -> Laptop:
        world = self

        class Engine(self.engine_class):  # type: ignore[misc, valid-type]
            def __init__(self, store, client):
                super().__init__(store, client, crash=lambda point: world._crash(name, point))
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

    def edit(self, name: str, action) -> None:
        laptop = self.laptops[name]
        self.clocks.skew_ms = self.skews[name]
        before = {m.uuid for m in laptop.state.outbox_batch(max_count=10**6, max_bytes=10**9)}
        try:
            action(laptop.store)
        finally:
            self.clocks.skew_ms = 0
        after = {m.uuid for m in laptop.state.outbox_batch(max_count=10**6, max_bytes=10**9)}
        self.uuids |= after - before

    def visit_ids(self, name: str) -> list[str]:
        return sorted(v.id for v in self.laptops[name].store.visits(self.practice.id))

    def add_visit(self, name: str, minutes: int) -> None:
        when = dt.date(2026, 1, 1 + minutes % 28)
        self.edit(name, lambda s: s.save_visit(Visit(self.practice.id, when, minutes=minutes)))

    def change_visit(self, name: str, index: int, minutes: int, notes: str) -> None:
        ids = self.visit_ids(name)
        if not ids:
            return self.add_visit(name, minutes)
        visit = self.laptops[name].store.visit(ids[index % len(ids)])
        visit.minutes, visit.private_notes = minutes, notes
        self.edit(name, lambda s: s.save_visit(visit))

    def delete_visit(self, name: str, index: int) -> None:
        ids = self.visit_ids(name)
        if ids:
            self.edit(name, lambda s: s.delete("visit", ids[index % len(ids)]))

    def set_checklist(self, name: str, strategy: str, status: str, owner: str) -> None:
        item = self.laptops[name].store.checklist_item(self.practice.id, strategy)
        item.status, item.owner = status, owner
        self.edit(name, lambda s: s.set_checklist(item))

    def add_note(self, name: str, strategy: str, text: str) -> None:
        self.edit(name, lambda s: s.add_checklist_note(ChecklistNote(self.practice.id, strategy, text)))

    def set_skew(self, name: str, skew_ms: int) -> None:
        self.skews[name] = skew_ms

    def restart(self, name: str) -> None:
        self.laptops[name].close()
        self.laptops[name].reopen()

    def sync(self, name: str, fault: str) -> None:
        laptop = self.laptops[name]
        progress = None
        if fault == "edit_during_pull":
            typed = []

            def progress(phase, done, total):  # noqa: F811 - the user types while the sync runs
                if phase == "pull" and not typed and name != "sup":
                    typed.append(1)
                    self.change_visit(name, self.counter, 30 + self.counter % 60, f"typed during sync {self.counter}")
                    self.counter += 1
        elif fault != "none":
            self.faults[name] = fault
        try:
            laptop.sync(progress=progress)
        except SimulatedCrash:
            self.restart(name)
        finally:
            self.faults.pop(name, None)
        self.check_after_sync(name)

    # -- invariants -----------------------------------------------------------------------

    def check_after_sync(self, name: str) -> None:
        state = self.laptops[name].state
        cursor = state.meta().cursor
        assert cursor >= self.cursors[name], f"{name}: the cursor moved back from {self.cursors[name]} to {cursor}"
        self.cursors[name] = cursor
        # A pull never overwrites a field with an unsent local edit: each such field still
        # shows the newest value this laptop wrote.
        snapshot = state.snapshot()
        newest: dict[tuple[str, str, str], object] = {}
        for m in state.outbox_batch(max_count=10**6, max_bytes=10**9):
            for field, value in m.args["fields"].items():
                newest[(m.args["entity"], m.args["id"], field)] = value
        for (entity, row_id, field), value in newest.items():
            row = snapshot.get((entity, row_id))
            assert row is not None and row.get(field) == value, (
                f"{name}: unsent local edit of {entity}.{field} was overwritten "
                f"({row and row.get(field)!r} != {value!r})")

    def server_rows(self) -> dict[tuple[str, str], dict]:
        from facilitator_app.server import tables as t
        with self.server_db.connect() as conn:
            rows = conn.execute(select(t.rows.c.entity, t.rows.c.id, t.rows.c.data, t.rows.c.deleted)
                                .where(t.rows.c.practice_id == self.practice.id)).all()
        return {(r.entity, r.id): {**json.loads(r.data), "deleted": bool(r.deleted)} for r in rows}

    def mutation_log(self) -> list:
        from facilitator_app.server import tables as t
        with self.server_db.connect() as conn:
            return conn.execute(select(t.mutation_log.c.uuid, t.mutation_log.c.outcome)).all()

    def check_final(self) -> None:
        for _round in range(2):
            for name in self.laptops:
                self.sync(name, "none")
        server = self.server_rows()
        for name, laptop in self.laptops.items():
            assert laptop.store.pending_changes() == 0, f"{name}: changes left unsent"
            local = {k: v for k, v in laptop.state.snapshot().items()}
            assert set(local) == set(server), f"{name}: rows differ from the server: {set(local) ^ set(server)}"
            for key, data in server.items():
                for field, value in data.items():
                    assert local[key].get(field) == value, (
                        f"{name}: {key} {field}: {local[key].get(field)!r} != server {value!r}")
        log = self.mutation_log()
        # each mutation is processed once: a replay (even one LWW turns into a no-op) is a bug
        processed = Counter(u for u, _outcome in log)
        twice = [u for u, n in processed.items() if n > 1]
        assert not twice, f"mutations processed more than once: {twice[:3]}"
        outcomes = {u: o for u, o in log}
        lost = self.uuids - set(outcomes)
        assert not lost, f"{len(lost)} local edits never reached the server"
        rejected = [u for u in self.uuids if outcomes[u] == "rejected"]
        assert not rejected, f"valid edits were rejected: {rejected[:3]}"
        for laptop in self.laptops.values():
            assert laptop.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        for laptop in self.laptops.values():
            laptop.close()
        self.server_db.dispose()

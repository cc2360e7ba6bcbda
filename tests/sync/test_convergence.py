"""Hypothesis stateful convergence against a real server, and broken variants it must catch.

Every broken variant comes with a scenario, and the scenario also runs with the correct engine
and server, where it must pass: so a variant's failure comes from what was broken, not from the
scenario. CI profile: a fixed seed and few, short examples (tests/conftest.py).
FFK_CONVERGENCE_EXAMPLES=N and FFK_CONVERGENCE_STEPS=N (or FFK_SOAK=1: 300 examples of 200 steps)
run a long soak.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from dataclasses import dataclass
from typing import Callable
from unittest import mock

import pytest
from argon2 import PasswordHasher
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from facilitator_app.store.meta import put_meta
from facilitator_app.store.sync_state import MutationOutcome, SyncState
from facilitator_app.sync.engine import SyncEngine
from tests.serverproc import ServerProcess

from .conftest import run_inprocess_server
from .convergence import (
    DAY_MS,
    FACILITATOR_LAPTOPS,
    FAULTS,
    LAPTOPS,
    PRACTICES,
    SKEWS_MS,
    STATUSES,
    STRATEGIES,
    SkewedClocks,
    World,
)

SOAK = bool(os.environ.get("FFK_SOAK"))
STEPS = int(os.environ.get("FFK_CONVERGENCE_STEPS") or (200 if SOAK else 20))
EXAMPLES = int(os.environ.get("FFK_CONVERGENCE_EXAMPLES") or (300 if SOAK else 12))
LONG_RUN = SOAK or bool(os.environ.get("FFK_CONVERGENCE_EXAMPLES"))


# argon2id with its smallest cost: sign-in still runs the server's real check (argon2 reads the
# cost from the hash), without half a second per account and sign-in in every example.
_QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def in_process_add_user(database_url: str):
    def add_user(name: str, password: str, role: str, cooperative: str) -> None:
        from facilitator_app.server import accounts
        from facilitator_app.server.db import make_engine, write_tx
        from facilitator_app.server.settings import Settings
        engine = make_engine(Settings(database_url=database_url))
        try:
            with write_tx(engine) as conn, mock.patch.object(accounts, "hash_password", _QUICK_HASHER.hash):
                if cooperative not in accounts.list_cooperatives(conn):
                    accounts.add_cooperative(conn, cooperative, actor="tests")
                accounts.add_user(conn, name, role=role, cooperative=cooperative, password=password, actor="tests")
        finally:
            engine.dispose()
    return add_user


def machine_for(server_url: str, database_url: str, tmp_path, monkeypatch, stats: Counter):
    clocks = SkewedClocks(monkeypatch)
    counter = itertools.count()
    practice = st.sampled_from(PRACTICES)

    class Convergence(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.world = World(server_url, database_url, tmp_path / f"ex{next(counter)}", clocks, stats=stats)
            self.world.setup(in_process_add_user(database_url))

        @rule(name=st.sampled_from(FACILITATOR_LAPTOPS), minutes=st.integers(1, 240), practice=practice)
        def add_visit(self, name, minutes, practice):
            self.world.add_visit(name, minutes, practice)

        # the supervisor too: the server refuses it, and the laptop must show that
        @rule(name=st.sampled_from(LAPTOPS), index=st.integers(0, 5), minutes=st.integers(1, 240),
              notes=st.sampled_from(["", "met the MA", "EHR report reviewed", "ünïcödé ✓"]), practice=practice)
        def change_visit(self, name, index, minutes, notes, practice):
            self.world.change_visit(name, index, minutes, notes, practice)

        @rule(name=st.sampled_from(FACILITATOR_LAPTOPS), index=st.integers(0, 5), practice=practice)
        def delete_visit(self, name, index, practice):
            self.world.delete_visit(name, index, practice)

        @rule(name=st.sampled_from(LAPTOPS), strategy=st.sampled_from(STRATEGIES), status=st.sampled_from(STATUSES),
              owner=st.sampled_from(["", "Dr. Lee", "MA Kim"]), practice=practice)
        def set_checklist(self, name, strategy, status, owner, practice):
            self.world.set_checklist(name, strategy, status, owner, practice)

        @rule(name=st.sampled_from(LAPTOPS), strategy=st.sampled_from(STRATEGIES), text=st.sampled_from(["a", "b"]),
              practice=practice)
        def add_note(self, name, strategy, text, practice):
            self.world.add_note(name, strategy, text, practice)

        @rule(name=st.sampled_from(LAPTOPS), fault=st.sampled_from(FAULTS))
        def sync(self, name, fault):
            self.world.sync(name, fault)

        @rule(name=st.sampled_from(LAPTOPS))
        def restart(self, name):
            self.world.restart(name)

        @rule(name=st.sampled_from(LAPTOPS), skew=st.sampled_from(SKEWS_MS))
        def skew(self, name, skew):
            self.world.set_skew(name, skew)

        @rule(practice=practice, to=st.sampled_from(["A", "B"]))
        def reassign(self, practice, to):
            self.world.reassign(practice, to)

        @invariant()
        def files_sound_and_no_edit_lost(self):
            world = getattr(self, "world", None)
            if world is not None:
                world.check_step()

        def teardown(self):
            world = getattr(self, "world", None)
            if world is None:
                return
            try:
                world.check_final()
            finally:
                world.close()

    return Convergence


def run_machine(server: ServerProcess, tmp_path, monkeypatch, *, examples: int) -> Counter:
    stats: Counter = Counter()
    machine = machine_for(server.url, server.database_url, tmp_path, monkeypatch, stats)
    run_state_machine_as_test(machine, settings=settings(max_examples=examples, stateful_step_count=STEPS,
                                                         derandomize=not LONG_RUN, deadline=None))
    return stats


def assert_exercised(stats: Counter) -> None:
    """The run did reach what the rules are there for (else its passing proves little). Conflicts
    are not required here: few short examples may draw none, and the scenarios below make them."""
    for what in ("reassigned", "refetched", "refused", "crashed"):
        assert stats[what] > 0, f"no example {what}: {dict(stats)}"


def test_clients_converge(sqlite_server, tmp_path, monkeypatch):
    stats = run_machine(sqlite_server, tmp_path, monkeypatch, examples=EXAMPLES)
    assert_exercised(stats)


def test_clients_converge_on_postgres(tmp_path, monkeypatch, request):
    from tests.serverproc import new_postgres_url, require_postgres, start_server
    require_postgres()
    server = start_server(tmp_path / "server", new_postgres_url())
    request.addfinalizer(server.stop)
    run_machine(server, tmp_path, monkeypatch, examples=EXAMPLES if LONG_RUN else 3)


# -- deliberately broken variants: each must make the invariants fail ----------------------


@pytest.fixture()
def inproc(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    url, stop = run_inprocess_server(database_url)
    yield url, database_url
    stop()


def world_for(inproc, tmp_path, monkeypatch, engine_class=None) -> World:
    url, database_url = inproc
    world = World(url, database_url, tmp_path / "w", SkewedClocks(monkeypatch), engine_class)
    world.setup(in_process_add_user(database_url))
    return world


def must_fail(world: World, steps) -> str:
    try:
        with pytest.raises(AssertionError) as caught:
            steps(world)
            world.check_final()
    finally:
        world.close()
    return str(caught.value)


def cli_admin(world: World) -> Callable[..., object]:
    """The server's own CLI (`facilitator-server assign|unassign ...`) on the world's database."""
    return ServerProcess(url=world.server_url, database_url=world.database_url, data_dir=world.tmp).admin


# -- scenarios ----------------------------------------------------------------------------


def scenario_concurrent(world: World) -> None:
    """Both laptops of facilitator A and the supervisor edit, sync with faults, restart."""
    world.add_visit("fac1", 60)
    world.sync("fac1", "after_push_response")
    world.sync("fac1", "none")
    world.sync("fac2", "none")
    world.set_checklist("sup", "A1", "selected", "Dr. Lee")
    world.change_visit("fac2", 0, 45, "second laptop")
    world.sync("sup", "none")
    world.sync("fac2", "edit_during_pull")
    world.sync("fac1", "mid_page_apply")
    world.sync("fac1", "none")


def scenario_typing_over_a_pull(w: World) -> None:
    """fac2 types into the visit while it pulls fac1's change of the same fields."""
    w.add_visit("fac1", 60)
    w.sync("fac1")
    w.sync("fac2")
    w.change_visit("fac1", 0, 90, "from laptop 1")
    w.sync("fac1")
    w.sync("fac2", "edit_during_pull")


def scenario_crash_mid_page(w: World) -> None:
    w.add_visit("fac1", 60)
    w.set_checklist("fac1", "B1", "implemented", "MA Kim")
    w.sync("fac1")
    w.sync("fac2", "mid_page_apply")


def scenario_three_rows_of_one_version(w: World) -> None:
    for minutes in (30, 40, 50):
        w.add_visit("fac1", minutes)
    w.sync("fac1")  # one push: three rows of one version
    w.sync("fac2")


def scenario_losing_edit_typed_during_pull(w: World) -> None:
    """fac2, its clock a day behind, types into a visit while pulling fac1's newer change of the
    same fields: fac2 shows its own value until it is sent, then loses, and the server does
    not send the row again. Only the value parked while it was unsent brings fac2 back."""
    w.add_visit("fac1", 60)
    w.sync("fac1")
    w.sync("fac2")
    w.set_skew("fac2", -DAY_MS)
    w.change_visit("fac1", 0, 90, "from laptop 1")
    w.sync("fac1")
    w.sync("fac2", "edit_during_pull")
    typed = w.laptops["fac2"].store.visit(w.visit_ids("fac2")[0])
    assert typed.private_notes.startswith("typed during sync"), "scenario: fac2's typed value shows while unsent"
    w.sync("fac2")
    assert w.outcomes()["superseded"] == 1, "scenario: fac2's typed edit reached the server and lost"


def scenario_older_edit_arrives_last(w: World) -> None:
    """fac1 (clock a day behind) and then fac2 change the same visit offline; fac2 syncs first."""
    w.add_visit("fac1", 60)
    w.sync("fac1")
    w.sync("fac2")
    w.set_skew("fac1", -DAY_MS)
    w.change_visit("fac1", 0, 90, "older edit")
    w.change_visit("fac2", 0, 45, "newer edit")
    (older,), (newer,) = w.outbox("fac1"), w.outbox("fac2")
    assert older.hlc < newer.hlc, "scenario: fac1's edit has the older clock"
    w.sync("fac2")
    w.sync("fac1")


def scenario_reassigned_while_offline(w: World) -> None:
    """An admin moves A's practice to B (the server's CLI) while fac1 has an unsent change of it;
    then B changes A's visit, which only A may."""
    w.add_visit("fac1", 60)
    w.sync("fac1")
    w.set_checklist("fac1", "A1", "implemented", "Dr. Lee")
    assert w.reassign("home", "B", admin=cli_admin(w))
    report = w.sync("fac1")  # the push is refused, then the pull is told to reset: fac1 downloads again
    assert w.outcomes()["rejected"] == 1, "scenario: the server refused fac1's change"
    assert report.refetched and not w.has("fac1", "home"), "scenario: fac1 was reset and no longer has the practice"
    w.sync("facB")
    assert w.has("facB", "home"), "scenario: B received the practice"
    w.change_visit("facB", 0, 30, "B may not change A's visit")
    w.add_visit("facB", 45, "home")
    report = w.sync("facB")
    assert report.pushed == 2 and w.outcomes()["rejected"] == 2, "scenario: one of B's two edits refused"


def scenario_reset_while_typing(w: World) -> None:
    """B's practice moves to A; fac1 types while its sync is told to reset and downloads again."""
    w.add_visit("fac1", 60)
    w.sync("fac1")
    w.reassign("moving", "A")
    report = w.sync("fac1", "edit_during_pull")
    assert report.refetched and w.has("fac1", "moving"), "scenario: fac1 was reset and received B's practice"
    assert w.laptops["fac1"].store.pending_changes() == 1, "scenario: the typed change is still to send"
    w.sync("fac1")


# -- broken engines and servers ----------------------------------------------------------


def engine_with_state(state_class: type[SyncState]) -> type[SyncEngine]:
    class Engine(SyncEngine):
        def __init__(self, store, client, **kw):
            super().__init__(store, client, **kw)
            self.state = state_class(store)
    return Engine


class OverwritingEngine(SyncEngine):
    """Forgets which fields have unsent edits: a pull writes over them."""

    def __init__(self, store, client, **kw):
        super().__init__(store, client, **kw)
        self.state._pending = lambda conn: {}


class CursorFirstEngine(SyncEngine):
    """Commits a page's cursor alone, then its rows in a second transaction."""

    def apply(self, page, *, refetch):
        with self.store.write() as conn:  # the cursor alone, committed first
            put_meta(conn, "refetch_cursor" if refetch else "cursor", str(page.cursor))
        self._crash("mid_page_apply")
        super().apply(page, refetch=refetch)


class SmallPages(SyncEngine):
    pull_limit = 2


class ShadowlessState(SyncState):
    """Keeps a pending local field over a pulled row but drops the server's value it should park."""

    def _upsert_guarded(self, conn, entity, name, row_id, values, fields):
        super()._upsert_guarded(conn, entity, name, row_id, values, fields)
        conn.execute("DELETE FROM sync_shadow WHERE entity = ? AND row_id = ?", (entity, row_id))


class RejectionBlindState(SyncState):
    """Takes a refused change as sent: no Sync issues entry, no refetch of the server's value."""

    def acknowledge_push(self, last_mutation_id, outcomes, server_hlc):
        seen = [MutationOutcome(o.id, "applied", None) if o.outcome == "rejected" else o for o in outcomes]
        return super().acknowledge_push(last_mutation_id, seen, server_hlc)


class ResetWipesUnsentState(SyncState):
    """Starts over on a reset the lazy way: unsent changes go with the old tables."""

    def swap_refetched(self):
        with self._tx() as conn:
            conn.execute("DELETE FROM outbox")
        super().swap_refetched()


def break_server_ignoring_mutation_ids(monkeypatch) -> None:
    """A server that applies whatever arrives: every push is processed as new mutations."""
    import uuid as uuidlib

    from sqlalchemy import update

    from facilitator_app.server import tables as t
    from facilitator_app.server.db import write_tx
    from facilitator_app.server.routes import sync as sync_routes
    from facilitator_app.sync import protocol

    real = sync_routes.apply_push

    def apply_ignoring_ids(engine, user, req):
        if not req.mutations:
            return real(engine, user, req)
        fresh = req.model_copy(update={"client_id": uuidlib.uuid4().hex, "mutations": [
            m.model_copy(update={"id": i}) for i, m in enumerate(req.mutations, 1)]})
        answer = real(engine, user, fresh)
        real(engine, user, req.model_copy(update={"mutations": []}))  # registers the real client id
        top = max(m.id for m in req.mutations)
        with write_tx(engine) as conn:
            conn.execute(update(t.clients).where(t.clients.c.client_id == req.client_id).values(last_mutation_id=top))
        return protocol.PushResponse(last_mutation_id=top, server_hlc=answer.server_hlc, results=[
            r.model_copy(update={"id": m.id}) for r, m in zip(answer.results, req.mutations, strict=True)])

    monkeypatch.setattr(sync_routes, "apply_push", apply_ignoring_ids)


def break_server_splitting_versions(monkeypatch) -> None:
    """Pull pages cut by row count, through the middle of a version."""
    from facilitator_app.server import pull

    def split_page(conn, user, cursor, limit, *, shared):
        from sqlalchemy import and_, select

        from facilitator_app.server import tables as t
        in_scope = t.rows.c.practice_id.in_(pull.readable_scope_keys(user, shared=shared).scalar_subquery())
        rows = conn.execute(select(*pull._COLUMNS).where(and_(in_scope, t.rows.c.sv > cursor))
                            .order_by(t.rows.c.sv, t.rows.c.entity, t.rows.c.id).limit(limit + 1)).all()
        return rows[:limit], len(rows) > limit

    monkeypatch.setattr(pull, "_page", split_page)


def break_server_arrival_wins(monkeypatch) -> None:
    """The merge ignores clocks: the change that arrives last wins every field it sends."""
    from facilitator_app.server import push
    from facilitator_app.server.merge import StoredRow

    real = push.merge_put

    def merge_by_arrival(current, **kw):
        if current is not None:  # every stored clock as old as can be
            current = StoredRow(current.data, {"*": "0"}, current.editors, current.author, current.practice_id)
        return real(current, **kw)

    monkeypatch.setattr(push, "merge_put", merge_by_arrival)


@dataclass(frozen=True)
class Variant:
    scenario: Callable[[World], None]
    caught_by: str  # a phrase of the assertion the broken variant must trip
    engine: type[SyncEngine] = SyncEngine  # the scenario's engine, in both runs
    broken_engine: type[SyncEngine] | None = None
    break_server: Callable[[pytest.MonkeyPatch], None] | None = None


VARIANTS = {
    "server_ignores_mutation_ids": Variant(scenario_concurrent, "more than once",
                                           break_server=break_server_ignoring_mutation_ids),
    "pull_overwrites_pending_edits": Variant(scenario_typing_over_a_pull, "was overwritten",
                                             broken_engine=OverwritingEngine),
    "cursor_stored_before_rows": Variant(scenario_crash_mid_page, "rows differ from the server",
                                         broken_engine=CursorFirstEngine),
    "page_splits_a_version": Variant(scenario_three_rows_of_one_version, "rows differ from the server",
                                     engine=SmallPages, break_server=break_server_splitting_versions),
    "client_drops_shadow_values": Variant(scenario_losing_edit_typed_during_pull, "differs from the server",
                                          broken_engine=engine_with_state(ShadowlessState)),
    "server_merge_by_arrival": Variant(scenario_older_edit_arrives_last, "newest edit did not win",
                                       break_server=break_server_arrival_wins),
    "client_ignores_refusals": Variant(scenario_reassigned_while_offline, "is not in fac1's Sync issues",
                                       broken_engine=engine_with_state(RejectionBlindState)),
    "reset_wipes_unsent_changes": Variant(scenario_reset_while_typing, "edit(s) lost",
                                          broken_engine=engine_with_state(ResetWipesUnsentState)),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_scenario_passes_with_the_correct_engine(variant, inproc, tmp_path, monkeypatch):
    spec = VARIANTS[variant]
    world = world_for(inproc, tmp_path, monkeypatch, spec.engine)
    try:
        spec.scenario(world)
        world.check_final()
    finally:
        world.close()


@pytest.mark.parametrize("variant", VARIANTS)
def test_broken_variant_is_caught(variant, inproc, tmp_path, monkeypatch):
    spec = VARIANTS[variant]
    if spec.break_server is not None:
        spec.break_server(monkeypatch)
    world = world_for(inproc, tmp_path, monkeypatch, spec.broken_engine or spec.engine)
    message = must_fail(world, spec.scenario)
    assert spec.caught_by in message, message

"""Hypothesis stateful convergence against a real server, and four broken variants it must catch.

CI profile: a fixed seed and few, short examples (tests/conftest.py); FFK_SOAK=1 runs long.
"""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from facilitator_app.store.sync_state import SyncState
from facilitator_app.sync.engine import SyncEngine

from .conftest import run_inprocess_server
from .convergence import FAULTS, SKEWS_MS, STATUSES, STRATEGIES, SkewedClocks, World

LAPTOPS = ("fac1", "fac2", "sup")
FACILITATORS = ("fac1", "fac2")
STEPS = 200 if os.environ.get("FFK_SOAK") else 20
EXAMPLES = 300 if os.environ.get("FFK_SOAK") else 12


def in_process_add_user(database_url: str):
    def add_user(name: str, password: str, role: str, cooperative: str) -> None:
        from facilitator_app.server import accounts
        from facilitator_app.server.db import make_engine, write_tx
        from facilitator_app.server.settings import Settings
        engine = make_engine(Settings(database_url=database_url))
        try:
            with write_tx(engine) as conn:
                if cooperative not in accounts.list_cooperatives(conn):
                    accounts.add_cooperative(conn, cooperative, actor="tests")
                accounts.add_user(conn, name, role=role, cooperative=cooperative, password=password, actor="tests")
        finally:
            engine.dispose()
    return add_user


def machine_for(server_url: str, database_url: str, tmp_path, monkeypatch):
    clocks = SkewedClocks(monkeypatch)
    counter = itertools.count()

    class Convergence(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.world = World(server_url, database_url, tmp_path / f"ex{next(counter)}", clocks)
            self.world.setup(in_process_add_user(database_url))

        @rule(name=st.sampled_from(FACILITATORS), minutes=st.integers(1, 240))
        def add_visit(self, name, minutes):
            self.world.add_visit(name, minutes)

        @rule(name=st.sampled_from(FACILITATORS), index=st.integers(0, 5), minutes=st.integers(1, 240),
              notes=st.sampled_from(["", "met the MA", "EHR report reviewed", "ünïcödé ✓"]))
        def change_visit(self, name, index, minutes, notes):
            self.world.change_visit(name, index, minutes, notes)

        @rule(name=st.sampled_from(FACILITATORS), index=st.integers(0, 5))
        def delete_visit(self, name, index):
            self.world.delete_visit(name, index)

        @rule(name=st.sampled_from(LAPTOPS), strategy=st.sampled_from(STRATEGIES), status=st.sampled_from(STATUSES),
              owner=st.sampled_from(["", "Dr. Lee", "MA Kim"]))
        def set_checklist(self, name, strategy, status, owner):
            self.world.set_checklist(name, strategy, status, owner)

        @rule(name=st.sampled_from(LAPTOPS), strategy=st.sampled_from(STRATEGIES), text=st.sampled_from(["a", "b"]))
        def add_note(self, name, strategy, text):
            self.world.add_note(name, strategy, text)

        @rule(name=st.sampled_from(LAPTOPS), fault=st.sampled_from(FAULTS))
        def sync(self, name, fault):
            self.world.sync(name, fault)

        @rule(name=st.sampled_from(LAPTOPS))
        def restart(self, name):
            self.world.restart(name)

        @rule(name=st.sampled_from(LAPTOPS), skew=st.sampled_from(SKEWS_MS))
        def skew(self, name, skew):
            self.world.set_skew(name, skew)

        @invariant()
        def integrity(self):
            pass  # checked per sync (check_after_sync) and at teardown

        def teardown(self):
            world = getattr(self, "world", None)
            if world is None:
                return
            try:
                world.check_final()
            finally:
                world.close()

    return Convergence


def test_clients_converge(sqlite_server, tmp_path, monkeypatch):
    machine = machine_for(sqlite_server.url, sqlite_server.database_url, tmp_path, monkeypatch)
    run_state_machine_as_test(machine, settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS,
                                                         derandomize=not os.environ.get("FFK_SOAK"), deadline=None))


def test_clients_converge_on_postgres(tmp_path, monkeypatch, request):
    from tests.serverproc import new_postgres_url, require_postgres, start_server
    require_postgres()
    server = start_server(tmp_path / "server", new_postgres_url())
    request.addfinalizer(server.stop)
    machine = machine_for(server.url, server.database_url, tmp_path, monkeypatch)
    run_state_machine_as_test(machine, settings=settings(max_examples=max(3, EXAMPLES // 3), stateful_step_count=STEPS,
                                                         derandomize=True, deadline=None))


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


def scenario_concurrent(world: World) -> None:
    """Both laptops of the facilitator and the supervisor edit, sync with faults, restart."""
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


def test_the_correct_scenario_passes(inproc, tmp_path, monkeypatch):
    world = world_for(inproc, tmp_path, monkeypatch)
    try:
        scenario_concurrent(world)
        world.check_final()
    finally:
        world.close()


def test_caught_server_ignores_mutation_ids(inproc, tmp_path, monkeypatch):
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
    world = world_for(inproc, tmp_path, monkeypatch)
    message = must_fail(world, scenario_concurrent)
    assert "more than once" in message


def test_caught_pull_overwrites_pending_local_edits(inproc, tmp_path, monkeypatch):
    class OverwritingEngine(SyncEngine):
        def __init__(self, store, client, **kw):
            super().__init__(store, client, **kw)
            self.state._pending = lambda conn: {}  # forgets which fields have unsent edits

    world = world_for(inproc, tmp_path, monkeypatch, OverwritingEngine)

    def steps(w: World) -> None:
        w.add_visit("fac1", 60)
        w.sync("fac1", "none")
        w.sync("fac2", "none")
        w.change_visit("fac1", 0, 90, "from laptop 1")
        w.sync("fac1", "none")
        w.sync("fac2", "edit_during_pull")  # fac2 types while pulling fac1's change of the same visit
    message = must_fail(world, steps)
    assert "was overwritten" in message


def test_caught_cursor_stored_before_the_rows(inproc, tmp_path, monkeypatch):
    class CursorFirstEngine(SyncEngine):
        def apply(self, page, *, refetch):
            # commits the cursor alone, then the rows in a second transaction
            self.state.apply_page([], cursor=page.cursor, last_mutation_id=page.last_mutation_id,
                                  server_hlc=page.server_hlc, scope_epoch=page.scope_epoch, refetch=refetch)
            self._crash("mid_page_apply")
            super().apply(page, refetch=refetch)

    world = world_for(inproc, tmp_path, monkeypatch, CursorFirstEngine)

    def steps(w: World) -> None:
        w.add_visit("fac1", 60)
        w.set_checklist("fac1", "B1", "implemented", "MA Kim")
        w.sync("fac1", "none")
        w.sync("fac2", "mid_page_apply")
    message = must_fail(world, steps)
    assert "rows differ from the server" in message


def test_caught_page_splits_one_version(inproc, tmp_path, monkeypatch):
    from facilitator_app.server import pull

    def split_page(conn, user, cursor, limit):
        from sqlalchemy import and_, select

        from facilitator_app.server import tables as t
        in_scope = t.rows.c.practice_id.in_(pull.readable_practice_ids(user).scalar_subquery())
        rows = conn.execute(select(*pull._COLUMNS).where(and_(in_scope, t.rows.c.sv > cursor))
                            .order_by(t.rows.c.sv, t.rows.c.entity, t.rows.c.id).limit(limit + 1)).all()
        return rows[:limit], len(rows) > limit  # cuts through a version

    monkeypatch.setattr(pull, "_page", split_page)

    class SmallPages(SyncEngine):
        pull_limit = 2

    world = world_for(inproc, tmp_path, monkeypatch, SmallPages)

    def steps(w: World) -> None:
        for minutes in (30, 40, 50):
            w.add_visit("fac1", minutes)
        w.sync("fac1", "none")  # one push: three rows of one version
        w.sync("fac2", "none")
    message = must_fail(world, steps)
    assert "rows differ from the server" in message


def test_sync_state_is_what_the_engine_uses():
    # guards the broken variants above: they patch these exact seams
    assert hasattr(SyncState, "_pending") and hasattr(SyncEngine, "apply")

"""The local half of the protocol on real SQLite files, without a server."""

from __future__ import annotations

import sqlite3

import pytest

from facilitator_app.core import faults
from facilitator_app.core.codec import to_record
from facilitator_app.core.model import Practice
from facilitator_app.store import Store
from facilitator_app.store.sync_state import MutationOutcome, SyncState
from facilitator_app.sync.protocol import RowChange

S1 = "000000000000010-000000-server"
S2 = "000000000000020-000000-server"


def incoming(practice: Practice, clock: str, **changes) -> RowChange:
    """A pulled row as the engine hands it to the store: the protocol's own shape."""
    fields = {**to_record(practice), **changes}
    return RowChange(entity="practice", id=practice.id, practice_id=practice.id, version=1, fields=fields,
                     clocks={k: clock for k in fields if k != "id"}, deleted=False, author="ana")


def test_page_applies_rows_and_cursor_together(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    state.apply_page([incoming(p, S1)], cursor=7, last_mutation_id=0, server_hlc=S2, scope_epoch=3)
    assert store.practice(p.id).name == "Oak Clinic"
    meta = state.meta()
    assert (meta.cursor, meta.scope_epoch) == (7, 3)
    assert store.get_meta("hlc")[:22] >= S2[:22]  # the clock moved up to the server's
    assert store.pending_changes() == 0


def test_failed_page_leaves_nothing(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    p = Practice("Oak Clinic")

    def boom(_store):
        raise RuntimeError("crash")
    with faults.installed("mid_page_apply", boom), pytest.raises(RuntimeError):
        state.apply_page([incoming(p, S1)], cursor=7, last_mutation_id=0, server_hlc=S2, scope_epoch=1)
    assert store.practices() == [] and state.meta().cursor == 0


def test_pending_field_is_kept_and_the_server_value_parked(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    p = Practice("Oak Clinic", region="North")
    state.apply_page([incoming(p, S1)], cursor=1, last_mutation_id=0, server_hlc=S1, scope_epoch=1)
    mine = store.practice(p.id)
    mine.region = "South"
    store.save_practice(mine)
    # someone else renamed it and changed the region meanwhile
    state.apply_page([incoming(p, S2, name="Oak Family Clinic", region="West")], cursor=2, last_mutation_id=0,
                     server_hlc=S2, scope_epoch=1)
    now = store.practice(p.id)
    assert (now.name, now.region) == ("Oak Family Clinic", "South")
    # the server says our edit lost: the parked value comes back
    state.acknowledge_push(1, [MutationOutcome(1, "superseded", "newer value")], S2)
    assert store.practice(p.id).region == "West"
    assert [c.outcome for c in state.conflicts()] == ["superseded"]
    assert state.conflicts()[0].local_fields == {"region": "South"}
    assert state.conflicts()[0].current_fields == {"region": "West"}
    # keeping mine writes a new edit to send
    assert state.resolve_conflict(state.conflicts()[0].id, keep_mine=True)
    assert store.practice(p.id).region == "South" and store.pending_changes() == 1
    assert state.conflicts() == []


def test_rejected_is_quarantined_and_never_blocks(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    store.save_practice(Practice("A"))
    store.save_practice(Practice("B"))
    batch = state.outbox_batch(max_count=10, max_bytes=10**6)
    assert [m.id for m in batch] == [1, 2]
    state.acknowledge_push(2, [MutationOutcome(1, "rejected", "Not assigned to you"),
                               MutationOutcome(2, "applied", None)], S1)
    assert store.pending_changes() == 0
    q = state.quarantined()
    assert len(q) == 1 and q[0].reason == "Not assigned to you" and q[0].fields["name"] == "A"
    assert state.meta().needs_refetch


def test_outbox_batches_respect_size(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    for i in range(5):
        store.save_practice(Practice(f"P{i}", address="x" * 450))
    assert len(state.outbox_batch(max_count=3, max_bytes=10**6)) == 3
    assert len(state.outbox_batch(max_count=10, max_bytes=2600)) == 2
    assert len(state.outbox_batch(max_count=10, max_bytes=10)) == 1  # always at least one


def test_renumber_for_a_copied_file_keeps_every_edit(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    for i in range(4):
        store.save_practice(Practice(f"P{i}"))
    state.acknowledge_push(2, [], S1)
    before = [(m.uuid, m.args) for m in state.outbox_batch(max_count=10, max_bytes=10**6)]
    old = store.client_id
    new = state.renumber_for_new_client()
    assert new != old and store.client_id == new
    after = state.outbox_batch(max_count=10, max_bytes=10**6)
    assert [m.id for m in after] == [1, 2] and [(m.uuid, m.args) for m in after] == before
    store.save_practice(Practice("P9"))
    assert [m.id for m in state.outbox_batch(max_count=10, max_bytes=10**6)] == [1, 2, 3]


def test_refetch_swaps_tables_and_keeps_unsent_edits(tmp_path):
    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    gone, kept = Practice("No longer assigned"), Practice("Still assigned", region="North")
    state.apply_page([incoming(gone, S1), incoming(kept, S1)], cursor=5, last_mutation_id=0, server_hlc=S1,
                     scope_epoch=1)
    local_new = Practice("Made offline")
    store.save_practice(local_new)
    edit = store.practice(kept.id)
    edit.region = "South"
    store.save_practice(edit)
    state.begin_refetch()
    new_one = Practice("Newly assigned")
    state.apply_page([incoming(kept, S2, name="Renamed"), incoming(new_one, S2)], cursor=9, last_mutation_id=0,
                     server_hlc=S2, scope_epoch=2, refetch=True)
    assert {p.name for p in store.practices()} == {"No longer assigned", "Still assigned", "Made offline"}
    state.swap_refetched()
    names = {p.name: p for p in store.practices()}
    assert set(names) == {"Renamed", "Newly assigned", "Made offline"}
    assert names["Renamed"].region == "South"  # unsent edit on top
    assert store.pending_changes() == 2
    meta = state.meta()
    assert (meta.cursor, meta.scope_epoch, meta.refetch_cursor, meta.needs_refetch) == (9, 2, None, False)
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    assert not [r for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'fresh_%'")]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_pulled_rows_keep_every_value_and_missing_lists_stay_empty(tmp_path):
    """A pulled visit is stored field for field (lists, nested records, booleans, dates), a pulled
    next step likewise, and a list field the server did not send (an older server) reads back as
    nothing, not as a ghost row."""
    from datetime import date

    from facilitator_app.core.model import Attendee, NextStep, Visit

    store = Store.open(tmp_path / "a.sqlite")
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    full = Visit(p.id, date(2026, 3, 2), minutes=45, planned=False, attendees=[Attendee("Dr. Lee"), Attendee("MA Kim")])
    step = NextStep(p.id, full.id, "Call the lab", owner="MA Kim", due=date(2026, 3, 9))
    bare = Visit(p.id, date(2026, 3, 9), minutes=30)
    bare_fields = {k: v for k, v in to_record(bare).items() if k not in ("key_drivers", "attendees")}
    rows = [incoming(p, S1)] + [
        RowChange(entity=entity, id=v.id, practice_id=p.id, version=2, fields=fields, clocks={"*": S1},
                  deleted=False, author="ana")
        for entity, v, fields in (("visit", full, to_record(full)), ("visit", bare, bare_fields),
                                  ("next_step", step, to_record(step)))]
    state.apply_page(rows, cursor=2, last_mutation_id=0, server_hlc=S2, scope_epoch=1)
    assert store.visit(full.id) == full
    assert store.visit(bare.id).key_drivers in ([], None) and store.visit(bare.id).attendees in ([], None)
    assert store.next_step(step.id) == step
    assert [s.action for s in store.open_next_steps(p.id)] == ["Call the lab"]

"""Next steps closed on two laptops offline (issue 12), against a real server process with real
client stores and the sync engine, on SQLite and PostgreSQL.

Two facilitators of one practice (both assigned) each close a step while offline:
- different steps: both closures are kept, on both laptops and on the server, with no conflict;
- the same step, done on one laptop and dropped with a note on the other: the field-level rule
  decides (the later clock wins each field), the server records the conflict, the laptop whose
  values lost shows it under Sync issues, and both laptops end up equal to the server;
- one closes a step while the other moves its due date: different fields, both kept.
A step made by a visit on one laptop appears on the other; a supervisor receives every step and
cannot change one (the server refuses it, and the supervisor's laptop returns to the server's).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from facilitator_app.core.model import NextStep, Practice, Visit
from facilitator_app.server import tables as t
from facilitator_app.server.db import make_engine, read_tx
from facilitator_app.server.settings import Settings

from .conftest import PASSWORD, Laptop, unique

TODAY = date.today()


def _step_fields(laptop: Laptop, step_id: str) -> tuple:
    s = laptop.store.next_step(step_id)
    return (s.status, s.closed_by, s.closing_note, s.closed_on, s.due)


def _server_conflicts(database_url: str, row_id: str) -> list:
    engine = make_engine(Settings(database_url=database_url))
    try:
        with read_tx(engine) as conn:
            return conn.execute(select(t.conflicts).where(t.conflicts.c.row_id == row_id)
                                .order_by(t.conflicts.c.field)).all()
    finally:
        engine.dispose()


def _sync_all(*laptops: Laptop) -> None:
    """Every laptop syncs, then every laptop again: everyone has everyone's changes."""
    for _ in range(2):
        for laptop in laptops:
            report = laptop.sync()
            assert report.set_aside == 0, report.messages


@pytest.fixture
def team(server, tmp_path):
    """Ana and Ben, facilitators of Oak Clinic, each with a laptop, and the visit Ana logged there
    with three next steps, synced to both."""
    coop = unique("coop")
    ana, ben, sue = unique("ana"), unique("ben"), unique("sue")
    server.add_user(ana, PASSWORD, cooperative=coop)
    server.add_user(ben, PASSWORD, cooperative=coop)
    server.add_user(sue, PASSWORD, role="supervisor", cooperative=coop)
    a, b = Laptop(tmp_path / "ana", server.url), Laptop(tmp_path / "ben", server.url)
    a.sign_in(ana)
    b.sign_in(ben)
    practice = Practice("Oak Clinic", state="IL")
    a.store.save_practice(practice, today=TODAY)
    visit = Visit(practice.id, TODAY - timedelta(days=14), minutes=60)
    steps = [NextStep(practice.id, visit.id, action, owner="MA Kim", due=TODAY + timedelta(days=7))
             for action in ("Order validated BP cuffs", "Fax the standing order", "Call the lab")]
    a.store.save_visit(visit, steps=steps, today=TODAY)
    a.sync()
    server.admin("assign", ben, practice.id)
    b.sync()
    assert {s.action for s in b.store.next_steps(practice.id)} == {s.action for s in steps}
    yield {"server": server, "a": a, "b": b, "ana": ana, "ben": ben, "sue": sue, "practice": practice,
           "visit": visit, "steps": [s.id for s in steps]}
    a.close()
    b.close()


def test_different_steps_closed_offline_are_both_kept(team):
    a, b, (s1, s2, s3) = team["a"], team["b"], team["steps"]
    a.store.close_next_step(s1, "done", note="Cuffs arrived", today=TODAY)
    b.store.close_next_step(s2, "dropped", note="The practice stopped faxing", today=TODAY)
    _sync_all(a, b)
    for laptop in (a, b):
        assert _step_fields(laptop, s1)[:3] == ("done", team["ana"], "Cuffs arrived")
        assert _step_fields(laptop, s2)[:3] == ("dropped", team["ben"], "The practice stopped faxing")
        assert _step_fields(laptop, s3)[0] == "open"
        assert laptop.service.conflicts() == [] and laptop.state.quarantined() == []
    assert a.snapshot() == b.snapshot()
    assert _server_conflicts(team["server"].database_url, s1) == []
    assert _server_conflicts(team["server"].database_url, s2) == []


def test_the_same_step_closed_two_ways_offline_the_later_clock_wins_and_the_loser_is_told(team):
    """Ben drops the step first; Ana marks it done a moment later; Ben syncs last. Ana's closure
    has the later clock, so it wins each field it wrote; Ben's push is answered "superseded", and
    his laptop shows both values under Sync issues."""
    a, b, step = team["a"], team["b"], team["steps"][2]
    b.store.close_next_step(step, "dropped", note="The lab closed", today=TODAY)
    time.sleep(0.01)  # a later wall clock for Ana's edit
    a.store.close_next_step(step, "done", note="Results are in", today=TODAY)
    a.sync()
    report = b.sync()
    assert report.conflicts == 1
    a.sync()
    for laptop in (a, b):
        assert _step_fields(laptop, step)[:3] == ("done", team["ana"], "Results are in")
    assert a.snapshot() == b.snapshot()
    conflicts = _server_conflicts(team["server"].database_url, step)
    by_field = {c.field: c for c in conflicts}
    assert {"status", "closing_note", "closed_by"} <= set(by_field)
    assert by_field["status"].winner_author == team["ana"] and by_field["status"].loser_author == team["ben"]
    assert by_field["status"].loser_value == '"dropped"' and by_field["status"].winner_value == '"done"'
    [shown] = b.service.conflicts()  # the losing laptop's Sync issues
    assert shown.outcome == "superseded" and shown.local_fields["status"] == "dropped"
    assert shown.current_fields["status"] == "done" and shown.current_fields["closing_note"] == "Results are in"
    assert a.service.conflicts() == []
    # The Sync issues screen of the losing laptop lists it (the CLI says the same).
    from .hostile import run_cli

    b.close()
    code, out, err = run_cli("sync-issues", "--data-dir", b.service.data_dir)
    assert code == 0 and "Conflicts to review: 1" in out, err


def test_when_the_later_closure_arrives_second_the_server_records_it_and_that_laptop_is_told(team):
    a, b, step = team["a"], team["b"], team["steps"][2]
    a.store.close_next_step(step, "done", today=TODAY)
    time.sleep(0.01)
    b.store.close_next_step(step, "dropped", note="Not needed any more", today=TODAY)
    a.sync()
    report = b.sync()  # Ben's values are newer: applied, with a conflict
    assert report.conflicts == 1
    _sync_all(a, b)
    for laptop in (a, b):
        assert _step_fields(laptop, step)[:3] == ("dropped", team["ben"], "Not needed any more")
    assert a.snapshot() == b.snapshot()
    conflicts = {c.field: c for c in _server_conflicts(team["server"].database_url, step)}
    assert conflicts["status"].winner_author == team["ben"] and conflicts["status"].loser_value == '"done"'
    [shown] = b.service.conflicts()
    assert shown.outcome == "applied_conflict"


def test_closing_a_step_while_a_colleague_moves_its_due_date_keeps_both(team):
    a, b, step = team["a"], team["b"], team["steps"][0]
    moved = b.store.next_step(step)
    moved.due = TODAY + timedelta(days=30)
    b.store.save_next_step(moved, today=TODAY)
    a.store.close_next_step(step, "done", note="Ordered", today=TODAY)
    _sync_all(a, b)
    for laptop in (a, b):
        assert _step_fields(laptop, step) == ("done", team["ana"], "Ordered", TODAY, TODAY + timedelta(days=30))
        assert laptop.service.conflicts() == []
    assert _server_conflicts(team["server"].database_url, step) == []


def test_a_step_made_on_one_laptop_reaches_the_other_and_the_supervisor_reads_them_all(team, tmp_path):
    a, b, practice = team["a"], team["b"], team["practice"]
    visit = Visit(practice.id, TODAY - timedelta(days=1), minutes=30, mode="phone")
    new_step = NextStep(practice.id, visit.id, "Send the registry report", owner="Dr. Lee",
                        due=TODAY + timedelta(days=3))
    b.store.save_visit(visit, steps=[new_step], closures=[], today=TODAY)
    a.store.close_next_step(team["steps"][0], "done", today=TODAY)
    _sync_all(b, a)
    made = a.store.next_step(new_step.id)
    assert (made.action, made.visit_id, made.owner, made.status) == (
        "Send the registry report", visit.id, "Dr. Lee", "open")
    assert [s.id for s in a.store.next_steps(practice.id, visit_id=visit.id)] == [new_step.id]

    sue = Laptop(tmp_path / "sue", team["server"].url)
    sue.sign_in(team["sue"])
    sue.sync()
    try:
        steps = {s.id: s for s in sue.store.next_steps(practice.id)}
        assert set(steps) == set(team["steps"]) | {new_step.id}
        assert steps[team["steps"][0]].status == "done" and steps[new_step.id].status == "open"
        assert sue.snapshot() == a.snapshot()
        # Read-only: the server refuses a supervisor's change to a step, and her laptop returns
        # to the server's value in the same sync.
        sue.store.close_next_step(new_step.id, "dropped", note="Supervisor says no", today=TODAY)
        report = sue.sync()
        assert report.rejected == 1
        [refused] = sue.state.quarantined()
        assert "Supervisors may edit checklist items" in refused.reason
        assert sue.store.next_step(new_step.id).status == "open"
        a.sync()
        assert a.store.next_step(new_step.id).status == "open"
    finally:
        sue.close()

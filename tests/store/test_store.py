import json
import sqlite3
from datetime import date, timedelta

import pytest

from facilitator_app.core.errors import NotFoundError, ValidationError
from facilitator_app.core.model import (
    ChecklistItem,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    MeasureValue,
    NextStep,
    Practice,
    StrategyWork,
    Visit,
)
from facilitator_app.core.toolkit import load_toolkit
from facilitator_app.store import Store

TODAY = date(2026, 11, 23)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "local.sqlite") as s:
        yield s


@pytest.fixture
def practice(store):
    p = Practice(name="Oak Clinic", state="IL")
    store.save_practice(p)
    return p


def outbox(store):
    return [dict(r) for r in store.conn.execute("SELECT * FROM outbox ORDER BY id")]


def test_pragmas_and_identity(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert len(store.client_id) == 36


def test_every_edit_writes_exactly_one_outbox_row(store, practice):
    toolkit = load_toolkit()
    assert len(outbox(store)) == 1
    store.save_contact(Contact(practice.id, "Ann Lee", "champion"))
    assert len(outbox(store)) == 2
    store.save_measure(MeasureValue(practice.id, "B", date(2026, 9, 30), 60, 100))
    assert len(outbox(store)) == 3
    store.add_checklist_note(ChecklistNote(practice.id, "B1", "Cuffs ordered"))
    assert len(outbox(store)) == 4
    store.set_checklist(ChecklistItem(practice.id, "B1", "in_progress", steps_done=[1]), toolkit)
    rows = outbox(store)
    assert len(rows) == 5
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids) and len({r["uuid"] for r in rows}) == 5
    hlcs = [r["hlc"] for r in rows]
    assert hlcs == sorted(hlcs) and store.get_meta("hlc") == hlcs[-1]
    last = json.loads(rows[-1]["args"])
    assert last["entity"] == "checklist" and last["id"] == f"{practice.id}:B1"
    assert last["fields"]["status"] == "in_progress"


def test_unchanged_save_writes_nothing_and_edit_sends_only_changed_fields(store, practice):
    assert not store.save_practice(practice)
    practice.phone = "(217) 555-0100"
    assert store.save_practice(practice)
    rows = outbox(store)
    args = json.loads(rows[-1]["args"])
    assert set(args["fields"]) == {"phone"}
    first_clock = json.loads(rows[0]["args"]) and rows[0]["hlc"]
    assert args["base"] == {"phone": first_clock}


def test_failed_edit_writes_neither_row_nor_outbox(store, practice):
    before = (len(outbox(store)), store.get_meta("hlc"))
    with pytest.raises(ValidationError):
        store.save_visit(Visit(practice.id, TODAY, minutes=0))
    with pytest.raises(NotFoundError):
        store.save_visit(Visit("no-such-practice", TODAY))
    assert (len(outbox(store)), store.get_meta("hlc")) == before
    assert store.visits() == []


def test_crash_inside_transaction_rolls_back_row_and_outbox(store, practice, monkeypatch):
    visit = Visit(practice.id, TODAY, strategies=[StrategyWork("B1", "not_selected", "in_progress")])
    original = store.put
    calls = []

    def failing_put(tx, entity, record):
        calls.append(entity)
        if entity == "checklist":
            raise OSError("disk full")
        return original(tx, entity, record)
    monkeypatch.setattr(store, "put", failing_put)
    with pytest.raises(OSError):
        store.save_visit(visit)
    assert calls == ["visit", "checklist"]
    assert store.visits() == [] and len(outbox(store)) == 1


def test_visit_moves_checklist_and_queries(store, practice):
    toolkit = load_toolkit()
    store.save_plan(FacilitationPlan(practice.id, planned_visits=10, planned_hours=10,
                                     selected_strategies=["B1", "B2", "S4"]), toolkit)
    assert store.checklist_item(practice.id, "B2").status == "selected"
    visit = Visit(practice.id, TODAY - timedelta(days=50), minutes=90,
                  strategies=[StrategyWork("B1", "selected", "implemented"),
                              StrategyWork("S4", "selected", "in_progress")],
                  next_contact=TODAY + timedelta(days=10))
    store.save_visit(visit, toolkit, steps=[NextStep("", "", "Order cuffs", owner="Ann", due=TODAY - timedelta(days=3)),
                                            NextStep("", "", "Fax form", owner="Bo", due=TODAY + timedelta(days=5))],
                     today=TODAY)
    assert store.checklist_item(practice.id, "B1").status == "implemented"
    (summary,) = store.practice_summaries(today=TODAY)
    assert (summary.visits, summary.hours, summary.implemented, summary.selected) == (1, 1.5, 1, 3)
    assert (summary.planned_visits, summary.planned_hours, summary.days_since_contact) == (10, 10.0, 50)
    assert summary.needs_contact
    assert [s.action for s in store.overdue_next_steps(today=TODAY)] == ["Order cuffs"]
    assert [s.action for s in store.open_next_steps(practice.id)] == ["Order cuffs", "Fax form"]
    (upcoming,) = store.upcoming_contacts(today=TODAY)
    assert upcoming.date == TODAY + timedelta(days=10) and upcoming.practice_name == "Oak Clinic"
    counts = store.visit_counts(today=TODAY)
    assert counts.this_week == 0 and counts.this_month == 0
    checklist = store.checklist(practice.id, toolkit)
    assert len(checklist) == 35 and checklist[0].strategy_id == "A1"


def test_delete_is_a_tombstone_that_syncs(store, practice):
    contact = Contact(practice.id, "Ann")
    store.save_contact(contact)
    store.delete("contact", contact.id)
    assert store.contacts(practice.id) == []
    row = store.conn.execute("SELECT deleted FROM contacts WHERE id = ?", (contact.id,)).fetchone()
    assert row[0] == 1
    assert json.loads(outbox(store)[-1]["args"])["fields"] == {"deleted": True}
    with pytest.raises(NotFoundError):
        store.delete("contact", contact.id)


def test_checklist_notes_are_append_only(store, practice):
    note = ChecklistNote(practice.id, "B1", "first", author="Ann")
    store.add_checklist_note(note)
    note.text = "changed"
    assert not store.add_checklist_note(note)
    assert [n.text for n in store.checklist_notes(practice.id, "B1")] == ["first"]


def test_drafts_survive_reopen(tmp_path):
    path = tmp_path / "local.sqlite"
    with Store.open(path) as s:
        s.save_draft("visit:new:p1", "visit", {"notes": "half-typed Nguyễn"})
    with Store.open(path) as s:
        assert s.load_draft("visit:new:p1") == {"notes": "half-typed Nguyễn"}
        assert s.pending_changes() == 0
        s.drop_draft("visit:new:p1")
        assert s.drafts() == []


def test_outbox_ids_never_restart_after_draining(store, practice):
    store.conn.execute("DELETE FROM outbox")
    practice.region = "Central"
    store.save_practice(practice)
    assert outbox(store)[0]["id"] == 2


def test_bulk_insert_with_and_without_outbox(store):
    practices = [Practice(name=f"P{i}") for i in range(50)]
    assert store.bulk_insert(practices, outbox=False) == 50
    assert store.pending_changes() == 0
    assert store.bulk_insert([Practice(name="Real")], outbox=True) == 1
    assert store.pending_changes() == 1
    with pytest.raises(ValidationError):
        store.bulk_insert([Practice(name="ok"), Practice(name="")], outbox=True)
    assert len(store.practices()) == 51


def test_backup_is_a_complete_copy(store, practice):
    path = store.backup()
    copy = sqlite3.connect(path)
    assert copy.execute("SELECT name FROM practices").fetchone()[0] == "Oak Clinic"
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_saving_over_a_tombstone_brings_the_record_back(store, practice):
    """A plan's id is its practice's id: saving a new plan after deleting the old one must not be
    written invisibly under the tombstone (the facilitator would see 'saved' and no plan)."""
    store.save_plan(FacilitationPlan(practice.id, planned_visits=3))
    store.delete("plan", practice.id)
    assert store.plan(practice.id) is None
    store.save_plan(FacilitationPlan(practice.id, planned_visits=5))
    plan = store.plan(practice.id)
    assert plan is not None and plan.planned_visits == 5
    last = json.loads(outbox(store)[-1]["args"])
    assert last["fields"]["deleted"] is False  # the revival syncs too


def test_data_folder_that_is_a_file_is_a_clear_error(tmp_path):
    from facilitator_app.store.db import StoreOpenError

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreOpenError, match="cannot be used"):
        Store.open_in(blocker)
    assert blocker.read_text() == "x"


def test_duplicate_practice_names_and_quarters_are_refused(store):
    from facilitator_app.core.errors import ValidationError
    from facilitator_app.core.model import MeasureValue

    oak = Practice("Oak Clinic")
    store.save_practice(oak)
    with pytest.raises(ValidationError, match="There is already a practice called 'oak clinic'"):
        store.save_practice(Practice("oak clinic "))
    oak.address = "1 Main St"
    store.save_practice(oak)  # saving the same practice again is fine
    first = MeasureValue(oak.id, "B", date(2026, 9, 30), 60, 100)
    store.save_measure(first)
    with pytest.raises(ValidationError,
                       match=r"CMS165 for the quarter ending 2026-09-30 is already recorded \(60/100\)"):
        store.save_measure(MeasureValue(oak.id, "B", date(2026, 9, 30), 61, 100))
    first.numerator = 62
    store.save_measure(first)
    store.save_measure(MeasureValue(oak.id, "S", date(2026, 9, 30), 61, 100))
    assert [m.numerator for m in store.measures(oak.id)] == [62, 61]

"""The tolerant reader on real SQLite files, without a server: every pulled row is read before it
is stored, and a row this computer cannot use is set aside with the reason, never blocking the
page, the cursor or a screen (store/pulled.py, store/sync_state.py, m004)."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import date

import pytest

from facilitator_app.core.codec import to_record
from facilitator_app.core.model import (
    Attendee,
    ChecklistItem,
    MeasureValue,
    NextStep,
    Practice,
    Visit,
    checklist_id,
)
from facilitator_app.store import Store, schema
from facilitator_app.store.sync_state import SyncState
from facilitator_app.sync.client import PulledPage, ServerError

S1 = "001772000000000-000000-server"  # 2026-02-25
S2 = "001772000100000-000000-server"
TODAY = date(2026, 3, 18)


def row(entity: str, obj=None, *, clock: str = S1, deleted: bool = False, **changes) -> dict:
    """A pulled row as the engine hands it over: the JSON object received."""
    fields = {**(to_record(obj) if obj is not None else {}), **changes}
    row_id = fields.get("id") if obj is not None else changes.get("id")
    return {"entity": entity, "id": row_id, "practice_id": fields.get("practice_id", row_id), "version": 1,
            "fields": fields, "clocks": {"*": clock}, "deleted": deleted, "author": "ana"}


def apply(state: SyncState, rows: list, cursor: int, **kw):
    return state.apply_page(rows, cursor=cursor, last_mutation_id=0, server_hlc=S1, scope_epoch=1, today=TODAY, **kw)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "a.sqlite")
    yield s
    s.close()


def test_each_unusable_row_is_set_aside_with_a_reason_and_the_page_goes_on(store):
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    visit = Visit(p.id, date(2026, 3, 2), minutes=45)
    measure = MeasureValue(p.id, "B", date(2025, 12, 31), 412, 640)
    bad = {
        "overflow": row("measure", measure, numerator=2 ** 63),
        "mode": row("visit", Visit(p.id, date(2026, 3, 3)), mode=None),
        "text number": row("visit", Visit(p.id, date(2026, 3, 4)), minutes="sixty"),
        "infinity": row("plan", None, id=p.id, practice_id=p.id, planned_hours=math.inf),
        "nan in list": row("checklist", ChecklistItem(p.id, "B1"), steps_done=[1, math.nan]),
        "date": row("visit", Visit(p.id, date(2026, 3, 5)), date="20260305"),
        "required": row("visit", None, id="v-no-date", practice_id=p.id, minutes=30),
        "rule": row("measure", MeasureValue(p.id, "A", date(2025, 12, 31), 9, 5)),
        "kind": {"entity": "widget", "id": "w1", "practice_id": p.id, "fields": {}, "clocks": {"*": S1}},
        "clocks": {**row("visit", Visit(p.id, date(2026, 3, 6))), "clocks": {"*": 5}},
        "fields": {**row("visit", Visit(p.id, date(2026, 3, 7))), "fields": ["not", "a", "record"]},
        "id": row("contact", None, id="x" * 300, practice_id=p.id, name="Dr. Lee"),
        "checklist id": row("checklist", ChecklistItem(p.id, "B2"), id=f"{p.id}:B3"),
        "surrogate": row("visit", Visit(p.id, date(2026, 3, 8)), private_notes="half \ud800 a character"),
    }
    good = [row("practice", p), row("visit", visit), row("measure", measure)]
    applied = apply(state, good[:1] + list(bad.values()) + good[1:], cursor=9)
    assert (applied.received, applied.set_aside) == (len(bad) + 3, len(bad))
    assert state.meta().cursor == 9  # the cursor moved with the page
    assert store.visits(p.id) == [visit] and store.measures(p.id) == [measure]
    assert store.plan(p.id) is None and store.checklist_item(p.id, "B1").status == "not_selected"
    reasons = {(r.entity, r.row_id): r.reason for r in state.rejected_rows()}
    assert len(reasons) == len(bad)
    expect = {"overflow": "too large", "mode": "Mode is empty (null)", "text number": "Minutes must be a whole number",
              "infinity": "finite", "nan in list": "entry 2 must be a whole number", "date": "2026-11-05",
              "required": "has no date", "rule": "Numerator cannot be larger", "kind": "does not know ('widget')",
              "clocks": "clocks", "fields": "no fields", "id": "too long",
              "checklist id": "<practice id>:<strategy id>",
              "surrogate": "not valid Unicode"}
    for name, r in bad.items():
        key = (str(r["entity"]), str(r["id"]))
        assert expect[name] in reasons[key], (name, reasons[key])
    # the server's row is kept as received, Infinity and NaN included
    kept = {r.row_id: r for r in state.rejected_rows()}
    assert kept[measure.id].fields["numerator"] == 2 ** 63 and kept[measure.id].version == 1
    assert math.isinf(kept[p.id].fields["planned_hours"])
    # every reader of the store still works
    assert [s.name for s in store.practice_summaries(today=TODAY)] == ["Oak Clinic"]


def test_the_previous_version_stays_and_a_later_good_version_clears_the_entry(store):
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    visit = Visit(p.id, date(2026, 3, 2), minutes=45)
    apply(state, [row("practice", p), row("visit", visit)], cursor=1)
    apply(state, [row("visit", visit, clock=S2, minutes=99999)], cursor=2)
    assert store.visit(visit.id).minutes == 45
    [entry] = state.rejected_rows()
    assert "Minutes must be between 1 and 720" in entry.reason and entry.fields["minutes"] == 99999
    # a second bad version replaces the entry (one per record), even a dismissed one comes back
    assert state.dismiss_rejected_row(entry.id) and state.rejected_rows() == []
    apply(state, [row("visit", visit, clock=S2, minutes=-1)], cursor=3)
    assert [r.fields["minutes"] for r in state.rejected_rows()] == [-1]
    apply(state, [row("visit", visit, clock=S2, minutes=50)], cursor=4)
    assert store.visit(visit.id).minutes == 50 and state.rejected_rows(include_dismissed=True) == []


def test_tolerant_about_what_it_can_ignore(store):
    """Unknown keys (a newer server's field, an older one's legacy `notes`), unknown keys inside
    nested records, and missing fields (their defaults) are not reasons to refuse a row."""
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    visit = Visit(p.id, date(2026, 3, 2), minutes=45, attendees=[Attendee("Dr. Lee", "clinician")])
    fields = to_record(visit)
    fields["attendees"][0]["badge"] = math.inf  # not ours: dropped, never stored
    fields.update(notes="legacy", next_steps=[{"action": "x"}], location="new field")
    del fields["key_drivers"], fields["practice_notes"]
    bare = {"id": "v2", "practice_id": p.id, "date": "2026-03-09"}  # an old server's minimal visit
    applied = apply(state, [row("practice", p), {**row("visit", visit), "fields": fields},
                            {**row("visit", None, **bare)}], cursor=1)
    assert applied.set_aside == 0
    assert store.visit(visit.id) == visit
    minimal = store.visit("v2")
    assert (minimal.mode, minimal.minutes, minimal.key_drivers, minimal.practice_notes) == ("on_site", 60, [], "")
    raw = store.conn.execute("SELECT attendees FROM visits WHERE id = ?", (visit.id,)).fetchone()[0]
    assert json.loads(raw) == [{"name": "Dr. Lee", "role": "clinician"}]


def test_a_deleted_row_only_has_to_be_storable(store):
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    visit = Visit(p.id, date(2026, 3, 2))
    apply(state, [row("practice", p), row("visit", visit)], cursor=1)
    apply(state, [row("visit", None, id=visit.id, practice_id=p.id, clock=S2, deleted=True, mode=None)], cursor=2)
    assert store.visits(p.id) == [] and state.rejected_rows() == []  # the deletion is never lost
    apply(state, [row("visit", None, id="v9", practice_id=p.id, deleted=True, minutes=2 ** 70)], cursor=3)
    assert [r.row_id for r in state.rejected_rows()] == ["v9"]


def test_rows_are_checked_against_the_later_of_this_computers_day_and_the_servers(store):
    """A laptop whose clock is a year behind must not refuse what the server accepted today."""
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    note_day = date(2027, 3, 1)
    step = NextStep(p.id, "v1", "Call the lab", status="done", closed_on=note_day)
    server_clock = "001803900000000-000000-server"  # 2027-02-28 23:20 UTC
    state.apply_page([row("practice", p), row("next_step", step)], cursor=1, last_mutation_id=0,
                     server_hlc=server_clock, scope_epoch=1, today=max(TODAY, date(2027, 2, 28)))
    assert store.next_step(step.id) == step


def test_the_same_values_are_validated_once_per_page(store, monkeypatch):
    from facilitator_app.store import pulled

    calls = []
    real = pulled.validate_entity
    monkeypatch.setattr(pulled, "validate_entity", lambda obj, **kw: (calls.append(obj), real(obj, **kw))[1])
    state = SyncState(store)
    practices = [Practice(f"P{i}") for i in range(20)]
    rows = [row("practice", p) for p in practices]
    rows += [row("checklist", ChecklistItem(p.id, s, status="selected")) for p in practices for s in ("A1", "B1")]
    rows += [row("checklist", ChecklistItem(practices[0].id, "C1", status="declined"))]  # no reason: invalid
    applied = apply(state, rows, cursor=1)
    assert applied.set_aside == 1 and "reason" in state.rejected_rows()[0].reason
    assert len([c for c in calls if isinstance(c, ChecklistItem)]) == 3  # A1, B1, the declined one
    assert len(store.checklist(practices[5].id, _toolkit())) == 35


def _toolkit():
    from facilitator_app.core.toolkit import load_toolkit
    return load_toolkit()


def test_refetch_keeps_the_local_version_of_a_row_it_set_aside(store):
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL")
    visit = Visit(p.id, date(2026, 3, 2), minutes=45)
    apply(state, [row("practice", p), row("visit", visit)], cursor=1)
    state.begin_refetch()
    apply(state, [row("practice", p, clock=S2), row("visit", visit, clock=S2, mode="hovercraft")], cursor=5,
          refetch=True)
    state.swap_refetched()
    assert store.visit(visit.id).mode == "on_site"
    [entry] = state.rejected_rows()
    assert "Mode must be one of" in entry.reason
    assert store.conn.execute("SELECT count(*) FROM sync_rejected_rows WHERE in_refetch = 1").fetchone()[0] == 0


def test_a_row_with_an_unsent_local_edit_is_set_aside_without_touching_the_edit(store):
    state = SyncState(store)
    p = Practice("Oak Clinic", state="IL", region="North")
    apply(state, [row("practice", p)], cursor=1)
    mine = store.practice(p.id)
    mine.region = "South"
    store.save_practice(mine)
    apply(state, [row("practice", p, clock=S2, region="West", clinicians=2 ** 64)], cursor=2)
    assert store.practice(p.id).region == "South" and store.pending_changes() == 1
    assert store.conn.execute("SELECT count(*) FROM sync_shadow").fetchone()[0] == 0
    apply(state, [row("practice", p, clock=S2, region="West", name="Oak \ud800")], cursor=3)  # fails in SQLite
    assert store.conn.execute("SELECT count(*) FROM sync_shadow").fetchone()[0] == 0
    assert "Unicode" in state.rejected_rows()[0].reason


def test_a_pull_page_hands_over_what_the_protocol_model_would_refuse():
    body = json.dumps({"cursor": 3, "has_more": False, "last_mutation_id": 0, "server_hlc": S1, "scope_epoch": 1,
                       "changes": [{"entity": "widget", "id": 5, "practice_id": None, "version": 1, "fields": {},
                                    "clocks": {"*": 7}, "extra": True},
                                   {"entity": "visit", "id": "v", "practice_id": "p", "version": 2,
                                    "fields": {"minutes": float("nan"), "note": "\ud800"}, "clocks": {}},
                                   "not an object"]}).encode()
    page = PulledPage.parse(body, "http://127.0.0.1:1")
    assert page.cursor == 3 and len(page.changes) == 3 and math.isnan(page.changes[1]["fields"]["minutes"])
    huge = body.replace(b'"version": 2', b'"version": 2, "x": ' + b"9" * 5000)
    assert math.isinf(PulledPage.parse(huge, "http://127.0.0.1:1").changes[1]["x"])
    for broken in (b"{", b'{"cursor": 1}', json.dumps({"cursor": "x", "changes": []}).encode(), b"\xff\xfe"):
        with pytest.raises(ServerError, match="does not understand"):
            PulledPage.parse(broken, "http://127.0.0.1:1")


def test_upgrading_an_older_file_moves_unreadable_rows_aside_and_repairs_missing_lists(tmp_path):
    path = tmp_path / "old.sqlite"
    store = Store.open(path)
    p = Practice("Oak Clinic", state="IL")
    store.save_practice(p)
    good = Visit(p.id, date(2026, 3, 2), minutes=45)
    store.save_visit(good)
    store.set_meta("server", "https://ffk.example.org")
    conn = store.conn
    conn.execute("BEGIN")
    cols = "id, practice_id, date, mode, minutes, travel_minutes, planned, attendees, updated_at, clocks"
    conn.execute(f"INSERT INTO visits ({cols}) "
                 "VALUES ('v-null', ?, '2026-03-03', 'phone', 30, 0, 1, NULL, 'c', '{}')",
                 (p.id,))  # an older server did not send attendees
    conn.execute(f"INSERT INTO visits ({cols}) VALUES ('v-text', ?, '2026-03-04', 'phone', 'sixty', 0, 1, '[]', 'c', "
                 "'{}')", (p.id,))
    conn.execute(f"INSERT INTO visits ({cols}) VALUES ('v-json', ?, '2026-03-05', 'phone', 30, 0, 1, "
                 "'[{\"name\": \"x\", \"role\": Infinity}]', 'c', '{}')", (p.id,))
    conn.execute("INSERT INTO measures (id, practice_id, measure, period_end, numerator, denominator, clocks) "
                 "VALUES ('m1', ?, 'B', '2025-12-31', 1, 'lots', '{}')", (p.id,))
    for later in ("sync_rejected_rows", "tips", "tip_marks", "diary_entries", "diary_private"):  # m004 on
        conn.execute(f"DROP TABLE {later}")
    conn.execute("PRAGMA user_version = 3")
    conn.execute("COMMIT")
    store.close()

    store = Store.open(path)  # m004 runs, with the usual backup first
    newest = len(schema.MIGRATIONS)  # every later step runs too
    assert list((tmp_path / "backups").glob(f"old.*.before-v{newest}-from-v3.sqlite"))
    state = SyncState(store)
    moved = {r.row_id: r for r in state.rejected_rows()}
    assert set(moved) == {"v-text", "v-json", "m1"} and all(r.source == "upgrade" for r in moved.values())
    assert "Minutes must be a whole number" in moved["v-text"].reason
    assert moved["v-text"].fields["minutes"] == "sixty"  # kept as it was
    assert {v.id for v in store.visits(p.id)} == {good.id, "v-null"}
    assert store.visit("v-null").attendees == []
    assert store.measures(p.id) == []
    assert state.meta().needs_refetch  # the server's current versions come back at the next sync
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_checklist_id_rule_uses_the_practice_and_strategy():
    assert checklist_id("p", "B1") == "p:B1"


def test_status_and_sync_issues_list_what_was_set_aside_and_dismiss_hides_it(tmp_path):
    from .hostile import run_cli

    data = tmp_path / "data"
    store = Store.open(data / "local.sqlite")
    p = Practice("Oak Clinic", state="IL")
    apply(SyncState(store), [row("practice", p), row("measure", MeasureValue(p.id, "B", date(2025, 12, 31), 1, 2),
                                                    numerator=2 ** 63)], cursor=1)
    store.close()
    code, out, err = run_cli("status", "--data-dir", data)
    assert code == 0, err
    assert "Records from the server this computer could not use: 1" in out
    assert "#1 Oak Clinic: ABCS measure: Numerator is the number 9223372036854775808" in out
    code, out, err = run_cli("sync-issues", "--data-dir", data, "--json")
    [entry] = json.loads(out)["set_aside_records"]
    assert entry["number"] == 1 and "too large" in entry["reason"] and "9223372036854775808" in entry["received_fields"]
    assert run_cli("sync-issues", "dismiss", "1", "--data-dir", data)[0] == 0
    code, out, _ = run_cli("sync-issues", "--data-dir", data)
    assert out.strip() == "No sync issues."
    code, out, _ = run_cli("sync-issues", "--all", "--data-dir", data)
    assert "#1 Oak Clinic: ABCS measure (dismissed" in out
    code, _, err = run_cli("sync-issues", "dismiss", "7", "--data-dir", data)
    assert code == 1 and "no record set aside with number 7" in err

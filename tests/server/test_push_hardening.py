"""Server-side holes (issue 13) in push, pull and sign-in: refusals that named another
cooperative's practice, a copied laptop's resent change reported as a conflict, JSON nested
deeper than the server can handle, and clock counters the client could not parse."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facilitator_app.core.hlc import MAX_COUNTER, HybridClock, Timestamp
from facilitator_app.core.model import ChecklistItem, Contact, Practice, Visit
from facilitator_app.server import accounts
from facilitator_app.server import tables as t
from facilitator_app.server.admin import import_practices
from facilitator_app.server.clock import now_ms, server_hlc
from facilitator_app.server.limits import MAX_JSON_DEPTH
from facilitator_app.server.merge import StoredRow, merge_put
from facilitator_app.server.scope import ONLY_FACILITATORS_ADD_PRACTICES, no_such_practice
from facilitator_app.sync.protocol import PROTOCOL_VERSION, ErrorBody, PullResponse, PushResponse
from tests.server.helpers import Api, Device
from tests.sync.conftest import PASSWORD, Laptop, unique


def outcomes(body: dict) -> list[str]:
    return [r["outcome"] for r in body["results"]]


# -- 3. a refusal never confirms another cooperative's practice --------------------------------

def test_refusals_for_another_cooperatives_practice_read_as_if_it_did_not_exist(api: Api, tmp_path: Path) -> None:
    ann = api.user("ann", cooperative="North")
    sue = api.user("sue", role="supervisor", cooperative="North")
    north_admin = api.user("nadia", role="admin", cooperative="North")
    api.user("olga", cooperative="South")
    csv = tmp_path / "south.csv"
    csv.write_text("id,name\nsouth-1,South Clinic\n")
    api.admin(import_practices, csv, cooperative="South")
    api.admin(accounts.assign, "olga", ["south-1"])

    for n, dev in enumerate((ann, sue, north_admin)):
        changes = {
            "contact": lambda pid, d=dev: d.create(Contact(practice_id=pid, name="Spy"), "contact"),
            "checklist": lambda pid, d=dev: d.create(ChecklistItem(practice_id=pid, strategy_id="B1",
                                                                   status="selected"), "checklist"),
            "practice": lambda pid, d=dev: d.mutation("practice", pid, pid, {"name": "Mine now", "deleted": False}),
        }
        for entity, change in changes.items():
            unknown_id = f"no-such-practice-{n}-{entity}"
            body = dev.push([change("south-1"), change(unknown_id)])
            foreign, unknown = body["results"]
            assert "South Clinic" not in foreign["reason"] and "cooperative" not in foreign["reason"]
            if entity == "practice" and dev is ann:
                # A facilitator creates an unknown practice; a taken id cannot be, and says no more.
                assert foreign["outcome"] == "rejected" and unknown["outcome"] == "applied"
                assert foreign["reason"] == no_such_practice("south-1")
                continue
            assert foreign["outcome"] == unknown["outcome"] == "rejected", (dev, entity, body)
            # Word for word the same but for the id the sender chose himself.
            assert foreign["reason"].replace("south-1", "ID") == unknown["reason"].replace(unknown_id, "ID")
            expected = ONLY_FACILITATORS_ADD_PRACTICES if entity == "practice" else no_such_practice("south-1")
            assert foreign["reason"] == expected, (dev, entity)
    # A practice of one's own cooperative may still be named: it is no secret there.
    csv.write_text("id,name\nnorth-1,Oak Clinic\n")
    api.admin(import_practices, csv, cooperative="North")
    body = ann.push([ann.create(Contact(practice_id="north-1", name="Dr. Lee"), "contact")])
    assert body["results"][0]["reason"] == ('The practice "Oak Clinic" is not assigned to you; ask your supervisor '
                                            "to assign it.")
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.rows).where(
            t.rows.c.practice_id == "south-1", t.rows.c.entity != "practice")).scalar_one() == 0


# -- 5. the same clock and value again is applied, not a conflict ------------------------------

def test_merge_counts_the_same_clock_and_value_as_applied() -> None:
    row = StoredRow({"id": "c1", "practice_id": "p", "name": "Dr. Lee", "deleted": False},
                    {"*": "000000000001000-000000-aaaa"}, {"name": "ann", "deleted": "ann"}, "ann", "p")
    again = merge_put(row, row_id="c1", practice_id="p", fields={"name": "Dr. Lee", "deleted": False},
                      base={"name": None, "deleted": None}, hlc="000000000001000-000000-aaaa", user="ann")
    assert again.unchanged and again.won == [] and again.conflicts == [] and again.row.data == row.data
    other = merge_put(row, row_id="c1", practice_id="p", fields={"name": "Dr. Leigh"}, base={"name": None},
                      hlc="000000000001000-000000-aaaa", user="ann")
    assert other.won == [] and not other.unchanged and other.row.data["name"] == "Dr. Lee"  # same clock, other value
    older = merge_put(row, row_id="c1", practice_id="p", fields={"name": "Dr. Lee"}, base={"name": None},
                      hlc="000000000000999-000000-aaaa", user="ann")
    assert older.won == []


def test_a_copied_laptops_resent_changes_are_applied_without_conflicts(api: Api) -> None:
    ann = api.user("ann")
    p = Practice(name="Oak Clinic", state="IL")
    sent = [ann.create(p, "practice"), ann.create(Visit(practice_id=p.id, date=date(2026, 3, 2), minutes=45),
                                                     "visit")]
    assert outcomes(ann.push(sent)) == ["applied", "applied"]
    copy = Device(api, ann.token)  # the copied file, after its client reset: a new client id, the same changes
    assert outcomes(copy.push([dict(m, uuid=str(uuid.uuid4())) for m in sent])) == ["applied", "applied"]
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.conflicts)).scalar_one() == 0
    rows = Device(api, ann.token).pull()
    assert sorted(r["entity"] for r in rows) == ["practice", "visit"]
    assert next(r for r in rows if r["entity"] == "visit")["fields"]["minutes"] == 45


def test_a_copied_laptop_database_shows_no_false_conflict_end_to_end(server, tmp_path: Path) -> None:
    """Two laptops from one file: the copy's client reset re-sends every change it holds, and
    the ones the original already sent must not come back as conflicts."""
    import shutil

    user = unique("ana")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    a = Laptop(tmp_path / "a", server.url)
    a.sign_in(user)
    p = Practice("Oak Clinic", state="IL")
    a.store.save_practice(p)
    a.store.save_visit(Visit(p.id, date(2026, 3, 2), minutes=45))
    a.close()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    a.reopen()
    b = Laptop(tmp_path / "b", server.url)
    b.sign_in(user)
    a.store.save_contact(Contact(practice_id=p.id, name="Dr. Lee"))
    a.sync()  # sends changes 1-3
    b.store.save_contact(Contact(practice_id=p.id, name="Nurse Kim"))  # b's own change 3
    report = b.sync()  # 409 client_reset, then all three of b's changes again under a new id
    assert report.client_reset
    assert b.service.status().conflicts == 0 and b.service.conflicts() == []
    assert b.store.pending_changes() == 0
    a.sync()
    names = sorted(c.name for c in a.store.contacts(p.id))
    assert names == ["Dr. Lee", "Nurse Kim"]
    a.close()
    b.close()


# -- 6. JSON nested deeper than any request needs ------------------------------------------------

def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deeply_nested_json_is_422_on_every_endpoint(api: Api, depth: int) -> None:
    ann = api.user("ann")
    deep = _nested(depth)
    m = ann.mutation("contact", "c1", "p1", {"name": "__DEEP__"})
    push = json.dumps({"protocol": PROTOCOL_VERSION, "client_id": ann.client_id, "mutations": [m]})
    bodies = {
        "/sync/v1/push": push.replace('"__DEEP__"', deep),
        "/sync/v1/pull": json.dumps({"protocol": PROTOCOL_VERSION, "client_id": ann.client_id, "cursor": 0,
                                     "limit": "__DEEP__"}).replace('"__DEEP__"', deep),
        "/auth/v1/token": json.dumps({"username": "ann", "password": "__DEEP__"}).replace('"__DEEP__"', deep),
    }
    for path, content in bodies.items():
        r = api.client.post(path, content=content, headers={**api.auth(ann.token), "content-type": "application/json"})
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        error = ErrorBody.model_validate(r.json())
        assert error.error == "invalid" and f"more than {MAX_JSON_DEPTH} levels deep" in error.message
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.mutation_log)).scalar_one() == 0


def test_nesting_within_the_limit_and_brackets_in_text_are_fine(api: Api) -> None:
    ann = api.user("ann")
    p = Practice(name='[[[[ "Oak" {{{{ ]]]] \\', state="IL")
    notes = "[" * 200 + '\\"' + "{" * 200
    m = [ann.create(p, "practice"),
         ann.create(Visit(practice_id=p.id, date=date(2026, 3, 2), private_notes=notes), "visit")]
    assert outcomes(ann.push(m)) == ["applied", "applied"]
    nested_ok = _nested(MAX_JSON_DEPTH - 5)  # with the push's own five levels: exactly the limit
    bad = ann.mutation("contact", "c1", p.id, {"name": "__X__"})
    body = json.dumps({"protocol": PROTOCOL_VERSION, "client_id": ann.client_id, "mutations": [bad]})
    r = api.client.post("/sync/v1/push", content=body.replace('"__X__"', nested_ok),
                        headers={**api.auth(ann.token), "content-type": "application/json"})
    assert r.status_code == 200 and r.json()["results"][0]["outcome"] == "rejected"  # a list is no name
    r = api.client.post("/sync/v1/push", content=body.replace('"__X__"', _nested(MAX_JSON_DEPTH - 4)),
                        headers={**api.auth(ann.token), "content-type": "application/json"})
    assert r.status_code == 422


# -- 10. clock counters ---------------------------------------------------------------------------

def test_a_full_counter_never_makes_a_clock_the_client_cannot_parse(api: Api) -> None:
    ann = api.user("ann")
    p = Practice(name="Oak Clinic")
    m = ann.create(p, "practice")
    # A minute ahead (within the skew limit, so not clamped): the server's clock must move past it.
    m["hlc"] = str(Timestamp(now_ms() + 60_000, MAX_COUNTER, "laptop1"))
    body = PushResponse.model_validate(ann.push([m]))
    assert outcomes(body.model_dump()) == ["applied"]
    after = Timestamp.parse(body.server_hlc)  # before: counter 1000000, 7 digits, unparseable
    assert body.server_hlc > m["hlc"] and after.counter == 0
    fresh = Device(api, ann.token)
    r = api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": fresh.client_id,
                                               "cursor": 0}, headers=api.auth(ann.token))
    page = PullResponse.model_validate_json(r.text)
    assert Timestamp.parse(page.server_hlc) > Timestamp.parse(m["hlc"])
    clock = HybridClock("laptop2")
    clock.observe(page.server_hlc)
    assert clock.now() > page.server_hlc


def test_a_counter_the_format_cannot_hold_is_rejected_with_a_reason(api: Api) -> None:
    ann = api.user("ann")
    for bad in (f"{now_ms():015d}-1000000-laptop1", f"{now_ms():015d}--00001-laptop1",
                f"{now_ms():015d}-00_001-laptop1", f"{now_ms():015d}-+00001-laptop1"):
        m = ann.create(Practice(name="Oak Clinic"), "practice")
        m["hlc"] = bad
        result = ann.push([m])["results"][0]
        assert result["outcome"] == "rejected" and "not a valid clock value" in result["reason"], bad


def test_the_server_clock_moves_past_a_full_counter() -> None:
    seen = str(Timestamp(now_ms() + 60_000, MAX_COUNTER, "laptop1"))
    answer = server_hlc(seen)
    assert answer > seen and Timestamp.parse(answer).counter == 0

"""The server stores only canonical, validated records, converts what older apps send, and
sets who did what itself. Each test is one hole found when the server was attacked; each ran
against the code before the fix and failed there."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from facilitator_app.core.codec import from_record, to_record
from facilitator_app.core.model import (
    ChecklistNote,
    MeasureValue,
    NextStep,
    Practice,
    Visit,
    legacy_step_id,
)
from facilitator_app.core.toolkit import load_toolkit
from facilitator_app.server import tables as t
from facilitator_app.server.merge import Rejected, canonical_record
from tests.server.helpers import Api, Device
from tests.server.test_sync_api import new_practice, outcomes


def reasons(body: dict) -> list[str | None]:
    return [r["reason"] for r in body["results"]]


def stored(api: Api, entity: str, row_id: str) -> dict:
    with api.engine.connect() as conn:
        row = conn.execute(select(t.rows.c.data).where(t.rows.c.entity == entity, t.rows.c.id == row_id)).first()
    assert row is not None, f"no {entity} {row_id} on the server"
    return json.loads(row.data)


def test_a_minimal_new_row_is_stored_with_every_field(api: Api) -> None:
    """{"name": "Minimal"} used to be stored as sent; every laptop pulling it then failed."""
    ann = api.user("ann")
    practice = ann.mutation("practice", "p-min", "p-min", {"name": "Minimal"})
    visit = ann.mutation("visit", "v-min", "p-min", {"date": "2026-11-20"})
    assert outcomes(ann.push([practice, visit])) == ["applied", "applied"]
    p, v = stored(api, "practice", "p-min"), stored(api, "visit", "v-min")
    assert p == {**to_record(Practice(name="Minimal", id="p-min")), "deleted": False}
    assert v["mode"] == "on_site" and v["minutes"] == 60 and v["attendees"] == [] and v["facilitator"] == "ann"
    assert from_record(Visit, v, strict=False) == from_record(Visit, {k: x for k, x in v.items() if k != "deleted"},
                                                               strict=True)
    pulled = {c["id"]: c["fields"] for c in Device(api, ann.token).pull()}
    assert set(pulled["v-min"]) == set(to_record(Visit("p-min", date(2026, 11, 20)))) | {"deleted"}


@pytest.mark.parametrize("fields, reason", [
    ({"numerator": 2 ** 63}, "too large"),
    ({"numerator": 99999999999999999999}, "too large"),
    ({"numerator": 20_000_000, "denominator": 30_000_000}, "from 0 to 10,000,000"),
    ({"period_end": "20260930"}, "not written as a date like 2026-11-05"),
    ({"period_end": "2026-W39-3"}, "not written as a date"),
    ({"period_end": "1999-12-31"}, "before 2000"),
    ({"source": "x" * 201}, "too long"),
    ({"surprise": 1}, "Unknown field(s) for a measure: surprise"),
])
def test_values_no_record_can_hold_are_refused_with_a_reason(api: Api, fields: dict, reason: str) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    record = {k: v for k, v in to_record(MeasureValue(p.id, "B", date(2026, 9, 30), 10, 20)).items() if k != "id"}
    body = ann.push([m1, ann.mutation("measure", "m1", p.id, {**record, **fields})])
    assert outcomes(body) == ["applied", "rejected"]
    assert reason in (reasons(body)[1] or ""), reasons(body)[1]


def test_non_finite_numbers_and_unknown_nested_keys_are_refused(api: Api) -> None:
    """An extra key holding Infinity was stored as invalid JSON, and every reader's SQLite JSON
    functions then failed (Today and the practice screen stopped loading)."""
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    visit = {k: v for k, v in to_record(Visit(p.id, date(2026, 11, 2))).items() if k != "id"}
    bad_attendee = ann.mutation("visit", "v1", p.id, {**visit, "attendees": [{"name": "Ann", "x": float("inf")}]})
    nested = ann.mutation("visit", "v2", p.id, {**visit, "attendees": [{"name": "Ann", "role": "other", "x": 1}]})
    hours = ann.mutation("plan", p.id, p.id, {"planned_hours": float("nan")})
    legacy = ann.mutation("visit", "v3", p.id, {**visit, "next_steps": [{"action": "a", "x": float("-inf")}]})
    deep: object = "x"
    for _ in range(12):  # deeper than any record, within the request's own nesting limit
        deep = [deep]
    too_deep = ann.mutation("visit", "v4", p.id, {**visit, "key_drivers": deep})
    r = api.client.post("/sync/v1/push", content=json.dumps(
        {"protocol": 2, "client_id": ann.client_id, "mutations": [m1, bad_attendee, nested, hours, legacy, too_deep]},
        allow_nan=True), headers={**api.auth(ann.token), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert outcomes(body) == ["applied"] + ["rejected"] * 5
    found = reasons(body)
    assert "not finite" in found[1] and "unknown field(s) 'x'" in found[2] and "not finite" in found[3]
    assert "not finite" in found[4] and "nested deeper" in found[5]
    with api.engine.connect() as conn:
        for row in conn.execute(select(t.rows.c.data)):
            json.loads(row.data)  # strict JSON: no Infinity/NaN ever stored


def test_a_60000_character_email_is_refused_by_its_length(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    body = ann.push([m1, ann.mutation("contact", "c1", p.id, {"name": "Ann", "email": "a" * 60_000 + "@x"})])
    assert outcomes(body) == ["applied", "rejected"] and "Email is too long" in reasons(body)[1]


def test_practice_ids_leave_room_for_checklist_ids(api: Api) -> None:
    ann = api.user("ann")
    long_id = "p" * 190
    body = ann.push([ann.mutation("practice", long_id, long_id, {"name": "Long id"})])
    assert outcomes(body) == ["rejected"] and "too long" in reasons(body)[0]


def test_control_characters_in_names_are_refused(api: Api) -> None:
    ann = api.user("ann")
    body = ann.push([ann.mutation("practice", "p1", "p1", {"name": "Oak \u202eClinic"})])
    assert outcomes(body) == ["rejected"] and "U+202E" in reasons(body)[0]


@pytest.mark.parametrize("today", [date(2028, 2, 29), date(2026, 12, 31)])
def test_the_server_checks_dates_against_the_day_it_is_given(today: date) -> None:
    """On 29 February every visit used to be refused (date.today().replace(year=...) raised)."""
    toolkit = load_toolkit()
    record = {**to_record(Visit("p", today)), "deleted": False}
    assert canonical_record("visit", record, sent=record, toolkit=toolkit, today=today)["date"] == today.isoformat()
    with pytest.raises(Rejected):
        late = {**record, "date": date(today.year + 2, 1, 1).isoformat()}
        canonical_record("visit", late, sent=late, toolkit=toolkit, today=today)


def test_who_did_what_is_the_servers_to_say(api: Api) -> None:
    """A note's author and a visit's facilitator were whatever the client sent."""
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    visit = Visit(p.id, date(2026, 11, 2), facilitator="Somebody Else")
    note = ChecklistNote(p.id, "B1", "Cuffs ordered", written_on=date(2026, 11, 2), author="The Supervisor")
    step = NextStep(p.id, visit.id, "Order cuffs")
    made = [ann.create(visit, "visit"), ann.create(note, "checklist_note")]
    created = ann.create(step, "next_step")
    closed = {"status": "done", "closed_on": "2026-11-03", "closed_by": "Not Ann"}
    body = ann.push([m1, *made, created,
                     ann.mutation("next_step", step.id, p.id, closed, base={k: created["hlc"] for k in closed})])
    assert outcomes(body) == ["applied"] * 5
    assert stored(api, "visit", visit.id)["facilitator"] == "ann"
    assert stored(api, "checklist_note", note.id)["author"] == "ann"
    assert stored(api, "next_step", step.id)["closed_by"] == "ann"


def test_a_step_needs_its_visit_on_the_server(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    body = ann.push([m1, ann.create(NextStep(p.id, "no-such-visit", "Call"), "next_step")])
    assert outcomes(body) == ["applied", "rejected"] and "must sync first" in reasons(body)[1]


def test_an_older_apps_visit_is_converted_not_dropped(api: Api) -> None:
    """Unsent edits written by the previous version keep `notes` and `next_steps` inside the
    visit: the server turns them into private notes and next step records, keeps done flags,
    never reopens a step because the old list says not done, and deletes a step dropped from it."""
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    visit = {k: v for k, v in to_record(Visit(p.id, date(2026, 11, 2), id="v1")).items()
             if k not in ("id", "practice_notes", "private_notes")}
    old = {**visit, "notes": "Leader seemed tired",
           "next_steps": [{"action": "Order cuffs", "owner": "Ann", "due": "2026-11-20", "done": False},
                          {"action": "Fax form", "owner": "", "due": None, "done": True},
                          {"action": "Call lab", "owner": "Bo", "due": None, "done": False}]}
    first = ann.mutation("visit", "v1", p.id, old)
    assert outcomes(ann.push([m1, first])) == ["applied", "applied"]
    v = stored(api, "visit", "v1")
    assert v["private_notes"] == "Leader seemed tired" and v["practice_notes"] == "" and "notes" not in v
    assert "next_steps" not in v
    steps = [stored(api, "next_step", legacy_step_id("v1", i)) for i in range(3)]
    assert [(s["action"], s["status"], s["visit_id"], s["position"]) for s in steps] == [
        ("Order cuffs", "open", "v1", 0), ("Fax form", "done", "v1", 1), ("Call lab", "open", "v1", 2)]
    # Step 0 is closed; then an old edit re-sends the list (done flags cleared: the old bug) without step 2.
    close = {"status": "done", "closed_on": "2026-11-21", "closed_by": "ann"}
    ann.push([ann.mutation("next_step", legacy_step_id("v1", 0), p.id, close, base={k: first["hlc"] for k in close})])
    resent = {"next_steps": [{"action": "Order cuffs", "owner": "Ann", "due": "2026-11-20", "done": False},
                             {"action": "Fax form", "owner": "", "due": None, "done": False}]}
    assert outcomes(ann.push([ann.mutation("visit", "v1", p.id, resent, base={"next_steps": first["hlc"]})])) == [
        "applied"]
    after = [stored(api, "next_step", legacy_step_id("v1", i)) for i in range(3)]
    assert [s["status"] for s in after[:2]] == ["done", "done"]  # never reopened
    assert after[2]["deleted"] is True


def test_an_older_app_is_told_to_update(api: Api) -> None:
    ann = api.user("ann")
    body = ann.push([], expect=426, protocol=1)
    assert body["error"] == "protocol_mismatch"
    assert "too old" in body["message"] and "Install the update" in body["message"]


def test_re_sending_the_same_change_is_applied_not_a_conflict(api: Api) -> None:
    """A copied laptop, after its reset, re-sends a change with the clock the server already has."""
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    contact = ann.mutation("contact", "c1", p.id, {"name": "Dr. Rivera", "role": "clinician"})
    assert outcomes(ann.push([m1, contact])) == ["applied", "applied"]
    copy = Device(api, ann.token)
    again = copy.mutation("contact", "c1", p.id, {"name": "Dr. Rivera"}, hlc=contact["hlc"],
                          base={"name": contact["hlc"]})
    assert outcomes(copy.push([again])) == ["applied"]
    with api.engine.connect() as conn:
        assert conn.execute(select(t.conflicts)).first() is None

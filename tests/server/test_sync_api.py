"""Push/pull semantics: idempotent retries, gaps, cloned installs, merges, conflicts, clamps,
append-only notes, paging, scope resets, protocol and size limits."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from facilitator_app.core.hlc import Timestamp, clock_of
from facilitator_app.core.model import ChecklistItem, ChecklistNote, Contact, FacilitationPlan, Practice, Visit
from facilitator_app.server import accounts
from facilitator_app.server import tables as t
from facilitator_app.server.clock import now_ms
from facilitator_app.sync.protocol import MAX_MUTATIONS_PER_PUSH, PROTOCOL_VERSION
from tests.server.helpers import Api, Device


def outcomes(body: dict) -> list[str]:
    return [r["outcome"] for r in body["results"]]


def new_practice(dev: Device, name: str = "Oak Street Clinic") -> tuple[Practice, dict]:
    p = Practice(name=name, state="IL")
    return p, dev.create(p, "practice")


def test_push_creates_and_pull_returns_rows(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    visit = Visit(practice_id=p.id, date=date(2026, 3, 2), minutes=90, facilitator="ann")
    body = ann.push([m1, ann.create(visit, "visit")])
    assert outcomes(body) == ["applied", "applied"]
    assert body["last_mutation_id"] == 2
    other = Device(api, ann.token)  # ann's second laptop
    rows = other.pull()
    by_entity = {r["entity"]: r for r in rows}
    assert by_entity["visit"]["fields"]["minutes"] == 90 and by_entity["visit"]["author"] == "ann"
    assert by_entity["practice"]["fields"]["name"] == "Oak Street Clinic"
    assert all(clock_of(by_entity["visit"]["clocks"], f) for f in ("minutes", "date", "deleted"))
    assert len({r["version"] for r in rows}) == 1  # one push, one version
    assert other.pull() == []  # incremental: nothing new


def test_retry_is_idempotent_and_reports_the_original_outcome(api: Api) -> None:
    ann = api.user("ann")
    _, m1 = new_practice(ann)
    bad = ann.mutation("practice", "nope", "nope", {"name": ""})
    first = ann.push([m1, bad])
    again = ann.push([m1, bad])
    assert outcomes(first) == outcomes(again) == ["applied", "rejected"]
    with api.engine.connect() as conn:
        assert conn.execute(select(t.mutation_log.c.id)).all().__len__() == 2
        assert len(conn.execute(select(t.rows.c.id)).all()) == 1


def test_stops_at_a_gap(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    m3 = ann.mutation("practice", p.id, p.id, {"name": "Renamed"}, mutation_id=3)
    body = ann.push([m1, m3])
    assert body["last_mutation_id"] == 1 and [r["id"] for r in body["results"]] == [1]


def test_copied_database_gets_client_reset(api: Api) -> None:
    ann = api.user("ann")
    _, m1 = new_practice(ann)
    ann.push([m1])
    clone = dict(m1, uuid="another-uuid")
    body = ann.push([clone], expect=409)
    assert body["error"] == "client_reset"


def test_client_id_of_another_user_is_forbidden(api: Api) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    _, m1 = new_practice(ann)
    ann.push([m1])
    bob.client_id = ann.client_id
    _, m = new_practice(bob)
    assert bob.push([m], expect=403)["error"] == "forbidden"


def test_field_level_last_writer_wins_and_conflict_record(api: Api) -> None:
    ann = api.user("ann")
    laptop2 = Device(api, ann.token)
    p, m1 = new_practice(ann)
    ann.push([m1])
    laptop2.pull()
    assert ann.push([])["results"] == []  # a no-op push is fine
    clock = clock_of(json.loads(api.engine.connect().execute(select(t.rows.c.clocks)).scalar_one()), "phone")
    # Both laptops edit from the same base: different fields merge, the same field conflicts.
    early = laptop2.mutation("practice", p.id, p.id, {"phone": "312-555-0101", "region": "North"},
                             base={"phone": clock, "region": clock}, hlc=str(Timestamp(now_ms(), 0, "laptop2")))
    late = ann.mutation("practice", p.id, p.id, {"phone": "312-555-0199"}, base={"phone": clock},
                        hlc=str(Timestamp(now_ms() + 1000, 0, "laptop1")))
    assert outcomes(ann.push([late])) == ["applied"]
    assert outcomes(laptop2.push([early])) == ["applied_conflict"]  # region applied, phone lost
    rows = Device(api, ann.token).pull()
    fields = rows[0]["fields"]
    assert fields["phone"] == "312-555-0199" and fields["region"] == "North"
    with api.engine.connect() as conn:
        c = conn.execute(select(t.conflicts)).one()
    assert c.field == "phone" and json.loads(c.winner_value) == "312-555-0199"
    assert json.loads(c.loser_value) == "312-555-0101" and c.winner_author == c.loser_author == "ann"


def test_older_clock_is_superseded_but_logged(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    ann.push([m1])
    current = clock_of(json.loads(api.engine.connect().execute(select(t.rows.c.clocks)).scalar_one()), "name")
    stale = str(Timestamp(1000, 0, "old-laptop"))
    body = ann.push([ann.mutation("practice", p.id, p.id, {"name": "Old name"}, base={"name": current}, hlc=stale)])
    assert outcomes(body) == ["superseded"]
    with api.engine.connect() as conn:
        logged = conn.execute(select(t.mutation_log.c.args)
                              .where(t.mutation_log.c.outcome == "superseded")).scalar_one()
    assert json.loads(logged)["fields"]["name"] == "Old name"  # nothing is ever lost


def test_clock_far_ahead_is_clamped_and_recorded(api: Api) -> None:
    ann = api.user("ann")
    _, m = new_practice(ann)
    future = str(Timestamp(now_ms() + 365 * 86_400_000, 0, ann.client_id))
    m["hlc"] = future
    assert outcomes(ann.push([m])) == ["applied"]
    with api.engine.connect() as conn:
        log = conn.execute(select(t.mutation_log)).one()
        clocks = json.loads(conn.execute(select(t.rows.c.clocks)).scalar_one())
    assert log.clamped_from == future and log.hlc < future
    assert max(clocks.values()) <= str(Timestamp(now_ms() + 1000, 0, "z"))


def test_checklist_notes_are_append_only(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    note = ChecklistNote(practice_id=p.id, strategy_id="B1", text="Started the BP recheck workflow", author="ann",
                         written_on=date(2026, 3, 2))
    first = ann.create(note, "checklist_note")
    second = ann.mutation("checklist_note", note.id, p.id, {"text": "Overwritten?"})
    other = ChecklistNote(practice_id=p.id, strategy_id="B1", text="A second note", author="ann",
                          written_on=date(2026, 3, 2))
    assert outcomes(ann.push([m1, first, second, ann.create(other, "checklist_note")])) == \
        ["applied", "applied", "superseded", "applied"]
    notes = [r for r in Device(api, ann.token).pull() if r["entity"] == "checklist_note"]
    assert sorted(n["fields"]["text"] for n in notes) == ["A second note", "Started the BP recheck workflow"]


def test_deleted_is_a_field_and_travels(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    c = Contact(practice_id=p.id, name="Dr. Rivera", role="clinician")
    ann.push([m1, ann.create(c, "contact")])
    ann.push([ann.mutation("contact", c.id, p.id, {"deleted": True}, base={"deleted": None})])
    row = [r for r in Device(api, ann.token).pull() if r["entity"] == "contact"][0]
    assert row["deleted"] is True and row["fields"]["name"] == "Dr. Rivera"


def test_invalid_records_are_rejected_with_the_reason(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    bad_visit = ann.create(Visit(practice_id=p.id, date=date(2026, 3, 2)), "visit")
    bad_visit["args"]["fields"]["minutes"] = 5000
    unknown = ann.mutation("practice", p.id, p.id, {"colour": "red"})
    wrong_type = ann.mutation("practice", p.id, p.id, {"clinicians": "many"})
    bad_plan = ann.create(FacilitationPlan(practice_id=p.id, selected_strategies=["Z99"]), "plan")
    bad_check = ann.create(ChecklistItem(practice_id=p.id, strategy_id="B1", status="declined"), "checklist")
    body = ann.push([m1, bad_visit, unknown, wrong_type, bad_plan, bad_check])
    assert outcomes(body) == ["applied"] + ["rejected"] * 5
    reasons = [r["reason"] for r in body["results"][1:]]
    assert "Minutes must be between 1 and 720" in reasons[0]
    assert "colour" in reasons[1]
    assert "clinicians" in reasons[2] and "whole number" in reasons[2]
    assert "Z99" in reasons[3]
    assert "reason" in reasons[4].lower()
    assert body["last_mutation_id"] == 6  # rejects count as processed and never block the queue


def test_visits_are_edited_only_by_their_author(api: Api) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    p, m1 = new_practice(ann)
    v = Visit(practice_id=p.id, date=date(2026, 3, 2))
    ann.push([m1, ann.create(v, "visit")])
    api.admin(accounts.assign, "bob", [p.id])
    body = bob.push([bob.mutation("visit", v.id, p.id, {"minutes": 30})])
    assert outcomes(body) == ["rejected"] and "ann" in body["results"][0]["reason"]


def test_pagination_never_splits_a_version(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    batch = [m1] + [ann.create(Contact(practice_id=p.id, name=f"Contact {i}"), "contact") for i in range(7)]
    ann.push(batch)  # 8 rows, one version
    ann.push([ann.create(Contact(practice_id=p.id, name="Later"), "contact")])  # another version
    reader = Device(api, ann.token)
    first = reader.pull(limit=3, all_pages=False)
    assert len(first) == 8 and len({r["version"] for r in first}) == 1
    rest = reader.pull(limit=3)
    assert [r["fields"]["name"] for r in rest] == ["Later"]


def test_assignment_change_forces_reset(api: Api) -> None:
    ann = api.user("ann")
    p, m1 = new_practice(ann)
    ann.push([m1])
    ann.pull()
    assert ann.scope_epoch is not None
    bob = api.user("bob")
    p2, m2 = new_practice(bob, "Maple Family Medicine")
    bob.push([m2])
    api.admin(accounts.assign, "ann", [p2.id])
    assert ann.pull(expect=409)["error"] == "reset"
    ann.cursor, ann.scope_epoch = 0, None
    assert {r["id"] for r in ann.pull()} == {p.id, p2.id}


def test_cursor_beyond_the_server_is_reset(api: Api) -> None:
    ann = api.user("ann")
    ann.cursor = 10_000
    assert ann.pull(expect=409)["error"] == "reset"


def test_pull_reports_last_mutation_id_and_toolkit_version(api: Api, tmp_path) -> None:
    from facilitator_app.core.toolkit import default_toolkit_path
    from facilitator_app.server.admin import publish_toolkit

    ann = api.user("ann")
    _, m1 = new_practice(ann)
    ann.push([m1])
    r = api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": ann.client_id,
                                                "cursor": 0}, headers=api.auth(ann.token)).json()
    assert r["last_mutation_id"] == 1 and r["toolkit_version"] is None
    assert api.client.get("/sync/v1/toolkit", headers=api.auth(ann.token)).status_code == 404
    doc = json.loads(default_toolkit_path().read_text())
    doc["version"] = "coop-2026.1"
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(doc))
    api.admin(publish_toolkit, path, cooperative="coop")
    r = api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": ann.client_id,
                                                "cursor": 0}, headers=api.auth(ann.token)).json()
    assert r["toolkit_version"] == "coop-2026.1"
    got = api.client.get("/sync/v1/toolkit", headers=api.auth(ann.token)).json()
    assert got["version"] == "coop-2026.1" and len(got["document"]["strategies"]) == 35


def test_protocol_mismatch_is_426(api: Api) -> None:
    ann = api.user("ann")
    assert ann.push([], protocol=PROTOCOL_VERSION + 1, expect=426)["error"] == "protocol_mismatch"
    r = api.client.post("/sync/v1/pull", json={"protocol": 99, "client_id": "x", "cursor": 0},
                        headers=api.auth(ann.token))
    assert r.status_code == 426 and r.json()["error"] == "protocol_mismatch"


def test_too_many_mutations_or_bytes_is_413(api: Api) -> None:
    ann = api.user("ann")
    p, _ = new_practice(ann)
    many = [ann.mutation("practice", p.id, p.id, {"name": "x"}) for _ in range(MAX_MUTATIONS_PER_PUSH + 1)]
    assert ann.push(many, expect=413)["error"] == "too_large"
    huge = ann.mutation("practice", p.id, p.id, {"name": "x" * (6 * 1024 * 1024)})
    assert ann.push([huge], expect=413)["error"] == "too_large"
    # No Content-Length (chunked upload): the size is counted as the bytes arrive.
    chunks = (b" " * 1024 * 1024 for _ in range(6))
    r = api.client.post("/sync/v1/push", content=chunks, headers={**api.auth(ann.token),
                                                                  "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    with api.engine.connect() as conn:
        assert conn.execute(select(t.rows.c.id)).all() == []  # nothing half-applied


def test_duplicate_id_within_one_push(api: Api) -> None:
    ann = api.user("ann")
    _, m1 = new_practice(ann)
    assert outcomes(ann.push([m1, m1])) == ["applied", "applied"]  # the repeat reports the first outcome
    fresh = api.user("bob")
    _, m = new_practice(fresh)
    assert fresh.push([m, dict(m, uuid="different")], expect=409)["error"] == "client_reset"
    with api.engine.connect() as conn:  # the refused push left nothing behind
        assert conn.execute(select(t.rows.c.id).where(t.rows.c.id == m["args"]["id"])).first() is None


def test_pull_body_built_by_the_database_carries_every_value_exactly(api: Api) -> None:
    """The page text is joined from per-row JSON the database builds (json_quote / to_json):
    every change must equal the stored row, with quotes, backslashes, control characters and
    non-ASCII text intact, and a deleted row must come back deleted."""
    from facilitator_app.server.pull import pull_json
    from facilitator_app.sync.protocol import PullRequest, PullResponse

    name = "zoë \"ann\" o'neil\\"
    ann = api.user(name)
    p, m1 = new_practice(ann, "Łukasz O'Brien & Søn \"Clinic\"")
    notes = "<b>notes</b> \\ ünïcode\n\u2028 😀\t"
    visit = Visit(practice_id=p.id, date=date(2026, 3, 2), minutes=90, private_notes=notes)
    gone = Contact(practice_id=p.id, name="Dr. Gone")
    ann.push([m1, ann.create(visit, "visit"), ann.create(gone, "contact")])
    clock = next(r for r in ann.pull() if r["id"] == gone.id)["clocks"]["*"]
    ann.push([ann.mutation("contact", gone.id, p.id, {"deleted": True}, base={"deleted": clock})])
    user = api.admin(accounts.get_user, name)
    page = PullResponse.model_validate_json(pull_json(api.engine, user, PullRequest(
        protocol=PROTOCOL_VERSION, client_id=ann.client_id, cursor=0, limit=100)))
    with api.engine.connect() as conn:
        stored = {(r.entity, r.id): r for r in conn.execute(select(t.rows))}
    assert len(page.changes) == len(stored) == 3
    for change in page.changes:
        row = stored[(change.entity, change.id)]
        assert (change.practice_id, change.version, change.deleted, change.author) == (
            row.practice_id, row.sv, bool(row.deleted), name)
        assert change.fields == json.loads(row.data) and change.clocks == json.loads(row.clocks)
    by_entity = {c.entity: c for c in page.changes}
    assert by_entity["practice"].fields["name"] == "Łukasz O'Brien & Søn \"Clinic\""
    assert by_entity["visit"].fields["private_notes"] == notes
    assert by_entity["contact"].deleted is True and by_entity["contact"].version > by_entity["visit"].version

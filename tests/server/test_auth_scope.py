"""Sign-in, token lifetime, rate limits, and assignment scope on every read and write."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from facilitator_app.core.model import ChecklistItem, ChecklistNote, Contact, Practice, Visit
from facilitator_app.server import accounts
from facilitator_app.server import tables as t
from facilitator_app.server.admin import import_practices
from facilitator_app.sync.protocol import PROTOCOL_VERSION
from tests.server.helpers import PASSWORD, Api, Device


def token_request(api: Api, name: str, password: str):
    return api.client.post("/auth/v1/token", json={"username": name, "password": password})


def test_token_is_issued_and_stored_only_as_a_hash(api: Api) -> None:
    api.user("ann")
    r = token_request(api, "ann", PASSWORD)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"] == {"name": "ann", "role": "facilitator",
                                                                "cooperative": "coop", "full_name": "",
                                                                "email": ""}
    with api.engine.connect() as conn:
        hashes = [h for (h,) in conn.execute(select(t.tokens.c.token_hash))]
        password_hash = conn.execute(select(t.users.c.password_hash)).scalar_one()
    assert body["access_token"] not in hashes and len(hashes) == 2
    assert password_hash.startswith("$argon2id$")


def test_wrong_password_and_unknown_user_are_401(api: Api) -> None:
    api.user("ann")
    for name, pw in (("ann", "wrong password"), ("nobody", PASSWORD)):
        r = token_request(api, name, pw)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_missing_bad_expired_revoked_and_disabled_tokens_are_401(api: Api) -> None:
    ann = api.user("ann")
    pull = {"protocol": PROTOCOL_VERSION, "client_id": ann.client_id, "cursor": 0}
    assert api.client.post("/sync/v1/pull", json=pull).status_code == 401
    assert api.client.post("/sync/v1/pull", json=pull, headers=api.auth("made-up")).status_code == 401
    assert api.client.post("/sync/v1/pull", json=pull, headers=api.auth(ann.token)).status_code == 200
    with api.engine.begin() as conn:
        conn.execute(update(t.tokens).values(expires_ms=1))
    r = api.client.post("/sync/v1/pull", json=pull, headers=api.auth(ann.token))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    fresh = api.login("ann")
    api.admin(accounts.revoke_tokens, "ann")
    assert api.client.post("/sync/v1/pull", json=pull, headers=api.auth(fresh)).status_code == 401
    fresh = api.login("ann")
    api.admin(accounts.set_disabled, "ann", True)
    assert api.client.post("/sync/v1/pull", json=pull, headers=api.auth(fresh)).status_code == 401
    r = token_request(api, "ann", PASSWORD)
    assert r.status_code == 401 and "disabled" in r.json()["message"]


def test_five_failures_a_minute_per_address_gives_429(api: Api) -> None:
    api.user("ann")
    for i in range(5):
        assert token_request(api, f"guess{i}", "nope-nope").status_code == 401
    r = token_request(api, "ann", PASSWORD)  # right password, but this address is locked out
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"


def test_five_failures_a_minute_per_user_gives_429_from_any_address(api: Api) -> None:
    api.user("ann")
    for i in range(5):  # as if from five other machines, through other workers
        api.admin(accounts.record_failure, username="ann", address=f"10.0.0.{i}")
    r = token_request(api, "ann", PASSWORD)
    assert r.status_code == 429
    assert token_request(api, "bob", "whatever1").status_code == 401  # others are not locked out


def _practice_ids(rows: list[dict]) -> set[str]:
    return {r["practice_id"] for r in rows}


def test_facilitator_reads_and_writes_only_assigned_practices(api: Api, tmp_path) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    csv = tmp_path / "practices.csv"
    csv.write_text("id,name,state\np-ann,Ann's Clinic,IL\np-bob,Bob's Clinic,WI\n")
    api.admin(import_practices, csv, cooperative="coop")
    api.admin(accounts.assign, "ann", ["p-ann"])
    api.admin(accounts.assign, "bob", ["p-bob"])
    assert _practice_ids(ann.pull()) == {"p-ann"}
    body = ann.push([ann.create(Contact(practice_id="p-bob", name="Spy"), "contact"),
                     ann.create(Contact(practice_id="p-ann", name="Dr. Lee"), "contact")])
    assert [r["outcome"] for r in body["results"]] == ["rejected", "applied"]
    assert "not assigned" in body["results"][0]["reason"]
    with api.engine.connect() as conn:
        log = conn.execute(select(t.mutation_log.c.outcome, t.mutation_log.c.reason)
                           .where(t.mutation_log.c.practice_id == "p-bob")).one()
    assert log.outcome == "rejected" and "not assigned" in log.reason
    assert _practice_ids(bob.pull()) == {"p-bob"}


def test_a_practice_created_offline_is_assigned_to_its_creator(api: Api) -> None:
    ann = api.user("ann")
    p = Practice(name="New Clinic")
    assert ann.push([ann.create(p, "practice")])["results"][0]["outcome"] == "applied"
    with api.engine.connect() as conn:
        assert accounts.assigned_practices(conn, accounts.get_user(conn, "ann").id) == [p.id]
    # Another facilitator cannot take it over by "creating" the same id.
    bob = api.user("bob")
    assert bob.push([bob.create(p, "practice")])["results"][0]["outcome"] == "rejected"


def test_supervisor_sees_the_cooperative_and_edits_only_checklists(api: Api) -> None:
    ann = api.user("ann")
    other = api.user("olga", cooperative="other-coop")
    sue = api.user("sue", role="supervisor")
    p = Practice(name="Ann's Clinic")
    q = Practice(name="Olga's Clinic")
    ann.push([ann.create(p, "practice"), ann.create(Visit(practice_id=p.id, date=date(2026, 1, 5)), "visit")])
    other.push([other.create(q, "practice")])
    assert _practice_ids(sue.pull()) == {p.id}
    body = sue.push([
        sue.create(ChecklistItem(practice_id=p.id, strategy_id="B1", status="in_progress"), "checklist"),
        sue.create(ChecklistNote(practice_id=p.id, strategy_id="B1", text="Looks good", author="sue",
                                 written_on=date(2026, 1, 5)),
                   "checklist_note"),
        sue.create(Contact(practice_id=p.id, name="Dr. Z"), "contact"),
        sue.create(ChecklistItem(practice_id=q.id, strategy_id="B1", status="selected"), "checklist"),
        sue.create(Practice(name="Sue's own"), "practice"),
    ])
    assert [r["outcome"] for r in body["results"]] == ["applied", "applied", "rejected", "rejected", "rejected"]


def test_admin_cannot_write_records(api: Api) -> None:
    ann = api.user("ann")
    root = api.user("root", role="admin", cooperative=None)
    p = Practice(name="Clinic")
    ann.push([ann.create(p, "practice")])
    assert _practice_ids(root.pull()) == {p.id}  # an admin without a cooperative reads all
    body = root.push([root.mutation("practice", p.id, p.id, {"name": "Hijacked"})])
    assert body["results"][0]["outcome"] == "rejected"


def test_unassigning_resets_and_hides_the_practice(api: Api, tmp_path) -> None:
    ann = api.user("ann")
    a, b = Practice(name="A"), Practice(name="B")
    ann.push([ann.create(a, "practice"), ann.create(b, "practice")])
    assert _practice_ids(ann.pull()) == {a.id, b.id}
    api.admin(accounts.unassign, "ann", [b.id])
    assert ann.pull(expect=409)["error"] == "reset"
    fresh = Device(api, ann.token)
    assert _practice_ids(fresh.pull()) == {a.id}

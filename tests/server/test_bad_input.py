"""Bad input always gets a 4xx ErrorBody naming the problem, never a 500, never a half-applied push."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from facilitator_app.server import tables as t
from facilitator_app.sync.protocol import PROTOCOL_VERSION, ErrorBody
from tests.server.helpers import Api


def assert_error(r, status: int, code: str, *words: str) -> dict:
    assert r.status_code == status, r.text
    body = ErrorBody.model_validate(r.json()).model_dump()
    assert body["error"] == code
    for w in words:
        assert w in body["message"] or w in str(body["detail"]), body
    return body


def test_malformed_json_is_422(api: Api) -> None:
    ann = api.user("ann")
    r = api.client.post("/sync/v1/push", content=b'{"protocol": 1, "client_id": ', headers={
        **api.auth(ann.token), "Content-Type": "application/json"})
    assert_error(r, 422, "invalid", "not valid JSON")


@pytest.mark.parametrize("payload, field", [
    ({"protocol": "one", "client_id": "c", "mutations": []}, "protocol"),
    ({"protocol": 1, "client_id": "c", "mutations": "all of them"}, "mutations"),
    ({"protocol": 1, "client_id": "c", "mutations": [], "extra": 1}, "extra"),
    ({"protocol": 1, "client_id": "c", "mutations": [{"id": 0, "uuid": "u", "name": "put", "hlc": "h",
      "args": {"entity": "visit", "id": "v", "practice_id": "p", "fields": {}}}]}, "mutations.0.id"),
    ({"protocol": 1, "client_id": "c", "mutations": [{"id": 1, "uuid": "u", "name": "drop", "hlc": "h",
      "args": {"entity": "visit", "id": "v", "practice_id": "p", "fields": {}}}]}, "mutations.0.name"),
    ({"protocol": 1, "client_id": "c", "mutations": [{"id": 1, "uuid": "u", "name": "put", "hlc": "h",
      "args": {"entity": "invoice", "id": "v", "practice_id": "p", "fields": {}}}]}, "entity"),
    ({"client_id": "c", "mutations": []}, "protocol"),
])
def test_wrong_types_and_unknown_fields_are_422_naming_the_field(api: Api, payload: dict, field: str) -> None:
    ann = api.user("ann")
    r = api.client.post("/sync/v1/push", json=payload, headers=api.auth(ann.token))
    assert_error(r, 422, "invalid", field)


def test_bad_pull_and_login_bodies_are_422(api: Api) -> None:
    ann = api.user("ann")
    r = api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": "c", "cursor": -1},
                        headers=api.auth(ann.token))
    assert_error(r, 422, "invalid", "cursor")
    r = api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": "c", "cursor": 0,
                                               "limit": 10**9}, headers=api.auth(ann.token))
    assert_error(r, 422, "invalid", "limit")
    assert_error(api.client.post("/auth/v1/token", json={"username": "ann"}), 422, "invalid", "password")
    assert_error(api.client.post("/auth/v1/token", json=[1, 2]), 422, "invalid")
    assert_error(api.client.get("/reports/v1/intensity?today=yesterday", headers=api.auth(ann.token)),
                 422, "invalid", "today")


def test_unknown_address_and_method_are_error_bodies(api: Api) -> None:
    assert_error(api.client.get("/nowhere"), 404, "not_found")
    r = api.client.get("/sync/v1/push")
    assert r.status_code == 405 and ErrorBody.model_validate(r.json()).error == "invalid"


def test_a_rejected_push_applies_nothing_of_the_bad_mutation(api: Api) -> None:
    ann = api.user("ann")
    m = ann.mutation("practice", "p1", "p1", {"name": "Ok", "clinicians": -4, "state": "ZZ"})
    body = ann.push([m])
    assert body["results"][0]["outcome"] == "rejected"
    assert "State" in body["results"][0]["reason"] and "clinicians" in body["results"][0]["reason"]
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.rows)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(t.practices)).scalar_one() == 0


def test_garbage_clock_is_rejected_not_500(api: Api) -> None:
    ann = api.user("ann")
    body = ann.push([ann.mutation("practice", "p1", "p1", {"name": "Ok"}, hlc="tomorrow-ish")])
    assert body["results"][0]["outcome"] == "rejected" and "clock" in body["results"][0]["reason"]

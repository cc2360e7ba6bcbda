"""Regression tests for review fixes: unstorable text, non-canonical clocks, the sign-in limit
under parallel guesses, and practice ids the app cannot sync."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select

from facilitator_app.server import accounts, signin
from facilitator_app.server import tables as t
from facilitator_app.server.admin import import_practices
from facilitator_app.sync.protocol import PROTOCOL_VERSION, ErrorBody
from tests.server.helpers import PASSWORD, Api, Device


def _raw_push(api: Api, device: Device, mutations: list) -> object:
    # ensure_ascii keeps lone surrogates and NULs as JSON escapes, as a hostile client would send them
    body = json.dumps({"protocol": PROTOCOL_VERSION, "client_id": device.client_id, "mutations": mutations})
    return api.client.post("/sync/v1/push", content=body,
                           headers={**api.auth(device.token), "content-type": "application/json"})


def _setup(api: Api, tmp_path) -> Device:
    ann = api.user("ann")
    csv = tmp_path / "p.csv"
    csv.write_text("id,name\np1,One\n")
    api.admin(import_practices, csv, cooperative="coop")
    api.admin(accounts.assign, "ann", ["p1"])
    return ann


@pytest.mark.parametrize("case", ["surrogate_value", "nul_id", "nul_clock"])
def test_unstorable_text_is_rejected_not_500(api: Api, tmp_path, case: str) -> None:
    ann = _setup(api, tmp_path)
    bad = {"surrogate_value": lambda: ann.mutation("contact", "c1", "p1", {"name": "\ud800"}),
           "nul_id": lambda: ann.mutation("contact", "c\x00", "p1", {"name": "x"}),
           "nul_clock": lambda: ann.mutation("contact", "c1", "p1", {"name": "x"}, hlc="0\x00")}[case]()
    good = ann.mutation("contact", "c2", "p1", {"name": "Dr. Lee", "deleted": False})
    r = _raw_push(api, ann, [bad, good])
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["outcome"] for x in results] == ["rejected", "applied"]
    with api.engine.connect() as conn:
        assert conn.execute(select(t.mutation_log.c.outcome).order_by(t.mutation_log.c.mutation_id)).scalars().all() \
            == ["rejected", "applied"]
        assert conn.execute(select(t.rows.c.id).where(t.rows.c.entity == "contact")).scalars().all() == ["c2"]


def test_unstorable_client_id_uuid_and_username_are_422(api: Api, tmp_path) -> None:
    ann = _setup(api, tmp_path)
    m = ann.mutation("contact", "c1", "p1", {"name": "x"}, uuid_="u\x00")
    r = _raw_push(api, ann, [m])
    assert r.status_code == 422 and ErrorBody.model_validate(r.json()).error == "invalid"
    r = api.client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": "c\x00", "cursor": 0},
                        headers=api.auth(ann.token))
    assert r.status_code == 422 and ErrorBody.model_validate(r.json()).error == "invalid"
    r = api.client.post("/auth/v1/token", json={"username": "ann\x00", "password": PASSWORD})
    assert r.status_code == 422 and ErrorBody.model_validate(r.json()).error == "invalid"


def test_a_non_canonical_clock_cannot_win_every_field_forever(api: Api, tmp_path) -> None:
    ann = _setup(api, tmp_path)
    # int() reads "0_0000000000000" as 0, but as text it sorts above every real clock
    body = ann.push([ann.mutation("practice", "p1", "p1", {"name": "Hijacked"}, hlc="0_0000000000000-000000-x")])
    assert body["results"][0]["outcome"] == "rejected" and "clock" in body["results"][0]["reason"]
    body = ann.push([ann.mutation("practice", "p1", "p1", {"name": "Later edit"},
                                  hlc="０００００００００００００００-000000-x")])  # fullwidth digits
    assert body["results"][0]["outcome"] == "rejected"
    body = ann.push([ann.mutation("practice", "p1", "p1", {"name": "Real edit"})])
    assert body["results"][0]["outcome"] in ("applied", "applied_conflict")
    with api.engine.connect() as conn:
        data = json.loads(conn.execute(select(t.rows.c.data).where(t.rows.c.id == "p1")).scalar_one())
    assert data["name"] == "Real edit"


def test_parallel_guesses_cannot_exceed_the_sign_in_limit(api: Api, monkeypatch) -> None:
    api.user("ann")
    real = signin.verify_password

    def slow_verify(hash_, password):  # widen the window between the limit check and the failure record
        time.sleep(0.5)
        return real(hash_, password)

    monkeypatch.setattr(signin, "verify_password", slow_verify)  # the check the API and the dashboard share
    codes: list[int] = []

    def guess(i: int) -> None:
        codes.append(api.client.post("/auth/v1/token", json={"username": "ann", "password": f"guess-{i}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(codes) == [401] * 5 + [429] * 5
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.login_attempts)).scalar_one() == 5


def test_a_successful_sign_in_is_not_counted_as_a_failure(api: Api) -> None:
    api.user("ann")
    for _ in range(6):
        assert api.client.post("/auth/v1/token", json={"username": "ann", "password": PASSWORD}).status_code == 200
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.login_attempts)).scalar_one() == 0


def test_practice_import_refuses_ids_the_app_cannot_sync(api: Api, tmp_path) -> None:
    api.user("ann")
    csv = tmp_path / "p.csv"
    csv.write_text(f"id,name\nok-1,One\n{'x' * 201},Too long\n")
    with pytest.raises(accounts.AdminError, match="line 3"):
        api.admin(import_practices, csv, cooperative="coop")
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.practices)).scalar_one() == 0

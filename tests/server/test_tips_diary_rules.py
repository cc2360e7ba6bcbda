"""Who may write tips, helpful marks and diary entries, and what the server keeps of them.

Every refusal here is what a hostile or mistaken client could send; each is answered with a
reason a person can act on and leaves nothing stored."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from facilitator_app.core.model import DiaryEntry, Tip, tip_mark_id
from facilitator_app.server import tables as t
from tests.server.helpers import Api, Device

TODAY = date.today().isoformat()


def _tip(device: Device, **fields: Any) -> tuple[str, dict[str, Any]]:
    tip = Tip("B3", "Check cuff size before every reading", written_on=date.today(), **fields)
    m = device.create(tip, "tip")
    return tip.id, m


def _pushed(device: Device, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    return device.push(list(mutations))["results"]


def _stored(api: Api, entity: str, row_id: str) -> dict[str, Any] | None:
    with api.engine.connect() as conn:
        row = conn.execute(select(t.rows.c.data, t.rows.c.practice_id).where(
            (t.rows.c.entity == entity) & (t.rows.c.id == row_id))).first()
    return None if row is None else {**json.loads(row.data), "_scope": row.practice_id}


def test_a_tip_is_stored_under_the_cooperative_with_its_author(api: Api) -> None:
    ann = api.user("ann")
    tip_id, m = _tip(ann)
    m["args"]["fields"]["written_by"] = "somebody else"
    assert _pushed(ann, m)[0]["outcome"] == "applied"
    stored = _stored(api, "tip", tip_id)
    assert stored is not None and stored["written_by"] == "ann" and stored["_scope"].startswith("~coop:")
    assert stored["practice_id"] == stored["_scope"]


def test_only_the_author_changes_a_tip_and_only_a_supervisor_pins_it(api: Api) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    sue = api.user("sue", role="supervisor")
    tip_id, m = _tip(ann)
    _pushed(ann, m)
    scope = _stored(api, "tip", tip_id)["_scope"]  # type: ignore[index]
    edit = bob.mutation("tip", tip_id, scope, {"text": "Bob's words"})
    result = _pushed(bob, edit)[0]
    assert result["outcome"] == "rejected" and "Only ann" in result["reason"]
    withdraw = bob.mutation("tip", tip_id, scope, {"deleted": True})
    assert _pushed(bob, withdraw)[0]["outcome"] == "rejected"
    pin = ann.mutation("tip", tip_id, scope, {"pinned": True})
    result = _pushed(ann, pin)[0]
    assert result["outcome"] == "rejected" and "supervisor" in result["reason"]
    _, sneaky = _tip(bob, pinned=True)
    assert _pushed(bob, sneaky)[0]["outcome"] == "rejected"  # born pinned
    flags = sue.mutation("tip", tip_id, scope, {"pinned": True, "hidden": True})
    assert _pushed(sue, flags)[0]["outcome"].startswith("applied")
    assert _pushed(sue, sue.mutation("tip", tip_id, scope, {"text": "Sue's words"}))[0]["outcome"] == "rejected"
    stored = _stored(api, "tip", tip_id)
    assert stored is not None and stored["pinned"] and stored["hidden"]
    assert stored["text"] == "Check cuff size before every reading" and stored["written_by"] == "ann"


def test_another_cooperative_cannot_see_or_touch_a_tip(api: Api) -> None:
    ann = api.user("ann")
    zed = api.user("zed", cooperative="other")
    tip_id, m = _tip(ann)
    _pushed(ann, m)
    assert [c["id"] for c in ann.pull() if c["entity"] == "tip"] == [tip_id]
    assert [c for c in zed.pull() if c["entity"] in ("tip", "tip_mark")] == []
    scope = _stored(api, "tip", tip_id)["_scope"]  # type: ignore[index]
    for fields in ({"text": "zed was here"}, {"deleted": True}):
        result = _pushed(zed, zed.mutation("tip", tip_id, scope, fields))[0]
        assert result["outcome"] == "rejected" and result["reason"] == f"There is no tip {tip_id} on the server."
    mark = zed.mutation("tip_mark", tip_mark_id(tip_id, "zed"), "~coop", {"tip_id": tip_id, "helpful": True})
    assert _pushed(zed, mark)[0]["outcome"] == "rejected"
    assert _stored(api, "tip_mark", tip_mark_id(tip_id, "zed")) is None


def test_a_helpful_mark_counts_only_its_own_author(api: Api) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    tip_id, m = _tip(ann)
    _pushed(ann, m)
    forged = bob.mutation("tip_mark", tip_mark_id(tip_id, "carol"), "~coop", {"tip_id": tip_id, "helpful": True})
    result = _pushed(bob, forged)[0]
    assert result["outcome"] == "rejected" and "sign in as yourself" in result["reason"]
    mine = bob.mutation("tip_mark", tip_mark_id(tip_id, "bob"), "~coop",
                        {"tip_id": tip_id, "helpful": True, "by": "carol"})
    assert _pushed(bob, mine)[0]["outcome"] == "applied"
    assert _stored(api, "tip_mark", tip_mark_id(tip_id, "bob"))["by"] == "bob"  # type: ignore[index]
    orphan = bob.mutation("tip_mark", tip_mark_id("no-such-tip", "bob"), "~coop", {"tip_id": "no-such-tip"})
    assert "must sync first" in _pushed(bob, orphan)[0]["reason"]


def test_diary_entries_reach_only_their_author_and_the_cooperatives_supervisors(api: Api) -> None:
    ann, bob = api.user("ann"), api.user("bob")
    sue = api.user("sue", role="supervisor")
    out = api.user("out", role="supervisor", cooperative="other")
    entry = DiaryEntry(date.today(), "The front desk now books the follow-up", tags=["success"], shared=True)
    assert _pushed(ann, ann.create(entry, "diary_entry"))[0]["outcome"] == "applied"
    assert [c["fields"]["text"] for c in ann.pull() if c["entity"] == "diary_entry"] == [entry.text]
    assert [c["fields"]["text"] for c in sue.pull() if c["entity"] == "diary_entry"] == [entry.text]
    assert [c for c in bob.pull() if c["entity"] == "diary_entry"] == []
    assert [c for c in out.pull() if c["entity"] == "diary_entry"] == []
    scope = _stored(api, "diary_entry", entry.id)["_scope"]  # type: ignore[index]
    for device in (bob, sue):  # nobody else writes into it, not even the supervisor who reads it
        result = _pushed(device, device.mutation("diary_entry", entry.id, scope, {"text": "edited"}))[0]
        assert result["outcome"] == "rejected" and "no diary entry" in result["reason"]


def test_a_private_entry_is_refused_and_a_withdrawn_share_keeps_no_words(api: Api) -> None:
    ann = api.user("ann")
    private = DiaryEntry(date.today(), "PRIVATE words", shared=False)
    result = _pushed(ann, ann.create(private, "diary_entry"))[0]
    assert result["outcome"] == "rejected" and "stay on your computer" in result["reason"]
    shared = DiaryEntry(date.today(), "SHARED words that are later taken back", shared=True)
    _pushed(ann, ann.create(shared, "diary_entry"))
    scope = _stored(api, "diary_entry", shared.id)["_scope"]  # type: ignore[index]
    taken_back = ann.mutation("diary_entry", shared.id, scope, {"deleted": True, "text": "still sent by an old app"})
    assert _pushed(ann, taken_back)[0]["outcome"].startswith("applied")
    stored = _stored(api, "diary_entry", shared.id)
    assert stored is not None and stored["deleted"] and stored["text"] == "" and stored["tags"] == []
    with api.engine.connect() as conn:  # nor does the mutation log keep the words of any diary change
        logged = [r.args for r in conn.execute(select(t.mutation_log.c.args)
                                               .where(t.mutation_log.c.entity == "diary_entry"))]
    assert len(logged) == 3 and not any("words" in a for a in logged)


def test_an_app_of_protocol_2_is_sent_no_tips(api: Api) -> None:
    ann = api.user("ann")
    _, m = _tip(ann)
    _pushed(ann, m)
    r = api.client.post("/sync/v1/pull", json={"protocol": 2, "client_id": ann.client_id, "cursor": 0},
                        headers=api.auth(ann.token))
    assert r.status_code == 200 and r.json()["changes"] == []
    assert [c["entity"] for c in ann.pull()] == ["tip"]


def test_a_practice_id_may_not_pose_as_a_scope_key(api: Api) -> None:
    ann = api.user("ann")
    m = ann.mutation("practice", "~coop:1", "~coop:1", {"name": "Sneaky", "deleted": False})
    result = _pushed(ann, m)[0]
    assert result["outcome"] == "rejected" and "may not start with" in result["reason"]

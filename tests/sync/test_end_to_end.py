"""Sign in, work offline, sync, and see it on another laptop, against a real server process."""

from __future__ import annotations

import datetime as dt

import pytest

from facilitator_app.core.model import ChecklistItem, Practice, Visit
from facilitator_app.store.accounts import Accounts
from facilitator_app.sync.client import AuthError

from .conftest import PASSWORD, Laptop, unique


def test_offline_work_then_sign_in_pushes_everything(server, tmp_path):
    user = unique("ana")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    a = Laptop(tmp_path / "a", server.url)
    p = Practice("Oak Clinic", state="IL")
    a.store.save_practice(p)  # no server yet: local.sqlite
    a.store.save_visit(Visit(p.id, dt.date(2026, 3, 2), minutes=45))
    assert (tmp_path / "a" / "local.sqlite").exists()
    result = a.sign_in(user)
    assert any("sent at the next sync" in m for m in result.messages)
    assert not (tmp_path / "a" / "local.sqlite").exists()
    assert a.store.pending_changes() == 2
    report = a.sync()
    assert report.pushed == 2 and a.store.pending_changes() == 0
    b = Laptop(tmp_path / "b", server.url)
    b.sign_in(user)
    b.sync()
    assert [v.minutes for v in b.store.visits()] == [45]
    assert b.snapshot() == a.snapshot()
    # an edit on b reaches a
    item = ChecklistItem(p.id, "A1", status="selected")
    b.store.set_checklist(item)
    b.sync()
    a.sync()
    assert a.store.checklist_item(p.id, "A1").status == "selected"
    status = a.service.status()
    assert (status.pending, status.conflicts, status.quarantined) == (0, 0, 0) and status.last_sync


def test_accounts_never_mix(server, tmp_path):
    coop = unique("coop")
    ana, ben = unique("ana"), unique("ben")
    server.add_user(ana, PASSWORD, cooperative=coop)
    server.add_user(ben, PASSWORD, cooperative=coop)
    laptop = Laptop(tmp_path / "shared", server.url)
    laptop.sign_in(ana)
    laptop.store.save_practice(Practice("Ana's practice"))
    laptop.sync()
    laptop.sign_in(ben)
    assert laptop.store.practices() == []
    laptop.sync()
    assert laptop.store.practices() == []  # not assigned to ben
    laptop.sign_in(ana)
    assert [p.name for p in laptop.store.practices()] == ["Ana's practice"]
    assert len(Accounts(tmp_path / "shared").all()) == 2


def test_demo_data_is_never_pushed(server, tmp_path):
    user = unique("ana")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    a = Laptop(tmp_path / "a", server.url)
    a.store.bulk_insert([Practice("Demo practice")], outbox=False)
    a.store.set_meta("demo", "1")
    result = a.sign_in(user)
    assert any("demo data" in m for m in result.messages)
    assert a.store.practices() == [] and (tmp_path / "a" / "local.sqlite").exists()


def test_disabled_user_stops_at_once_and_keeps_the_outbox(server, tmp_path):
    user = unique("ana")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    a = Laptop(tmp_path / "a", server.url)
    a.sign_in(user)
    a.store.save_practice(Practice("Oak"))
    a.sync()
    a.store.save_practice(Practice("Elm"))
    server.admin("user", "disable", user)
    with pytest.raises(AuthError, match="Sign in again"):
        a.sync()
    assert a.store.pending_changes() == 1
    assert not a.service.status().signed_in  # the dead token was forgotten

"""Scope: a facilitator never receives an unassigned practice, pushes to one are refused and
quarantined with the server's reason (never blocking the rest), and assignment changes refetch."""

from __future__ import annotations

from facilitator_app.core.model import ChecklistItem, Practice

from .conftest import PASSWORD, Laptop, unique


def test_scope_assignments_and_quarantine(server, tmp_path):
    coop = unique("coop")
    ana, ben = unique("ana"), unique("ben")
    server.add_user(ana, PASSWORD, cooperative=coop)
    server.add_user(ben, PASSWORD, cooperative=coop)
    a, b = Laptop(tmp_path / "a", server.url), Laptop(tmp_path / "b", server.url)
    a.sign_in(ana)
    b.sign_in(ben)
    practice = Practice("Ana's Clinic")
    a.store.save_practice(practice)
    a.sync()
    b.sync()
    assert b.store.practices() == []  # not assigned: never received

    server.admin("assign", ben, practice.id)
    report = b.sync()
    assert report.refetched and [p.name for p in b.store.practices()] == ["Ana's Clinic"]

    b.store.set_checklist(ChecklistItem(practice.id, "A1", status="selected"))
    mine = Practice("Ben's Clinic")
    b.store.save_practice(mine)
    server.admin("unassign", ben, practice.id)
    report = b.sync()
    assert report.rejected == 1 and report.pushed == 2
    quarantined = b.service.quarantined()
    assert len(quarantined) == 1 and "not assigned" in quarantined[0].reason
    assert quarantined[0].fields["status"] == "selected"  # the refused value is kept, visible
    assert [p.name for p in b.store.practices()] == ["Ben's Clinic"]  # the unassigned one is gone
    assert b.store.pending_changes() == 0 and b.service.status().quarantined == 1
    a.sync()
    assert a.store.checklist_item(practice.id, "A1").status == "not_selected"

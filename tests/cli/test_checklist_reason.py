"""`checklist set` follows the one rule on reasons (core.vocab): a reason only with declined, and a
strategy taken up again drops the old refusal."""

from __future__ import annotations

import pytest

from facilitator_app.store import Store

from .test_cli import run, run_json


@pytest.fixture
def oak(capsys, data_dir):
    assert run(capsys, "practice", "add", "Oak Clinic", "--state", "IL")[0] == 0
    return run_json(capsys, "practice", "list")[0]["id"]


def test_a_reason_without_declined_is_refused_and_changes_nothing(capsys, data_dir, oak):
    with Store.open(data_dir / "local.sqlite") as s:
        before = s.pending_changes()
    code, _, err = run(capsys, "checklist", "set", oak, "B1", "--status", "selected", "--reason", "Too busy")
    assert code != 0 and "--reason is kept only for a declined strategy" in err and "Traceback" not in err
    with Store.open(data_dir / "local.sqlite") as s:
        assert s.pending_changes() == before


def test_declined_keeps_the_reason_and_selecting_again_drops_it(capsys, data_dir, oak):
    item = run_json(capsys, "checklist", "set", oak, "B1", "--status", "declined", "--reason", "  No staff  ")
    assert item["status"] == "declined" and item["reason"] == "No staff"
    item = run_json(capsys, "checklist", "set", oak, "B1", "--owner", "Ann")  # still declined: reason stays
    assert item["reason"] == "No staff"
    item = run_json(capsys, "checklist", "set", oak, "B1", "--status", "selected")
    assert item["status"] == "selected" and item["reason"] == ""

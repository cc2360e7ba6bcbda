"""`tip` and `diary` from the command line, on a real SQLite store: what a facilitator types, what
is printed, and what is refused with a reason."""

import pytest

from facilitator_app.store import Store
from tests.cli.test_cli import run, run_json


@pytest.fixture
def signed(data_dir):
    """The account name the app records under (as after a sign-in)."""
    with Store.open_in(data_dir) as store:
        store.set_meta("user", "fay")
    return "fay"


def test_tip_add_list_mark_withdraw(capsys, signed):
    added = run_json(capsys, "tip", "add", "b3", "Put the cuff chart in every room", "--link", "https://example.org/c",
                     "--ownership", "FQHC", "--size", "small")
    tips = run_json(capsys, "tip", "list", "B3")
    assert [(t["id"], t["strategy_id"], t["ownership"], t["size"], t["written_by"], t["helpful"]) for t in tips] == [
        (added["id"], "B3", "fqhc", "small", "fay", 0)]
    assert run_json(capsys, "tip", "helpful", added["id"][:8]) == {"id": added["id"], "helpful": True}
    assert run_json(capsys, "tip", "list")[0]["helpful"] == 1
    run_json(capsys, "tip", "helpful", added["id"][:8])  # once per person, however often
    assert run_json(capsys, "tip", "list")[0]["helpful"] == 1
    run_json(capsys, "tip", "unmark", added["id"][:8])
    assert run_json(capsys, "tip", "list")[0]["helpful"] == 0
    code, out, _ = run(capsys, "tip", "list")
    assert code == 0 and "Put the cuff chart" in out and "https://example.org/c" in out
    run_json(capsys, "tip", "withdraw", added["id"][:8])
    assert run_json(capsys, "tip", "list") == []
    code, out, _ = run(capsys, "tip", "list", "A1")
    assert code == 0 and "No tips yet for A1" in out


@pytest.mark.parametrize(("args", "message"), [
    (["Z9", "text"], "no strategy 'Z9'"),
    (["B3", "text", "--link", "javascript:alert(1)"], "must be a web address"),
    (["B3", "   "], "Tip is required"),
    (["B3", "text", "--size", "huge"], "Practice size must be one of"),
])
def test_tip_add_refuses_what_it_cannot_keep(capsys, signed, args, message):
    code, _, err = run(capsys, "tip", "add", *args)
    assert code != 0 and message in err
    assert run_json(capsys, "tip", "list") == []


def test_diary_private_by_default_share_and_unshare(capsys, data_dir, signed):
    run_json(capsys, "practice", "add", "Oak Clinic")
    private = run_json(capsys, "diary", "add", "The lead seems burnt out", "--practice", "Oak Clinic",
                       "--tag", "barrier", "--strategy", "b3", "--date", "2026-02-28")
    shared = run_json(capsys, "diary", "add", "Huddles work", "--tag", "success", "--share")
    assert (private["shared"], shared["shared"]) == (False, True)
    entries = run_json(capsys, "diary", "list")
    assert [(e["text"], e["shared"], e["tags"], e["about_practice_name"], e["strategies"]) for e in entries] == [
        ("Huddles work", True, ["success"], "", []),
        ("The lead seems burnt out", False, ["barrier"], "Oak Clinic", ["B3"])]
    assert [e["text"] for e in run_json(capsys, "diary", "list", "--tag", "barrier")] == ["The lead seems burnt out"]
    assert [e["text"] for e in run_json(capsys, "diary", "list", "--search", "HUDDLES")] == ["Huddles work"]
    again = run_json(capsys, "diary", "unshare", shared["id"][:8])
    assert again["shared"] is False and again["id"] != shared["id"]
    assert all(not e["shared"] for e in run_json(capsys, "diary", "list"))
    with Store.open_in(data_dir) as store:  # nothing private waits to be sent
        outbox = [r[0] for r in store.conn.execute("SELECT args FROM outbox")]
    assert not any("burnt out" in a or "Huddles" in a for a in outbox)
    assert run_json(capsys, "diary", "share", private["id"][:8])["shared"] is True
    code, _, err = run(capsys, "diary", "add", "x", "--practice", "No Such Clinic")
    assert code != 0 and "No Such Clinic" in err
    code, _, err = run(capsys, "diary", "add", "x", "--tag", "gossip")
    assert code == 2 and "Tag must be one of" in err

"""Next steps from the command line: list, done, drop, reopen; and `visit edit` keeping what is
not given (and never touching how a step was closed)."""

import pytest

from facilitator_app.store import Store
from tests.cli.test_cli import run, run_json


@pytest.fixture
def oak(capsys, data_dir):
    assert run(capsys, "practice", "add", "Oak Clinic", "--state", "IL")[0] == 0
    return run_json(capsys, "practice", "list")[0]["id"]


@pytest.fixture
def visit(capsys, oak):
    return run_json(capsys, "visit", "add", oak, "--date", "2026-11-02", "--minutes", "60",
                    "--next-contact", "2026-12-07", "--attendee", "Ann:champion",
                    "--practice-notes", "Thanks for the tour", "--private-notes", "Leader distracted",
                    "--next-step", "Order cuffs|Ann|+2w", "--next-step", "Fax form|Bo|next visit",
                    "--next-step", "Call the lab||+1m")


def test_due_shortcuts_count_from_the_visit_date(visit):
    due = {s["action"]: s["due"] for s in visit["next_steps"]}
    assert due == {"Order cuffs": "2026-11-16", "Fax form": "2026-12-07", "Call the lab": "2026-12-02"}


def test_done_drop_reopen_and_list(capsys, oak, visit):
    steps = {s["action"]: s["id"] for s in visit["next_steps"]}
    done = run_json(capsys, "next-step", "done", steps["Order cuffs"][:8], "--note", "Cuffs arrived")
    assert (done["status"], done["closing_note"]) == ("done", "Cuffs arrived") and done["closed_on"]
    code, _, err = run(capsys, "next-step", "drop", steps["Fax form"])
    assert code == 2 and "--note" in err  # a drop needs its reason
    dropped = run_json(capsys, "next-step", "drop", steps["Fax form"], "--note", "They use e-referral now")
    assert dropped["status"] == "dropped"
    open_steps = run_json(capsys, "next-step", "list", "Oak Clinic", "--open")
    assert [s["action"] for s in open_steps] == ["Call the lab"]
    code, out, _ = run(capsys, "next-step", "list")
    assert code == 0 and "dropped" in out and "done" in out and "Call the lab" in out
    again = run_json(capsys, "next-step", "reopen", steps["Fax form"])
    assert (again["status"], again["closed_on"], again["closed_by"]) == ("open", None, "")
    code, _, err = run(capsys, "next-step", "done", "no-such-step-id")
    assert code != 0 and "No single next step matches" in err


def test_visit_edit_changes_only_what_is_given_and_keeps_closed_steps_closed(capsys, data_dir, oak, visit):
    steps = {s["action"]: s["id"] for s in visit["next_steps"]}
    run_json(capsys, "next-step", "done", steps["Order cuffs"])
    edited = run_json(capsys, "visit", "edit", visit["id"][:8], "--minutes", "90")
    assert edited["minutes"] == 90
    for key in ("date", "attendees", "practice_notes", "private_notes", "next_contact", "mode", "planned"):
        assert edited[key] == visit[key], key
    assert {s["action"]: s["status"] for s in edited["next_steps"]} == {
        "Order cuffs": "done", "Fax form": "open", "Call the lab": "open"}
    # Replacing the step list keeps a listed step's record (and its status); an unlisted one goes.
    edited = run_json(capsys, "visit", "edit", visit["id"], "--next-step", "Order cuffs|Ann|2026-11-20",
                      "--next-step", "Book the huddle")
    assert {s["action"]: (s["status"], s["due"]) for s in edited["next_steps"]} == {
        "Order cuffs": ("done", "2026-11-20"), "Book the huddle": ("open", None)}
    assert next(s["id"] for s in edited["next_steps"] if s["action"] == "Order cuffs") == steps["Order cuffs"]
    code, out, _ = run(capsys, "visit", "edit", visit["id"], "--minutes", "90")
    assert code == 0 and "nothing changed" in out
    code, _, err = run(capsys, "visit", "edit", visit["id"], "--minutes", "0")
    assert code != 0 and "Minutes must be between 1 and 720" in err
    with Store.open(data_dir / "local.sqlite") as s:
        assert s.visit(visit["id"]).minutes == 90


def test_bad_due_shortcut_is_a_clear_error(capsys, oak):
    code, _, err = run(capsys, "visit", "add", oak, "--next-step", "Call|Ann|next tuesday")
    assert code != 0 and "must be a date like 2026-03-31, or +3d, +1w" in err
    code, _, err = run(capsys, "visit", "add", oak, "--next-step", "Call|Ann|next visit")
    assert code != 0 and "needs the next contact date" in err

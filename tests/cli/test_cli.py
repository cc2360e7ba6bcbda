"""Every headless command end to end, through the same entry point as the console script."""

import json
import subprocess
import sys

import pytest

from facilitator_app.cli import main
from facilitator_app.store import Store


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def oak(capsys, data_dir):
    assert run(capsys, "practice", "add", "Oak Clinic", "--state", "il", "--ownership", "FQHC",
               "--clinicians", "4", "--ehr", "Epic", "--region", "Central", "--enrolled", "2026-01-05")[0] == 0
    return run_json(capsys, "practice", "list")[0]["id"]


def test_practice_add_list_show(capsys, data_dir, oak):
    code, out, _ = run(capsys, "practice", "list")
    assert code == 0 and "Oak Clinic" in out and "Central" in out
    shown = run_json(capsys, "practice", "show", "oak clinic")
    assert shown["practice"]["state"] == "IL" and shown["practice"]["ownership"] == "fqhc"
    code, out, _ = run(capsys, "practice", "show", oak[:8])
    assert "Ownership: FQHC" in out


def test_full_record_keeping_flow(capsys, data_dir, oak):
    assert run(capsys, "contact", "add", oak, "Łukasz O'Brien", "--role", "practice leader",
               "--email", "lukasz@example.org")[0] == 0
    assert run(capsys, "plan", "set", oak, "--cadence", "monthly", "--visits", "12", "--hours", "14",
               "--strategies", "b1, b2,S4", "--set-by", "Łukasz O'Brien")[0] == 0
    visit = run_json(capsys, "visit", "add", oak, "--date", "2026-11-20", "--start-time", "09:30", "--mode", "video",
                     "--minutes", "75", "--travel-minutes", "0", "--unplanned",
                     "--attendee", "Łukasz O'Brien:practice_leader", "--attendee", "Ann",
                     "--activity", "coaching", "--activity", "Teaching", "--strategy", "B1:in_progress",
                     "--strategy", "S4:implemented", "--key-driver", "Use of own data", "--pdsa-aim", "Repeat BP",
                     "--pdsa-change", "MA repeats", "--pdsa-decision", "adopt", "--data-reviewed", "Q3 report",
                     "--barriers", "Staff turnover", "--disruption", "clinician_loss", "--engagement", "4",
                     "--practice-notes", "Good <b>visit</b> & more", "--private-notes", "Leader was late",
                     "--next-step", "Order cuffs|Ann|2026-12-01",
                     "--next-step", "Fax form", "--next-contact", "2026-12-18", "--resource", "Quitline cards")
    assert visit["minutes"] == 75 and visit["planned"] is False and visit["pdsa"]["decision"] == "adopt"
    assert visit["strategies"][0] == {"strategy_id": "B1", "status_before": "selected", "status_after": "in_progress",
                                      "note": ""}
    code, out, _ = run(capsys, "visit", "show", visit["id"][:8])
    assert "Strategy S4: Selected -> Implemented" in out and "Good <b>visit</b> & more" in out
    assert "Next step: Order cuffs (owner Ann, due 2026-12-01, open)" in out and "Private notes: Leader was late" in out
    assert [s["action"] for s in visit["next_steps"]] == ["Order cuffs", "Fax form"]
    listed = run_json(capsys, "visit", "list", "--practice", "Oak Clinic")
    assert [v["id"] for v in listed] == [visit["id"]]
    item = run_json(capsys, "checklist", "set", oak, "B1", "--step", "1", "--step", "3", "--owner", "Ann",
                    "--target-date", "2027-01-31", "--note", "Cuffs ordered")
    assert item["status"] == "in_progress" and item["steps_done"] == [1, 3]
    assert run(capsys, "measure", "add", oak, "b", "--period-end", "2026-09-30", "--numerator", "64",
               "--denominator", "100", "--version", "CMS165v12")[0] == 0
    shown = run_json(capsys, "practice", "show", oak)
    assert {i["strategy_id"]: i["status"] for i in shown["checklist"]} == {"B1": "in_progress", "B2": "selected",
                                                                           "S4": "implemented"}
    assert shown["measures"][0]["numerator"] == 64 and shown["plan"]["planned_hours"] == 14
    (summary,) = run_json(capsys, "practice", "list")
    assert (summary["visits"], summary["implemented"], summary["selected"]) == (1, 1, 3)
    with Store.open(data_dir / "local.sqlite") as s:
        notes = s.checklist_notes(oak, "B1")
        assert [n.text for n in notes] == ["Cuffs ordered"]
        # practice, contact, plan, 3 selected, visit, 2 next steps, B1+S4 moved, checklist set, note, measure
        assert s.pending_changes() == 1 + 1 + 1 + 3 + 1 + 2 + 2 + 1 + 1 + 1


@pytest.mark.parametrize("argv, message", [
    (["visit", "add", "{oak}", "--minutes", "0"], "Minutes must be between 1 and 720"),
    (["visit", "add", "{oak}", "--minutes", "ten"], "Minutes must be a whole number (got 'ten')"),
    (["visit", "add", "{oak}", "--date", "23/11/2026"], "must look like 2026-03-31"),
    (["visit", "add", "{oak}", "--mode", "carrier pigeon"], "Mode must be one of"),
    (["visit", "add", "{oak}", "--strategy", "Z9"], "There is no strategy 'Z9'"),
    (["visit", "add", "{oak}", "--engagement", "7"], "Engagement rating must be between 1 and 5"),
    (["visit", "add", "Nowhere Clinic"], "No practice matches 'Nowhere Clinic'"),
    (["measure", "add", "{oak}", "A", "--period-end", "2026-09-30", "--numerator", "9", "--denominator", "5"],
     "Numerator cannot be larger than denominator"),
    (["checklist", "set", "{oak}", "B1", "--status", "declined"],
     "Give a reason when the practice declines a strategy"),
    (["checklist", "set", "{oak}", "B1", "--step", "12"], "Step 12 does not exist"),
    (["practice", "add", "X", "--state", "Illinois"], "is not a US state code"),
    (["contact", "add", "{oak}", "Bo", "--email", "bo@"], "does not look like an email address"),
    (["plan", "set", "{oak}", "--strategies", "B1,Q7"], "Unknown strategy id(s): Q7"),
    (["toolkit", "show", "B99"], "There is no strategy 'B99'"),
])
def test_bad_input_gets_a_specific_message_and_changes_nothing(capsys, data_dir, oak, argv, message):
    with Store.open(data_dir / "local.sqlite") as s:
        before = (s.pending_changes(), s.get_meta("hlc"))
    code, out, err = run(capsys, *[a.replace("{oak}", oak) for a in argv])
    assert code != 0
    assert message in err
    assert "Traceback" not in err
    with Store.open(data_dir / "local.sqlite") as s:
        assert (s.pending_changes(), s.get_meta("hlc")) == before


def test_toolkit_list_and_show(capsys, data_dir):
    listed = run_json(capsys, "toolkit", "list", "--domain", "S")
    assert [s["id"] for s in listed] == [f"S{n}" for n in range(1, 8)]
    assert [s["id"] for s in run_json(capsys, "toolkit", "list", "--search", "quitline", "--arm", "PM")] == ["S7"]
    code, out, _ = run(capsys, "toolkit", "show", "s4")
    assert code == 0 and "1-800-784-8669" in out and "Steps:" in out


def test_demo_fills_an_empty_folder_and_never_syncs(capsys, data_dir):
    result = run_json(capsys, "demo", "--practices", "6", "--months", "6", "--seed", "4")
    assert result["practices"] == 6 and result["visits"] > 6
    listed = run_json(capsys, "practice", "list")
    assert len(listed) == 6 and all(p["planned_visits"] for p in listed)
    with Store.open(data_dir / "local.sqlite") as s:
        assert s.pending_changes() == 0 and s.get_meta("demo") == "1"
    code, _, err = run(capsys, "demo")
    assert code == 1 and "already has practices" in err


def test_demo_is_deterministic_for_a_seed(capsys, tmp_path):
    lists = []
    for n in range(2):
        run(capsys, "--data-dir", tmp_path / f"d{n}", "demo", "--practices", "3", "--seed", "9")
        lists.append([(p["name"], p["visits"], p["hours"]) for p in
                      run_json(capsys, "--data-dir", tmp_path / f"d{n}", "practice", "list")])
    assert lists[0] == lists[1]


def test_export_json_and_csv(capsys, data_dir, oak, tmp_path):
    run(capsys, "visit", "add", oak, "--private-notes", "Nguyễn Thị Ánh attended")
    result = run_json(capsys, "export", "--format", "json", "--out", tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "fieldkit-export.json").read_text(encoding="utf-8"))
    assert doc["records"]["visit"][0]["private_notes"] == "Nguyễn Thị Ánh attended"
    assert result["counts"]["practice"] == 1
    run_json(capsys, "export", "--format", "csv", "--out", tmp_path / "csv")
    assert "Nguyễn" in (tmp_path / "csv" / "visits.csv").read_text(encoding="utf-8")
    code, _, err = run(capsys, "export", "--format", "csv", "--out", tmp_path / "csv")
    assert code == 1 and "choose an empty folder or add --overwrite" in err


def test_import_practices_all_or_nothing(capsys, data_dir, oak, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,state,clinicians,ownership\nGood Clinic,IL,3,fqhc\n,ZZ,x,\nOak Clinic,IL,2,\n"
                   "Dup,WI,1,\nDup,WI,1,weird\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "practices", bad)
    assert code == 1 and "nothing was imported" in err
    for expected in ("line 3: clinicians 'x' must be a whole number", "line 3: Practice name is required",
                     "line 4: a practice named 'Oak Clinic' already exists", "line 6: 'Dup' is also on line 5",
                     "line 6: Ownership must be one of"):
        assert expected in err
    assert len(run_json(capsys, "practice", "list")) == 1
    good = tmp_path / "good.csv"
    good.write_text("name,state,region,status,enrolled_on\nMuñoz Family Medicine,wi,North,paused,2026-02-01\n"
                    "Søn Clinic,IN,,,\n", encoding="utf-8")
    assert run_json(capsys, "import", "practices", good)["imported"] == 2
    names = {p["name"]: p for p in run_json(capsys, "practice", "list")}
    assert names["Muñoz Family Medicine"]["status"] == "paused" and names["Muñoz Family Medicine"]["state"] == "WI"
    code, _, err = run(capsys, "import", "practices", tmp_path / "missing.csv")
    assert code == 1 and "File not found" in err


def test_data_dir_option_beats_environment(capsys, data_dir, tmp_path):
    other = tmp_path / "other"
    run(capsys, "--data-dir", other, "practice", "add", "Elsewhere")
    run(capsys, "practice", "add", "Here", "--data-dir", data_dir)
    assert [p["name"] for p in run_json(capsys, "--data-dir", other, "practice", "list")] == ["Elsewhere"]
    assert [p["name"] for p in run_json(capsys, "practice", "list")] == ["Here"]


def test_console_script_runs(data_dir):
    result = subprocess.run([sys.executable, "-m", "facilitator_app.cli", "practice", "list"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "No practices yet" in result.stdout
    result = subprocess.run([sys.executable, "-m", "facilitator_app.cli", "visit", "add"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "the following arguments are required: practice" in result.stderr


def test_damaged_database_gives_clear_error(capsys, data_dir):
    (data_dir / "local.sqlite").write_bytes(b"garbage" * 100)
    code, _, err = run(capsys, "practice", "list")
    assert code == 1 and "damaged or is not a Field Kit database" in err


def test_toolkit_install_replaces_the_shipped_toolkit(capsys, data_dir, tmp_path):
    from facilitator_app.core.toolkit import default_toolkit_path
    doc = json.loads(default_toolkit_path().read_text(encoding="utf-8"))
    doc["version"] = "coop-7"
    doc["strategies"][5]["title"] = "Our registry of IVD patients"
    custom = tmp_path / "coop.json"
    custom.write_text(json.dumps(doc), encoding="utf-8")
    assert run_json(capsys, "toolkit", "install", custom)["version"] == "coop-7"
    assert run_json(capsys, "toolkit", "show", "A6")["title"] == "Our registry of IVD patients"
    doc["strategies"].pop()
    custom.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run(capsys, "toolkit", "install", custom)
    assert code == 1 and "exactly 35 strategies (found 34)" in err
    assert run_json(capsys, "toolkit", "show", "A6")["toolkit_version"] == "coop-7"


def test_data_dir_that_is_a_file_gives_a_message_not_a_traceback(capsys, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    code, out, err = run(capsys, "--data-dir", blocker, "practice", "list")
    assert code == 1 and "Traceback" not in err and "cannot be used" in err


def test_demo_rows_and_demo_flag_are_one_transaction(capsys, data_dir, monkeypatch):
    """If the flag cannot be written, the demo rows must not stay behind unflagged (an unflagged
    demo file is adopted into the facilitator's account at sign-in)."""
    from facilitator_app.core.errors import FieldKitError

    def refuse(self, key, value):
        raise FieldKitError("disk full")
    monkeypatch.setattr(Store, "set_meta", refuse)
    run(capsys, "demo", "--practices", "2", "--months", "1")
    with Store.open_in(data_dir) as store:
        assert not store.practices() or store.get_meta("demo") == "1"


def test_checklist_status_and_note_are_one_transaction(capsys, data_dir, oak, monkeypatch):
    from facilitator_app.core.errors import FieldKitError

    real_put = Store.put

    def put(self, tx, entity, record):
        if entity == "checklist_note":
            raise FieldKitError("disk full")
        return real_put(self, tx, entity, record)
    monkeypatch.setattr(Store, "put", put)
    code, _, err = run(capsys, "checklist", "set", oak, "B2", "--status", "in_progress", "--note", "Started")
    assert code == 1 and "disk full" in err
    with Store.open_in(data_dir) as store:
        assert store.checklist_item(oak, "B2").status == "not_selected"
        assert store.pending_changes() == 1  # only the practice


def test_login_with_an_overlong_password_never_echoes_it(capsys, data_dir, monkeypatch):
    import io

    secret = "S3cr3t-" + "p" * 1000
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    code, out, err = run(capsys, "login", "--server", "http://127.0.0.1:9", "--user", "ann", "--password-stdin")
    assert code == 1 and "Traceback" not in err and "too long" in err
    assert "S3cr3t" not in out + err and "ppppp" not in out + err

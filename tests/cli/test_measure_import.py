"""`measure import` and `measure list` end to end on real SQLite files: a quarterly QRDA III
export becomes run-chart points with one command, twice changes nothing, other numbers need
--replace and keep the old ones, --dry-run writes nothing, bad files write nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from facilitator_app.cli import main
from facilitator_app.reports.data import measure_series
from facilitator_app.store import Store
from tests.qrda_files import ABCS_FOUR, entry, qrda3


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def oak(capsys, data_dir):
    assert run(capsys, "practice", "add", "Oak Clinic")[0] == 0
    return "Oak Clinic"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def state(data_dir: Path) -> tuple[list[tuple], int]:
    """Every measure row as stored, and the outbox length: what "nothing changed" means."""
    with Store.open_in(data_dir) as store:
        rows = [tuple(r) for r in store.conn.execute("SELECT * FROM measures ORDER BY id")]
        return rows, store.pending_changes()


def test_import_twice_changes_nothing(capsys, data_dir, oak, tmp_path):
    q3 = write(tmp_path, "oak-2025q3.xml", qrda3(ABCS_FOUR + [entry("CMS122", {"IPOP": 5, "DENOM": 5, "NUMER": 1})]))
    code, out, err = run(capsys, "measure", "import", q3, "--practice", oak)
    assert code == 0, err
    assert "Imported: 4 added, 0 replaced, 0 unchanged, 1 skipped." in out
    assert "Skipped measure 5 (Diabetes" in out and "not one of the ABCS measures" in out
    before = state(data_dir)
    assert len(before[0]) == 4 and before[1] == 4 + 1  # the practice and four measure values
    code, out, _ = run(capsys, "measure", "import", q3, "--practice", oak)
    assert code == 0 and "Nothing changed" in out and "4 unchanged" in out
    assert state(data_dir) == before

    code, out, _ = run(capsys, "measure", "list", oak, "--json")
    listed = json.loads(out)
    assert {(m["cms_id"], m["period_end"], m["numerator"], m["denominator"]) for m in listed} == {
        ("CMS165", "2025-09-30", 420, 600), ("CMS138", "2025-09-30", 1100, 1480),
        ("CMS347", "2025-09-30", 350, 500), ("CMS164", "2025-09-30", 100, 140)}
    today = date.today().isoformat()
    assert all(m["source"].startswith(f"QRDA III file oak-2025q3.xml, imported {today}") for m in listed)
    assert next(m for m in listed if m["cms_id"] == "CMS138")["source"].endswith("; population 3 of 3")
    code, out, _ = run(capsys, "measure", "list")
    assert code == 0 and "Oak Clinic" in out and "QRDA III file oak-2025q3.xml" in out


def test_other_numbers_need_replace_and_keep_the_old_ones(capsys, data_dir, oak, tmp_path):
    assert run(capsys, "measure", "add", oak, "B", "--period-end", "2025-09-30", "--numerator", "400",
               "--denominator", "600", "--source", "typed from the EHR screen")[0] == 0
    q3 = write(tmp_path, "q3.xml", qrda3(ABCS_FOUR))
    before = state(data_dir)
    code, out, err = run(capsys, "measure", "import", q3, "--practice", oak)
    assert code == 1
    assert "conflict  CMS165   2025-09-30  420/600" in out and "400/600" in out
    assert "Nothing was imported" in err and "--replace" in err
    assert state(data_dir) == before  # not even the three new measures

    code, out, err = run(capsys, "measure", "import", q3, "--practice", oak, "--replace", "--json")
    assert code == 0, err
    report = json.loads(out)
    statuses = {v["cms_id"]: v["status"] for v in report["values"]}
    assert statuses == {"CMS165": "replaced", "CMS138": "added", "CMS347": "added", "CMS164": "added"}
    assert report["written"] is True
    code, out, _ = run(capsys, "measure", "list", oak, "--json")
    bp = next(m for m in json.loads(out) if m["cms_id"] == "CMS165")
    assert (bp["numerator"], bp["denominator"]) == (420, 600)
    assert bp["history"] == [{"numerator": 400, "denominator": 600, "replaced_on": date.today().isoformat(),
                              "version": "CMS165", "source": "typed from the EHR screen"}]
    code, out, _ = run(capsys, "measure", "list", oak)
    assert "(1 earlier value)" in out
    # the same file again, with --replace: still nothing to do
    before = state(data_dir)
    assert run(capsys, "measure", "import", q3, "--practice", oak, "--replace")[0] == 0
    assert state(data_dir) == before


def test_dry_run_writes_nothing(capsys, data_dir, oak, tmp_path):
    q3 = write(tmp_path, "q3.xml", qrda3(ABCS_FOUR))
    before = state(data_dir)
    code, out, _ = run(capsys, "measure", "import", q3, "--practice", oak, "--dry-run", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["dry_run"] is True and report["written"] is False
    assert [v["status"] for v in report["values"]] == ["added"] * 4
    assert state(data_dir) == before
    code, out, _ = run(capsys, "measure", "import", q3, "--practice", oak, "--dry-run")
    assert "Dry run, nothing written. It would be: 4 added" in out
    assert state(data_dir) == before


def test_four_quarters_become_four_run_chart_points(capsys, data_dir, oak, tmp_path):
    ends = [date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30)]
    sections = [((date(e.year - 1, 1, 1), e), [entry("CMS165", {"IPOP": 700, "DENOM": 640, "NUMER": 380 + 10 * i})])
                for i, e in enumerate(ends)]
    year = write(tmp_path, "oak-four-quarters.xml", qrda3(sections=sections, document_period=False))
    assert run(capsys, "measure", "import", year, "--practice", oak)[0] == 0
    with Store.open_in(data_dir) as store:
        practice = store.find_practice(oak)
        [series] = measure_series(store.measures(practice.id))
    assert series.code == "B"
    assert [(p.period_end, p.numerator) for p in series.points] == [(e, 380 + 10 * i) for i, e in enumerate(ends)]
    assert run(capsys, "report", "practice", oak, "-o", tmp_path / "progress.pdf")[0] == 0


def test_sheet_with_bad_rows_writes_nothing(capsys, data_dir, oak, tmp_path):
    sheet = write(tmp_path, "measures.csv", b"measure,period_end,numerator,denominator\n"
                                            b"CMS165,2025-09-30,412,640\nCMS138,2025-09-31,1,2\nCMS164,2025-09-30,9,3\n")
    before = state(data_dir)
    code, out, err = run(capsys, "measure", "import", sheet, "--practice", oak)
    assert code == 1
    assert "error: line 3: period_end '2025-09-31' is not a date" in err
    assert "error: line 4: numerator (9) is larger than denominator (3)" in err
    assert "Nothing was imported" in err
    assert state(data_dir) == before
    good = write(tmp_path, "good.csv",
                 b"Measure,Quarter End,Num,Denom\nControlling High Blood Pressure,2025-09-30,412,640\n")
    code, out, _ = run(capsys, "measure", "import", good, "--practice", oak, "--json")
    assert code == 0 and json.loads(out)["values"][0]["status"] == "added"


@pytest.mark.parametrize("data, message", [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa"><!ENTITY b "&a;&a;">]><r>&b;</r>', "billion laughs"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "outside file"),
    (qrda3(ABCS_FOUR)[:5000], "stops in the middle"),
    (b"<?xml version='1.0'?><feed><entry/></feed>", "not a QRDA report"),
])
def test_hostile_and_broken_files_are_refused(capsys, data_dir, oak, tmp_path, data, message):
    path = write(tmp_path, "bad.xml", data)
    before = state(data_dir)
    code, _, err = run(capsys, "measure", "import", path, "--practice", oak)
    assert code == 1 and message in err and "Traceback" not in err
    assert state(data_dir) == before


def test_oversized_file(capsys, data_dir, oak, tmp_path):
    big = tmp_path / "big.xml"
    with big.open("wb") as fh:
        fh.truncate(60 * 1024 * 1024)
    code, _, err = run(capsys, "measure", "import", big, "--practice", oak)
    assert code == 1 and "big.xml is 60 MB; a measure file is at most 50 MB" in err


def test_console_script_end_to_end(data_dir, oak, tmp_path):
    q3 = write(tmp_path, "q3.xml", qrda3(ABCS_FOUR, layout="other", release="2017"))
    done = subprocess.run([sys.executable, "-m", "facilitator_app.cli", "measure", "import", str(q3), "--practice",
                           oak, "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["values"]) == 4

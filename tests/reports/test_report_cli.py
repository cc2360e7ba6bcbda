"""`facilitator-app report visit|practice` end to end through the real CLI entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from facilitator_app.cli import main

from .conftest import LEADER, PRACTICE_NAME, make_store, pdf_text


def run(argv: list[str]) -> int:
    """main() returns the exit code; argparse problems may also surface as SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
def cli_data(tmp_path, toolkit):
    sample = make_store(tmp_path / "data", toolkit)
    sample.store.close()  # the CLI opens the file itself, as a user's shell would
    return sample


def test_report_visit_writes_a_letter_pdf(cli_data, tmp_path, capsys):
    out = tmp_path / "out" / "visit.pdf"
    out.parent.mkdir()
    code = run(["report", "visit", cli_data.visit.id[:8], "-o", str(out), "--data-dir", str(cli_data.data_dir)])
    assert code == 0
    assert f"Saved the visit summary to {out}" in capsys.readouterr().out
    reader = PdfReader(out, strict=True)
    assert round(float(reader.pages[0].mediabox.width)) == 612
    text = pdf_text(out)
    assert PRACTICE_NAME in text and LEADER in text


def test_report_practice_a4_with_json(cli_data, tmp_path, capsys):
    out = tmp_path / "progress.pdf"
    code = run(["--data-dir", str(cli_data.data_dir), "--json", "report", "practice", PRACTICE_NAME,
                 "-o", str(out), "--page-size", "a4"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    reader = PdfReader(out, strict=True)
    assert result["path"] == str(out) and result["pages"] == len(reader.pages) >= 2
    assert round(float(reader.pages[0].mediabox.width)) == 595
    assert "Strategy checklist" in pdf_text(out)


def test_report_practice_by_id(cli_data, tmp_path):
    out = tmp_path / "p.pdf"
    assert run(["report", "practice", cli_data.practice.id, "-o", str(out),
                 "--data-dir", str(cli_data.data_dir)]) == 0
    assert PRACTICE_NAME in pdf_text(out)


def test_bad_visit_id_is_a_clear_error_and_writes_nothing(cli_data, tmp_path, capsys):
    out = tmp_path / "visit.pdf"
    code = run(["report", "visit", "no-such-visit", "-o", str(out), "--data-dir", str(cli_data.data_dir)])
    assert code != 0
    err = capsys.readouterr().err
    assert "No single visit matches 'no-such-visit'" in err and "visit list" in err
    assert not out.exists()


def test_bad_practice_is_a_clear_error(cli_data, tmp_path, capsys):
    code = run(["report", "practice", "Nobody Clinic", "-o", str(tmp_path / "p.pdf"),
                 "--data-dir", str(cli_data.data_dir)])
    assert code != 0
    assert "No practice matches 'Nobody Clinic'" in capsys.readouterr().err


def test_unwritable_output_path_is_a_clear_error(cli_data, tmp_path, capsys):
    if os.geteuid() == 0:  # root writes anywhere a mode allows; /sys refuses even root
        target = Path("/sys/ffk-report.pdf")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "visit.pdf"
    code = run(["report", "visit", cli_data.visit.id, "-o", str(target), "--data-dir", str(cli_data.data_dir)])
    assert code != 0
    err = capsys.readouterr().err
    assert f"Cannot save the report to {target}: permission denied" in err
    assert "Traceback" not in err and not target.exists()


def test_missing_output_folder_and_bad_page_size(cli_data, tmp_path, capsys):
    code = run(["report", "visit", cli_data.visit.id, "-o", str(tmp_path / "nope" / "v.pdf"),
                 "--data-dir", str(cli_data.data_dir)])
    assert code != 0
    assert "the folder" in capsys.readouterr().err
    assert run(["report", "visit", cli_data.visit.id, "-o", str(tmp_path / "v.pdf"), "--page-size", "legal",
                "--data-dir", str(cli_data.data_dir)]) == 2
    assert "invalid choice: 'legal'" in capsys.readouterr().err


def test_output_option_is_required(cli_data, capsys):
    assert run(["report", "visit", cli_data.visit.id, "--data-dir", str(cli_data.data_dir)]) == 2
    assert "-o/--output" in capsys.readouterr().err

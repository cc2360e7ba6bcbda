"""Texts as long as validation allows never break a report: a declined strategy's 2,000-character
reason, and the 100,000-character note a visit can turn into that reason, start in their table
cell and continue in full after the table (reportlab cannot draw a row taller than a page)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from facilitator_app.cli import main
from facilitator_app.core.model import ChecklistItem, StrategyWork, Visit
from facilitator_app.reports.progress import REASONS_HEADING
from facilitator_app.reports.styles import CELL_TEXT_CHARS, clip

from .conftest import TODAY, make_store, page_count, pdf_text


def words(count: int, limit: int) -> str:
    return " ".join(f"reason{i}" for i in range(count))[:limit].rsplit(" ", 1)[0]


def report(capsys, sample, out) -> str:
    code = main(["report", "practice", sample.practice.id, "-o", str(out), "--data-dir", str(sample.data_dir)])
    assert code == 0, capsys.readouterr().err
    return pdf_text(out)


def assert_renders(pdf, tmp_path) -> None:
    """Every page rasterizes (poppler reads the whole file)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "20", str(pdf), str(tmp_path / "page")], check=True, timeout=300)
    assert len(list(tmp_path.glob("page-*.png"))) == page_count(pdf)


def test_clip_cuts_at_a_word_and_at_a_line():
    text, cut = clip("short reason")
    assert (text, cut) == ("short reason", False)
    text, cut = clip(words(400, 2000))
    assert cut and len(text) <= CELL_TEXT_CHARS and words(400, 2000).startswith(text) and not text.endswith(" ")
    assert words(400, 2000)[len(text)] == " "  # the cut falls between words
    text, cut = clip("line\n" * 50)
    assert cut and text.count("\n") == 5


def test_a_2000_character_declined_reason(capsys, tmp_path, toolkit):
    sample = make_store(tmp_path / "data", toolkit)
    reason = words(400, 2000)
    assert len(reason) > 1990
    sample.store.set_checklist(ChecklistItem(sample.practice.id, "A1", "declined", reason=reason), toolkit)
    sample.store.close()
    text = report(capsys, sample, tmp_path / "progress.pdf")
    assert REASONS_HEADING in text
    flat = " ".join(text.split())
    assert reason.split()[-1] in flat and "reason150 reason151" in flat
    assert "No registry tool & no staff <yet>" in flat  # a short reason stays in its cell, whole
    assert_renders(tmp_path / "progress.pdf", tmp_path)


def test_the_longest_note_that_becomes_the_reason(capsys, tmp_path, toolkit):
    """A strategy note is at most 2,000 characters (it used to have no limit, and became a
    100,000-character reason the checklist itself would have refused)."""
    sample = make_store(tmp_path / "data", toolkit)
    note = words(5000, 2000)
    visit = Visit(sample.practice.id, TODAY, minutes=45, strategies=[StrategyWork("A2", "selected", "declined", note)])
    sample.store.save_visit(visit, toolkit)
    assert sample.store.checklist_item(sample.practice.id, "A2").reason == note
    sample.store.set_checklist(ChecklistItem(sample.practice.id, "A3", "declined", reason="line\n" * 300), toolkit)
    sample.store.close()
    text = report(capsys, sample, tmp_path / "progress.pdf")
    flat = " ".join(text.split())
    last = note.split()[-1]
    assert last in flat and "reason150 reason151" in flat
    assert page_count(tmp_path / "progress.pdf") >= 3
    assert "Open next steps" in text  # the sections after the checklist are still there
    assert_renders(tmp_path / "progress.pdf", tmp_path)

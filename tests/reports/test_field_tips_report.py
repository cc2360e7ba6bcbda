"""Field tips on the leave-behind: only the ones ticked print, in their strategy's help, with
their link and the author's name; hidden, withdrawn and other strategies' tips never do; and
nothing from the diary can reach a leave-behind (the report code never reads it)."""

from __future__ import annotations

import ast
import subprocess
from datetime import timedelta
from pathlib import Path

import facilitator_app.reports as reports_pkg
from facilitator_app.core.model import DiaryEntry, Tip
from facilitator_app.reports import gather_visit_summary, leave_behind_tips, write_visit_pdf

from .conftest import TODAY


def _tips(store):
    """B2 and S4 were worked on at the sample visit (practice: Epic, 4 clinicians, ownership other)."""
    made = {
        "b2": Tip("B2", "Standing order template & sign-off sheet <v3> worked in a week.", TODAY - timedelta(days=9),
                  link="https://example.org/standing-order", written_by="marcus"),
        "s4": Tip("S4", "Fax the quitline form before the patient leaves.", TODAY - timedelta(days=4),
                  written_by="dana", ehr_vendor="epic"),
        "hidden": Tip("S4", "HIDDEN-TIP-TEXT", TODAY - timedelta(days=3), written_by="dana", hidden=True),
        "not_worked": Tip("A1", "NOT-WORKED-ON-TIP", TODAY - timedelta(days=3), written_by="dana"),
        "other_ehr": Tip("B2", "OTHER-EHR-TIP", TODAY - timedelta(days=3), written_by="dana",
                         ehr_vendor="eClinicalWorks"),
        "solo": Tip("B2", "SOLO-PRACTICE-TIP", TODAY - timedelta(days=3), written_by="dana", size="solo"),
    }
    store.bulk_insert(made.values(), outbox=False)
    return made


def test_offered_tips_suit_the_practice_and_the_strategies_worked_on(sample):
    tips = _tips(sample.store)
    offered = [t.id for t in leave_behind_tips(sample.store, sample.visit.id)]
    assert offered == [tips["b2"].id, tips["s4"].id]  # the visit's order: B2, then S4


def test_ticked_tips_print_in_the_help_section_with_link_and_name(sample, tmp_path: Path):
    tips = _tips(sample.store)
    data = gather_visit_summary(sample.store, sample.toolkit, sample.visit.id, today=TODAY,
                                tip_ids=[tips["b2"].id, tips["hidden"].id, tips["not_worked"].id])
    by_strategy = {h.id: h.field_tips for h in data.help}
    assert [t.text for t in by_strategy["B2"]] == [tips["b2"].text]
    assert by_strategy["B2"][0].link == "https://example.org/standing-order" and by_strategy["B2"][0].by == "marcus"
    assert by_strategy.get("S4", ()) == ()  # the hidden tip is dropped even if its id is passed
    pdf = tmp_path / "visit.pdf"
    write_visit_pdf(sample.store, sample.toolkit, sample.visit.id, pdf, today=TODAY, tip_ids=[tips["b2"].id])
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Tips from other practices' facilitators" in text
    assert "Standing order template & sign-off sheet <v3> worked in a week." in text
    assert "https://example.org/standing-order" in text and "(marcus)" in text
    for absent in ("Fax the quitline form before", "HIDDEN-TIP-TEXT", "NOT-WORKED-ON-TIP", "OTHER-EHR-TIP"):
        assert absent not in text


def test_no_tick_no_field_tips(sample):
    _tips(sample.store)
    data = gather_visit_summary(sample.store, sample.toolkit, sample.visit.id, today=TODAY)
    assert all(h.field_tips == () for h in data.help)


def test_nothing_from_the_diary_reaches_a_leave_behind(sample, tmp_path: Path):
    secret_private, secret_shared = "DIARY-PRIVATE-SECRET-17", "DIARY-SHARED-SECRET-23"
    store = sample.store
    store.save_diary_entry(DiaryEntry(TODAY, secret_private, tags=["barrier"], about_practice=sample.practice.id,
                                      strategies=["B2"]), today=TODAY)
    store.save_diary_entry(DiaryEntry(TODAY, secret_shared, about_practice=sample.practice.id, shared=True),
                           today=TODAY)
    data = gather_visit_summary(store, sample.toolkit, sample.visit.id, today=TODAY)
    assert secret_private not in repr(data) and secret_shared not in repr(data)
    pdf = tmp_path / "visit.pdf"
    write_visit_pdf(store, sample.toolkit, sample.visit.id, pdf, today=TODAY)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "DIARY" not in text


def test_the_report_code_never_reads_the_diary():
    """No module of reports/ names a diary method, table or model (docstrings aside): the diary
    cannot be printed."""
    folder = Path(reports_pkg.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree)
                      if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else \
                node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else \
                " ".join(a.name for a in node.names) if isinstance(node, ast.ImportFrom) else ""
            if "diary" in str(name).lower():
                offenders.append(f"{path.name}:{node.lineno}: {name}")
    assert offenders == []

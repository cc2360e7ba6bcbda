"""Both reports rendered from real stores: text, fonts, strict parse, page flow, PNG rendering."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from facilitator_app.core.model import Practice, Visit
from facilitator_app.reports import (
    ReportError,
    gather_progress,
    gather_visit_summary,
    write_progress,
    write_visit_summary,
)
from facilitator_app.reports.layout import write_pdf

from .conftest import (
    CLINICIAN,
    FACILITATOR,
    LEADER,
    MARKUP_NOTE,
    PRACTICE_NAME,
    TODAY,
    make_store,
    needs_poppler,
    page_count,
    pdf_text,
    pdffonts,
)


def flat(text: str) -> str:
    """Extracted text with line breaks folded, so wrapped phrases can be searched."""
    return re.sub(r"\s+", " ", text)


def render_visit(sample, tmp_path: Path, *, size: str = "letter", key: str | None = None) -> Path:
    data = gather_visit_summary(sample.store, sample.toolkit, key or sample.visit.id, today=TODAY)
    out = tmp_path / f"visit-{size}.pdf"
    rendered = write_visit_summary(data, out, size=size)
    assert rendered.pages == page_count(out)
    return out


def render_progress(sample, tmp_path: Path, *, size: str = "letter") -> Path:
    data = gather_progress(sample.store, sample.toolkit, sample.practice.id, today=TODAY)
    out = tmp_path / f"progress-{size}.pdf"
    rendered = write_progress(data, out, size=size)
    assert rendered.pages == page_count(out)
    return out


def test_visit_summary_content(sample, tmp_path):
    out = render_visit(sample, tmp_path)
    text = flat(pdf_text(out))
    for expected in (PRACTICE_NAME, LEADER, CLINICIAN, "Łukasz Kowalski", FACILITATOR, "renee.haddad@example.org",
                     "(312) 555-0147", "Friday, November 20, 2026, 9:30 AM", "On-site, 1 h 15 min",
                     "Friday, December 18, 2026", "Selected → Implemented", "Fax form <v2> in every room",
                     "Standing order drafted & shared", "Print quitline fax forms for all 4 rooms", "Dec 1, 2026",
                     "Repeat BP on 90% of high first readings", "Adapt", "Illinois Tobacco Quitline",
                     "1-866-QUIT-YES", "How to refer", "BP measurement poster & checklist",
                     f"Toolkit version {sample.toolkit.version}", "Generated Nov 20, 2026", "Page 1 of"):
        assert expected in text, expected
    # The EHR tips of a strategy addressed come from the toolkit.
    assert flat(sample.toolkit.get("S1").ehr_tips[1]) in text
    # Markup-looking text prints exactly as typed.
    assert MARKUP_NOTE in text
    # What the practice should not see on its leave-behind is not there.
    assert "Engagement" not in text


def test_visit_summary_pages_on_letter_and_a4(sample, tmp_path):
    """Page 1 the summary, then the help for three strategies and the quitline: three pages at most."""
    letter = render_visit(sample, tmp_path)
    a4 = render_visit(sample, tmp_path, size="a4")
    assert 2 <= page_count(letter) <= 3 and 2 <= page_count(a4) <= 3
    box = PdfReader(letter, strict=True).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    box = PdfReader(a4, strict=True).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    total = page_count(letter)
    assert f"Page {total} of {total}" in pdf_text(letter)


@needs_poppler
def test_every_font_is_embedded(sample, tmp_path):
    for out in (render_visit(sample, tmp_path), render_progress(sample, tmp_path)):
        fonts = pdffonts(out)
        assert fonts, "no fonts listed"
        assert all(f["emb"] == "yes" for f in fonts), fonts
        assert all("DejaVuSans" in f["name"] for f in fonts), fonts


def test_strict_parse_reads_every_page(sample, tmp_path):
    for out in (render_visit(sample, tmp_path), render_progress(sample, tmp_path)):
        reader = PdfReader(out, strict=True)
        assert reader.metadata.title and PRACTICE_NAME in reader.metadata.title
        for page in reader.pages:
            assert page.extract_text().strip()


def test_long_note_flows_over_pages_without_losing_words(tmp_path, toolkit):
    words = [f"w{i:04d}" for i in range(5000)]
    # Paragraphs of varied length, one of them 3,000 words long, so a single paragraph must split.
    chunks = [words[:120], words[120:3120], *[words[i:i + 95] for i in range(3120, 5000, 95)]]
    note = "\n\n".join(" ".join(c) for c in chunks)
    short = make_store(tmp_path / "short", toolkit)
    long = make_store(tmp_path / "long", toolkit, notes=note)
    try:
        (tmp_path / "s").mkdir()
        (tmp_path / "l").mkdir()
        short_pdf = render_visit(short, tmp_path / "s")
        long_pdf = render_visit(long, tmp_path / "l")
        assert page_count(long_pdf) >= page_count(short_pdf) + 5
        found = re.findall(r"w\d{4}", pdf_text(long_pdf))
        assert found == words  # every word, once, in order: first, last and all between
    finally:
        short.store.close()
        long.store.close()


def test_empty_sections_are_left_out(tmp_path, toolkit):
    sample = make_store(tmp_path / "data", toolkit)
    store = sample.store
    try:
        for key in ("facilitator", "facilitator_email", "facilitator_phone"):
            store.set_meta(key, None)
        bare = Practice(name="Plain Clinic")
        store.save_practice(bare)
        visit = Visit(bare.id, date(2026, 11, 2), mode="phone", minutes=20)
        store.save_visit(visit, toolkit)
        out = tmp_path / "bare.pdf"
        write_visit_summary(gather_visit_summary(store, toolkit, visit.id, today=TODAY), out)
        text = pdf_text(out)
        assert "Plain Clinic" in text and "Phone, 20 minutes" in text and page_count(out) == 1
        for absent in ("Who attended", "What we worked on", "Notes", "Plan-Do-Study-Act", "Next steps",
                       "Help for the strategies", "quitline", "Resources we left", "Your facilitator",
                       "Next visit", "Data we reviewed", "Closed since", "In full"):
            assert absent.lower() not in text.lower(), absent
        progress = tmp_path / "bare-progress.pdf"
        write_progress(gather_progress(store, toolkit, bare.id, today=TODAY), progress)
        text = pdf_text(progress)
        assert "Plain Clinic" in text and "Engagement" in text  # one phone call is engagement
        for absent in ("ABCS measures", "Open next steps", "Facilitator:"):
            assert absent not in text, absent
        empty = Practice(name="Brand New Practice")
        store.save_practice(empty)
        write_progress(gather_progress(store, toolkit, empty.id, today=TODAY), progress)
        text = pdf_text(progress)
        assert "Brand New Practice" in text and "Strategy checklist" in text
        assert "Engagement" not in text and "ABCS measures" not in text
    finally:
        store.close()


def test_facilitator_contact_prints_only_what_is_present(sample, tmp_path):
    sample.store.set_meta("facilitator_phone", None)
    text = flat(pdf_text(render_visit(sample, tmp_path)))
    assert "renee.haddad@example.org" in text and "(312) 555-0147" not in text


def test_progress_content(sample, tmp_path):
    out = render_progress(sample, tmp_path)
    text = flat(pdf_text(out))
    for expected in (PRACTICE_NAME, "PRACTICE PROGRESS REPORT", "Engagement", "21.5 months", "On-site",
                     "Group/learning session", "Strategy checklist", "Implemented", "Sustained", "Declined",
                     "Reason: No registry tool & no staff <yet>", LEADER, CLINICIAN, "ABCS measures",
                     "Blood pressure", "CMS165", "70% target", "74%", "(484 of 654)", "Open next steps",
                     "overdue", "Run the Q4 blood-pressure report", "of 35", "Page 1 of"):
        assert expected in text, expected
    assert "Not selected: A1, A2, A3, A4, A5" in text


def test_a_bad_page_size_and_unwritable_places_get_clear_errors(sample, tmp_path):
    data = gather_visit_summary(sample.store, sample.toolkit, sample.visit.id, today=TODAY)
    with pytest.raises(ReportError, match="letter or a4"):
        write_visit_summary(data, tmp_path / "x.pdf", size="legal")
    with pytest.raises(ReportError, match="does not exist"):
        write_pdf(b"%PDF", tmp_path / "missing" / "x.pdf")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="is a file, not a folder"):
        write_pdf(b"%PDF", blocker / "x.pdf")
    with pytest.raises(ReportError, match="is a folder"):
        write_pdf(b"%PDF", tmp_path)
    # A failed save leaves an existing file as it was.
    existing = tmp_path / "keep.pdf"
    existing.write_bytes(b"old")
    with pytest.raises(ReportError):
        write_visit_summary(data, existing, size="legal")
    assert existing.read_bytes() == b"old"


@needs_poppler
def test_each_page_renders_to_png(sample, tmp_path):
    for out in (render_visit(sample, tmp_path), render_progress(sample, tmp_path)):
        prefix = tmp_path / out.stem
        subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(prefix)], check=True, capture_output=True,
                       timeout=60)
        pngs = sorted(tmp_path.glob(f"{out.stem}-*.png"))
        assert len(pngs) == page_count(out)
        for png in pngs:
            with Image.open(png) as img:
                img = img.convert("L")
                assert img.size[0] > 300 and img.size[1] > 300
                low, high = img.getextrema()
                assert high == 255 and low < 100  # white paper with dark ink on it
                dark = sum(img.histogram()[:128])
                assert dark > 200  # more than a footer's worth of ink


def test_pdf_bytes_in_memory_match_file(sample, tmp_path):
    data = gather_visit_summary(sample.store, sample.toolkit, sample.visit.id, today=TODAY)
    from facilitator_app.reports import render_visit_summary

    rendered = render_visit_summary(data)
    assert rendered.pdf.startswith(b"%PDF-") and rendered.pages == page_count(rendered.pdf)
    assert PRACTICE_NAME in pdf_text(rendered.pdf)

"""facilitator_app.printing against a real CUPS: a private cupsd with a cups-pdf queue prints a real
leave-behind to a PDF file; every failure a facilitator can meet gives a message to act on."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from pypdf import PdfReader

from facilitator_app.core.errors import ValidationError
from facilitator_app.printing import (
    NoPrinterError,
    PrinterNotFound,
    PrintError,
    PrintingUnavailable,
    PrintRefused,
    PrintServiceDown,
    list_printers,
    print_pdf,
)
from tests.cupsd import QUEUE
from tests.printing.conftest import PRACTICE_NAME


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path, strict=True).pages)


def test_prints_a_leave_behind_through_cups_pdf(cups, leave_behind):
    cups.add_pdf_queue()
    printers = list_printers()
    assert QUEUE in printers.names and printers.default == QUEUE

    job = print_pdf(leave_behind, printer=QUEUE, copies=2, title=f"Leave-behind {PRACTICE_NAME}")

    assert job.printer == QUEUE and job.copies == 2
    assert re.fullmatch(rf"{QUEUE}-\d+", job.job_id or ""), job
    out = cups.wait_for_output(job.job_id)
    assert out.read_bytes().startswith(b"%PDF")
    assert PRACTICE_NAME in _text(out)
    assert "Order validated BP cuffs" in _text(out)
    # cups-pdf writes one file whatever the copies; the scheduler records the copies asked for
    assert cups.copies_of(job.job_id) == 2


def test_the_default_printer_is_used_when_none_is_chosen(cups, leave_behind):
    cups.add_pdf_queue()
    job = print_pdf(leave_behind, title="Leave-behind default")
    assert job.printer == QUEUE and job.job_id and job.job_id.startswith(f"{QUEUE}-")
    assert PRACTICE_NAME in _text(cups.wait_for_output(job.job_id))


def test_no_printer_set_up(cups, leave_behind):
    with pytest.raises(NoPrinterError, match="No printer is set up on this computer"):
        list_printers()
    with pytest.raises(NoPrinterError, match="no default printer"):
        print_pdf(leave_behind)


def test_a_printer_without_default_is_listed_without_one(cups):
    cups.add_pdf_queue(default=False)
    assert list_printers().default is None


def test_lp_missing_from_path(cups, leave_behind, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(PrintingUnavailable, match="No printing system was found.*'lpstat' is missing"):
        list_printers()
    with pytest.raises(PrintingUnavailable, match="'lp' is missing.*Install CUPS"):
        print_pdf(leave_behind, printer=QUEUE)


def test_printing_service_not_running(leave_behind, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CUPS_SERVER", f"127.0.0.1:{port}")
    with pytest.raises(PrintServiceDown, match="not running, or its server cannot be reached"):
        list_printers()
    with pytest.raises(PrintServiceDown):
        print_pdf(leave_behind, printer="Office")
    with pytest.raises(PrintServiceDown):
        print_pdf(leave_behind)


def test_printer_refuses_jobs(cups, leave_behind):
    cups.add_pdf_queue()
    cups.admin("cupsreject", "-r", "Out of toner, ask the front desk", QUEUE)
    with pytest.raises(PrintRefused) as caught:
        print_pdf(leave_behind, printer=QUEUE)
    message = str(caught.value)
    assert f'The printer "{QUEUE}" refused the job' in message
    assert "not accepting jobs" in message and "Out of toner, ask the front desk" in message
    assert "not accepting jobs" in caught.value.detail


def test_printer_removed_after_it_was_listed(cups, leave_behind):
    cups.add_pdf_queue()
    assert QUEUE in list_printers().names
    cups.admin("lpadmin", "-x", QUEUE)
    with pytest.raises(PrinterNotFound, match=f'"{QUEUE}" is not set up on this computer'):
        print_pdf(leave_behind, printer=QUEUE)


@pytest.mark.parametrize("copies", [0, -1, 100, 2.0])
def test_bad_copies_are_refused_before_anything_is_sent(leave_behind, copies):
    with pytest.raises(ValidationError, match="Copies must be a whole number from 1 to 99"):
        print_pdf(leave_behind, printer=QUEUE, copies=copies)


def test_missing_pdf(tmp_path):
    with pytest.raises(PrintError, match="The PDF to print is missing"):
        print_pdf(tmp_path / "gone.pdf", printer=QUEUE)

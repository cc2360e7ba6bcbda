"""Fixtures for the printing tests: a private CUPS scheduler (tests/cupsd.py) and a real
leave-behind PDF to print."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from facilitator_app.core.model import NextStep, Practice, Visit
from facilitator_app.core.toolkit import load_toolkit
from facilitator_app.reports import write_visit_pdf
from facilitator_app.store import Store
from tests.cupsd import CupsServer, start_cupsd

# ASCII on purpose: cups-pdf turns the PDF into PostScript and back with Ghostscript, which keeps
# the text of plain Latin letters but drops the Unicode mapping of letters such as "Ł".
PRACTICE_NAME = "Prairie Family Medicine"
VISIT_DAY = date(2026, 3, 18)


@pytest.fixture
def cups(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CupsServer]:
    """A private cupsd with no printer yet; CUPS clients in this test talk only to it."""
    server = start_cupsd(tmp_path / "home")
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    for key in ("LPDEST", "PRINTER"):
        monkeypatch.delenv(key, raising=False)
    yield server
    server.stop()


@pytest.fixture
def leave_behind(tmp_path: Path) -> Path:
    """A real one-page-or-two leave-behind, rendered by facilitator_app.reports."""
    toolkit = load_toolkit()
    store = Store.open_in(tmp_path / "data")
    store.set_meta("facilitator", "Renee Haddad")
    practice = Practice(name=PRACTICE_NAME, state="IL", phone="(312) 555-0100")
    store.save_practice(practice)
    visit = Visit(practice.id, VISIT_DAY, facilitator="Renee Haddad", minutes=60,
                  practice_notes="Reviewed the blood-pressure registry.")
    store.save_visit(visit, toolkit, steps=[NextStep(practice.id, visit.id, "Order validated BP cuffs",
                                                     owner="Ana Munoz", due=date(2026, 4, 1))], today=VISIT_DAY)
    path = tmp_path / "leave-behind.pdf"
    write_visit_pdf(store, toolkit, visit.id, path, today=VISIT_DAY)
    store.close()
    return path

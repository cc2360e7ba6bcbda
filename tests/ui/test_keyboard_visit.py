"""The reference visit logged with the keyboard alone (tests/ui/visit_keys.py: only key events
sent to the focused widget), then every stored field checked: the visit, its two next steps, the
closed step of the last visit, the checklist, and the leave-behind PDF."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime, timedelta
from datetime import time as clock

import pytest
from PySide6.QtWidgets import QApplication

from facilitator_app.core.dates import add_months
from facilitator_app.core.model import Attendee, StrategyWork

from . import visit_keys
from .conftest import TODAY

MAX_COMMAND_KEYS = 40  # issue 12: at most 40 non-text keystrokes for the reference visit


def _rounded(now: datetime) -> clock:
    return clock(now.hour, now.minute // 15 * 15)


def test_reference_visit_with_the_keyboard_only(app, tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    ref = visit_keys.setup(app.store, app.ctx.toolkit, TODAY, folder, app.ctx.prefs)
    app.window.open_practice(ref.practice.id)
    app.idle()
    app.window.activateWindow()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        QApplication.processEvents()
        while time.monotonic() < end or app.ctx.ops.is_busy:
            QApplication.processEvents()
            time.sleep(0.002)

    driver = visit_keys.Driver(settle)
    opened_at = datetime.now()
    visit_keys.log_reference_visit(driver, app.window)
    app.idle()
    assert driver.commands <= MAX_COMMAND_KEYS, "\n".join(driver.log)

    # The visit, every field.
    [visit] = [v for v in app.store.visits(ref.practice.id) if v.id != ref.last_visit.id]
    assert visit.date == TODAY and visit.mode == "on_site" and visit.minutes == 60 and visit.travel_minutes == 0
    assert visit.start_time in {_rounded(opened_at), _rounded(datetime.now())}  # the form's default: now
    assert visit.planned is True and visit.engagement is None and visit.facilitator == visit_keys.PROFILE.name
    assert visit.attendees == [Attendee("Ana Muñoz", "practice_leader"), Attendee("Ben Ode", "ma_nurse")]
    assert visit.strategies == [StrategyWork("B1", "selected", "implemented", ""),
                                StrategyWork("B2", "selected", "in_progress", "")]
    assert (visit.activities, visit.key_drivers, visit.disruptions, visit.resources_left) == ([], [], [], [])
    assert (visit.pdsa, visit.data_reviewed, visit.barriers, visit.practice_notes, visit.private_notes,
            visit.next_contact) == (None, "", "", "", "", None)

    # Its two next steps, in the order typed, open, with the due dates the shortcuts meant.
    steps = sorted(app.store.next_steps(ref.practice.id, visit_id=visit.id), key=lambda s: s.position)
    assert [(s.action, s.owner, s.due, s.position, s.status) for s in steps] == [
        (visit_keys.STEP_1[0], "Ben Ode", TODAY + timedelta(weeks=2), 0, "open"),
        (visit_keys.STEP_2[0], "Ana Muñoz", add_months(TODAY, 1), 1, "open")]
    assert all(not (s.closed_on or s.closed_by or s.closing_note or s.closed_in_visit) for s in steps)

    # The last visit's overdue step was closed by this visit; the other one is still open.
    done = app.store.next_step(ref.overdue_step.id)
    assert (done.status, done.closed_on, done.closed_by, done.closed_in_visit, done.closing_note) == (
        "done", TODAY, visit_keys.PROFILE.name, visit.id, "")
    assert (done.action, done.owner, done.due, done.visit_id) == (
        ref.overdue_step.action, ref.overdue_step.owner, ref.overdue_step.due, ref.last_visit.id)
    later = app.store.next_step(ref.later_step.id)
    assert (later.status, later.closed_on, later.closed_in_visit) == ("open", None, "")

    # The checklist moved with the visit; the strategy not worked on did not.
    statuses = {sid: app.store.checklist_item(ref.practice.id, sid).status for sid in visit_keys.SELECTED}
    assert statuses == {"B1": "implemented", "B2": "in_progress", "S4": "selected"}
    assert app.store.drafts("visit") == []

    # The leave-behind, saved where the file dialog proposed.
    [pdf] = list(folder.glob("*.pdf"))
    assert pdf == app.window.last_pdf and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.name == f"Leave-behind {TODAY.isoformat()} Lakeside Clinic.pdf"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the PDF's text is not checked")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    for expected in ("Lakeside Clinic", visit_keys.STEP_1[0], visit_keys.STEP_2[0], "Ben Ode"):
        assert expected in text, expected

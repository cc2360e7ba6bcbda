"""Real stores with real records for the report tests: Unicode names, markup-looking text,
a visit that touches a smoking strategy (quitline), eight quarters of measures."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from facilitator_app.core.model import (
    Attendee,
    ChecklistItem,
    Contact,
    FacilitationPlan,
    MeasureValue,
    NextStep,
    Pdsa,
    Practice,
    StepClosure,
    StrategyWork,
    Visit,
)
from facilitator_app.core.toolkit import Toolkit, load_toolkit
from facilitator_app.store import Store

TODAY = date(2026, 11, 20)
PRACTICE_NAME = "Łukasz O'Brien & Søn Family Medicine"
LEADER = "Nguyễn Thị Ánh"
CLINICIAN = "Dr. Elena Muñoz"
FACILITATOR = "Renée Haddad"
MARKUP_NOTE = "Use <b>bold</b> & <i>keep</i> the A&B form; 5 < 7 > 3"
PRIVATE_NOTE = "The office manager seemed overwhelmed; keep visits short."
CUFFS_STEP = "Order validated BP cuffs for every exam room"
DONE_NOTE = "Six cuffs arrived & are in use"
DROP_NOTE = "The registry tool replaces this"


@dataclass
class Sample:
    store: Store
    toolkit: Toolkit
    practice: Practice
    visit: Visit
    data_dir: Path


@pytest.fixture(scope="session")
def toolkit() -> Toolkit:
    return load_toolkit()


def make_store(data_dir: Path, toolkit: Toolkit, *, notes: str = MARKUP_NOTE) -> Sample:
    store = Store.open_in(data_dir)
    store.set_meta("facilitator", FACILITATOR)
    store.set_meta("facilitator_email", "renee.haddad@example.org")
    store.set_meta("facilitator_phone", "(312) 555-0147")
    practice = Practice(name=PRACTICE_NAME, address="1200 W Harrison St, Chicago", state="IL",
                        phone="(312) 555-0100", clinicians=4, ehr_vendor="Epic", region="Chicago",
                        enrolled_on=date(2025, 1, 6))
    store.save_practice(practice)
    pid = practice.id
    store.save_contact(Contact(pid, LEADER, "practice_leader", "anh.nguyen@example.org"))
    store.save_contact(Contact(pid, CLINICIAN, "clinician"))
    store.save_plan(FacilitationPlan(pid, cadence="monthly", planned_visits=12, planned_hours=14.0,
                                     selected_strategies=["B1", "B2", "S1", "S4", "X1", "X2", "C1"],
                                     set_by=LEADER, agreed_on=date(2025, 1, 6)), toolkit)
    store.set_checklist(ChecklistItem(pid, "B1", "implemented", owner=LEADER, steps_done=[1, 2, 3]), toolkit)
    store.set_checklist(ChecklistItem(pid, "X1", "sustained", owner=CLINICIAN), toolkit)
    store.set_checklist(ChecklistItem(pid, "A6", "declined", reason="No registry tool & no staff <yet>"), toolkit)
    store.set_checklist(ChecklistItem(pid, "C1", "in_progress", owner=CLINICIAN,
                                      target_date=date(2026, 12, 15)), toolkit)
    # Earlier visits in several modes, so engagement has something to chart.
    modes = ["on_site", "phone", "on_site", "video", "on_site", "email", "on_site", "group"]
    for i, mode in enumerate(modes):
        earlier = Visit(pid, date(2025, 2, 3) + timedelta(days=60 * i), mode=mode,
                        minutes=[60, 20, 90, 45, 75, 10, 60, 120][i], facilitator=FACILITATOR)
        step = NextStep(pid, earlier.id, f"Earlier step {i}", owner=LEADER,
                        due=date(2025, 3, 1) + timedelta(days=60 * i))
        steps = [step]
        if i == len(modes) - 1:  # the last visit before this one (2026-03-30) made two steps
            steps.append(NextStep(pid, earlier.id, CUFFS_STEP, owner=CLINICIAN, due=date(2026, 5, 1)))
        store.save_visit(earlier, toolkit, steps=steps)
        if i < 6:
            store.close_next_step(step.id, "done", today=earlier.date + timedelta(days=30))
        elif i == 7:  # dropped on a phone call after the last visit: "closed since the last visit"
            store.close_next_step(step.id, "dropped", note=DROP_NOTE, today=date(2026, 6, 2))
    cuffs = next(s for s in store.next_steps(pid) if s.action == CUFFS_STEP)
    visit = Visit(
        pid, TODAY, facilitator=FACILITATOR, start_time=time(9, 30), mode="on_site", minutes=75,
        attendees=[Attendee(LEADER, "practice_leader"), Attendee(CLINICIAN, "clinician"),
                   Attendee("Łukasz Kowalski", "ma_nurse")],
        activities=["coaching", "teaching"],
        strategies=[StrategyWork("B2", "selected", "in_progress", "Standing order drafted & shared"),
                    StrategyWork("S4", "selected", "implemented", "Fax form <v2> in every room"),
                    StrategyWork("S1", "selected", "in_progress")],
        pdsa=Pdsa(aim="Repeat BP on 90% of high first readings", change="MA repeats after 5 minutes",
                  prediction="Control rate rises 3 points", result="", decision="adapt"),
        data_reviewed="Q3 CMS165 report: 63% controlled (412 of 654).",
        practice_notes=notes, private_notes=PRIVATE_NOTE,
        next_contact=date(2026, 12, 18),
        resources_left=["Quitline fax referral form (IL)", "BP measurement poster & checklist"])
    store.save_visit(visit, toolkit, steps=[
        NextStep(pid, visit.id, "Run the Q4 blood-pressure report", owner=CLINICIAN, due=date(2026, 12, 10)),
        NextStep(pid, visit.id, "Print quitline fax forms for all 4 rooms", owner=LEADER, due=date(2026, 12, 1))],
        closures=[StepClosure(cuffs.id, "done", DONE_NOTE)], today=TODAY)
    quarters = [date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31),
                date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]
    for i, q in enumerate(quarters):
        store.save_measure(MeasureValue(pid, "B", q, 400 + 12 * i, 654, version="v12"))
        store.save_measure(MeasureValue(pid, "S", q, 500 + 20 * i, 800, version="v12"))
    store.save_measure(MeasureValue(pid, "A", quarters[-1], 140, 200, version="v12"))
    return Sample(store, toolkit, practice, visit, data_dir)


@pytest.fixture
def sample(tmp_path: Path, toolkit: Toolkit) -> Sample:
    s = make_store(tmp_path / "data", toolkit)
    yield s
    s.store.close()


def pdf_text(path_or_bytes) -> str:
    """All text of every page, read strictly (a malformed file fails here)."""
    import io

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    reader = PdfReader(source, strict=True)
    return "\n".join(page.extract_text() for page in reader.pages)


def page_count(path_or_bytes) -> int:
    import io

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return len(PdfReader(source, strict=True).pages)


def pdffonts(path: Path) -> list[dict[str, str]]:
    """Rows of poppler's `pdffonts`: name, type, emb (yes/no)."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    header, rule = lines[0], lines[1]
    spans, start = [], 0
    for part in rule.split(" "):
        spans.append((start, start + len(part)))
        start += len(part) + 1
    names = [header[a:b].strip() for a, b in spans]
    return [{n: line[a:b].strip() for n, (a, b) in zip(names, spans, strict=True)} for line in lines[2:]]


needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdffonts, pdftoppm) is not installed: apt install poppler-utils")

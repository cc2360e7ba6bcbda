"""How long the leave-behinds take: a visit summary, and a progress report for a practice with
100 visits and 8 quarters of all four ABCS measures, against a minimal one-page reportlab
document as the floor.

Targets: visit summary <= 250 ms; progress report <= 1 s (gather from the store + render).
Run: .venv/bin/python bench/report_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib.pagesizes import LETTER  # noqa: E402
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # noqa: E402
from reportlab.platypus import Paragraph, SimpleDocTemplate  # noqa: E402

from facilitator_app.core.model import (  # noqa: E402
    Attendee,
    ChecklistItem,
    Contact,
    FacilitationPlan,
    MeasureValue,
    NextStep,
    Pdsa,
    Practice,
    StrategyWork,
    Visit,
)
from facilitator_app.core.toolkit import load_toolkit  # noqa: E402
from facilitator_app.reports import (
    gather_progress,
    gather_visit_summary,
    render_progress,
    render_visit_summary,  # noqa: E402
)
from facilitator_app.reports.fonts import REGULAR, register_fonts  # noqa: E402
from facilitator_app.store import Store  # noqa: E402

TODAY = date(2026, 11, 20)
VISITS = 100
QUARTERS = 8


def build_store(folder: Path):
    """One practice with 100 visits over two years, a checklist in motion, 8 quarters of ABCS."""
    rng = random.Random(7)
    toolkit = load_toolkit()
    store = Store.open_in(folder)
    store.set_meta("facilitator", "Renée Haddad")
    store.set_meta("facilitator_email", "renee.haddad@example.org")
    practice = Practice(name="Nguyễn & Muñoz Family Medicine", address="1200 W Harrison St, Chicago", state="IL",
                        phone="(312) 555-0100", enrolled_on=date(2024, 11, 1))
    pid = practice.id
    ids = [s.id for s in toolkit.strategies]
    chosen = rng.sample(ids, 14)
    objs: list[object] = [practice, Contact(pid, "Nguyễn Thị Ánh", "practice_leader"),
                          Contact(pid, "Dr. Elena Muñoz", "clinician"),
                          FacilitationPlan(pid, planned_visits=90, planned_hours=110.0, selected_strategies=chosen)]
    statuses = ["selected", "in_progress", "implemented", "sustained"]
    for sid in chosen:
        objs.append(ChecklistItem(pid, sid, rng.choice(statuses), owner="Nguyễn Thị Ánh",
                                  target_date=TODAY + timedelta(days=rng.randint(10, 90))))
    objs.append(ChecklistItem(pid, next(s for s in ids if s not in chosen), "declined", reason="No staff time"))
    start = TODAY - timedelta(days=730)
    for i in range(VISITS):
        day = start + timedelta(days=round(i * 730 / VISITS))
        work = [StrategyWork(sid, "selected", "in_progress", "Reviewed workflow & owner") for sid in
                rng.sample(chosen, 2)]
        visit = Visit(pid, day, facilitator="Renée Haddad", start_time=clock(9, 30),
                      mode=rng.choice(["on_site", "on_site", "phone", "video", "email"]),
                      minutes=rng.choice([30, 45, 60, 60, 90, 120]),
                      attendees=[Attendee("Nguyễn Thị Ánh", "practice_leader")], activities=["coaching"],
                      strategies=work, practice_notes=" ".join(["Discussed the registry and huddles."] * 12),
                      private_notes="Kept off the leave-behind.",
                      pdsa=Pdsa(aim="Repeat BP", change="MA repeats", prediction="+3 points"),
                      next_contact=day + timedelta(days=7))
        done = i < VISITS - 6  # the last visits' steps are still open, so the newest summary carries some
        objs += [visit, NextStep(pid, visit.id, f"Step {i}", owner="Dr. Elena Muñoz", due=day + timedelta(days=21),
                                 status="done" if done else "open",
                                 closed_on=day + timedelta(days=14) if done else None,
                                 closing_note="Done at the huddle" if done else "")]
    visit_with_smoking = Visit(pid, TODAY, facilitator="Renée Haddad", minutes=60,
                               attendees=[Attendee("Nguyễn Thị Ánh", "practice_leader")],
                               strategies=[StrategyWork("S4", "selected", "implemented"),
                                           StrategyWork("B2", "selected", "in_progress")],
                               practice_notes="Quitline fax form in every room.",
                               next_contact=TODAY + timedelta(days=28))
    objs += [visit_with_smoking, NextStep(pid, visit_with_smoking.id, "Print forms", owner="Nguyễn Thị Ánh",
                                          due=TODAY + timedelta(days=10))]
    quarter_ends = [date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30),
                    date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]
    for m in "ABCS":
        for n, q in enumerate(quarter_ends[:QUARTERS]):
            objs.append(MeasureValue(pid, m, q, 300 + 9 * n + rng.randint(0, 8), 480, version="v12"))
    store.bulk_insert(objs, outbox=False)
    return store, toolkit, pid, visit_with_smoking.id


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), samples


def cpu_timed(fn, repeat: int) -> float:
    """Median CPU time of this process: on a busy machine the wall clock also counts waiting for a core."""
    samples = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        samples.append((time.process_time() - t0) * 1000)
    return statistics.median(samples)


def minimal_doc(font: str | None = None) -> bytes:
    """One page, one paragraph: reportlab's own fixed cost (with `font`, plus embedding a TTF subset)."""
    style = getSampleStyleSheet()["Normal"]
    if font:
        style = ParagraphStyle("ttf", parent=style, fontName=font)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER).build([Paragraph("Hello", style)])
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store, toolkit, pid, vid = build_store(Path(tmp))
        try:
            t0 = time.perf_counter()
            register_fonts()
            fonts_ms = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            first = render_visit_summary(gather_visit_summary(store, toolkit, vid, today=TODAY))
            cold_ms = (time.perf_counter() - t0) * 1000

            def visit() -> None:
                render_visit_summary(gather_visit_summary(store, toolkit, vid, today=TODAY))

            pages: list[int] = []

            def progress() -> None:
                pages.append(render_progress(gather_progress(store, toolkit, pid, today=TODAY)).pages)

            gather_ms, _ = timed(lambda: gather_progress(store, toolkit, pid, today=TODAY), args.repeat)
            floor_ms, _ = timed(minimal_doc, args.repeat)
            ttf_floor_ms, _ = timed(lambda: minimal_doc(REGULAR), args.repeat)
            visit_ms, _ = timed(visit, args.repeat)
            visit_cpu_ms = cpu_timed(visit, args.repeat)
            progress_ms, _ = timed(progress, args.repeat)
            n_visits = len(store.visits(pid))
        finally:
            store.close()
    print(f"Report benchmark (median of {args.repeat}; {n_visits} visits, {QUARTERS} quarters x 4 measures)")
    print(f"  font registration (once per process) {fonts_ms:8.1f} ms")
    print(f"  first visit summary (cold)           {cold_ms:8.1f} ms  ({first.pages} pages)")
    print(f"  floor: minimal one-page document     {floor_ms:8.1f} ms  (built-in Helvetica, nothing embedded)")
    print(f"  same with the embedded DejaVu font   {ttf_floor_ms:8.1f} ms  ({ttf_floor_ms / floor_ms:.1f}x floor)")
    print(f"  visit summary (gather + render)      {visit_ms:8.1f} ms  ratio {visit_ms / floor_ms:5.1f}x floor"
          f"  target <= 250 ms: {'OK' if visit_ms <= 250 else 'MISSED'}")
    print(f"  visit summary, CPU time only         {visit_cpu_ms:8.1f} ms  (the same work without waiting for a core)")
    print(f"  progress report gather only          {gather_ms:8.1f} ms")
    print(f"  progress report (gather + render)    {progress_ms:8.1f} ms  ratio {progress_ms / floor_ms:5.1f}x floor"
          f"  target <= 1000 ms: {'OK' if progress_ms <= 1000 else 'MISSED'}  ({pages[-1]} pages)")
    return 0 if visit_ms <= 250 and progress_ms <= 1000 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Render every screen of the desktop app with demo data to PNG files in docs/screenshots/.

    QT_QPA_PLATFORM=offscreen python docs/tools/screenshots.py

Uses a throwaway data folder and a fixed date, so the pictures are the same on every run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = REPO / "docs" / "screenshots"
TODAY = date(2026, 3, 18)
SIZE = QSize(1280, 820)


def settle(app: QApplication, ctx, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end or ctx.ops.is_busy:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    from facilitator_app.core.demo import generate
    from facilitator_app.core.model import FacilitatorProfile
    from facilitator_app.ui.app import build, shutdown
    from facilitator_app.ui.dialogs.first_start import FirstStartDialog

    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="ffk-shots-"))
    ctx, window = build(data_dir, app=app, today=lambda: TODAY, start_sync=False)
    ctx.open_file = lambda path: None
    shots: list[Path] = []

    def shot(widget, name: str) -> None:
        settle(app, ctx)
        path = OUT / f"{name}.png"
        widget.grab().save(str(path))
        shots.append(path)

    window.resize(SIZE)
    window.show()
    first = FirstStartDialog(window)
    first.show()
    shot(first, "first-start")
    first.close()

    objs = generate(practices=14, months=12, seed=7, today=TODAY, toolkit=ctx.toolkit)
    ctx.store.bulk_insert(objs, outbox=False)
    ctx.store.set_meta("demo", "1")
    ctx.store.set_facilitator_profile(FacilitatorProfile("Renée Haddad", "renee.haddad@example.org", "(312) 555-0147"))
    window.show_view(window.TODAY)
    window.today.refresh()
    shot(window, "today")
    window.show_view(window.PRACTICES)
    window.practices.refresh()
    shot(window, "practices")
    summaries = sorted(ctx.store.practice_summaries(today=TODAY), key=lambda s: -s.visits)
    window.open_practice(summaries[0].id)
    settle(app, ctx)
    for index, name in enumerate(("practice-profile", "practice-plan", "practice-checklist", "practice-visits",
                                  "practice-measures")):
        window.practice.tabs.setCurrentIndex(index)
        shot(window, name)
    window.new_visit(summaries[0].id)
    settle(app, ctx, 0.5)
    form = window.visit_forms[-1]
    selected = [sid for sid, row in sorted(form.strategy_rows.items(), key=lambda kv: kv[1])][:2]
    form.set_strategy(selected[0], worked=True, after="implemented", note="Standing order signed")
    form.set_strategy(selected[1], worked=True)
    form.add_next_step("Share the March BP registry with the care team", "Office manager", "2026-03-31")
    form.notes.setPlainText("Reviewed the hypertension registry with the MA team; agreed on a repeat-BP standing order.")
    form.resize(1000, 900)
    shot(form, "visit-form")
    form.discard()
    window.show_view(window.TOOLKIT)
    window.toolkit.search.setText("quitline")
    shot(window, "toolkit")
    window.toolkit.search.clear()
    window.show_view(window.SETTINGS)
    shot(window, "settings")
    window.close()
    shutdown(ctx)
    shots.append(sync_issues_shot(app))
    shots += report_shots(data_dir)
    for p in shots:
        print(p.relative_to(REPO))
    return 0


def report_shots(data_dir: Path) -> list[Path]:
    """Both leave-behind PDFs from the same demo data, every page as PNG (needs poppler's pdftoppm)."""
    import subprocess
    from collections import Counter

    from facilitator_app.store import Store
    from facilitator_app.store.toolkit_source import active_toolkit
    from facilitator_app.reports import write_progress_pdf, write_visit_pdf

    with Store.open_in(data_dir) as store:
        toolkit = active_toolkit(store, data_dir)
        # The visit whose leave-behind shows the most: a smoking strategy (the quitline), notes for the
        # practice, steps it closed and made, then the most strategies, the latest.
        visits = [v for v in store.visits() if any(w.strategy_id.startswith("S") for w in v.strategies)]
        closed = Counter(s.closed_in_visit for s in store.next_steps(statuses=("done", "dropped")))
        made = Counter(s.visit_id for s in store.next_steps())
        visit = max(visits, key=lambda v: (bool(v.practice_notes.strip()), min(closed[v.id], 2), min(made[v.id], 2),
                                           len(v.strategies), v.date))
        busiest = max(store.practice_summaries(today=TODAY), key=lambda p: p.visits)
        pdfs = {"report-visit": write_visit_pdf, "report-progress": write_progress_pdf}
        keys = {"report-visit": visit.id, "report-progress": busiest.id}
        for name, write in pdfs.items():
            pdf = data_dir / f"{name}.pdf"
            write(store, toolkit, keys[name], pdf, today=TODAY)
            for old in OUT.glob(f"{name}-*.png"):
                old.unlink()
            subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(OUT / name)], check=True)
    return sorted(OUT.glob("report-*.png"))


def sync_issues_shot(app: QApplication) -> Path:
    """A real conflict and a real refusal, made against a real local server, on the Sync issues screen."""
    import dataclasses

    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    from facilitator_app.core.model import Practice, Visit
    from facilitator_app.sync.credentials import TokenStore
    from facilitator_app.sync.service import SyncService
    from facilitator_app.ui.app import build, shutdown
    from tests.serverproc import start_server

    keyring.set_keyring(NoKeyring())  # tokens stay in this process; the machine's keyring is untouched
    tmp = Path(tempfile.mkdtemp(prefix="ffk-shots-sync-"))
    server = start_server(tmp / "server")
    try:
        server.add_user("renee", "bench password 1", cooperative="Northern Illinois")
        tokens = TokenStore()
        mine = SyncService(tmp / "laptop", tokens=tokens)
        mine.sign_in(server.url, "renee", "bench password 1")
        harbor = Practice(name="Harbor Family Clinic", state="WI")
        maple = Practice(name="Maple Street Clinic", state="IL")
        for p in (harbor, maple):
            mine.store().save_practice(p)
        mine.sync_once()
        other = SyncService(tmp / "laptop2", tokens=TokenStore())
        other.sign_in(server.url, "renee", "bench password 1")
        other.sync_once()
        mine.store().save_practice(dataclasses.replace(harbor, phone="(920) 555-0100"))
        other.store().save_practice(dataclasses.replace(harbor, phone="(920) 555-0199"))
        other.sync_once()
        other.close()
        server.admin("unassign", "renee", maple.id)
        mine.store().save_visit(Visit(maple.id, TODAY, minutes=45, notes="Walked through the quitline fax form."))
        mine.sync_once()
        mine.close()
        ctx, window = build(tmp / "laptop", app=app, today=lambda: TODAY, start_sync=False)
        window.resize(SIZE)
        window.show()
        window.show_view(window.SYNC_ISSUES)
        settle(app, ctx, 0.5)
        path = OUT / "sync-issues.png"
        window.grab().save(str(path))
        window.close()
        shutdown(ctx)
        return path
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())

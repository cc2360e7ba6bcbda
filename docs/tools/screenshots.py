"""Render every screen of the desktop app with demo data to PNG files in docs/screenshots/, on a
1366x768 screen (the most common facilitator laptop), each window at the size it really opens at.

    .venv/bin/python docs/tools/screenshots.py                 # every picture
    .venv/bin/python docs/tools/screenshots.py today settings  # only these (names without .png)

Uses a throwaway data folder and a fixed date, so the pictures are the same on every run. Qt's
offscreen platform is given a 1366x768 screen (see laptop_screen_platform); QT_QPA_PLATFORM set to
anything else is used as is.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path

SCREEN = (1366, 768)


def laptop_screen_platform(width: int = SCREEN[0], height: int = SCREEN[1]) -> str:
    """A QT_QPA_PLATFORM value: the offscreen platform with one screen of width x height."""
    config = Path(tempfile.mkdtemp(prefix="ffk-screen-")) / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = laptop_screen_platform()
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

OUT = REPO / "docs" / "screenshots"
TODAY = date(2026, 3, 18)


def settle(app: QApplication, ctx, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end or ctx.ops.is_busy:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str]) -> int:
    only = {a.removesuffix(".png") for a in argv}
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from facilitator_app.core.demo import generate
    from facilitator_app.core.model import FacilitatorProfile
    from facilitator_app.ui.app import build, shutdown
    from facilitator_app.ui.dialogs.first_start import DEMO, FirstStartDialog

    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="ffk-shots-"))
    ctx, window = build(data_dir, app=app, today=lambda: TODAY, start_sync=False)
    ctx.open_file = lambda path: None
    shots: list[Path] = []

    def wanted(name: str) -> bool:
        return not only or name in only

    def shot(widget, name: str) -> None:
        settle(app, ctx)
        if wanted(name):
            path = OUT / f"{name}.png"
            widget.grab().save(str(path))
            shots.append(path)

    window.show()  # at the size it opens at on this screen
    settle(app, ctx)
    first = FirstStartDialog(window)
    first.show()
    shot(first, "first-start")
    first.buttons[DEMO].click()
    first.about.name.setText("Renée Haddad")
    first.about.phone.setText("(312) 555-0147")
    shot(first, "first-start-about-you")
    first.close()
    window.activateWindow()  # the offscreen platform gives the activation back to no window
    # As after a first Tab: keyboard focus is drawn (Qt draws it only once the keyboard is used).
    window.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)

    objs = generate(practices=14, months=12, seed=7, today=TODAY, toolkit=ctx.toolkit)
    ctx.store.bulk_insert(objs, outbox=False)
    ctx.store.set_meta("demo", "1")
    ctx.store.set_facilitator_profile(FacilitatorProfile("Renée Haddad", "renee.haddad@example.org", "(312) 555-0147"))
    window.show_view(window.TODAY)
    window.today.refresh()
    settle(app, ctx)
    window.today.next_steps.table.setFocus(Qt.FocusReason.TabFocusReason)  # the list the day is closed from
    shot(window, "today")
    window.show_view(window.PRACTICES)
    window.practices.refresh()
    window.practices.search.setFocus()
    settle(app, ctx)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # into the list, with its focus frame
    shot(window, "practices")
    # The busiest active practice: a withdrawn one has no next contacts, an empty column in the picture.
    summaries = sorted(ctx.store.practice_summaries(today=TODAY), key=lambda s: (s.status != "active", -s.visits))
    window.open_practice(summaries[0].id)
    settle(app, ctx)
    page = window.practice
    for tab, name in ((page.profile, "practice-profile"), (page.plan, "practice-plan"),
                      (page.checklist, "practice-checklist"), (page.visits, "practice-visits"),
                      (page.measures, "practice-measures")):
        page.tabs.setCurrentWidget(tab)
        page.tabs.tabBar().setFocus(Qt.FocusReason.TabFocusReason)
        window.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)  # as a Tab press does
        shot(window, name)
    if wanted("measure-import"):
        measure_import_shot(window, app, ctx, summaries[0].id, data_dir, shot)
    if wanted("practice-next-steps"):
        next_steps_shot(window, app, ctx, shot)
    if wanted("visit-form") or wanted("visit-form-bottom"):
        visit_form_shot(window, app, ctx, summaries[0].id, shot)
    window.show_view(window.TOOLKIT)
    window.toolkit.search.setText("quitline")
    shot(window, "toolkit")
    window.toolkit.search.clear()
    if wanted("toolkit-tips"):
        toolkit_tips_shot(window, app, ctx, shot)
    if wanted("diary") or wanted("diary-entry"):
        diary_shots(window, app, ctx, summaries[0].id, shot)
    if wanted("print-dialog"):
        print_dialog_shot(window, app, ctx, shot)
    window.show_view(window.SETTINGS)
    shot(window, "settings")
    window.close()
    shutdown(ctx)
    if wanted("sync-issues"):
        shots.append(sync_issues_shot(app))
    if not only or any(name.startswith("report-") for name in only):
        shots += report_shots(data_dir)
    for p in shots:
        print(p.relative_to(REPO))
    return 0


# Colleagues' field tips for the pictures (written on other laptops, as a sync brings them).
TIPS = (
    ("B1", "marcus", 26, "Put the cuff-size chart on the wall beside the scale: the MAs picked the right cuff "
                         "without asking, and re-checks dropped by half.", "https://example.org/cuff-chart",
     {"ownership": "clinician_owned"}),
    ("B1", "dana", 9, "In eClinicalWorks the repeat-BP field is hidden by default: add it to the vitals template "
                      "once and every room has it.", "", {"ehr_vendor": "eClinicalWorks", "size": "small"}),
    ("B1", "marcus", 4, "Ask the front desk to flag patients with no BP in 12 months on the day sheet.", "", {}),
    ("S4", "dana", 12, "Fax the quitline referral before the patient leaves the room; the same-day fax doubled "
                       "the callbacks.", "", {}),
)


def add_tips(ctx) -> None:
    from datetime import timedelta

    from facilitator_app.core.model import Tip, TipMark, tip_mark_id
    tips = [Tip(sid, text, TODAY - timedelta(days=days), link=link, written_by=by, pinned=(i == 1), **traits)
            for i, (sid, by, days, text, link, traits) in enumerate(TIPS)]
    marks = [TipMark(tips[0].id, by=who, id=tip_mark_id(tips[0].id, who)) for who in ("dana", "lee", "sam")]
    marks.append(TipMark(tips[3].id, by="lee", id=tip_mark_id(tips[3].id, "lee")))
    ctx.store.bulk_insert([*tips, *marks], outbox=False)


def toolkit_tips_shot(window, app, ctx, shot) -> None:
    """The Toolkit on B1 with its field tips: one pinned, one marked helpful by three colleagues."""
    add_tips(ctx)
    from facilitator_app.core.model import Tip
    ctx.store.save_tip(Tip("B1", "Practise the 5-minute rest with the MAs on each other first; they believed it "
                                 "after seeing their own numbers drop.", None), ctx.toolkit, today=TODAY)
    view = window.toolkit
    view.search.setText("B1")
    for i in range(view.list.count()):
        if view.list.item(i).text().startswith("B1 "):
            view.list.setCurrentRow(i)
    view.refresh()
    settle(app, ctx)
    view.tips.table.setFocus(Qt.FocusReason.TabFocusReason)
    window.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
    shot(window, "toolkit-tips")
    view.search.clear()


def diary_shots(window, app, ctx, practice_id: str, shot) -> None:
    """The Diary with a few entries (private and shared), and one open in its editor."""
    from datetime import timedelta

    from facilitator_app.core.model import DiaryEntry
    practices = ctx.store.practices()
    entries = [
        DiaryEntry(TODAY - timedelta(days=12), "The MA lead pushed back on repeat BPs: too little time per room.\n"
                   "Try: show her the 12-month numbers before asking again.", tags=["barrier"],
                   about_practice=practices[0].id, strategies=["B1"]),
        DiaryEntry(TODAY - timedelta(days=8), "How do others handle an owner who cancels every second visit?",
                   tags=["question"], shared=True),
        DiaryEntry(TODAY - timedelta(days=5), "Registry report ran first time; the champion printed it for the "
                   "huddle herself.", tags=["success"], about_practice=practices[1].id, strategies=["A6"]),
        DiaryEntry(TODAY - timedelta(days=1), "Idea: a one-page quitline fax checklist for the front desk.",
                   tags=["idea"], about_practice=practices[2].id, strategies=["S4"], shared=True),
    ]
    for entry in entries:
        ctx.store.save_diary_entry(entry, today=TODAY)
    window.show_view(window.DIARY)
    view = window.diary
    view.refresh()
    settle(app, ctx)
    view.table.setFocus(Qt.FocusReason.TabFocusReason)
    window.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
    shot(window, "diary")
    view.table.selectRow(1)
    settle(app, ctx)
    view.open_current()
    settle(app, ctx)
    dialog = view.dialog
    dialog.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
    shot(dialog, "diary-entry")


def measure_import_shot(window, app, ctx, practice_id: str, data_dir: Path, shot) -> None:
    """The preview of a QRDA III export over the Measures tab: a quarter already recorded, one
    with other numbers (Replace asked), two new ones and a measure the app does not track. The
    file is built from the QRDA III structure by tests/qrda_files.py."""
    from PySide6.QtGui import QPainter

    from facilitator_app.ui.dialogs.measure_import_dialog import MeasureImportDialog
    from tests.qrda_files import entry, qrda3

    latest = max(ctx.store.measures(practice_id), key=lambda v: v.period_end).period_end
    stored = {v.measure: v for v in ctx.store.measures(practice_id) if v.period_end == latest}
    bp, smoking = stored["B"], stored["S"]
    year_before = date(latest.year - 1, latest.month, latest.day)
    path = data_dir / f"qrda3-{latest.isoformat()}.xml"
    path.write_bytes(qrda3(sections=[
        ((date(latest.year - 1, latest.month, 1), latest), [
            entry("CMS165", {"IPOP": bp.denominator + 25, "DENOM": bp.denominator + 25, "DENEX": 25,
                             "NUMER": bp.numerator}),
            entry("CMS138", {"IPOP": 900, "DENOM": 900, "NUMER": 800}, {"IPOP": 900, "DENOM": 140, "NUMER": 90},
                  {"IPOP": 900, "DENOM": smoking.denominator, "NUMER": smoking.numerator + 12}),
            entry("CMS122", {"IPOP": 210, "DENOM": 210, "NUMER": 40})]),
        ((date(year_before.year - 1, year_before.month, 1), year_before), [
            entry("CMS164", {"IPOP": 130, "DENOM": 130, "DENEX": 6, "NUMER": 81}, set_id=None),
            entry("CMS347", {"IPOP": 260, "DENOM": 260, "NUMER": 150}, {"IPOP": 30, "DENOM": 30, "NUMER": 19},
                  {"IPOP": 180, "DENOM": 180, "DENEX": 8, "NUMER": 101})])], document_period=False))
    page = window.practice
    page.tabs.setCurrentWidget(page.measures)
    settle(app, ctx)
    page.measures.preview(path)
    settle(app, ctx, 0.5)
    dialog = window.findChild(MeasureImportDialog)
    assert dialog is not None, "the preview did not open"
    dialog.move(window.geometry().center() - dialog.rect().center())
    picture = window.grab()
    painter = QPainter(picture)
    at = dialog.geometry().topLeft() - window.geometry().topLeft()
    painter.drawPixmap(at, dialog.grab())
    painter.setPen(Qt.GlobalColor.darkGray)  # the dialog's edge (the offscreen platform draws no frames)
    painter.drawRect(at.x() - 1, at.y() - 1, dialog.width() + 1, dialog.height() + 1)
    painter.end()
    path = OUT / "measure-import.png"
    picture.save(str(path))
    print(path.relative_to(REPO))
    dialog.reject()
    settle(app, ctx)


def print_dialog_shot(window, app, ctx, shot) -> None:
    """Print… for a visit that worked on B1 and S4: the colleagues' tips offered for the help section."""
    from facilitator_app.core.model import StrategyWork, Visit
    if not ctx.store.tips():
        add_tips(ctx)
    practice = next(p for p in ctx.store.practices() if p.ehr_vendor != "eClinicalWorks")
    visit = Visit(practice.id, TODAY, minutes=60, strategies=[StrategyWork("B1", "selected", "in_progress"),
                                                             StrategyWork("S4", "selected", "in_progress")])
    ctx.store.save_visit(visit, ctx.toolkit, today=TODAY)
    window.print_visit(visit.id)
    settle(app, ctx, 1.0)
    dialog = window.print_dialog
    dialog.tips.setFocus()
    dialog.tips.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
    shot(dialog, "print-dialog")
    dialog.reject()
    ctx.store.delete("visit", visit.id)
    settle(app, ctx)




def next_steps_shot(window, app, ctx, shot) -> None:
    """The Next steps tab of the practice with the most open steps, every status shown, the
    cursor on its first open step (as Enter on Today's list leaves it)."""
    open_steps = ctx.store.open_next_steps()
    busiest = max(sorted({s.practice_id for s in open_steps}),
                  key=lambda pid: sum(s.practice_id == pid for s in open_steps))
    mine = [s for s in open_steps if s.practice_id == busiest]
    window.open_step(busiest, mine[0].id)
    settle(app, ctx)
    window.practice.steps.set_filter("All")
    window.practice.steps.table.select_step(mine[0].id)
    window.practice.steps.table.setFocus(Qt.FocusReason.TabFocusReason)
    window.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)
    shot(window, "practice-next-steps")


def visit_form_shot(window, app, ctx, practice_id: str, shot) -> None:
    """The visit form of the practice with the most open next steps, as the window opens on a
    1366x768 screen: the top (steps since the last visit reviewed, attendees, strategies) and,
    scrolled down, the next steps with owners and due-date shortcuts and the two notes boxes."""
    from datetime import timedelta

    from PySide6.QtCore import QPoint, QTime

    steps = ctx.store.open_next_steps()
    practice_id = max(sorted({s.practice_id for s in steps}),
                      key=lambda pid: sum(s.practice_id == pid for s in steps)) if steps else practice_id
    window.new_visit(practice_id)
    settle(app, ctx, 0.5)
    form = window.visit_forms[-1]
    form.setAttribute(Qt.WidgetAttribute.WA_KeyboardFocusChange)  # draw the keyboard focus
    since = form.since_last
    for row, (choice, note) in enumerate((("done", ""), ("dropped", "The practice's own EHR report does it now"))):
        if row < len(since.rows):
            since.combos[row].setCurrentIndex(since.combos[row].findData(choice))
            since.table.item(row, 5).setText(note)
    since.table.setFocus()
    since.table.setCurrentCell(0, 4)
    form.when.start_time.setTime(QTime(10, 0))
    started = {i.strategy_id for i in form.bundle.checklist if i.status in ("selected", "in_progress")}
    chosen = [sid for sid, row in sorted(form.strategies.rows.items(), key=lambda kv: kv[1]) if sid in started][:2]
    form.strategies.set_strategy(chosen[0], worked=True, after="implemented", note="Standing order signed")
    form.strategies.set_strategy(chosen[1], worked=True)
    people = [c.name for c in form.bundle.contacts] or ["Office manager"]
    form.next_steps.next_contact.set_value(TODAY + timedelta(days=28))
    for action, owner, due in (("Share the March BP registry with the care team", people[0], "+2w"),
                               ("Print the quitline fax-referral form for every room", people[-1], "next visit")):
        line = form.next_steps.lines[-1]
        line.action.setText(action)
        line.owner.setEditText(owner)
        line.due.setText(due)
    form.notes.practice_notes.setPlainText("Thank you for a focused hour. The repeat-BP standing order starts "
                                           "Monday; call me with any question about the registry report.")
    form.notes.private_notes.setPlainText("Leader keen; the MA team is short one person until April.")
    form.pdsa.aim.setText("Repeat the BP of every patient with a first reading of 140/90 or above")
    shot(form, "visit-form")
    bar = form.scroll.verticalScrollBar()
    bar.setValue(form.next_steps.mapTo(form.body, QPoint(0, 0)).y() - 6)
    form.next_steps.lines[1].due.setFocus()
    shot(form, "visit-form-bottom")
    form.discard()


def _tip_for_leave_behind(store, visit) -> str:
    """A colleague's field tip the visit's leave-behind can offer (one is written if none suits)."""
    from datetime import timedelta

    from facilitator_app.core.model import Tip
    from facilitator_app.reports.data import leave_behind_tips

    offered = leave_behind_tips(store, visit.id)
    if not offered:
        sid = next(w.strategy_id for w in visit.strategies if w.strategy_id.startswith("S"))
        store.bulk_insert([Tip(sid, "Fax the quitline referral before the patient leaves the room: the same-day "
                                    "fax doubled the callbacks at our practices.", TODAY - timedelta(days=12),
                               link="https://smokefree.gov", written_by="dana")], outbox=False)
        offered = leave_behind_tips(store, visit.id)
    return offered[0].id


def report_shots(data_dir: Path) -> list[Path]:
    """Both leave-behind PDFs from the same demo data, every page as PNG (needs poppler's pdftoppm)."""
    import subprocess
    from collections import Counter

    from facilitator_app.reports import write_progress_pdf, write_visit_pdf
    from facilitator_app.store import Store
    from facilitator_app.store.toolkit_source import active_toolkit

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
        tip_ids = [_tip_for_leave_behind(store, visit)]  # as ticked in the print dialog
        pdfs = {"report-visit": partial(write_visit_pdf, tip_ids=tip_ids), "report-progress": write_progress_pdf}
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
        # A measure an older server stored unchecked (more patients meeting it than eligible):
        # the laptop sets it aside with the reason instead of failing its sync.
        from tests.sync.hostile import insert_rows
        insert_rows(server.database_url, [{
            "entity": "measure", "id": "old-server-measure", "practice_id": harbor.id, "author": "marcus",
            "data": {"measure": "B", "period_end": "2025-12-31", "numerator": 412, "denominator": 368,
                     "version": "", "source": "EHR report"},
            "clocks": {"*": "001772000000000-000000-oldserver"}, "deleted": False}])
        server.admin("unassign", "renee", maple.id)
        mine.store().save_visit(Visit(maple.id, TODAY, minutes=45,
                                      practice_notes="Walked through the quitline fax form."))
        mine.sync_once()
        mine.close()
        ctx, window = build(tmp / "laptop", app=app, today=lambda: TODAY, start_sync=False)
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
    sys.exit(main(sys.argv[1:]))

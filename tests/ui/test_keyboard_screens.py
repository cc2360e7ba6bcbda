"""Every window can be used with the keyboard alone: each screen and dialog has unique Alt-mnemonics
and a name on every control; then the screens are driven with key events only, sent to whichever
widget has focus (QApplication.focusWidget()): Tab leaves every table, the practice tabs answer
their Alt+letter, and the welcome dialog, the checklist, the measures and the contacts work
without a mouse."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMessageBox, QWidget

from facilitator_app.core.demo import generate
from facilitator_app.core.model import Contact, DiaryEntry, MeasureValue, Practice, Tip
from facilitator_app.ui.dialogs.about_you import AboutYouDialog
from facilitator_app.ui.dialogs.diary_dialog import DiaryEntryDialog
from facilitator_app.ui.dialogs.first_start import FirstStartDialog
from facilitator_app.ui.dialogs.practice_dialog import PracticeDialog
from facilitator_app.ui.dialogs.print_dialog import PrintDialog
from facilitator_app.ui.dialogs.tip_dialog import TipDialog
from facilitator_app.ui.main_window import SCREENS
from facilitator_app.ui.models.roles import RECORD_ROLE

from .conftest import TODAY
from .walk import clashes, controls, unnamed

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has keyboard focus"
    QTest.keyClick(focus, k, mods)
    QApplication.processEvents()  # as the event loop does between two keystrokes


def alt(qtbot, k) -> None:
    """Alt+letter on a button: Qt shows the press and clicks 100 ms later (animateClick)."""
    key(k, ALT)
    qtbot.wait(200)


def type_text(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)


def focus() -> QWidget:
    return QApplication.focusWidget()


def inside(widget: QWidget) -> bool:
    f = focus()
    return f is widget or (f is not None and widget.isAncestorOf(f))


def tab_to(target: QWidget, *, back: bool = False, limit: int = 60) -> int:
    """Press Tab (Shift+Tab) until `target` has focus; the number of presses."""
    for n in range(1, limit + 1):
        key(Qt.Key.Key_Tab, SHIFT if back else Qt.KeyboardModifier.NoModifier)
        if focus() is target:
            return n
    raise AssertionError(f"{limit} presses of Tab never reached {target.accessibleName() or target}; "
                         f"focus is on {focus()}")


def reactivate(qtbot, window: QWidget) -> None:
    """Offscreen, a closed popup or message box leaves no window active (a desktop gives the
    activation back to the window underneath): do what the desktop would."""
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None and QApplication.activeModalWidget() is None)
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def activate(qtbot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


@pytest.fixture
def demo(app):
    app.store.bulk_insert(generate(practices=6, months=12, seed=3, today=TODAY, toolkit=app.ctx.toolkit), outbox=False)
    app.window.practices.refresh()
    app.idle()
    return app


def states(app):
    """(name, window) for every screen, and every tab of the Practice screen."""
    w = app.window
    for index, (title, _module, _cls) in enumerate(SCREENS):
        if index == w.PRACTICE:
            busiest = max(app.store.practice_summaries(today=TODAY), key=lambda s: s.visits)
            w.open_practice(busiest.id)
            app.idle()
            for tab in range(w.practice.tabs.count()):
                w.practice.tabs.setCurrentIndex(tab)
                app.idle()
                yield f"Practice > {w.practice.tabs.tabText(tab)}", w
            continue
        w.show_view(index)
        app.idle()
        yield title, w


def dialogs(app, qtbot):
    first = FirstStartDialog(app.window)
    first.show()
    yield "Welcome", first
    first.buttons["empty"].click()
    yield "Welcome > About you", first
    first.close()
    about = AboutYouDialog(app.ctx, app.window)
    about.show()
    app.idle()
    yield "About you", about
    about.close()
    practice = PracticeDialog(app.ctx, app.window)
    practice.show()
    yield "New practice", practice
    practice.close()
    tip = TipDialog(app.ctx, "B1", parent=app.window)
    tip.show()
    yield "Add a field tip", tip
    tip.close()
    practices = app.store.practices()
    diary = DiaryEntryDialog(app.ctx, practices=practices, parent=app.window)
    diary.show()
    yield "New diary entry", diary
    diary.close()
    theirs = DiaryEntry(TODAY, "Shared with you.", shared=True, written_by="marcus")
    shared = DiaryEntryDialog(app.ctx, practices=practices, entry=theirs, shared=True, read_only=True,
                              parent=app.window)
    shared.show()
    yield "A shared diary entry (read-only)", shared
    shared.close()
    printing = PrintDialog("Print the leave-behind", app.window)
    printing.set_tips([Tip("B1", "A field tip.", TODAY, written_by="marcus")])
    printing.show()
    yield "Print, with field tips", printing
    printing.close()


def test_every_screen_and_dialog_has_unique_mnemonics_and_named_controls(demo, qtbot):
    checked = []
    for name, window in itertools.chain(states(demo), dialogs(demo, qtbot)):  # each checked while shown
        assert clashes(window) == {}, f"{name}: one Alt+letter for several controls"
        assert unnamed(window) == [], f"{name}: controls without an accessible name or a buddy label"
        checked.append(name)
    assert len(checked) == len(SCREENS) - 1 + 6 + 8


def test_practice_tabs_answer_their_mnemonics_even_from_the_profile_form(demo, qtbot):
    w = demo.window
    activate(qtbot, w)
    practice = next(s for s in demo.store.practice_summaries(today=TODAY))
    w.open_practice(practice.id)
    demo.idle()
    tabs = w.practice.tabs
    tabs.setCurrentWidget(w.practice.profile)
    w.practice.profile.form.name.setFocus()
    assert focus() is w.practice.profile.form.name
    for letter, page in ((Qt.Key.Key_P, w.practice.plan), (Qt.Key.Key_C, w.practice.checklist),
                         (Qt.Key.Key_V, w.practice.visits), (Qt.Key.Key_X, w.practice.steps),
                         (Qt.Key.Key_M, w.practice.measures),
                         (Qt.Key.Key_F, w.practice.profile)):
        key(letter, ALT)
        assert tabs.currentWidget() is page, QTest.keyToAscii(letter)
    key(Qt.Key.Key_H, ALT)  # P&hone: the profile's own field, now that Alt+P is the Plan tab's
    assert focus() is w.practice.profile.form.phone


def test_tab_leaves_every_table_of_every_screen(demo, qtbot):
    """On each screen, every item view is entered with Tab and left with one more Tab (and
    Shift+Tab leaves it backwards): no table keeps the focus."""
    w = demo.window
    activate(qtbot, w)
    seen = 0
    for name, window in states(demo):
        page = window.current_view()
        for view in controls(window):
            if not isinstance(view, QAbstractItemView) or not page.isAncestorOf(view) \
                    or not view.isVisibleTo(window) or not view.isEnabled():
                continue
            view.setFocus(Qt.FocusReason.TabFocusReason)
            assert inside(view), name
            key(Qt.Key.Key_Down)
            assert inside(view), f"{name}: the arrows move inside {view.accessibleName()}"
            key(Qt.Key.Key_Tab)
            assert not inside(view), f"{name}: Tab stays in {view.accessibleName()}"
            view.setFocus(Qt.FocusReason.TabFocusReason)
            key(Qt.Key.Key_Tab, SHIFT)
            assert not inside(view), f"{name}: Shift+Tab stays in {view.accessibleName()}"
            seen += 1
    assert seen >= 12


def test_practices_list_with_keys_only(demo, qtbot):
    w = demo.window
    activate(qtbot, w)
    key(Qt.Key.Key_2, CTRL)
    view = w.practices
    assert w.current_view() is view
    key(Qt.Key.Key_F, CTRL)
    assert focus() is view.search
    name = demo.store.practices()[0].name
    type_text(name[:6])
    key(Qt.Key.Key_Tab)
    assert focus() is view.table
    assert len(view.table.selectionModel().selectedRows()) == 1  # the focus shows as a highlighted row
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Tab)  # leaves the list for the New practice button
    assert focus() is view.new_button
    key(Qt.Key.Key_Tab, SHIFT)
    assert focus() is view.table
    chosen = view.table.currentIndex().data(RECORD_ROLE).id
    assert view.selected_practice_id() == chosen  # what Ctrl+N would open a visit for
    key(Qt.Key.Key_Return)  # opens the practice
    demo.idle()
    assert w.current_view() is w.practice and w.practice.practice_id == chosen


def test_welcome_dialog_with_keys_only(app, qtbot):
    app.store.set_meta("facilitator", "")  # a new store names nobody (older stores took the login name)
    w = app.window
    w.maybe_first_start()
    app.idle()
    dialog = w.first_start_dialog
    activate(qtbot, dialog)
    assert focus() is dialog.buttons["sign_in"]  # a focused choice from the start
    key(Qt.Key.Key_Tab)
    key(Qt.Key.Key_Tab)
    assert focus() is dialog.buttons["empty"]
    key(Qt.Key.Key_Space)
    assert focus() is dialog.about.name
    key(Qt.Key.Key_Return)  # the name is required: nothing happens but a message
    assert dialog.isVisible() and "required" in dialog.about.errors.labels["name"].text()
    type_text("Renee Haddad")
    key(Qt.Key.Key_Tab)
    type_text("(312) 555-0147")
    key(Qt.Key.Key_Tab)
    type_text("renee@")
    key(Qt.Key.Key_Return)
    assert dialog.isVisible() and focus() is dialog.about.email  # a bad email: back to that field
    type_text("example.org")
    key(Qt.Key.Key_Return)
    app.idle()
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()  # closed (and deleted)
    profile = app.store.facilitator_profile()
    assert (profile.name, profile.phone, profile.email) == ("Renee Haddad", "(312) 555-0147", "renee@example.org")
    assert app.store.get_meta("first_start") == "empty"


def test_checklist_with_keys_only(app, qtbot):
    p = Practice(name="Keyboard Clinic", state="IL")
    app.store.save_practice(p)
    w = app.window
    w.open_practice(p.id)
    app.idle()
    activate(qtbot, w)
    w.practice.tabs.tabBar().setFocus()
    key(Qt.Key.Key_C, ALT)
    tab = w.practice.checklist
    assert w.practice.tabs.currentWidget() is tab
    tab_to(tab.tree)
    while tab.current != "B2":
        key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Return)  # edit this strategy
    assert focus() is tab.status
    tab_to(tab.step_checks[0])
    key(Qt.Key.Key_Space)  # ticking a step of a strategy the practice did not select: Selected, and said so
    assert tab.status.currentData() == "selected"
    assert tab.notice.isVisible() and "Selected" in tab.notice.text()
    alt(qtbot, Qt.Key.Key_S)
    app.idle()
    item = app.store.checklist_item(p.id, "B2")
    assert (item.status, item.steps_done) == ("selected", [1])
    tab_to(tab.tree, back=True)
    key(Qt.Key.Key_Tab)  # out of the tree, into the editor
    assert not inside(tab.tree)


def test_measures_prefill_and_correct_with_keys_only(app, qtbot):
    p = Practice(name="Measured Clinic", state="WI")
    app.store.save_practice(p)
    app.store.save_measure(MeasureValue(p.id, "B", date(2025, 12, 31), 61, 100, version="v12", source="EHR"))
    w = app.window
    w.open_practice(p.id)
    app.idle()
    activate(qtbot, w)
    w.practice.tabs.tabBar().setFocus()
    key(Qt.Key.Key_M, ALT)
    tab = w.practice.measures
    assert w.practice.tabs.currentWidget() is tab
    tab_to(tab.measure)
    while tab.measure.currentData() != "B":
        key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Tab)
    assert focus() is tab.period
    while tab.period.currentData() != date(2025, 12, 31):
        key(Qt.Key.Key_Down)
    # The stored quarter shows its numbers, not 0 / 0.
    assert (tab.numerator.value(), tab.denominator.value(), tab.version.text()) == (61, 100, "v12")
    assert "61 / 100" in tab.stored.text()
    key(Qt.Key.Key_Tab)
    assert focus() is tab.numerator
    key(Qt.Key.Key_A, CTRL)
    type_text("64")
    alt(qtbot, Qt.Key.Key_S)
    app.idle()
    [value] = app.store.measures(p.id)
    assert (value.numerator, value.denominator, value.version) == (64, 100, "v12")
    # A quarter with nothing stored starts blank; Enter on a row of the table brings it back.
    tab.period.setFocus()
    key(Qt.Key.Key_Down)
    assert (tab.numerator.value(), tab.denominator.value()) == (0, 0)
    tab_to(tab.table)
    key(Qt.Key.Key_Return)
    assert focus() is tab.numerator and tab.period.currentData() == date(2025, 12, 31)
    assert tab.numerator.value() == 64
    tab_to(tab.table)
    key(Qt.Key.Key_Tab)
    assert not inside(tab.table)


def test_remove_a_contact_with_the_delete_key(app, qtbot):
    p = Practice(name="Contact Clinic", state="IL")
    app.store.save_practice(p)
    for name in ("Ana Munoz", "Ben Okafor"):
        app.store.save_contact(Contact(p.id, name, role="champion"))
    w = app.window
    w.open_practice(p.id)
    app.idle()
    activate(qtbot, w)
    tab = w.practice.profile
    w.practice.tabs.tabBar().setFocus()
    key(Qt.Key.Key_F, ALT)
    tab_to(tab.contacts)
    key(Qt.Key.Key_Down)
    row = tab.contacts.currentRow()
    name = tab.contacts.item(row, 0).text()
    key(Qt.Key.Key_Delete)
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and name in box.text()
    qtbot.waitUntil(lambda: box.isAncestorOf(focus()))
    key(Qt.Key.Key_Return)
    reactivate(qtbot, w)
    app.idle()
    assert [c.name for c in app.store.contacts(p.id)] == [n for n in ("Ana Munoz", "Ben Okafor") if n != name]
    assert tab.contacts.rowCount() == 1


def test_today_drafts_delete_and_undo_with_keys_only(app, qtbot):
    p = Practice(name="Draft Clinic", state="IL")
    app.store.save_practice(p)
    payload = {"visit": {"id": "v-1", "practice_id": p.id, "date": "2026-03-17"}, "saved_at": "2026-03-17T10:00"}
    app.store.save_draft("visit:v-1", "visit", payload)
    w = app.window
    activate(qtbot, w)
    key(Qt.Key.Key_1, CTRL)
    w.today.refresh()
    app.idle()
    drafts = w.today.drafts
    tab_to(drafts)
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Delete)
    app.idle()
    assert app.store.drafts("visit") == []
    assert "Ctrl+Z" in w.statusBar().currentMessage()
    drafts.setFocus()
    key(Qt.Key.Key_Z, CTRL)
    app.idle()
    assert app.store.drafts("visit") == [("visit:v-1", payload)]
    key(Qt.Key.Key_Tab)
    assert not inside(drafts)

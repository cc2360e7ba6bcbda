"""The Diary screen with the keyboard alone (key events to the focused widget): a new entry
with Ctrl+N, edit, search as you type, the tag filter, share and stop sharing (the confirmations
say what happens), delete; and a supervisor reading a shared entry read-only. Real SQLite stores."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from facilitator_app.core.model import DiaryEntry, Practice
from facilitator_app.ui.dialogs.diary_dialog import DiaryEntryDialog

from .conftest import TODAY

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier
ME = "renee"


def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has keyboard focus"
    QTest.keyClick(focus, k, mods)
    QApplication.processEvents()


def alt(qtbot, k) -> None:
    key(k, ALT)
    qtbot.wait(200)


def type_text(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)


def wait_modal(qtbot, kind):
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), kind), timeout=5000)
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=5000)
    return dialog


def back_to(qtbot, window) -> None:
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None)
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def open_diary(app, qtbot):
    w = app.window
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.nav.setFocus()
    key(Qt.Key.Key_7, CTRL)
    app.idle()
    assert w.current_view() is w.diary
    return w.diary


def shown(view) -> list[str]:
    return [r.entry.text for r in view.model.rows()]


def test_write_edit_search_filter_share_and_delete_with_keys_only(app, qtbot):
    app.store.set_meta("facilitator", ME)
    lakeside = Practice(name="Lakeside Clinic", state="IL")
    app.store.save_practice(lakeside)
    app.store.save_diary_entry(DiaryEntry(TODAY - timedelta(days=5), "Front desk was short-staffed again.",
                                          tags=["barrier"]), today=TODAY)
    view = open_diary(app, qtbot)
    assert shown(view) == ["Front desk was short-staffed again."]

    # Ctrl+N on the Diary is a new entry (not a new visit): today's date, private by default.
    key(Qt.Key.Key_N, CTRL)
    dialog = wait_modal(qtbot, DiaryEntryDialog)
    assert dialog.date.value() == TODAY and not dialog.share.isChecked()
    assert QApplication.focusWidget() is dialog.text
    key(Qt.Key.Key_Return)  # Enter in the text is a new line; nothing saved yet
    alt(qtbot, Qt.Key.Key_S)  # an empty entry is refused beside the field, the dialog stays
    assert dialog.isVisible() and "required" in dialog.errors.labels["text"].text().lower()
    type_text("The registry report ran first time.")
    alt(qtbot, Qt.Key.Key_U)  # S&uccess
    alt(qtbot, Qt.Key.Key_I)  # &Idea
    alt(qtbot, Qt.Key.Key_P)  # &Practice
    key(Qt.Key.Key_Down)
    alt(qtbot, Qt.Key.Key_T)  # S&trategies: an unknown id is refused, what was typed stays
    type_text("B1, Z9")
    alt(qtbot, Qt.Key.Key_S)
    assert dialog.isVisible() and "Z9" in dialog.errors.labels["strategies"].text()
    assert dialog.text.toPlainText().strip() == "The registry report ran first time."
    key(Qt.Key.Key_Backspace)
    key(Qt.Key.Key_Backspace)
    type_text("S4")
    alt(qtbot, Qt.Key.Key_S)
    app.idle()
    back_to(qtbot, app.window)
    [entry] = app.store.diary_entries(search="registry")
    assert (entry.written_on, entry.tags, entry.about_practice, entry.strategies, entry.shared) \
        == (TODAY, ["success", "idea"], lakeside.id, ["B1", "S4"], False)
    assert shown(view)[0] == "The registry report ran first time."  # newest first
    assert view.current().entry.id == entry.id and view.current().sharing == "Private"

    # Enter on the row edits it.
    view.table.setFocus()
    key(Qt.Key.Key_Return)
    dialog = wait_modal(qtbot, DiaryEntryDialog)
    key(Qt.Key.Key_End, CTRL)
    type_text(" Ana will show the MAs.")
    alt(qtbot, Qt.Key.Key_S)
    app.idle()
    back_to(qtbot, app.window)
    assert app.store.diary_entry(entry.id).text.endswith("Ana will show the MAs.")

    # Search as you type, then the tag filter.
    key(Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is view.search
    type_text("short-staffed")
    qtbot.waitUntil(lambda: shown(view) == ["Front desk was short-staffed again."], timeout=3000)
    key(Qt.Key.Key_A, CTRL)
    key(Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(shown(view)) == 2, timeout=3000)
    alt(qtbot, Qt.Key.Key_T)
    assert QApplication.focusWidget() is view.tag
    while view.tag.currentData() != "success":
        key(Qt.Key.Key_Down)
    app.idle()
    assert shown(view) == [app.store.diary_entry(entry.id).text]
    assert "1 entry found" in view.count.text()
    key(Qt.Key.Key_Home)  # All tags
    app.idle()
    assert len(shown(view)) == 2

    # Share with my supervisor: the confirmation says so; then Stop sharing says the server keeps no words.
    view.table.setFocus()
    while view.current().entry.id != entry.id:
        key(Qt.Key.Key_Down)
    alt(qtbot, Qt.Key.Key_H)
    box = wait_modal(qtbot, QMessageBox)
    assert "Your supervisor will be able to read this entry" in box.informativeText()
    key(Qt.Key.Key_Return)
    app.idle()
    back_to(qtbot, app.window)
    assert app.store.diary_entry(entry.id).shared
    assert view.current().sharing == "Shared" and view.share_button.text() == "Stop s&haring"
    view.table.setFocus()
    alt(qtbot, Qt.Key.Key_H)
    box = wait_modal(qtbot, QMessageBox)
    assert "The server keeps no copy of the words" in box.informativeText()
    key(Qt.Key.Key_Return)
    app.idle()
    back_to(qtbot, app.window)
    entries = app.store.diary_entries(search="registry")
    assert len(entries) == 1 and not entries[0].shared and entries[0].text.endswith("Ana will show the MAs.")
    assert [r.sharing for r in view.model.rows()] == ["Private", "Private"]

    # Delete asks first, then the entry is gone.
    view.table.setFocus()
    key(Qt.Key.Key_Home)
    key(Qt.Key.Key_Delete)
    box = wait_modal(qtbot, QMessageBox)
    assert "cannot be brought back" in box.informativeText()
    key(Qt.Key.Key_Return)
    app.idle()
    back_to(qtbot, app.window)
    assert [e.text for e in app.store.diary_entries()] == ["Front desk was short-staffed again."]
    assert shown(view) == ["Front desk was short-staffed again."]


def test_sharing_from_the_editor_and_taking_it_back_keeps_new_words_private(app, qtbot):
    app.store.set_meta("facilitator", ME)
    view = open_diary(app, qtbot)
    view.new_button.setFocus()
    alt(qtbot, Qt.Key.Key_N)
    dialog = wait_modal(qtbot, DiaryEntryDialog)
    type_text("Question for Sam: how do others handle a reluctant owner?")
    alt(qtbot, Qt.Key.Key_Q)
    alt(qtbot, Qt.Key.Key_H)  # S&hare with my supervisor
    assert dialog.share.isChecked() and "Your supervisor will be able to read" in dialog.share_note.text()
    alt(qtbot, Qt.Key.Key_S)
    app.idle()
    back_to(qtbot, app.window)
    [entry] = app.store.diary_entries()
    assert entry.shared and entry.tags == ["question"]
    view.table.setFocus()
    key(Qt.Key.Key_Return)
    dialog = wait_modal(qtbot, DiaryEntryDialog)
    assert dialog.share.isChecked()
    key(Qt.Key.Key_End, CTRL)
    type_text(" (Owner's name: Dr Patel.)")
    alt(qtbot, Qt.Key.Key_H)  # untick: saving takes the share back
    assert "server keeps no copy of the words" in dialog.share_note.text()
    alt(qtbot, Qt.Key.Key_S)
    app.idle()
    back_to(qtbot, app.window)
    [private] = app.store.diary_entries()
    assert not private.shared and private.text.endswith("Dr Patel.)") and private.id != entry.id
    assert view.current().entry.id == private.id
    # The synced table keeps only a blank tombstone of the share: no words at all.
    rows = app.store.conn.execute("SELECT text, deleted FROM diary_entries").fetchall()
    assert [(r["text"], r["deleted"]) for r in rows] == [("", 1)]


def test_a_supervisor_reads_a_shared_entry_read_only_and_filters_by_facilitator(app, qtbot):
    app.store.set_meta("facilitator", "sam")
    app.ctx.role = "supervisor"
    shared = DiaryEntry(TODAY - timedelta(days=1), "Marcus: the owner would not meet this month.",
                        tags=["barrier"], shared=True, written_by="marcus", practice_id="~user:7")
    app.store.bulk_insert([shared], outbox=False)  # as a pull brings it
    app.store.save_diary_entry(DiaryEntry(TODAY, "My own note on coaching Marcus."), today=TODAY)
    view = open_diary(app, qtbot)
    assert view.author.isVisible()
    assert {r.sharing for r in view.model.rows()} == {"Private", "Shared by marcus"}
    alt(qtbot, Qt.Key.Key_F)
    assert QApplication.focusWidget() is view.author
    while view.author.currentData() != "marcus":
        key(Qt.Key.Key_Down)
    app.idle()
    assert shown(view) == ["Marcus: the owner would not meet this month."]
    assert not view.delete_button.isEnabled() and not view.share_button.isEnabled()
    assert view.edit_button.text() == "&Open…"
    assert "By marcus" in view.preview.toPlainText()
    view.table.setFocus()
    key(Qt.Key.Key_Return)
    dialog = wait_modal(qtbot, DiaryEntryDialog)
    assert dialog.read_only and "marcus" in dialog.windowTitle()
    assert dialog.text.isReadOnly() and not dialog.date.isEnabled() and dialog.save_button is None
    assert not dialog.share.isVisible()
    key(Qt.Key.Key_Escape)
    back_to(qtbot, app.window)
    assert app.store.diary_entry(shared.id).text == shared.text  # unchanged
    # Deleting someone else's entry is not offered, and the Delete key does nothing.
    view.table.setFocus()
    key(Qt.Key.Key_Delete)
    app.idle()
    assert QApplication.activeModalWidget() is None and len(app.store.diary_entries()) == 2


def test_a_facilitator_sees_no_facilitator_filter(app, qtbot):
    app.store.set_meta("facilitator", ME)
    view = open_diary(app, qtbot)
    assert not view.author.isVisible() and not view.author_label.isVisible()
    assert "No entry here yet" in view.preview.toPlainText()

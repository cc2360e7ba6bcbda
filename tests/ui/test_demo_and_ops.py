"""The GUI's "Start with demo data" is the CLI's load_demo (rows and demo flag in one transaction),
and a background op does not swallow KeyboardInterrupt or SystemExit."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from facilitator_app.store import Store


def _refuse_the_demo_flag(path) -> None:
    """A real database fault at the demo flag's write, wherever and however it is written."""
    conn = sqlite3.connect(path)
    for event in ("INSERT", "UPDATE"):
        conn.execute(f"CREATE TRIGGER refuse_demo_{event.lower()} BEFORE {event} ON meta WHEN NEW.key = 'demo' "
                     "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    conn.commit()
    conn.close()


def test_gui_demo_rows_and_flag_are_one_transaction(start_app, qtbot):
    app = start_app()
    path = app.store.path
    _refuse_the_demo_flag(path)
    app.window.load_demo()
    app.idle(timeout=30_000)
    with Store.open(path) as store:  # no made-up practices left behind unflagged
        assert store.practices() == [] and store.get_meta("demo") is None
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert any(b.windowTitle() == "The demo data was not loaded" for b in boxes)


def test_gui_demo_loads_into_an_empty_database_only(start_app):
    app = start_app()
    app.window.load_demo()
    app.idle(timeout=30_000)
    assert len(app.store.practices()) == 12 and app.store.get_meta("demo") == "1"
    assert app.store.pending_changes() == 0  # never synced
    app.window.load_demo()  # a second time: refused with the reason, nothing doubled
    app.idle(timeout=30_000)
    assert len(app.store.practices()) == 12
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert any("already has practices" in b.text() for b in boxes)


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_ops_pass_keyboard_interrupt_and_system_exit_on(app, exc_type):
    """Reported to the op's failure handler (so the app is not busy forever), and raised on
    into the worker's future instead of being swallowed."""
    failures: list[BaseException] = []
    ops = app.ctx.ops
    futures = []
    real_submit = ops._pool.submit

    def watched_submit(fn):  # the real pool; the test keeps the future to see what it ended with
        futures.append(real_submit(fn))
        return futures[-1]
    ops._pool.submit = watched_submit

    def stop():
        raise exc_type()
    ops.submit(stop, writer=False, done=lambda _r: None, failed=failures.append)
    app.idle()
    ops._pool.submit = real_submit
    assert len(failures) == 1 and isinstance(failures[0], exc_type)
    assert isinstance(futures[0].exception(timeout=5), exc_type)


def test_a_late_read_after_shutdown_is_dropped_and_an_edit_is_refused_aloud():
    """A screen's read answered while the app closes (the account read on the pool, say) must not
    raise inside Qt's event loop; an edit after the close is refused, never dropped silently."""
    from facilitator_app.ui.ops import Ops

    class NoStore:
        store = None
    ops = Ops(NoStore())
    ops.shutdown()
    ran: list[str] = []
    ops.submit(lambda: ran.append("read"), writer=False, done=lambda _r: None, failed=lambda _e: None)
    with pytest.raises(RuntimeError, match="closing"):
        ops.submit(lambda: ran.append("write"), writer=True, done=lambda _r: None, failed=lambda _e: None)
    assert ran == [] and not ops.is_busy

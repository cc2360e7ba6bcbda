"""Background operations: work runs on a worker thread, results come back on the main thread.

Why: the UI must never freeze for more than 100 ms, so every store write, big query, sync and
PDF render runs off the UI thread. Store writes are serialized on ONE writer thread (SQLite has
one writer anyway, and a queue keeps edits in the order the user made them); reads, network and
PDF work share a small pool. A worker never touches a widget: `success` and `failure` callbacks
are posted back to the main thread through a queued Qt signal.

    StoreOp(ops, lambda s: s.save_visit(visit)).success(self._saved).run()
"""

from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Generic, Protocol, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from ..store.store import Changes, Store

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_CURSOR_AFTER_MS = 300


class StoreSource(Protocol):
    """Who says which store is active (ui/account.py); asked when an op runs, not when it is queued."""

    @property
    def store(self) -> Store: ...


@dataclass
class _Job:
    fn: Callable[[], object]
    writer: bool
    done: Callable[[object], object]
    failed: Callable[[BaseException], object]


class Ops(QObject):
    """Owns the worker threads and the app-level `changed` signal every view listens to."""

    # (Changes, initiator or None): emitted on the main thread after each successful StoreOp.
    changed = Signal(object, object)
    # A failure with no handler of its own: (title, message). The main window shows it.
    unhandled_error = Signal(str, str)
    _deliver = Signal(object)

    def __init__(self, source: StoreSource, parent: QObject | None = None):
        super().__init__(parent)
        self._source = source
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ffk-store-writer")
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="ffk-pool")
        self._deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)
        self._running = 0
        self._closed = False
        self._inflight: set[Future] = set()
        self._inflight_lock = threading.Lock()
        self._held: list[_Job] | None = None  # a list while an exclusive op runs: new work waits in it

    @property
    def store(self) -> Store:
        """The active store, looked up now (ops look it up when they run, never when queued)."""
        return self._source.store

    # -- plumbing -------------------------------------------------------------------------

    @Slot(object)
    def _on_deliver(self, callback: Callable[[], None]) -> None:
        callback()

    def post(self, callback: Callable[[], None]) -> None:
        """Run `callback` on the main thread (safe to call from any thread)."""
        self._deliver.emit(callback)

    def submit(self, fn: Callable[[], T], *, writer: bool,
               done: Callable[[T], object], failed: Callable[[BaseException], object]) -> None:
        if self._closed:
            if not writer:
                return  # a read for a screen of an app that is closing (an answer arriving late): moot
            raise RuntimeError("the app is closing")  # an edit is never dropped without a word
        self._running += 1
        job = _Job(fn, writer, done, failed)  # type: ignore[arg-type]
        if self._held is not None:
            self._held.append(job)  # an account switch is under way: runs right after it
        else:
            self._start(job)

    def _start(self, job: _Job) -> None:
        def work() -> None:
            try:
                result = job.fn()
            except Exception as exc:  # reported on the main thread
                log.debug("background op failed:\n%s", traceback.format_exc())
                self._post_failure(job, exc)
                return
            except BaseException as exc:
                # KeyboardInterrupt, SystemExit: the op still ends (so the app is not "busy"
                # forever), and the exception goes on to whoever waits on the thread.
                self._post_failure(job, exc)
                raise
            self.post(lambda: self._finish(lambda: job.done(result)))

        future = (self._writer if job.writer else self._pool).submit(work)
        with self._inflight_lock:
            self._inflight.add(future)
        future.add_done_callback(self._forget)

    def _post_failure(self, job: _Job, error: BaseException) -> None:
        # `error` is a parameter, not the `except` name, which is unset once the block ends.
        self.post(lambda: self._finish(lambda: job.failed(error)))

    def _forget(self, future: Future) -> None:
        with self._inflight_lock:
            self._inflight.discard(future)

    def exclusive(self, fn: Callable[[], T], *, done: Callable[[T], object],
                  failed: Callable[[BaseException], object]) -> None:
        """Run `fn` on the writer thread with no other op running: for closing and reopening the
        store (switching account, restoring a backup).

        Ops queued before it finish first, against the store they were queued for (an edit the
        user made is never dropped); ops submitted while it runs wait, and start once it is done,
        looking up whatever store is active then. Call from the main thread."""
        if self._closed:
            raise RuntimeError("the app is closing")
        if self._held is not None:
            raise RuntimeError("another switch is under way")
        self._held = []
        with self._inflight_lock:
            before = list(self._inflight)

        def work() -> T:
            wait(before)  # reads and syncs on the pool; earlier writes ran before us on this thread
            return fn()

        def release() -> None:
            held, self._held = self._held or [], None
            for job in held:
                self._start(job)

        self._running += 1
        self._start(_Job(work, True, lambda r: (release(), done(r)),  # type: ignore[arg-type, func-returns-value]
                         lambda e: (release(), failed(e))))  # type: ignore[func-returns-value]

    @property
    def is_switching(self) -> bool:
        return self._held is not None

    def _finish(self, callback: Callable[[], object]) -> None:
        self._running -= 1
        try:
            callback()
        except RuntimeError as exc:
            # The widget that asked was closed while the op ran (e.g. a draft write finishing
            # after its form closed); the work itself is done, only the redraw is moot.
            if "already deleted" not in str(exc):
                raise

    @property
    def is_busy(self) -> bool:
        return self._running > 0

    def wait_idle(self, timeout_s: float = 10.0) -> None:
        """Block until queued work has finished (for shutdown and tests)."""
        for executor in (self._writer, self._pool):
            executor.submit(lambda: None).result(timeout=timeout_s)

    def shutdown(self) -> None:
        """Finish queued writes (an edit the user made must reach the disk), then stop."""
        self._closed = True
        held, self._held = self._held or [], None
        for job in held:  # an edit made during a switch that never finished still gets written
            if job.writer:
                self._start(job)
        self._writer.shutdown(wait=True)
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Op(Generic[T]):
    writer = False

    def __init__(self, ops: Ops, op: Callable[[Store], T], *, initiator: object | None = None):
        self._ops = ops
        self._op = op
        self._initiator = initiator
        self._success: Callable[[T], object] | None = None
        self._failure: Callable[[BaseException], object] | None = None
        self._busy_cursor = False

    def success(self, fn: Callable[[T], object]) -> "_Op[T]":
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], object]) -> "_Op[T]":
        self._failure = fn
        return self

    def with_busy_cursor(self) -> "_Op[T]":
        """Show a wait cursor if the op takes longer than 300 ms (no flicker for quick ones)."""
        self._busy_cursor = True
        return self

    def run(self) -> None:
        timer: QTimer | None = None
        cursor_shown = [False]
        if self._busy_cursor:
            timer = QTimer()
            timer.setSingleShot(True)

            def show() -> None:
                cursor_shown[0] = True
                QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            timer.timeout.connect(show)
            timer.start(BUSY_CURSOR_AFTER_MS)

        def restore() -> None:
            if timer is not None:
                timer.stop()
            if cursor_shown[0]:
                QApplication.restoreOverrideCursor()

        def done(result: T) -> None:
            restore()
            self._on_result(result)
            if self._success:
                self._success(result)

        def failed(exc: BaseException) -> None:
            restore()
            if self._failure:
                self._failure(exc)
            else:
                self._ops.unhandled_error.emit("Something went wrong", describe_error(exc))

        ops = self._ops
        # The store is looked up when the op runs: one queued behind an account switch must use
        # the account switched to, never a store that was closed meanwhile.
        ops.submit(lambda: self._op(ops.store), writer=self.writer, done=done, failed=failed)

    def _on_result(self, result: T) -> None:
        pass


class StoreOp(_Op[T]):
    """A write: runs on the single writer thread; a `Changes` result is broadcast to all views."""

    writer = True

    def _on_result(self, result: T) -> None:
        if isinstance(result, Changes) and result:
            self._ops.changed.emit(result, self._initiator)


class QueryOp(_Op[T]):
    """A read, a network call or a PDF render: runs on the pool."""


def describe_error(exc: BaseException) -> str:
    """A message a facilitator can act on: our own errors carry one; others get their type."""
    from ..core.errors import FieldKitError

    if isinstance(exc, FieldKitError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"The file could not be read or written: {exc.strerror or exc}"
    return f"An unexpected error occurred ({type(exc).__name__}: {exc}). Nothing you saved before was lost."

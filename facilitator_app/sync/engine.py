"""One sync cycle: push the outbox until it is empty, then pull pages until there are no more.

Why it is safe to stop anywhere: every step that changes the local database is one
transaction (see store/sync_state.py), and the server skips mutation ids it has seen. A crash
after a push but before its acknowledgement only means the same mutations are sent again and
skipped; a crash in a page apply rolls the whole page back, cursor included. So the next cycle
simply carries on from what is on disk.
"""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterator

from ..core import faults
from ..core.toolkit import ToolkitError
from ..store import Store
from ..store.pulled import day_of_clock
from ..store.sync_state import MutationOutcome, SyncState
from ..store.toolkit_source import installed_cooperative_version, save_cooperative_toolkit
from . import protocol
from .client import (
    AuthError,
    ClientResetError,
    PulledPage,
    ResetRequiredError,
    SyncClient,
    SyncError,
    TooLargeError,
)

REFUSED_TOOLKIT_KEY = "toolkit_refused_version"
# Where a sync may stop, for the kill -9 and convergence tests (see core/faults.py).
CRASH_POINTS = ("mid_push", "after_push_response", "mid_page_apply")

Progress = Callable[[str, int, int], None]


class SyncCancelled(SyncError):
    """The user pressed Cancel; everything done so far is kept."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while one pulled page is stored, and no longer.

    Why: a page is thousands of small dicts and lists, and the collector kept walking them again
    and again while the tolerant reader checked them. The switch is process-wide, so it is never
    held across a network wait: a pull hung on a slow connection would keep the GUI's collector
    off as long. Its cost, measured with bench/sync_bench.py on 46,000 rows: the no-op sync takes
    5 to 20 ms instead of 5 (a full collection may land inside it), and a first sync's CPU is
    about a fifth higher than with the pause over the whole pull."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def today_for(server_hlc: str) -> date:
    """The day pulled rows are checked against: the later of this computer's and the server's
    (from its clock), so a laptop whose clock is behind never refuses what the server accepted."""
    local = date.today()
    server = day_of_clock(server_hlc)
    return max(local, server) if server else local


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    set_aside: int = 0  # pulled rows this computer could not use (Sync issues lists them)
    rejected: int = 0
    conflicts: int = 0
    push_requests: int = 0
    pull_requests: int = 0
    client_reset: bool = False
    refetched: bool = False
    cursor: int = 0
    last_sync: str | None = None
    toolkit_version: str | None = None
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class SyncEngine:
    """Runs cycles for one store against one client. The hooks exist so tests can break it."""

    max_batch = protocol.MAX_MUTATIONS_PER_PUSH
    max_batch_bytes = protocol.MAX_PUSH_BYTES - 64 * 1024  # room for the envelope
    pull_limit = protocol.MAX_PULL_LIMIT  # fewer round trips on a first sync; the server never splits a version

    def __init__(self, store: Store, client: SyncClient):
        self.store = store
        self.state = SyncState(store)
        self.client = client
        self._set_aside = 0

    def _crash(self, point: str) -> None:
        """A named place where tests stop a sync (core/faults.py); nothing happens in use."""
        faults.reached(point, self.store)

    def sync(self, *, progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> SyncReport:
        report = SyncReport()
        self._set_aside = 0
        progress = progress or (lambda phase, done, total: None)
        cancel = cancel or (lambda: False)
        self.push_all(report, progress, cancel)
        if self.state.meta().needs_refetch:
            self.refetch(report, progress, cancel)
        else:
            try:
                self.pull_all(report, progress, cancel)
            except ResetRequiredError:
                self.state.request_refetch()
                self.refetch(report, progress, cancel)
        self.update_toolkit(report)
        if self._set_aside:
            report.set_aside, self._set_aside = self._set_aside, 0
            report.messages.append(f"{report.set_aside} record(s) from the server could not be used on this computer "
                                   "and were set aside with the reason: see Sync issues (facilitator-app "
                                   "sync-issues). The rest of the sync went on.")
        report.cursor = self.state.meta().cursor
        report.last_sync = self.state.record_sync_finished()
        progress("done", 1, 1)
        return report

    # -- push -----------------------------------------------------------------------------

    def push_all(self, report: SyncReport, progress: Progress, cancel: Callable[[], bool]) -> None:
        total = self.state.pending_count()
        done = 0
        batch_size = self.max_batch
        progress("push", 0, total)
        while True:
            if cancel():
                raise SyncCancelled("Sync cancelled; what was sent so far is kept.")
            batch = self.state.outbox_batch(max_count=batch_size, max_bytes=self.max_batch_bytes)
            if not batch:
                return
            request = protocol.PushRequest(
                protocol=protocol.PROTOCOL_VERSION, client_id=self.state.meta().client_id,
                mutations=[protocol.Mutation(id=m.id, uuid=m.uuid, name=m.name, hlc=m.hlc, args=m.args) for m in batch])
            try:
                report.push_requests += 1
                response = self.client.push(request)
            except TooLargeError:
                if batch_size == 1:
                    raise
                batch_size = max(1, len(batch) // 2)
                continue
            except ClientResetError:
                if report.client_reset:  # renumbered once already in this sync: never loop
                    raise SyncError("The server keeps treating this computer as a copy of another one. Your "
                                    "changes are kept on this computer; please report this problem.") from None
                self.state.renumber_for_new_client()
                report.client_reset = True
                report.messages.append("This database looked like a copy of another computer's, so it was given "
                                       "a new identity; every unsent change was kept and is being sent.")
                continue
            self._crash("after_push_response")
            summary = self.state.acknowledge_push(
                response.last_mutation_id,
                [MutationOutcome(r.id, r.outcome, r.reason) for r in response.results], response.server_hlc)
            report.rejected += summary.rejected
            report.conflicts += summary.conflicts
            report.pushed += summary.acknowledged
            done += summary.acknowledged
            progress("push", done, max(total, done))
            if summary.acknowledged == 0:
                # The server stopped before our first mutation (a gap it cannot fill): never spin.
                raise SyncError("The server did not accept the next change to send (its numbering does not "
                                "match this computer's). Your changes are kept; please report this problem.")
            self._crash("mid_push")

    # -- pull -----------------------------------------------------------------------------

    def _pull_pages(self, report: SyncReport, progress: Progress, cancel: Callable[[], bool], *, refetch: bool) -> None:
        """Pull pages until the server has no more, fetching the next page while this one is stored.

        Why the overlap: on a first sync the server reading a page and this computer storing the
        previous one take about as long as each other, so doing them side by side nearly halves
        the wait. It stays safe because a page's cursor is known as soon as the page arrives
        (the request for the next one needs nothing else), pulls change nothing on the server,
        and the cursor on disk still moves only in the transaction that stores a page's rows: a
        crash or an error drops at most a page that was fetched but never stored.
        """
        phase = "refetch" if refetch else "pull"
        progress(phase, 0, 0)  # total unknown until the last page
        meta = self.state.meta()
        cursor = (meta.refetch_cursor or 0) if refetch else meta.cursor
        epoch = None if refetch else meta.scope_epoch
        # The first page is fetched here: an up-to-date laptop needs no second thread. Leaving the
        # executor waits for a fetch still running: the client is not thread-safe.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-pull") as fetcher:
            page = self._fetch(meta.client_id, cursor, epoch, report)
            while True:
                if page.cursor < cursor:
                    raise SyncError(f"The server sent an older position ({page.cursor}) than this computer "
                                    f"has ({cursor}); nothing was changed. Please report this problem.")
                if cancel():
                    raise SyncCancelled("Sync cancelled; every page received so far is kept.")
                if page.has_more:
                    following = fetcher.submit(self._fetch, meta.client_id, page.cursor,
                                               None if refetch else page.scope_epoch, report)
                self.apply(page, refetch=refetch)
                cursor = page.cursor
                report.pulled += len(page.changes)
                progress(phase, report.pulled, report.pulled + (1 if page.has_more else 0))
                if not page.has_more:
                    return
                page = following.result()

    def _fetch(self, client_id: str, cursor: int, scope_epoch: int | None, report: SyncReport) -> PulledPage:
        report.pull_requests += 1
        return self.client.pull_page(protocol.PullRequest(protocol=protocol.PROTOCOL_VERSION, client_id=client_id,
                                                     cursor=cursor, scope_epoch=scope_epoch, limit=self.pull_limit))

    def apply(self, page: PulledPage, *, refetch: bool) -> None:
        with _gc_paused():
            applied = self.state.apply_page(page.changes, cursor=page.cursor, last_mutation_id=page.last_mutation_id,
                                            server_hlc=page.server_hlc, scope_epoch=page.scope_epoch,
                                            toolkit_version=page.toolkit_version, refetch=refetch,
                                            today=today_for(page.server_hlc))
        self._set_aside += applied.set_aside

    def update_toolkit(self, report: SyncReport) -> None:
        """Fetch the cooperative's published toolkit when the server names a version we lack.

        A download that fails, or a document that does not validate, never fails the sync: the
        current toolkit stays, and a refused version is not fetched again."""
        wanted = self.store.get_meta("toolkit_version")
        if not wanted or wanted in (installed_cooperative_version(self.store),
                                    self.store.get_meta(REFUSED_TOOLKIT_KEY)):
            return
        try:
            document = self.client.toolkit()
        except AuthError:
            raise
        except SyncError as exc:
            report.messages.append(f"The cooperative's toolkit {wanted} could not be downloaded ({exc}); "
                                   "it will be tried again at the next sync.")
            return
        try:
            toolkit = save_cooperative_toolkit(self.store, document.document, version=wanted)
        except ToolkitError as exc:
            self.store.set_meta(REFUSED_TOOLKIT_KEY, wanted)
            report.messages.append(f"The cooperative's toolkit {wanted} could not be used, so the "
                                   f"current one stays: {exc}")
            return
        report.toolkit_version = toolkit.version
        report.messages.append(f"Updated the toolkit to the cooperative's version {toolkit.version}.")

    def pull_all(self, report: SyncReport, progress: Progress, cancel: Callable[[], bool]) -> None:
        self._pull_pages(report, progress, cancel, refetch=False)

    def refetch(self, report: SyncReport, progress: Progress, cancel: Callable[[], bool]) -> None:
        """Fetch everything in scope into fresh tables and swap them in, keeping the outbox.

        Resumable: the fresh tables and their cursor survive a crash, so a restarted app
        continues the refetch instead of starting over."""
        if self.state.meta().refetch_cursor is None:
            self.state.begin_refetch()
        for _attempt in range(3):
            try:
                self._pull_pages(report, progress, cancel, refetch=True)
                break
            except ResetRequiredError:
                self.state.begin_refetch()  # assignments changed again mid-refetch: start over
        else:
            raise SyncError("The server kept changing what this account may see; try syncing again in a minute.")
        self.state.swap_refetched()
        report.refetched = True
        report.messages.append("The practices assigned to you changed, so every record was fetched again; "
                               "unsent changes were kept.")

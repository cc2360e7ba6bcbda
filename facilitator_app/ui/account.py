"""The account in use: the one owner of the open store, the sync service and the toolkit.

Why one object: signing in to another account and restoring a backup close the database under
everything else (screens, queued edits, a sync on the pool). `switch()` is the only way that
happens: the scheduler pauses and a running sync is cancelled, queued operations finish, the
store is reopened in place (the same `Store` object, so nobody holds a stale one), and the
screens are told. Operations look the store up when they run (ui/ops.py), so one queued during
the switch uses the new database. Anki does the same with `close_for_full_sync()`/`reopen()`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from PySide6.QtCore import QObject, Signal

from ..core.toolkit import Toolkit
from ..store.store import Store
from ..store.toolkit_source import active_toolkit
from .ops import Ops

if TYPE_CHECKING:
    from ..sync.service import SyncService

log = logging.getLogger(__name__)
T = TypeVar("T")


class ActiveAccount(QObject):
    about_to_switch = Signal()  # the sync bridge pauses its scheduler and cancels a running sync
    switched = Signal()  # the store now holds the other account's (or the restored) records
    toolkit_changed = Signal(object)  # Toolkit: after a switch or the cooperative's download

    def __init__(self, data_dir: Path, store: Store, *, toolkit: Toolkit | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self._store = store
        self.toolkit = toolkit if toolkit is not None else active_toolkit(store, self.data_dir)
        self.ops = Ops(self)
        self.service: SyncService | None = None  # attached once the sync layer is imported

    @property
    def store(self) -> Store:
        return self._store

    def attach_service(self, service: SyncService) -> None:
        """From now on the service holds the store too: it must be the very same object."""
        if service.store() is not self._store:
            raise ValueError("the sync service must share the app's store")
        self.service = service

    @property
    def is_switching(self) -> bool:
        return self.ops.is_switching

    def switch(self, work: Callable[[SyncService], T], *, done: Callable[[T], object],
               failed: Callable[[BaseException], object]) -> None:
        """Run `work(service)`, which closes and reopens the store (sign in, restore a backup),
        with nothing else using the store; then reload the toolkit and tell the screens.

        Called on the main thread. `done`/`failed` run on the main thread after `switched`."""
        service = self.service
        if service is None:
            raise RuntimeError("the sync service is not ready yet")
        toolkit: list[Toolkit] = []

        def exclusive() -> T:
            try:
                return work(service)
            finally:
                try:  # whatever happened, the store is open again: read the toolkit it names
                    toolkit.append(active_toolkit(self._store, self.data_dir))
                except Exception as exc:  # a broken file: keep the toolkit shown so far
                    log.warning("cannot read the toolkit after switching: %s", exc)

        def finish() -> None:
            if toolkit and toolkit[0] is not self.toolkit:
                self.toolkit = toolkit[0]
                self.toolkit_changed.emit(self.toolkit)
            self.switched.emit()

        self.ops.exclusive(exclusive, done=lambda r: (finish(), done(r)),  # type: ignore[func-returns-value]
                           failed=lambda e: (finish(), failed(e)))  # type: ignore[func-returns-value]
        self.about_to_switch.emit()  # after: what its listeners queue waits for the switch

    def reload_toolkit(self) -> None:
        """Read the toolkit again (the cooperative's new version was just stored by a sync)."""
        def shown(toolkit: Toolkit) -> None:
            self.toolkit = toolkit
            self.toolkit_changed.emit(toolkit)

        self.ops.submit(lambda: active_toolkit(self.store, self.data_dir), writer=False, done=shown,
                        failed=lambda exc: log.warning("cannot read the new toolkit: %s", exc))

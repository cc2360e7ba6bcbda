"""What every view needs, passed in explicitly (no globals): the active account (its store,
toolkit and background-op runner), the preferences, and the sync bridge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..core.kinds import ENTITY_NAMES
from ..core.toolkit import Toolkit
from ..store.store import Store
from .ops import Ops
from .settings import Preferences

if TYPE_CHECKING:
    from .account import ActiveAccount
    from .sync_bridge import SyncBridge

ALL_ENTITIES: frozenset[str] = frozenset(ENTITY_NAMES)  # what a sync or a demo load may have changed


@dataclass
class AppContext:
    data_dir: Path
    account: ActiveAccount
    prefs: Preferences
    # Injected for tests and screenshots so "today" is stable; defaults to the real date.
    today: Callable[[], date] = field(default=date.today)
    sync: SyncBridge | None = None  # created by the main window
    # How a finished PDF is shown: the system viewer by default; tests record the path instead.
    open_file: Callable[[Path], None] = field(default=lambda path: _open_with_system(path))
    role: str = ""  # the signed-in account's role ("supervisor" widens the Today screen)

    @property
    def ops(self) -> Ops:
        return self.account.ops

    @property
    def store(self) -> Store:
        """The active account's store (the same object, reopened on another file after a switch)."""
        return self.account.store

    @property
    def toolkit(self) -> Toolkit:
        """The active account's toolkit: another after a switch or the cooperative's download."""
        return self.account.toolkit

    @property
    def facilitator(self) -> str:
        return self.store.facilitator


def _open_with_system(path: Path) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

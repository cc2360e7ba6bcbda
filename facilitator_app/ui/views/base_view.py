"""A screen that redraws when the data it shows changes.

Why "stale" instead of redrawing at once: a hidden screen would waste time re-querying after
every edit; it redraws the next time it is shown.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from ...store.store import Changes
from ..context import AppContext


class BaseView(QWidget):

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._stale = True
        ctx.ops.changed.connect(self._on_changed)
        ctx.account.switched.connect(self._on_switched)

    def is_relevant(self, changes: Changes) -> bool:
        return True

    def _on_changed(self, changes: Changes, initiator: object) -> None:
        if self.is_relevant(changes):
            self.redraw_soon()

    def _on_switched(self) -> None:
        """Another account's records (or a restored backup) are in the store: redraw all of it."""
        self.redraw_soon()

    def redraw_soon(self) -> None:
        """Redraw now if on screen, else the next time it is shown."""
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Reload from the store (off the UI thread) and redraw."""
        self._stale = False
        self.reload()

    def reload(self) -> None:
        raise NotImplementedError

    def focus_search(self) -> bool:
        """Ctrl+F: focus this screen's search box if it has one."""
        return False

    def new_item(self) -> bool:
        """Ctrl+N: start this screen's own new item if it has one (else Ctrl+N is a new visit)."""
        return False

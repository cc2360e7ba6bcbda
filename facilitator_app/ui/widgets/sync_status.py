"""The status bar's sync corner: online or offline, last synced, pending changes, a progress bar
during sync, and Sync now (F5)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

if TYPE_CHECKING:
    from ..sync_bridge import SyncView


def _when(iso: str | None) -> str:
    if not iso:
        return "never"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return iso
    now = datetime.now().astimezone()
    if moment.date() == now.date():
        return f"today {moment:%H:%M}"
    return f"{moment:%b %d %H:%M}"


LOCAL_ONLY = "Your work is saved on this computer"


class SyncStatusWidget(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.connection = QLabel("Working offline")
        self.connection.setAccessibleName("Connection")
        self.last_synced = QLabel()
        self.last_synced.setAccessibleName("Last synced")
        self.pending = QLabel()
        self.pending.setAccessibleName("Pending changes")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)
        self.progress.setAccessibleName("Sync progress")
        self.sync_button = QPushButton("Sync now (F5)")
        self.sync_button.setAccessibleName("Sync now")
        self.sync_button.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.connection, self.last_synced, self.pending, self.progress, self.sync_button):
            layout.addWidget(w)

    def set_pending(self, count: int, *, signed_in: bool | None = None) -> None:
        """`signed_in` None: not known yet (the sync layer loads after the window is shown)."""
        changes = f"{count} change{'s' if count != 1 else ''}"
        if signed_in:
            self.pending.setText(f"{changes} not yet synced" if count else "All changes synced")
        elif signed_in is None:
            self.pending.setText(f"{changes} not yet synced" if count else LOCAL_ONLY)
        else:  # nothing syncs without an account: never claim "synced"
            self.pending.setText(f"{LOCAL_ONLY} ({changes} will sync after you sign in)" if count else LOCAL_ONLY)

    def set_view(self, view: "SyncView") -> None:
        if not view.has_account:
            self.connection.setText("Not signed in")
        elif not view.signed_in:
            self.connection.setText("Signed out · sign in to sync")
        elif view.running:
            self.connection.setText("● Syncing…")
        elif view.online:
            self.connection.setText("● Online")
        else:
            self.connection.setText("○ Offline · will sync when the server answers")
        self.last_synced.setText(f"Last synced: {_when(view.last_sync)}" if view.has_account else "")
        extra = []
        if view.conflicts:
            extra.append(f"{view.conflicts} conflict{'s' if view.conflicts != 1 else ''}")
        if view.quarantined:
            extra.append(f"{view.quarantined} rejected")
        if view.set_aside:
            extra.append(f"{view.set_aside} from the server set aside")
        self.set_pending(view.pending, signed_in=view.has_account and view.signed_in)
        if extra:
            self.pending.setText(self.pending.text() + " · " + ", ".join(extra))
        if not view.running:
            self.progress.setVisible(False)

    def show_progress(self, phase: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setMaximum(max(total, 0))
        self.progress.setValue(done if total else 0)
        self.progress.setToolTip(f"{phase}: {done} of {total}" if total else phase)

"""When to sync, as pure logic on an injected clock (no Qt, no threads).

Why pure: the GUI drives it from a QTimer, tests drive it with a fake clock, and the rules
stay in one place: sync a few seconds after the last local edit (so typing a visit does not
sync every keystroke), every 5 minutes while online, and as soon as an unreachable server
answers again. While offline it only probes, with a growing pause, never spins.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable


class Action(Enum):
    NONE = "none"
    SYNC = "sync"
    PROBE = "probe"  # check whether the server is reachable (cheap GET /healthz)


@dataclass
class SchedulerConfig:
    debounce_secs: float = 5.0
    interval_secs: float = 300.0
    probe_min_secs: float = 15.0
    probe_max_secs: float = 300.0


class SyncScheduler:
    """Call `tick()` from a timer; do what it returns, then report back with `sync_finished` or
    `probe_finished`. Every method is cheap and never blocks."""

    def __init__(self, now: Callable[[], float] = time.monotonic, config: SchedulerConfig | None = None,
                 *, enabled: bool = True):
        self._now = now
        self.config = config or SchedulerConfig()
        self.enabled = enabled
        self.online = True
        self.running = False
        self.paused = False
        self._edit_at: float | None = None
        self._last_sync_at: float | None = None
        self._next_probe_at: float | None = None
        self._probe_pause = self.config.probe_min_secs
        self._wanted_now = enabled  # sync once at start when auto-sync is on

    # -- events ---------------------------------------------------------------------------

    def local_edit(self) -> None:
        """A local change was saved: sync after `debounce_secs` without further edits."""
        self._edit_at = self._now()

    def request_now(self) -> None:
        """The user pressed Sync now (F5): ignores debounce and `enabled`."""
        self._wanted_now = True

    def pause(self) -> None:
        """Start nothing until `resume` (the app is switching account or restoring a backup).
        Requests and edits meanwhile are remembered and acted on after."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def sync_started(self) -> None:
        self.running = True
        self._wanted_now = False
        self._edit_at = None

    def sync_finished(self, *, ok: bool, unreachable: bool = False) -> None:
        """`unreachable` for network errors; other failures (sign-in, server bug) do not make us offline."""
        self.running = False
        now = self._now()
        if ok:
            self._last_sync_at = now
            self._wanted_now = False
            self._set_online(True)
        elif unreachable:
            self._set_online(False)
            self._last_sync_at = now
        else:
            # A sign-in or server problem will not fix itself within a tick: wait for the next
            # interval (or an explicit request) instead of retrying on every tick.
            self._last_sync_at = now

    def probe_finished(self, reachable: bool) -> None:
        now = self._now()
        if reachable:
            self._set_online(True)
            self._wanted_now = self._wanted_now or self.enabled  # back online: sync at once
        else:
            self._probe_pause = min(self.config.probe_max_secs, self._probe_pause * 2)
            self._next_probe_at = now + self._probe_pause

    def _set_online(self, online: bool) -> None:
        if online:
            self.online = True
            self._next_probe_at = None
            self._probe_pause = self.config.probe_min_secs
        elif self.online:
            self.online = False
            self._next_probe_at = self._now() + self._probe_pause

    # -- decisions ------------------------------------------------------------------------

    def tick(self) -> Action:
        if self.running or self.paused:
            return Action.NONE
        now = self._now()
        if not self.online:
            if self._wanted_now:
                return Action.SYNC  # an explicit request (or coming back) is always tried
            if self._next_probe_at is not None and now >= self._next_probe_at:
                self._next_probe_at = None  # until probe_finished sets the next one
                return Action.PROBE
            return Action.NONE
        if self._wanted_now:
            return Action.SYNC
        if not self.enabled:
            return Action.NONE
        if self._edit_at is not None and now - self._edit_at >= self.config.debounce_secs:
            return Action.SYNC
        if self._last_sync_at is None or now - self._last_sync_at >= self.config.interval_secs:
            return Action.SYNC
        return Action.NONE

    def seconds_until_next(self) -> float | None:
        """How long a timer may sleep before the next tick could act (None: until an event)."""
        if self.running or self.paused:
            return None
        now = self._now()
        if not self.online:
            return None if self._next_probe_at is None else max(0.0, self._next_probe_at - now)
        if self._wanted_now:
            return 0.0
        if not self.enabled:
            return None
        due = [self._last_sync_at + self.config.interval_secs if self._last_sync_at is not None else now]
        if self._edit_at is not None:
            due.append(self._edit_at + self.config.debounce_secs)
        return max(0.0, min(due) - now)

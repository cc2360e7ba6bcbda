"""The scheduler starts nothing while the app switches account, and keeps what was asked meanwhile."""

from __future__ import annotations

from facilitator_app.sync.scheduler import Action, SchedulerConfig, SyncScheduler


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_paused_scheduler_starts_nothing_and_acts_on_requests_after_resume():
    clock = Clock()
    s = SyncScheduler(clock, SchedulerConfig(debounce_secs=5, interval_secs=300), enabled=True)
    assert s.tick() is Action.SYNC
    s.sync_started()
    s.sync_finished(ok=True)
    s.pause()
    s.request_now()
    s.local_edit()
    clock.t += 600
    assert s.tick() is Action.NONE and s.seconds_until_next() is None
    s.resume()
    assert s.tick() is Action.SYNC


def test_paused_while_offline_does_not_probe():
    clock = Clock()
    s = SyncScheduler(clock, SchedulerConfig(probe_min_secs=15), enabled=True)
    s.sync_started()
    s.sync_finished(ok=False, unreachable=True)
    s.pause()
    clock.t += 60
    assert s.tick() is Action.NONE
    s.resume()
    assert s.tick() is Action.PROBE

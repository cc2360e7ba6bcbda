"""The scheduler's rules on a fake clock: debounce, interval, offline probing, back online."""

from __future__ import annotations

from facilitator_app.sync.scheduler import Action, SchedulerConfig, SyncScheduler


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def started(clock: FakeClock) -> SyncScheduler:
    s = SyncScheduler(clock, SchedulerConfig(debounce_secs=5, interval_secs=300, probe_min_secs=15, probe_max_secs=60))
    assert s.tick() is Action.SYNC  # once at start
    s.sync_started()
    assert s.tick() is Action.NONE  # never two at once
    s.sync_finished(ok=True)
    return s


def test_edits_are_debounced():
    clock = FakeClock()
    s = started(clock)
    s.local_edit()
    clock.t += 3
    assert s.tick() is Action.NONE
    s.local_edit()  # typing continues: the wait restarts
    clock.t += 4
    assert s.tick() is Action.NONE
    assert s.seconds_until_next() == 1
    clock.t += 1
    assert s.tick() is Action.SYNC


def test_every_five_minutes_while_online():
    clock = FakeClock()
    s = started(clock)
    clock.t += 299
    assert s.tick() is Action.NONE
    clock.t += 1
    assert s.tick() is Action.SYNC


def test_offline_probes_with_growing_pause_then_syncs_when_back():
    clock = FakeClock()
    s = started(clock)
    s.request_now()
    s.sync_started()
    s.sync_finished(ok=False, unreachable=True)
    assert not s.online
    clock.t += 400
    assert s.tick() is Action.PROBE
    assert s.tick() is Action.NONE  # one probe at a time
    s.probe_finished(False)
    clock.t += 29
    assert s.tick() is Action.NONE
    clock.t += 1
    assert s.tick() is Action.PROBE
    s.probe_finished(False)
    assert s.seconds_until_next() == 60  # capped
    s.local_edit()
    clock.t += 10
    assert s.tick() is Action.NONE  # edits while offline wait for the server
    clock.t += 50
    assert s.tick() is Action.PROBE
    s.probe_finished(True)
    assert s.online and s.tick() is Action.SYNC


def test_auto_sync_off_only_syncs_on_request():
    clock = FakeClock()
    s = SyncScheduler(clock, enabled=False)
    assert s.tick() is Action.NONE
    s.local_edit()
    clock.t += 1000
    assert s.tick() is Action.NONE
    s.request_now()
    assert s.tick() is Action.SYNC


def test_failure_that_is_not_network_keeps_online():
    clock = FakeClock()
    s = started(clock)
    s.request_now()
    s.sync_started()
    s.sync_finished(ok=False)
    assert s.online


def test_failure_that_is_not_network_does_not_retry_every_tick():
    """An expired sign-in or a server bug must not make the timer sync on every tick."""
    clock = FakeClock()
    s = SyncScheduler(clock, SchedulerConfig(debounce_secs=5, interval_secs=300, probe_min_secs=15, probe_max_secs=60))
    assert s.tick() is Action.SYNC  # once at start
    s.sync_started()
    s.sync_finished(ok=False)
    clock.t += 1
    assert s.tick() is Action.NONE
    clock.t += 300
    assert s.tick() is Action.SYNC  # tried again at the next interval

from facilitator_app.core.hlc import HybridClock, Timestamp


def test_clock_is_monotonic_when_wall_time_goes_backwards():
    walls = iter([1000, 1000, 900, 2000])
    clock = HybridClock("a", wall=lambda: next(walls))
    stamps = [clock.now() for _ in range(4)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert Timestamp.parse(stamps[2]).wall_ms == 1000 and Timestamp.parse(stamps[2]).counter == 2


def test_observe_moves_past_remote_clock_and_string_order_matches():
    clock = HybridClock("a", wall=lambda: 10)
    remote = str(Timestamp(5_000, 3, "server"))
    clock.observe(remote)
    assert clock.now() > remote
    assert str(Timestamp(9, 0, "z")) < str(Timestamp(10, 0, "a"))


def test_clock_resumes_from_persisted_value():
    clock = HybridClock("a", wall=lambda: 50)
    first = clock.now()
    again = HybridClock("a", clock.last, wall=lambda: 10)
    assert again.now() > first

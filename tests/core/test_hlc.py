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


def test_compact_clocks_keep_every_fields_clock():
    from facilitator_app.core.hlc import DEFAULT_FIELD, clock_of, compact_clocks

    full = {"a": "t2", "b": "t2", "c": "t1", "deleted": "t2"}
    compact = compact_clocks(full)
    assert compact == {DEFAULT_FIELD: "t2", "c": "t1"}
    assert all(clock_of(compact, k) == v for k, v in full.items())
    compact["b"] = "t3"  # a later edit of one field
    again = compact_clocks(compact)
    assert again == {DEFAULT_FIELD: "t2", "b": "t3", "c": "t1"} and compact_clocks({}) == {}

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


def test_a_full_counter_moves_the_time_on_instead_of_growing_a_digit():
    from facilitator_app.core.hlc import MAX_COUNTER

    clock = HybridClock("a", str(Timestamp(5_000, MAX_COUNTER, "a")), wall=lambda: 10)
    stamp = clock.now()
    assert Timestamp.parse(stamp) == Timestamp(5_001, 0, "a") and stamp > str(Timestamp(5_000, MAX_COUNTER, "z"))
    clock.observe(str(Timestamp(9_000, MAX_COUNTER, "server")))
    assert Timestamp.parse(clock.now()) == Timestamp(9_001, 0, "a")


def test_a_clock_the_text_form_cannot_hold_is_refused():
    import pytest

    from facilitator_app.core.hlc import MAX_COUNTER, MAX_WALL_MS

    for wall, counter in ((0, MAX_COUNTER + 1), (MAX_WALL_MS + 1, 0), (-1, 0), (0, -1)):
        with pytest.raises(ValueError, match="A clock holds"):
            Timestamp(wall, counter, "a")
    for text in ("000000000000001-1000000-a", "000000000000001-00000١-a", "00000000000000²-000000-a"):
        with pytest.raises(ValueError, match="Not a clock value"):
            Timestamp.parse(text)

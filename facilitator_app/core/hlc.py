"""Hybrid logical clock: (wall ms, counter, client id), comparable as plain strings.

Why: the server merges edits field by field by clock. Wall time alone breaks ties badly and
goes backwards on laptops with wrong clocks; the counter keeps a client's clock monotonic and
`observe` pulls it forward past every clock it has seen from the server.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Mapping

WALL_DIGITS = 15
COUNTER_DIGITS = 6
# The largest values the fixed-width text form holds. A clock past them would format with more
# digits, which `parse` refuses and which no longer sorts as text: so no code may make one.
MAX_WALL_MS = 10**WALL_DIGITS - 1
MAX_COUNTER = 10**COUNTER_DIGITS - 1


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms <= MAX_WALL_MS or not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"A clock holds a time of 0 to {MAX_WALL_MS} ms and a counter of 0 to {MAX_COUNTER} "
                             f"(got {self.wall_ms} ms, counter {self.counter}).")

    def __str__(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    def successor(self, node: str) -> "Timestamp":
        """The next clock after this one, for `node`: the counter goes up, and when it is full
        the time moves on by one millisecond instead (so the text form never grows)."""
        if self.counter < MAX_COUNTER:
            return Timestamp(self.wall_ms, self.counter + 1, node)
        return Timestamp(self.wall_ms + 1, 0, node)

    @classmethod
    def parse(cls, text: str) -> "Timestamp":
        try:
            wall, counter, node = text.split("-", 2)
            if (len(wall) != WALL_DIGITS or len(counter) != COUNTER_DIGITS or not node
                    or not (wall + counter).isascii() or not (wall + counter).isdigit()):
                raise ValueError
            return cls(int(wall), int(counter), node)
        except ValueError:
            raise ValueError(f"Not a clock value: {text!r}") from None


# In a row's clocks, the clock of every field not listed. Most fields of a row were written
# together, so one default clock plus the exceptions keeps rows (and every pull) small.
DEFAULT_FIELD = "*"


def clock_of(clocks: Mapping[str, str], field: str) -> str | None:
    """The clock of `field` in a row's clocks (explicit, else the row's default)."""
    return clocks.get(field) or clocks.get(DEFAULT_FIELD)


def compact_clocks(clocks: Mapping[str, str]) -> dict[str, str]:
    """The same clocks with one default: the most common clock, unless one is already set."""
    explicit = {k: v for k, v in clocks.items() if k != DEFAULT_FIELD}
    default = clocks.get(DEFAULT_FIELD)
    if default is None:
        if not explicit:
            return {}
        default = Counter(explicit.values()).most_common(1)[0][0]
    return {DEFAULT_FIELD: default, **{k: v for k, v in explicit.items() if v != default}}
NODE_CHARS = 12


def node_id(client_id: str) -> str:
    """The clock's node part for an install: 48 random bits of its client id are enough to break
    ties, and every field of every row carries a clock, so a short node halves sync payloads."""
    return client_id.replace("-", "")[:NODE_CHARS] or "0"


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class HybridClock:
    """A monotonic clock for one node. Persist `last` and pass it back in to resume."""

    def __init__(self, node: str, last: str | None = None, *, wall: Callable[[], int] = wall_clock_ms):
        self.node = node
        self._wall = wall
        self._last = Timestamp.parse(last) if last else Timestamp(0, 0, node)

    @property
    def last(self) -> str:
        return str(self._last)

    def now(self) -> str:
        """A new timestamp greater than every one this clock issued or observed."""
        wall = self._wall()
        if wall > self._last.wall_ms:
            self._last = Timestamp(wall, 0, self.node)
        else:
            self._last = self._last.successor(self.node)
        return str(self._last)

    def observe(self, remote: str) -> None:
        """Move past a clock seen from elsewhere, so later local edits order after it."""
        other = Timestamp.parse(remote)
        if (other.wall_ms, other.counter) > (self._last.wall_ms, self._last.counter):
            self._last = Timestamp(other.wall_ms, other.counter, self.node)

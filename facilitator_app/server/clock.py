"""Server time in the units the tables use, and the server's hybrid logical clock."""

from __future__ import annotations

import time
from datetime import date, datetime, timezone

from ..core.hlc import Timestamp

SERVER_NODE = "server"


def now_ms() -> int:
    return int(time.time() * 1000)


def today_utc() -> date:
    """The server's "today" for validation (passed in, never read inside it). UTC: a laptop's
    local date can be a day either side, which the date rules allow for."""
    return datetime.now(timezone.utc).date()


def server_hlc(*seen: str) -> str:
    """A clock at least as late as server time and every clock in `seen`, for clients to observe."""
    best = str(Timestamp(now_ms(), 0, SERVER_NODE))
    for clock in seen:
        if clock and clock > best:
            try:
                ts = Timestamp.parse(clock)
            except ValueError:
                continue
            # successor: a seen counter of 999999 moves the time on instead of growing a digit
            best = str(ts.successor(SERVER_NODE))
    return best

"""How rows get their server version, and how far a reader may move its cursor.

`CounterVersions` is the production scheme: one counter row updated first in every push
transaction. The update takes the row lock, so pushes stamp versions in the order they commit
and a reader that has seen version v has seen everything at or below v (on SQLite the write
lock gives the same order). A plain sequence does not: two transactions draw 10 and 11, 11
commits first, a reader moves its cursor to 11 and never sees 10. tests/server keeps that
naive variant and shows the concurrency test catching it.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Connection, select, update

from . import tables as t
from .fastsql import Fast


class Versions(Protocol):
    def begin_push(self, conn: Connection) -> int:
        """Called first in every write transaction; returns the version of this transaction."""

    def for_row(self, conn: Connection, push_version: int) -> int:
        """The version stamped on one row written by this transaction."""

    def high_water(self, conn: Connection) -> int:
        """The highest version a reader in this snapshot may move its cursor to."""


# Built once: every push and every pull runs one of these, and building a statement costs more
# than running it.
_BUMP = Fast(update(t.counter).where(t.counter.c.id == 1).values(value=t.counter.c.value + 1)
             .returning(t.counter.c.value))
_HIGH_WATER = Fast(select(t.counter.c.value).where(t.counter.c.id == 1))


class CounterVersions:
    def begin_push(self, conn: Connection) -> int:
        return int(_BUMP.scalar(conn))

    def for_row(self, conn: Connection, push_version: int) -> int:
        return push_version

    def high_water(self, conn: Connection) -> int:
        return int(_HIGH_WATER.scalar(conn))


COUNTER = CounterVersions()

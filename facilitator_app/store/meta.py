"""The `meta` table: one text value per key and database (the account, the sync position, the
hybrid clock, the profile, the toolkit). One upsert and one clock load, used by every writer."""

from __future__ import annotations

import sqlite3

from ..core.hlc import HybridClock, node_id


def put_meta(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    """Set a key inside the caller's transaction; None removes it."""
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (key, value))


def load_clock(conn: sqlite3.Connection) -> HybridClock:
    """This database's clock as last saved (`save_clock` keeps it with the same transaction)."""
    node = conn.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()[0]
    last = conn.execute("SELECT value FROM meta WHERE key = 'hlc'").fetchone()
    return HybridClock(node_id(node), last[0] if last and last[0] else None)


def save_clock(conn: sqlite3.Connection, clock: HybridClock) -> None:
    put_meta(conn, "hlc", clock.last)

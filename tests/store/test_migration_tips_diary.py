"""Upgrading a laptop database to tips and the diary (schema 4 -> 5): the new tables appear, a
laptop that synced before downloads everything once more (so it gets the tips its colleagues
wrote meanwhile), and one that never synced does not."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils

from facilitator_app.core.model import DiaryEntry, Tip
from facilitator_app.store import Store, schema
from facilitator_app.store.sync_state import SyncState


def version_4(path: Path, *, synced: bool) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    for step in schema.MIGRATIONS[:4]:
        conn.execute("BEGIN")
        step(db)
        conn.execute("COMMIT")
    conn.execute("PRAGMA user_version = 4")
    db["meta"].insert_all([{"key": "client_id", "value": "abcdefab-cdef-4000-8000-000000000001"},
                           {"key": "cursor", "value": "42" if synced else "0"},
                           *([{"key": "server", "value": "https://coop.example"}] if synced else [])])
    conn.close()


@pytest.mark.parametrize("synced", [True, False])
def test_upgrade_adds_tips_and_diary_and_refetches_a_synced_laptop(tmp_path: Path, synced: bool) -> None:
    path = tmp_path / "local.sqlite"
    version_4(path, synced=synced)
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
        assert SyncState(store).meta().needs_refetch is synced
        store.set_meta("user", "fay")
        store.save_tip(Tip("B1", "Cuff chart"), today=date(2026, 12, 31))
        store.save_diary_entry(DiaryEntry(date(2026, 12, 31), "private words"), today=date(2026, 12, 31))
        assert [v.tip.text for v in store.tips()] == ["Cuff chart"]
        assert [e.text for e in store.diary_entries()] == ["private words"]
        assert store.pending_changes() == 1  # the tip; the private entry waits for nothing

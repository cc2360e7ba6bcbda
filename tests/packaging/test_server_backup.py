"""installers/server/backup.sh on a SQLite pilot database: a readable, complete copy is made while
the database is open in WAL mode, and a missing database is a clear failure, not an empty backup."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "installers" / "server" / "backup.sh"
pytestmark = pytest.mark.skipif(shutil.which("sqlite3") is None or shutil.which("bash") is None,
                                reason="needs bash and the sqlite3 command (apt install sqlite3)")


def run_backup(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "FFK_SERVER_DATABASE_URL"}
    full.update({"BACKUP_DIR": str(tmp_path / "backups"), **env})
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=full, timeout=60)


def test_backs_up_a_live_wal_database(tmp_path: Path) -> None:
    data = tmp_path / "server"
    data.mkdir()
    live = sqlite3.connect(data / "server.sqlite")
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, note TEXT)")
    live.executemany("INSERT INTO visits (note) VALUES (?)", [(f"visit {i} — Muñoz",) for i in range(500)])
    live.commit()  # rows sit in the -wal file, not yet checkpointed: a plain cp would miss them
    try:
        done = run_backup(tmp_path, FFK_SERVER_DATA_DIR=str(data))
    finally:
        live.close()
    assert done.returncode == 0, done.stderr
    copies = list((tmp_path / "backups").glob("ffk-*.sqlite"))
    assert len(copies) == 1 and "backup ok" in done.stdout
    copy = sqlite3.connect(copies[0])
    assert copy.execute("SELECT count(*), max(note) FROM visits").fetchone() == (500, "visit 99 — Muñoz")
    copy.close()
    assert not list((tmp_path / "backups").glob("*.partial"))


def test_a_missing_database_fails_clearly(tmp_path: Path) -> None:
    done = run_backup(tmp_path, FFK_SERVER_DATA_DIR=str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert "no database file at" in done.stderr
    assert not list((tmp_path / "backups").glob("ffk-*"))


def test_an_unknown_database_url_is_refused(tmp_path: Path) -> None:
    done = run_backup(tmp_path, FFK_SERVER_DATABASE_URL="mysql://x@y/z")
    assert done.returncode == 1 and "unsupported" in done.stderr

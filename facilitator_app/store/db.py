"""Opening a store file safely: header checks, pragmas, and migrations with backup and restore.

Why so careful: the file on a facilitator's laptop may hold weeks of unsynced visits. A damaged
or newer file is refused without being touched; before any migration the file is copied aside,
and if a step fails the copy is put back.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.errors import FieldKitError
from .schema import MIGRATIONS

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
SQLITE_VERSION = sqlite3.sqlite_version  # of the SQLite library this Python uses (Settings > About)


class StoreOpenError(FieldKitError):
    """The data file cannot be opened; it was left exactly as it was."""


class NewerSchemaError(StoreOpenError):
    """The file was written by a newer version of the app."""


class MigrationError(StoreOpenError):
    """An upgrade step failed; the file was restored from the backup taken just before."""


def schema_version() -> int:
    return len(MIGRATIONS)


@dataclass(frozen=True)
class DatabaseHealth:
    schema_version: int
    journal_mode: str
    integrity: str  # "ok", or the first problem SQLite's integrity check found


def database_health(conn: sqlite3.Connection) -> DatabaseHealth:
    """What `self-check` reports about an open store file (the integrity check reads every page)."""
    return DatabaseHealth(schema_version=conn.execute("PRAGMA user_version").fetchone()[0],
                          journal_mode=conn.execute("PRAGMA journal_mode").fetchone()[0],
                          integrity=conn.execute("PRAGMA integrity_check").fetchone()[0])


def check_header(path: Path) -> None:
    """Refuse a file that is not SQLite or is visibly truncated, before SQLite touches it."""
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise StoreOpenError(
            f"The data file {path} is damaged or is not a Field Kit database. It was not changed. "
            "Restore it from a backup (Settings > Back up and restore) or choose another data folder.")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    wal = path.with_name(path.name + "-wal")
    if valid_for == change_counter and page_count and size < page_count * page_size and not wal.exists():
        raise StoreOpenError(
            f"The data file {path} is incomplete (it holds {size:,} of {page_count * page_size:,} bytes), "
            "perhaps from an interrupted copy. It was not changed. Restore it from a backup.")


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_database(path: Path, *, backup_dir: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the store file at `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists() and path.stat().st_size > 0
    except OSError as exc:
        raise StoreOpenError(f"The data folder {path.parent} cannot be used ({exc.strerror or exc}). "
                             "Choose another folder with --data-dir.") from None
    if existed:
        check_header(path)
    try:
        conn = connect(path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreOpenError(f"The data file {path} cannot be read ({exc}). It was not changed. "
                             "Restore it from a backup.") from None
    target = schema_version()
    if version > target:
        conn.close()
        raise NewerSchemaError(
            f"The data file {path} was written by a newer version of Facilitator Field Kit "
            f"(data version {version}; this app reads up to {target}). It was not changed. "
            "Install the latest version of the app to open it.")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreOpenError(f"The data file {path} cannot be read ({exc}). Restore it from a backup.") from None
    if version < target:
        conn = _migrate(conn, path, version, existed, backup_dir or path.parent / "backups")
    return conn


def _migrate(conn: sqlite3.Connection, path: Path, version: int, existed: bool, backup_dir: Path) -> sqlite3.Connection:
    backup = None
    if existed:
        try:
            conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreOpenError(f"The data file {path} is damaged ({exc}). It was not changed.") from None
        backup = _copy_before_migration(conn, path, backup_dir, version)
    import sqlite_utils  # only migrations need it; importing it costs ~0.4 s at start-up

    db = sqlite_utils.Database(conn)
    try:
        for number in range(version, schema_version()):
            conn.execute("BEGIN IMMEDIATE")
            MIGRATIONS[number](db)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
    except Exception as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
        if backup is not None:
            _restore(backup, path)
            raise MigrationError(
                f"Upgrading the data file failed at step {number + 1} ({exc}). The file was restored "
                f"from the backup {backup}; nothing was lost. Please report this problem.") from exc
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        raise MigrationError(f"Creating a new data file failed ({exc}).") from exc
    return conn


def backup_file(conn: sqlite3.Connection, path: Path, backup_dir: Path, *, label: str = "backup") -> Path:
    """A consistent copy of the live database (SQLite's online backup), named with the time."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{path.stem}.{stamp}.{label}.sqlite"
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def _copy_before_migration(conn: sqlite3.Connection, path: Path, backup_dir: Path, version: int) -> Path:
    """A byte-for-byte copy of the file, taken after folding the WAL in, so a restore gives
    back exactly what the user had."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{path.stem}.{stamp}.before-v{schema_version()}-from-v{version}.sqlite"
    tmp = target.with_name(target.name + ".partial")
    shutil.copy2(path, tmp)
    os.replace(tmp, target)
    return target


def _restore(backup: Path, path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    tmp = path.with_name(path.name + ".restoring")
    shutil.copy2(backup, tmp)
    os.replace(tmp, path)

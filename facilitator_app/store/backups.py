"""Putting a backup back in place of the live database file.

Why careful: the live file may hold unsynced visits. The candidate is first opened on a scratch
copy (so a damaged or newer file never touches the live one), the caller has already taken a
safety copy of the live file, and the swap is an atomic rename.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.errors import FieldKitError
from .db import PRIVATE_FILE_MODE, backup_file, private_dir, tighten
from .store import Store

BACKUP_DIR = "backups"


class RestoreError(FieldKitError):
    """The backup could not be put in place; the current database is unchanged."""


def check_backup(backup: Path) -> None:
    """Raise RestoreError unless `backup` opens as a Field Kit database this app can read."""
    backup = Path(backup)
    if not backup.is_file():
        raise RestoreError(f"{backup} is not a file.")
    scratch = backup.with_name(backup.name + ".checking")
    try:
        shutil.copy2(backup, scratch)
        tighten(scratch, PRIVATE_FILE_MODE)
        Store.open(scratch).close()
    except FieldKitError as exc:
        raise RestoreError(f"{backup.name} cannot be restored: {exc}") from None
    except OSError as exc:
        raise RestoreError(f"{backup.name} cannot be read: {exc.strerror or exc}") from None
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(scratch) + suffix).unlink(missing_ok=True)


def replace_with_backup(target: Path, backup: Path) -> None:
    """Swap `backup` in for the (closed) database at `target`. On failure `target` is unchanged."""
    check_backup(backup)
    tmp = target.with_name(target.name + ".restoring")
    try:
        shutil.copy2(backup, tmp)
        tighten(tmp, PRIVATE_FILE_MODE)
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RestoreError(f"The backup could not be put in place ({exc.strerror or exc}); "
                           "your current records are unchanged.") from None


@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: datetime
    size: int
    label: str  # manual, before-restore, damaged, before-v3-from-v2, ...


def backup_dir_for(database: Path) -> Path:
    return Path(database).parent / BACKUP_DIR


def list_backups(database: Path) -> list[BackupFile]:
    """The backups of `database`, newest first."""
    folder = backup_dir_for(database)
    stem = Path(database).stem
    found = []
    for path in folder.glob(f"{stem}.*.sqlite") if folder.is_dir() else ():
        parts = path.name[len(stem) + 1:-len(".sqlite")].split(".", 1)
        try:
            taken = datetime.strptime(parts[0], "%Y%m%d-%H%M%S-%f")
        except ValueError:
            continue
        found.append(BackupFile(path, taken, path.stat().st_size, parts[1] if len(parts) > 1 else ""))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def restore_backup(database: Path, backup: Path) -> Path | None:
    """Put `backup` in place of the closed `database` and return the copy kept of what it replaced
    (None when there was nothing to keep: no file, or an empty one).

    Works on a damaged database too: if it cannot be opened, its bytes (and its -wal) are
    copied aside as they are, so nothing that might still be rescued is thrown away."""
    database, backup = Path(database), Path(backup)
    check_backup(backup)
    if _in_use(database):
        raise RestoreError(f"{database} is open in another program (the Field Kit window or another command). "
                           "Close it, then restore again; nothing was changed.")
    safety = _keep_current(database)
    replace_with_backup(database, backup)
    return safety


def _in_use(database: Path) -> bool:
    """True when another connection has the file open: every WAL connection holds a shared
    lock, so an exclusive lock is refused (the file's contents are not read)."""
    if not database.exists():
        return False
    conn = sqlite3.connect(database, isolation_level=None, timeout=0.5)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
        return False
    except sqlite3.Error as exc:
        return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    finally:
        conn.close()


def _keep_current(database: Path) -> Path | None:
    if not database.exists() or database.stat().st_size == 0:
        return None
    folder = private_dir(backup_dir_for(database))
    try:
        with Store.open(database) as store:
            with store.locked() as conn:
                return backup_file(conn, database, folder, label="before-restore")
    except FieldKitError:
        pass  # damaged or unreadable: keep its bytes
    target = folder / _name(database, "damaged")
    try:
        for suffix in ("", "-wal"):
            source = Path(str(database) + suffix)
            if source.exists():
                copy = Path(str(target) + suffix)
                shutil.copyfile(source, copy)
                tighten(copy, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise RestoreError(f"The current database could not be copied aside to {folder} ({exc.strerror or exc}), "
                           "so nothing was restored; your current file is unchanged.") from None
    return target


def _name(database: Path, label: str) -> str:
    return f"{database.stem}.{datetime.now().strftime('%Y%m%d-%H%M%S-%f')}.{label}.sqlite"

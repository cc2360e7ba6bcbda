"""Putting a backup back in place of the live database file.

Why careful: the live file may hold unsynced visits. The candidate is first opened on a scratch
copy (so a damaged or newer file never touches the live one), the caller has already taken a
safety copy of the live file, and the swap is an atomic rename.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.errors import FieldKitError
from .store import Store


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
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RestoreError(f"The backup could not be put in place ({exc.strerror or exc}); "
                           "your current records are unchanged.") from None

"""Restore the active database from a backup file, keeping a safety copy of the current one.

Why here and careful: the current file may hold unsynced visits. We copy it aside first, check
that the chosen file opens as a Field Kit database, swap with an atomic rename, and put the
safety copy back if anything fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..core.errors import FieldKitError
from ..store.store import Store
from ..sync.service import SyncService


def restore_database(service: SyncService, backup: Path) -> tuple[Store, Path]:
    """Returns the reopened store and the safety copy of the file that was replaced."""
    backup = Path(backup)
    # Check the candidate first, on a scratch copy, so a bad file never touches the live one.
    scratch = backup.with_name(backup.name + ".checking")
    shutil.copy2(backup, scratch)
    try:
        Store.open(scratch).close()
    except FieldKitError as exc:
        raise FieldKitError(f"{backup.name} cannot be restored: {exc}") from None
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(scratch) + suffix).unlink(missing_ok=True)
    store = service.store()
    target = store.path
    safety = store.backup()
    service.close()
    try:
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        tmp = target.with_name(target.name + ".restoring")
        shutil.copy2(backup, tmp)
        os.replace(tmp, target)
        return service.store(), safety
    except Exception:
        shutil.copy2(safety, target)
        return service.store(), safety

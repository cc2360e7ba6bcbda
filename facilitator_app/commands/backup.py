"""`backup now|list|restore`: Settings > Back up now and Restore from a backup, as commands.

Why restore is also a command: a damaged data file cannot be opened, so the window (and its
Settings page) cannot start; the error message sends the facilitator here instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..core.errors import FieldKitError
from ..store.backups import backup_dir_for, check_backup, list_backups, restore_backup
from . import Context, UsageError, table


def backup_now(ctx: Context, args: argparse.Namespace) -> int:
    path = ctx.store().backup()
    ctx.emit({"path": str(path)}, f"Backed up to {path}")
    return 0


def backup_list(ctx: Context, args: argparse.Namespace) -> int:
    database = ctx.database_path()
    found = list_backups(database)
    ctx.emit([{"path": str(b.path), "taken_at": b.taken_at.isoformat(timespec="seconds"), "bytes": b.size,
               "kind": b.label} for b in found],
             lambda: (f"No backups of {database} yet (facilitator-app backup now makes one)." if not found else
                      table([[b.taken_at.strftime("%Y-%m-%d %H:%M:%S"), b.label, f"{b.size / 1e6:.1f} MB", b.path.name]
                             for b in found], ["Taken", "Kind", "Size", "File"])
                      + f"\n\nIn {backup_dir_for(database)}"))
    return 0


def backup_restore(ctx: Context, args: argparse.Namespace) -> int:
    database = ctx.database_path()
    ctx.close()  # the file is about to be replaced
    if args.latest:
        backup = _latest_good(database)
    elif args.file:
        backup = _resolve(args.file, database)
    else:
        raise UsageError("Name the backup to restore (see 'facilitator-app backup list'), or add --latest")
    safety = restore_backup(database, backup)
    kept = f" The file it replaced was kept as {safety}." if safety else ""
    ctx.emit({"restored": str(backup), "database": str(database), "previous": str(safety) if safety else None},
             f"Restored {database} from {backup.name}.{kept} Changes made after that backup are not in it; "
             "if you sync, the next sync brings back what the server has.")
    return 0


def _resolve(given: Path, database: Path) -> Path:
    if given.exists():
        return given
    inside = backup_dir_for(database) / given
    if inside.exists():
        return inside
    raise UsageError(f"There is no backup {given}. 'facilitator-app backup list' shows the backups there are.")


def _latest_good(database: Path) -> Path:
    found = list_backups(database)
    if not found:
        raise FieldKitError(f"There are no backups of {database} in {backup_dir_for(database)}.")
    problems = []
    for b in found:
        if b.label == "damaged":
            continue
        try:
            check_backup(b.path)
            return b.path
        except FieldKitError as exc:
            problems.append(str(exc))
    raise FieldKitError("None of the backups can be restored:\n  " + "\n  ".join(problems))


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("backup", help="Back up the local database, list backups, restore one",
                           description="Back up the local database, list backups, restore one", parents=[common])
    group.set_defaults(handler=lambda ctx, args, p=group: (p.print_help(), 2)[1])
    actions = group.add_subparsers(dest="backup_command", metavar="ACTION")
    p = actions.add_parser("now", help="Copy the database to the backups folder now", parents=[common])
    p.set_defaults(handler=backup_now)
    p = actions.add_parser("list", help="List the backups, newest first", parents=[common])
    p.set_defaults(handler=backup_list)
    p = actions.add_parser("restore", parents=[common],
                           help="Replace the database with a backup (close the app first; the current file is kept)")
    p.add_argument("file", nargs="?", type=Path, help="a backup file, or its name from 'backup list'")
    p.add_argument("--latest", action="store_true", help="the newest backup that opens")
    p.set_defaults(handler=backup_restore)

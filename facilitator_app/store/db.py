"""Opening a store file safely: header checks, pragmas, and migrations with backup and restore.

Why so careful: the file on a facilitator's laptop may hold weeks of unsynced visits. A damaged
or newer file is refused without being touched; before any migration the file is copied aside,
and if a step fails the copy is put back.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.errors import FieldKitError
from .schema import MIGRATIONS

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
BUSY_TIMEOUT_ENV = "FFK_BUSY_TIMEOUT_MS"  # tests shorten the wait; people never need to
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_VERSION = sqlite3.sqlite_version  # of the SQLite library this Python uses (Settings > About)


class StoreOpenError(FieldKitError):
    """The data file cannot be opened; it was left exactly as it was."""


class NewerSchemaError(StoreOpenError):
    """The file was written by a newer version of the app."""


class MigrationError(StoreOpenError):
    """An upgrade step failed; the file was restored from the backup taken just before."""


class StoreDamagedError(StoreOpenError):
    """The file is SQLite but damaged inside; nothing is written into it."""


class StoreReadOnlyError(StoreOpenError):
    """The data file or its folder cannot be written (permissions, a write-protected drive)."""


class StoreBusyError(FieldKitError):
    """Another program held the database longer than the busy timeout; nothing was changed."""


class StoreFullError(FieldKitError):
    """The disk is full; the transaction was rolled back."""


class StoreIOError(FieldKitError):
    """The disk could not be read or written (a removed drive, a failing disk)."""


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
        raise StoreDamagedError(
            f"The data file {path} is damaged or is not a Field Kit database. It was not changed. "
            f"{_restore_advice(path)} Or choose another data folder with --data-dir.")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    wal = path.with_name(path.name + "-wal")
    if valid_for == change_counter and page_count and size < page_count * page_size and not wal.exists():
        raise StoreOpenError(
            f"The data file {path} is incomplete (it holds {size:,} of {page_count * page_size:,} bytes), "
            f"perhaps from an interrupted copy. It was not changed. {_restore_advice(path)}")


def busy_timeout_ms() -> int:
    """How long a statement waits for another program's lock: 10 s, or $FFK_BUSY_TIMEOUT_MS."""
    try:
        value = int(os.environ.get(BUSY_TIMEOUT_ENV, ""))
    except ValueError:
        return BUSY_TIMEOUT_MS
    return value if 0 <= value <= 600_000 else BUSY_TIMEOUT_MS


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE."""
    timeout = busy_timeout_ms()
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {timeout}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


# -- what a failed statement means for the facilitator --------------------------------------

def _restore_advice(path: Path) -> str:
    backups = Path(path).parent / "backups"
    return ("Restore your latest backup: run 'facilitator-app backup list' and then "
            "'facilitator-app backup restore FILE' (the damaged file is kept aside, not deleted); "
            f"your backups are in {backups}. Records you had already synced are also safe on the server.")


def damaged_error(path: Path, detail: str = "database disk image is malformed") -> StoreDamagedError:
    return StoreDamagedError(
        f"The data file {path} is damaged ({detail}). Nothing was changed, and nothing will be saved "
        f"into it. {_restore_advice(path)}")


def _on_read_only_disk(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False


def read_only_error(path: Path, *, folder: bool = False) -> StoreReadOnlyError:
    if _on_read_only_disk(path):
        return StoreReadOnlyError(
            f"The data {'folder' if folder else 'file'} {path} is on a read-only disk (a write-protected drive or "
            "memory stick, or a disk mounted read-only), so Field Kit cannot save anything there. Your records in "
            "it are unchanged (it is not damaged). Make the disk writable again, or copy the data folder to a disk "
            "you can write to and start Field Kit with --data-dir NEW_FOLDER.")
    if folder:
        return StoreReadOnlyError(
            f"The data folder {path} is read-only, so Field Kit cannot save anything in it. Your records in "
            "it are unchanged (it is not damaged). Make the folder writable again (check its permissions, or "
            "whether the drive or memory stick is write-protected), or copy the folder to one you can write "
            "to and start Field Kit with --data-dir NEW_FOLDER.")
    return StoreReadOnlyError(
        f"The data file {path} is read-only, so Field Kit cannot save anything into it. Your records in it "
        "are unchanged (it is not damaged). Make the file writable again (its Properties or Get Info, or "
        f"'chmod u+w {path}'), or copy its folder to one you can write to and start Field Kit with "
        "--data-dir NEW_FOLDER.")


def disk_full_error(where: Path) -> StoreFullError:
    return StoreFullError(
        f"The disk holding {where} is full, so nothing was saved; what was saved before is safe. "
        "Free some space on that disk (empty the trash, move large files away), then try again.")


def disk_nearly_full(folder: Path) -> bool:
    """Less than 64 KiB free for this user where `folder` lives."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def explain_sqlite_error(exc: sqlite3.Error, path: Path) -> FieldKitError | None:
    """The sentence a facilitator can act on for a SQLite failure on `path`, or None when the
    failure is not about the file, the disk or another program (a bug: let it surface)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = str(exc).lower()
    path = Path(path)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in message:
        seconds = busy_timeout_ms() / 1000
        return StoreBusyError(
            f"The data file {path} is in use by another program (another Field Kit window or command, or a "
            f"backup or sync tool) and stayed locked for {seconds:g} second{'' if seconds == 1 else 's'}, so "
            "nothing was changed. Close the other program or wait for it to finish, then try again.")
    if primary == sqlite3.SQLITE_FULL or "disk is full" in message or (
            primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN) and disk_nearly_full(path.parent)):
        return disk_full_error(path.parent)  # a full disk often shows as an I/O error making the -shm file
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in message:
        return damaged_error(path, str(exc))
    if primary == sqlite3.SQLITE_READONLY or "readonly database" in message:
        folder = not os.access(path.parent, os.W_OK | os.X_OK)
        return read_only_error(path.parent if folder else path, folder=folder)
    if primary == sqlite3.SQLITE_IOERR or "disk i/o error" in message:
        return StoreIOError(
            f"The disk holding {path} could not be read or written ({exc}), so nothing was saved. Check that the "
            "drive is still connected and has free space, then try again. If it keeps happening, the disk may "
            f"be failing: copy your data folder {path.parent} to another disk.")
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) or "unable to open database" in message:
        if not os.access(path.parent, os.W_OK | os.X_OK):
            return read_only_error(path.parent, folder=True)
        return StoreOpenError(
            f"The data file {path} cannot be opened ({exc}). It was not changed. Check that its folder still "
            "exists and that you may write to it, or choose another data folder with --data-dir.")
    return None


def explain_os_error(exc: OSError, what: Path | str | None = None) -> FieldKitError:
    """A file-system failure (saving an export, a backup, a report) in plain words."""
    where = what or exc.filename or "the file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return FieldKitError(f"The disk holding {where} is full, so it was not saved. Free some space on that "
                             "disk (empty the trash, move large files away), or choose another place, then try again.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        kind = "on a read-only disk" if exc.errno == errno.EROFS else "not writable for you (permission denied)"
        return FieldKitError(f"{where} is {kind}, so it was not saved. Choose a folder you can write to "
                             "(for example your Documents folder).")
    return FieldKitError(f"{where} could not be read or written ({exc.strerror or exc}). Check the disk and "
                         "try again, or choose another place.")


# -- private folders and files ---------------------------------------------------------------

def private_dir(folder: Path) -> Path:
    """Create `folder` (and any missing parents) readable only by this user; tighten it if it
    already exists. The records name practices and people: other accounts on a shared
    computer must not read them."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for step in reversed(missing):
        try:
            step.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            pass
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    tighten(folder, PRIVATE_DIR_MODE, is_dir=True)
    return folder


def private_file(path: Path) -> None:
    """Make an existing file (and a database's -wal and -shm) readable only by this user."""
    for suffix in ("", "-wal", "-shm"):
        tighten(Path(str(path) + suffix), PRIVATE_FILE_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty file readable only by this user (SQLite then gives its -wal and -shm the
    same mode); an existing file is tightened instead."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass
    tighten(path, PRIVATE_FILE_MODE)


def tighten(path: Path, mode: int, *, is_dir: bool = False) -> None:
    """Remove group and other permissions (`mode` is what we create: 0o700 or 0o600). Not on Windows
    (ACLs), not the home folder or one above it (a --data-dir of ~ must not lock the user's own
    home), and quietly not on a file this user does not own."""
    if os.name != "posix":
        return
    try:
        st = os.stat(path)
    except OSError:
        return
    if is_dir:
        try:
            home = Path.home().resolve()
            real = Path(path).resolve()
            if real == home or real in home.parents:
                return
        except (OSError, RuntimeError):
            return
    current = stat.S_IMODE(st.st_mode)
    if current & ~mode & 0o077:
        try:
            os.chmod(path, current & ~0o077)  # never adds a permission (a read-only file stays so)
        except OSError:
            pass


def _check_writable(path: Path, existed: bool) -> None:
    """Tell a read-only folder or file apart from a damaged one, before SQLite reports both
    as 'unable to open database file'."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise read_only_error(path.parent, folder=True)
    if existed and not os.access(path, os.W_OK):
        raise read_only_error(path)


def open_database(path: Path, *, backup_dir: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the store file at `path`."""
    path = Path(path)
    try:
        private_dir(path.parent)
        existed = path.exists() and path.stat().st_size > 0
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise disk_full_error(path.parent) from None
        raise StoreOpenError(f"The data folder {path.parent} cannot be used ({exc.strerror or exc}). "
                             "Choose a folder you can write to with --data-dir.") from None
    if existed:
        check_header(path)
    _check_writable(path, existed)
    try:
        create_private_file(path)
        private_file(path)
    except OSError as exc:
        raise (disk_full_error(path.parent) if exc.errno in (errno.ENOSPC, errno.EDQUOT)
               else StoreOpenError(f"The data file {path} cannot be created ({exc.strerror or exc}). "
                                   "Choose another folder with --data-dir.")) from None
    conn = None
    try:
        conn = connect(path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if existed:
            _quick_check(conn, path)
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise _open_failure(exc, path) from None
    except StoreOpenError:
        if conn is not None:
            conn.close()
        raise
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
        raise _open_failure(exc, path) from None
    private_file(path)  # the -wal and -shm SQLite has just created
    if version < target:
        conn = _migrate(conn, path, version, existed, backup_dir or path.parent / "backups")
    return conn


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is damaged inside before anything is written into it (a write that
    happens to miss the bad pages would otherwise succeed and bury the damage deeper).
    Reads every page once: about 3 ms per MB."""
    rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    if not rows or rows[0][0] != "ok":
        raise damaged_error(path, "database disk image is malformed")


def _open_failure(exc: sqlite3.DatabaseError, path: Path) -> FieldKitError:
    explained = explain_sqlite_error(exc, path)
    if isinstance(explained, (StoreOpenError, StoreFullError, StoreBusyError, StoreIOError)):
        return explained
    return StoreOpenError(f"The data file {path} cannot be read ({exc}). It was not changed. "
                          f"{_restore_advice(path)}")


def _migrate(conn: sqlite3.Connection, path: Path, version: int, existed: bool, backup_dir: Path) -> sqlite3.Connection:
    backup = None
    if existed:
        try:
            conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise damaged_error(path, str(exc)) from None
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
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # a full disk may have rolled it back already
        conn.close()
        explained = explain_sqlite_error(exc, path) if isinstance(exc, sqlite3.Error) else None
        if backup is not None:
            _restore(backup, path)
            raise MigrationError(
                f"Upgrading the data file failed at step {number + 1} ({explained or exc}). The file was restored "
                f"from the backup {backup}; nothing was lost."
                + ("" if explained else " Please report this problem.")) from exc
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        if explained is not None:
            raise explained from None
        raise MigrationError(f"Creating a new data file failed ({exc}).") from exc
    return conn


def backup_file(conn: sqlite3.Connection, path: Path, backup_dir: Path, *, label: str = "backup") -> Path:
    """A consistent copy of the live database (SQLite's online backup), named with the time."""
    private_dir(backup_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{path.stem}.{stamp}.{label}.sqlite"
    create_private_file(target)
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
    private_dir(backup_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{path.stem}.{stamp}.before-v{schema_version()}-from-v{version}.sqlite"
    tmp = target.with_name(target.name + ".partial")
    shutil.copy2(path, tmp)
    tighten(tmp, PRIVATE_FILE_MODE)
    os.replace(tmp, target)
    return target


def _restore(backup: Path, path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    tmp = path.with_name(path.name + ".restoring")
    shutil.copy2(backup, tmp)
    tighten(tmp, PRIVATE_FILE_MODE)
    os.replace(tmp, path)

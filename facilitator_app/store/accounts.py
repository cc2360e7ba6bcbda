"""Which local database file is in use in a data folder: one per (server, user).

Why: two facilitators sharing a laptop, or one facilitator signing in to a training server and
then the real one, must never see or push each other's records. Each account gets its own
SQLite file under `accounts/`, and `accounts.json` records which one is active.

With no server the app uses `local.sqlite`. A facilitator who worked offline first can sign in
later: that file then *becomes* the account's database (moved, not copied, so it cannot be
pushed twice), and everything they recorded is sent at the first sync. Demo data is never
pushed: a file holding demo data stays where it is and the account starts a fresh database.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.errors import FieldKitError
from .db import PRIVATE_FILE_MODE, private_dir
from .store import DATA_FILE

ACCOUNTS_FILE = "accounts.json"
ACCOUNTS_DIR = "accounts"


class AccountError(FieldKitError):
    """The accounts file or an account's database is not what it should be."""


@dataclass
class Account:
    server_url: str
    user: str
    file: str  # relative to the data folder
    role: str = ""
    cooperative: str | None = None

    @property
    def key(self) -> str:
        return account_key(self.server_url, self.user)


@dataclass(frozen=True)
class Activation:
    """What signing in did to the local files, in words the facilitator can read."""

    account: Account
    path: Path
    adopted_local: bool = False
    message: str | None = None


def account_key(server_url: str, user: str) -> str:
    return f"{server_url}|{user}"


def _has_credentials(url: str) -> bool:
    try:
        return "@" in (urlsplit(url).netloc or "")
    except ValueError:
        return False


def without_credentials(url: str) -> str:
    """`url` without a `user:password@` part."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=host).geturl()


def _file_name(server_url: str, user: str) -> str:
    host = urlsplit(server_url).hostname or "server"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{user}@{host}")[:60]
    digest = hashlib.sha256(account_key(server_url, user).encode()).hexdigest()[:10]
    return f"{ACCOUNTS_DIR}/{safe}-{digest}.sqlite"


class Accounts:
    """The accounts of one data folder. Writes of accounts.json are atomic (write + rename)."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / ACCOUNTS_FILE
        self._scrubbed: list[tuple[str, str, str]] = []

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"active": None, "accounts": {}}
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
            data.setdefault("active", None)
            data.setdefault("accounts", {})
        except (ValueError, OSError) as exc:
            raise AccountError(f"The accounts file {self.path} cannot be read ({exc}). Move it aside and sign in "
                               "again; your databases in the accounts folder are not affected.") from None
        if any(_has_credentials(e.get("server_url", "")) for e in data["accounts"].values()):
            data = self._scrub(data)
        return data

    def _scrub(self, data: dict[str, Any]) -> dict[str, Any]:
        """Drop a user name and password that an older version saved inside a server address
        (https://ana:secret@host): never shown or sent again. The account keeps its file."""
        accounts: dict[str, dict[str, Any]] = {}
        active = data.get("active")
        for key, entry in data["accounts"].items():
            url = entry.get("server_url", "")
            if _has_credentials(url):
                clean = without_credentials(url)
                new_key = account_key(clean, entry.get("user", ""))
                if (url, clean, entry.get("user", "")) not in self._scrubbed:
                    self._scrubbed.append((url, clean, entry.get("user", "")))
                if active == key:
                    active = new_key
                key, entry = new_key, {**entry, "server_url": clean}
            accounts.setdefault(key, entry)
        data = {**data, "active": active, "accounts": accounts}
        try:
            self._save(data)
        except OSError:
            pass  # a read-only folder: cleaned in memory for this run
        return data

    def scrubbed_credentials(self) -> list[tuple[str, str, str]]:
        """(old address, clean address, user) of accounts whose saved address held a password."""
        self._load()
        return list(self._scrubbed)

    def _save(self, data: dict[str, Any]) -> None:
        private_dir(self.data_dir)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.unlink(missing_ok=True)  # a leftover would keep its old permissions
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(data, indent=2))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise

    def active(self) -> Account | None:
        data = self._load()
        key = data.get("active")
        entry = data["accounts"].get(key) if key else None
        return Account(**entry) if entry else None

    def get(self, server_url: str, user: str) -> Account | None:
        entry = self._load()["accounts"].get(account_key(server_url, user))
        return Account(**entry) if entry else None

    def all(self) -> list[Account]:
        return [Account(**e) for e in self._load()["accounts"].values()]

    def active_database(self) -> Path:
        account = self.active()
        return self.data_dir / (account.file if account else DATA_FILE)

    def activate(self, server_url: str, user: str, *, role: str = "", cooperative: str | None = None) -> Activation:
        """Make (server, user) the active account, creating its database entry if new.

        The store of the previously active file must be closed by the caller first, since
        `local.sqlite` may be moved."""
        data = self._load()
        key = account_key(server_url, user)
        entry = data["accounts"].get(key)
        adopted, message = False, None
        if entry is None:
            account = Account(server_url, user, _file_name(server_url, user), role, cooperative)
            target = self.data_dir / account.file
            private_dir(target.parent)
            local = self.data_dir / DATA_FILE
            if not target.exists() and local.exists() and data.get("active") is None:
                verdict = _local_file_verdict(local)
                if verdict == "demo":
                    message = ("The records on this computer are demo data, which is never sent to a server. "
                               f"They stay in {local}; your account starts with an empty database.")
                elif verdict == "ok":
                    _move_database(local, target)
                    adopted = True
                    message = ("Everything you recorded before signing in is now part of this account and "
                               "will be sent at the next sync.")
                elif verdict == "other_account":
                    message = f"{local} belongs to another account and was left as it is."
        else:
            account = Account(**entry)
            account.role = role or account.role
            account.cooperative = cooperative if cooperative is not None else account.cooperative
        data["accounts"][key] = asdict(account)
        data["active"] = key
        self._save(data)
        return Activation(account, self.data_dir / account.file, adopted, message)

    def forget(self, server_url: str, user: str) -> None:
        data = self._load()
        key = account_key(server_url, user)
        data["accounts"].pop(key, None)
        if data.get("active") == key:
            data["active"] = None
        self._save(data)


def _local_file_verdict(path: Path) -> str:
    """'ok' to adopt, 'demo' (never pushed), 'other_account', or 'unreadable'."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return "unreadable"
    if meta.get("demo") == "1":
        return "demo"
    if meta.get("server"):
        return "other_account"
    return "ok"


def _move_database(source: Path, target: Path) -> None:
    """Move a closed SQLite file with its WAL: checkpoint first so the main file is complete."""
    conn = sqlite3.connect(source)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        side = Path(str(source) + suffix)
        if side.exists() and side.stat().st_size == 0:
            side.unlink()
    if Path(str(source) + "-wal").exists():
        raise AccountError(f"{source} is still in use by another program; close it and sign in again.")
    os.replace(source, target)


def active_database(data_dir: Path) -> Path:
    """The database the app and the CLI open in `data_dir`."""
    return Accounts(data_dir).active_database()

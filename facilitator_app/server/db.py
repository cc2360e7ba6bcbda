"""Engines and transactions for SQLite and PostgreSQL, and the schema-version check.

SQLite: pysqlite's own transaction handling is switched off so we emit BEGIN ourselves; push
transactions use BEGIN IMMEDIATE (take the write lock up front) and a busy timeout makes
several workers queue instead of failing with "database is locked". PostgreSQL: pulls read in
one REPEATABLE READ snapshot; pushes serialize on the counter row they update first.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from .settings import Settings

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy wait still queues the workers
    fcntl = None  # type: ignore[assignment]

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            create_private_file(Path(url.database))
        pool = {} if url.database in (None, "", ":memory:") else {"pool_size": settings.pool_size, "max_overflow": 0}
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool)
        _setup_sqlite(engine)
        return engine
    # No overflow: a connection opened past the pool's size was closed again as soon as it was
    # returned, so busy workers kept reconnecting. The app runs at most pool_size requests at
    # once instead (app.py), so no request waits for a connection.
    return create_engine(url, pool_size=settings.pool_size, max_overflow=0, pool_pre_ping=True)


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key an INSERT created (SQLAlchemy types the key as optional)."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("The INSERT reported no primary key.")
    return int(key[0])


def create_private_file(path: Path) -> None:
    """Create the SQLite file (and its folder, if missing) readable by the server's user only.

    Why: it holds password hashes and every practice's records, and SQLite would create it with
    the umask's mode (usually world-readable). SQLite gives the -wal and -shm files it makes
    later the mode of the database file, so they are private too. Existing files keep the mode
    their owner chose.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see module docstring)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_tx(engine: Engine, *, serial: bool = False) -> Iterator[Connection]:
    """A write transaction that holds the write lock from its first statement on SQLite.

    `serial` is for transactions that bump the version counter (pushes, imports): they run one
    after another anyway, so this process lets one in at a time (see _WriteGate)."""
    with _gate(engine).hold(serial or is_sqlite(engine)):
        with engine.connect() as conn:
            if is_sqlite(engine):
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn


class _WriteGate:
    """Writers that must wait for each other queue here instead of inside the database.

    Why: every push updates the one counter row first, so pushes run strictly one at a time.
    Forty request threads of a worker all waiting on that row lock kept the one holding it
    short of CPU, which stretched every push; on SQLite, writers waiting on the file lock are
    woken by polling with sleeps of up to 100 ms. Waiting on a lock in this process (and, for
    SQLite, on a lock file shared by the workers on this machine) wakes the next writer at once.
    """

    def __init__(self, lock_file: Path | None):
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        if lock_file is not None and fcntl is not None:  # private, like the database beside it
            self._file = os.fdopen(os.open(lock_file, os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o600), "a+b")

    @contextmanager
    def hold(self, wanted: bool) -> Iterator[None]:
        if not wanted:
            yield
            return
        with self._lock:
            if self._file is None:
                yield
                return
            fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file, fcntl.LOCK_UN)


_GATES: dict[str, _WriteGate] = {}
_GATES_LOCK = threading.Lock()


def _gate(engine: Engine) -> _WriteGate:
    with _GATES_LOCK:
        key = str(engine.url)  # one gate per database, however many engines point at it
        gate = _GATES.get(key)
        if gate is None:
            database = engine.url.database if is_sqlite(engine) else None
            lock_file = Path(database + ".write-lock") if database and database != ":memory:" else None
            gate = _GATES[key] = _WriteGate(lock_file)
        return gate


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """One consistent snapshot for every statement inside (pull pages must not tear)."""
    with engine.connect() as conn:
        if not is_sqlite(engine):
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

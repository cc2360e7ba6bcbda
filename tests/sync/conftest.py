"""Sync fixtures: a real facilitator-server process (on SQLite, and on the PostgreSQL that
FFK_TEST_POSTGRES_URL names: `make test` sets it up, see tests/serverproc.py), an in-process
server for the deliberately broken variants, and `Laptop`, one client install with its own data
folder and real SQLite file."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from facilitator_app.store import Store
from facilitator_app.store.rows import row_to_record, table
from facilitator_app.store.schema import ENTITY_TABLES
from facilitator_app.store.sync_state import SyncState
from facilitator_app.sync.credentials import TokenStore
from facilitator_app.sync.engine import SyncEngine
from facilitator_app.sync.service import SyncService
from tests.serverproc import ServerProcess, free_port, new_postgres_url, require_postgres, start_server

PASSWORD = "correct horse battery"
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory) -> Iterator[ServerProcess]:
    if request.param == "postgres":
        require_postgres()
    url = new_postgres_url() if request.param == "postgres" else None
    proc = start_server(tmp_path_factory.mktemp("server"), url)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("server"))
    yield proc
    proc.stop()


@dataclass
class Laptop:
    """One install: a data folder, its token store (this process's memory keyring), and a service."""

    data_dir: Path
    server_url: str
    tokens: TokenStore = field(default_factory=TokenStore)
    engine_factory: type = SyncEngine
    client_factory: object = None
    service: SyncService | None = None

    def __post_init__(self) -> None:
        self.reopen()

    def reopen(self) -> None:
        """Like restarting the app (after a crash: the Store is dropped without any cleanup)."""
        extra = {"client_factory": self.client_factory} if self.client_factory else {}
        self.service = SyncService(self.data_dir, tokens=self.tokens,
                                   engine_factory=lambda store, client: self.engine_factory(store, client), **extra)

    @property
    def store(self) -> Store:
        return self.service.store()

    @property
    def state(self) -> SyncState:
        return SyncState(self.store)

    def sign_in(self, user: str, password: str = PASSWORD):
        return self.service.sign_in(self.server_url, user, password)

    def sync(self, **kw):
        return self.service.sync_once(**kw)

    def close(self) -> None:
        self.service.close()

    def snapshot(self) -> dict[tuple[str, str], dict]:
        return snapshot(self.store)


def snapshot(store: Store) -> dict[tuple[str, str], dict]:
    """Every synced row of a laptop (tombstones included) as (entity, id) -> record + deleted, to
    compare laptops with each other and with the server."""
    out = {}
    for entity in ENTITY_TABLES:
        for r in store.read(f"SELECT * FROM {table(entity)}"):
            record = row_to_record(entity, r)
            record["deleted"] = bool(r["deleted"])
            out[(entity, r["id"])] = record
    return out


def run_inprocess_server(database_url: str) -> tuple[str, callable]:
    """uvicorn in a thread with the real app, so a test can monkeypatch server internals."""
    import uvicorn

    from facilitator_app.server.app import create_app
    from facilitator_app.server.db import make_engine
    from facilitator_app.server.migrate import upgrade
    from facilitator_app.server.settings import Settings

    settings = Settings(database_url=database_url)
    engine = make_engine(settings)
    upgrade(engine)
    app = create_app(settings, engine=engine)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)

    def stop() -> None:
        srv.should_exit = True
        thread.join(10)
    return f"http://127.0.0.1:{port}", stop

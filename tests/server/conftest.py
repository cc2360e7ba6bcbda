"""Fixtures for the server tests: every test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from FFK_TEST_POSTGRES_URL, which `make test` sets up. Without it the PostgreSQL
half FAILS under `make test` and in CI, and is skipped by a bare `pytest` (tests/serverproc.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import Engine

from facilitator_app.server.app import create_app
from facilitator_app.server.db import make_engine
from facilitator_app.server.migrate import upgrade
from facilitator_app.server.settings import Settings
from tests.server.helpers import DATABASES, Api, TestClient, make_database_url
from tests.serverproc import ServerProcess, start_server


@pytest.fixture(params=DATABASES)
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param

@pytest.fixture
def database_url(db_kind: str, tmp_path: Path) -> str:
    return make_database_url(db_kind, tmp_path)

@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(database_url=database_url))
    upgrade(engine)
    yield engine
    engine.dispose()

@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)

@pytest.fixture
def api(engine: Engine, settings: Settings) -> Iterator[Api]:
    app = create_app(settings, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, engine)

@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path, database_url)
    yield proc
    proc.stop()

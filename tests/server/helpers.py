"""Helpers for the server tests: database URLs, accounts, and a `Device` that speaks the
sync protocol the way the real client does.

PostgreSQL comes from FFK_TEST_POSTGRES_URL, which `make test` sets up. Without it the PostgreSQL
half FAILS under `make test` and in CI (FFK_REQUIRE_POSTGRES or CI set), so they can never
silently test only SQLite; a bare `pytest` skips it and says how to enable it.
"""

from __future__ import annotations

import itertools
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Starlette's notice that httpx will be replaced by httpx2 in its TestClient; not ours to act on.
warnings.filterwarnings("ignore", message=".*httpx2.*")
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from facilitator_app.core.codec import to_record  # noqa: E402
from facilitator_app.core.hlc import HybridClock  # noqa: E402
from facilitator_app.server import accounts  # noqa: E402
from facilitator_app.server.db import write_tx  # noqa: E402
from facilitator_app.sync.protocol import PROTOCOL_VERSION, PullResponse  # noqa: E402
from tests.serverproc import new_postgres_url, require_postgres  # noqa: E402

PASSWORD = "correct horse battery"
DATABASES = ["sqlite", "postgres"]


def make_database_url(kind: str, tmp_path: Path) -> str:
    if kind == "postgres":
        require_postgres()
        return new_postgres_url()
    return f"sqlite:///{tmp_path / 'server.sqlite'}"


def add_user(engine: Engine, name: str, *, role: str = "facilitator", cooperative: str | None = "coop",
             password: str = PASSWORD) -> accounts.User:
    with write_tx(engine) as conn:
        if cooperative and cooperative not in accounts.list_cooperatives(conn):
            accounts.add_cooperative(conn, cooperative, actor="tests")
        return accounts.add_user(conn, name, role=role, cooperative=cooperative, password=password, actor="tests")


@dataclass
class Device:
    """One client installation: its id, mutation counter and clock, as the real client keeps them."""

    api: "Api"
    token: str
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    next_id: int = 1
    cursor: int = 0
    scope_epoch: int | None = None
    clock: HybridClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.client_id)

    def mutation(self, entity: str, row_id: str, practice_id: str, fields: dict[str, Any], *,
                 base: dict[str, str | None] | None = None, hlc: str | None = None,
                 mutation_id: int | None = None, uuid_: str | None = None) -> dict[str, Any]:
        mid = mutation_id if mutation_id is not None else self.next_id
        if mutation_id is None:
            self.next_id += 1
        return {"id": mid, "uuid": uuid_ or str(uuid.uuid4()), "name": "put", "hlc": hlc or self.clock.now(),
                "args": {"entity": entity, "id": row_id, "practice_id": practice_id, "fields": fields,
                         "base": base if base is not None else {k: None for k in fields}}}

    def create(self, obj: Any, entity: str) -> dict[str, Any]:
        record = to_record(obj)
        fields = {k: v for k, v in record.items() if k != "id"}
        fields["deleted"] = False
        return self.mutation(entity, record["id"], record["practice_id"], fields)

    def push(self, mutations: list[dict[str, Any]], *, expect: int = 200, protocol: int = PROTOCOL_VERSION) -> Any:
        r = self.api.client.post("/sync/v1/push", json={"protocol": protocol, "client_id": self.client_id,
                                                        "mutations": mutations}, headers=self.api.auth(self.token))
        assert r.status_code == expect, r.text
        return r.json()

    def pull(self, *, limit: int = 1000, expect: int = 200, all_pages: bool = True) -> list[dict[str, Any]]:
        changes = []
        while True:
            r = self.api.client.post("/sync/v1/pull", json={
                "protocol": PROTOCOL_VERSION, "client_id": self.client_id, "cursor": self.cursor,
                "scope_epoch": self.scope_epoch, "limit": limit}, headers=self.api.auth(self.token))
            assert r.status_code == expect, r.text
            if expect != 200:
                return r.json()
            PullResponse.model_validate_json(r.text)  # the spliced body is a valid PullResponse
            body = r.json()
            assert body["cursor"] >= self.cursor
            self.cursor, self.scope_epoch = body["cursor"], body["scope_epoch"]
            changes.extend(body["changes"])
            if not body["has_more"] or not all_pages:
                return changes


@dataclass
class Api:
    client: TestClient
    engine: Engine

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def login(self, name: str, password: str = PASSWORD) -> str:
        r = self.client.post("/auth/v1/token", json={"username": name, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def user(self, name: str, *, role: str = "facilitator", cooperative: str | None = "coop") -> Device:
        add_user(self.engine, name, role=role, cooperative=cooperative)
        return Device(self, self.login(name))

    def admin(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with write_tx(self.engine) as conn:
            return fn(conn, *args, **kwargs)


_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"

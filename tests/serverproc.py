"""A real `facilitator-server` process on 127.0.0.1 for tests (server and client-sync suites).

Also creates throwaway PostgreSQL databases on the cluster named by FFK_TEST_POSTGRES_URL.
`make test` starts such a cluster itself (.ci/postgres.sh) and sets FFK_REQUIRE_POSTGRES=1, so a
PostgreSQL test can never be skipped there; a bare `pytest` without the variable skips them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ENV = "FFK_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "FFK_REQUIRE_POSTGRES"
STARTUP_TIMEOUT_SECS = 60


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("FFK_SERVER_DATABASE_URL", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "facilitator_app.server.cli", *args]


@dataclass
class ServerProcess:
    url: str
    database_url: str
    data_dir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def admin(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """Run one admin command against this server's database (raises on a non-zero exit)."""
        return subprocess.run(_cli(*args, "--database-url", self.database_url), check=True, text=True,
                              input=input, capture_output=True, cwd=REPO, env=_env(), timeout=120)

    def add_user(self, name: str, password: str, role: str = "facilitator", cooperative: str = "coop") -> None:
        """Create an account (and its cooperative if missing) in-process: much faster than the CLI."""
        from facilitator_app.server import accounts
        from facilitator_app.server.db import make_engine, write_tx
        from facilitator_app.server.settings import Settings

        engine = make_engine(Settings(database_url=self.database_url))
        try:
            with write_tx(engine) as conn:
                if cooperative and cooperative not in accounts.list_cooperatives(conn):
                    accounts.add_cooperative(conn, cooperative, actor="tests")
                accounts.add_user(conn, name, role=role, cooperative=cooperative or None, password=password,
                                  actor="tests")
        finally:
            engine.dispose()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def log(self) -> str:
        logs = (self.data_dir / "server.out", self.data_dir / "server.err")
        return "".join(p.read_text(errors="replace") for p in logs if p.exists())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_available() -> bool:
    return bool(os.environ.get(POSTGRES_ENV))


def postgres_required() -> bool:
    """`make test` and CI must test on PostgreSQL: a missing database is then an error, not a skip."""
    return bool(os.environ.get(REQUIRE_POSTGRES_ENV) or os.environ.get("CI"))


def require_postgres() -> None:
    """Return if the PostgreSQL cluster is configured; otherwise fail (make test, CI) or skip."""
    import pytest

    if postgres_available():
        return
    if postgres_required():
        pytest.fail(f"These tests must run on PostgreSQL too, but {POSTGRES_ENV} is not set. Run them with "
                    f"`make test` (it starts a throwaway PostgreSQL), or start one yourself with "
                    f"`eval \"$(bash .ci/postgres.sh)\"`.", pytrace=False)
    pytest.skip(f"PostgreSQL half skipped: {POSTGRES_ENV} is not set (`make test` sets it up, or "
                f"`eval \"$(bash .ci/postgres.sh)\"`).")


def new_postgres_url() -> str:
    """A fresh, empty database on the test cluster (CREATE DATABASE with a unique name)."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(os.environ[POSTGRES_ENV])
    name = f"ffk_test_{uuid.uuid4().hex[:12]}"
    admin_url = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False)


def start_server(tmp_path: Path, database_url: str | None = None, *, workers: int = 1) -> ServerProcess:
    """Migrate the database, start `serve` on a free port of 127.0.0.1, wait for /healthz."""
    data_dir = Path(tmp_path) / f"server-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir(parents=True)
    database_url = database_url or f"sqlite:///{data_dir / 'server.sqlite'}"
    subprocess.run(_cli("migrate", "--database-url", database_url), check=True, capture_output=True, text=True,
                   cwd=REPO, env=_env(), timeout=120)
    port = free_port()
    out = (data_dir / "server.out").open("w")
    err = (data_dir / "server.err").open("w")
    proc = subprocess.Popen(_cli("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                                 "--log-level", "warning", "--database-url", database_url),
                            stdout=out, stderr=err, cwd=REPO, env=_env())
    server = ServerProcess(url=f"http://127.0.0.1:{port}", database_url=database_url, data_dir=data_dir,
                           process=proc)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"facilitator-server exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"facilitator-server did not answer /healthz within {STARTUP_TIMEOUT_SECS} s:\n{server.log()}")

"""kill -9 of a client process at four named points: the file stays sound, nothing is lost,
and every install converges with the server."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import create_engine, select

from facilitator_app.core.model import Practice, Visit
from facilitator_app.server import tables as t
from facilitator_app.store.accounts import Accounts
from facilitator_app.sync.engine import CRASH_POINTS
from tests.serverproc import REPO

from .conftest import PASSWORD, Laptop, unique


def driver(data_dir, url, user, action, count="1", crash_at=None) -> int:
    env = {**os.environ, "FFK_TEST_PASSWORD": PASSWORD, "PYTHONPATH": str(REPO)}
    env.pop("FFK_TEST_CRASH_AT", None)
    if crash_at:
        env["FFK_TEST_CRASH_AT"] = crash_at
    done = subprocess.run([sys.executable, "-m", "tests.sync.crash_driver", str(data_dir), url, user, action, count],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 137), done.stderr
    return done.returncode


@pytest.mark.parametrize("point", ("after_local_commit", *CRASH_POINTS))  # the first: the driver's own
def test_kill9_at_named_point(sqlite_server, tmp_path, point):
    user = unique("fac")
    sqlite_server.add_user(user, PASSWORD, cooperative=unique("coop"))
    other = Laptop(tmp_path / "other", sqlite_server.url)
    other.sign_in(user)
    practice = Practice("Crash Clinic")
    other.store.save_practice(practice)
    other.sync()
    data = tmp_path / "crashy"
    url = sqlite_server.url
    assert driver(data, url, user, "sync") == 0  # first pull: it has the practice
    if point == "after_local_commit":
        assert driver(data, url, user, "edit", "3", crash_at=point) == 137
    else:
        assert driver(data, url, user, "edit", "5") == 0
        other.store.save_visit(Visit(practice.id, dt.date(2026, 3, 3), minutes=33))
        other.sync()  # so the crashing pull has rows to apply
        assert driver(data, url, user, "sync", crash_at=point) == 137
    db = data / Accounts(data).active().file
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    local_uuids = {r[0] for r in conn.execute("SELECT uuid FROM outbox")}
    conn.close()
    if point == "after_local_commit":
        assert len(local_uuids) == 1  # the committed edit survived the kill
    assert driver(data, url, user, "sync") == 0
    other.sync()
    crashy = Laptop(data, url)
    assert crashy.store.pending_changes() == 0
    assert crashy.snapshot() == other.snapshot()
    engine = create_engine(sqlite_server.database_url)
    with engine.connect() as c:
        log = [r.uuid for r in c.execute(select(t.mutation_log.c.uuid))]
    engine.dispose()
    assert local_uuids <= set(log), "an edit never reached the server"
    assert all(n == 1 for n in Counter(log).values()), "a mutation was processed twice"
    crashy.close()
    other.close()

"""Concurrent pushers and a pulling reader: every row version arrives exactly once.

Pushers hold their transactions open (sleeping before commit) while a reader pulls in a loop.
With the production counter (bumped first in every push) the reader never skips a row. The
naive variant below stamps rows from a plain sequence; commits then land out of version order,
the reader's cursor jumps past rows still in flight, and the same check catches it — proof
that the test can fail.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import Connection, Engine, func, select, text

from facilitator_app.core import faults
from facilitator_app.core.hlc import HybridClock
from facilitator_app.server import tables as t
from facilitator_app.server.pull import pull
from facilitator_app.server.push import apply_push
from facilitator_app.server.versions import COUNTER, Versions
from facilitator_app.sync.protocol import PROTOCOL_VERSION, Mutation, PullRequest, PushRequest
from tests.server.helpers import add_user, require_postgres

PUSHERS = 6
PUSHES_EACH = 5
ROWS_PER_PUSH = 3


class NaiveSequenceVersions:
    """The broken scheme: a version per row from a sequence, drawn at write time."""

    def begin_push(self, conn: Connection) -> int:
        return 0

    def for_row(self, conn: Connection, push_version: int) -> int:
        return int(conn.execute(text("SELECT nextval('ffk_naive_seq')")).scalar_one())

    def high_water(self, conn: Connection) -> int:
        return int(conn.execute(select(func.coalesce(func.max(t.rows.c.sv), 0))).scalar_one())


_pusher = threading.local()  # each pusher thread's random source for the delay before its commits


def _hold_open(_subject: object) -> None:
    """Installed at the fault point "push_before_commit": sleep before the commit, so pushes overlap."""
    rng = getattr(_pusher, "rng", None)
    if rng is not None:
        time.sleep(rng.uniform(0.0, 0.06))


def _push(engine: Engine, user, practice_id: str, versions: Versions, rng: random.Random) -> set[str]:
    _pusher.rng = rng
    client_id = str(uuid.uuid4())
    clock = HybridClock(client_id)
    ids: set[str] = set()
    mid = 0
    for _ in range(PUSHES_EACH):
        mutations = []
        for _ in range(ROWS_PER_PUSH):
            mid += 1
            cid = str(uuid.uuid4())
            ids.add(cid)
            mutations.append(Mutation(id=mid, uuid=str(uuid.uuid4()), name="put", hlc=clock.now(), args={
                "entity": "contact", "id": cid, "practice_id": practice_id,
                "fields": {"name": f"Contact {cid[:6]}", "practice_id": practice_id, "deleted": False}}))
        # Each pusher thread stands for a separate worker process: only the database may order them.
        apply_push(engine, user, PushRequest(protocol=PROTOCOL_VERSION, client_id=client_id, mutations=mutations),
                   versions=versions, queue_in_process=False)
    return ids


def run_race(engine: Engine, versions: Versions, seed: int) -> tuple[set[str], Counter]:
    """Returns the contact ids pushed and how many times the reader received each."""
    with faults.installed("push_before_commit", _hold_open):
        return _run_race(engine, versions, seed)


def _run_race(engine: Engine, versions: Versions, seed: int) -> tuple[set[str], Counter]:
    user = add_user(engine, f"ann-{seed}")
    practice_id = str(uuid.uuid4())
    setup = Mutation(id=1, uuid=str(uuid.uuid4()), name="put", hlc=HybridClock("setup").now(), args={
        "entity": "practice", "id": practice_id, "practice_id": practice_id,
        "fields": {"name": "Race Clinic", "practice_id": practice_id, "deleted": False}})
    apply_push(engine, user, PushRequest(protocol=PROTOCOL_VERSION, client_id=str(uuid.uuid4()), mutations=[setup]),
               versions=versions)
    pushed: set[str] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def pusher(i: int) -> None:
        try:
            ids = _push(engine, user, practice_id, versions, random.Random(seed * 100 + i))
            with lock:
                pushed.update(ids)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(PUSHERS)]
    seen: Counter = Counter()
    cursor = 0
    reader_id = str(uuid.uuid4())

    def read_once() -> None:
        nonlocal cursor
        page = pull(engine, user, PullRequest(protocol=PROTOCOL_VERSION, client_id=reader_id, cursor=cursor, limit=7),
                    versions=versions)
        assert page.cursor >= cursor, "the cursor moved back"
        cursor = page.cursor
        for change in page.changes:
            if change.entity == "contact":
                seen[(change.id, change.version)] += 1

    for th in threads:
        th.start()
    while any(th.is_alive() for th in threads):
        read_once()
        time.sleep(0.002)
    for th in threads:
        th.join()
    assert not errors, errors
    for _ in range(200):  # drain what is left
        before = cursor
        read_once()
        if cursor == before:
            break
    by_id = Counter(cid for cid, _ in seen.elements())
    return pushed, by_id


def assert_exactly_once(pushed: set[str], received: Counter) -> None:
    missing = pushed - set(received)
    duplicated = [cid for cid, n in received.items() if n > 1]
    assert not missing, f"{len(missing)} of {len(pushed)} rows never reached the reader"
    assert not duplicated, f"{len(duplicated)} rows arrived more than once"


def test_every_row_version_arrives_exactly_once(engine: Engine) -> None:
    pushed, received = run_race(engine, COUNTER, seed=1)
    assert len(pushed) == PUSHERS * PUSHES_EACH * ROWS_PER_PUSH
    assert_exactly_once(pushed, received)


@pytest.mark.parametrize("db_kind", ["postgres"])
def test_naive_sequence_cursor_loses_rows(engine: Engine) -> None:
    """Only PostgreSQL lets writers commit out of order; SQLite serializes them."""
    require_postgres()
    with engine.begin() as conn:
        conn.execute(text("CREATE SEQUENCE IF NOT EXISTS ffk_naive_seq"))
    for seed in range(1, 4):  # the race is overwhelmingly likely; a few seeds make it certain in practice
        pushed, received = run_race(engine, NaiveSequenceVersions(), seed=seed)
        try:
            assert_exactly_once(pushed, received)
        except AssertionError as exc:
            assert "never reached the reader" in str(exc)
            return
    pytest.fail("the naive sequence variant was not caught: the concurrency test cannot fail")

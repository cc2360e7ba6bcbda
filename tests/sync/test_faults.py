"""200 sync cycles through a proxy that delays, hangs, cuts and resets: 0 lost, 0 duplicated."""

from __future__ import annotations

import os
import random
from functools import partial
from urllib.parse import urlsplit

from facilitator_app.sync.client import RetryPolicy, SyncClient, SyncError

from .convergence import SkewedClocks, World
from .faultproxy import FaultProxy
from .test_convergence import in_process_add_user

CYCLES = int(os.environ.get("FFK_FAULT_CYCLES", "2000" if os.environ.get("FFK_SOAK") else "200"))
MODES = ("none", "latency", "hang", "cut", "reset")


def test_faulted_sync_cycles_lose_and_duplicate_nothing(sqlite_server, tmp_path, monkeypatch):
    parts = urlsplit(sqlite_server.url)
    proxy = FaultProxy(parts.hostname, parts.port, seed=5)
    client_factory = partial(SyncClient, connect_timeout_secs=1.0, read_timeout_secs=0.4,
                             retry=RetryPolicy(attempts=2, base_secs=0.01, cap_secs=0.05))
    world = World(proxy.url, sqlite_server.database_url, tmp_path, SkewedClocks(monkeypatch))
    rng = random.Random(7)
    failures = 0
    try:
        world.setup(in_process_add_user(sqlite_server.database_url))
        names = list(world.laptops)
        for laptop in world.laptops.values():  # short timeouts from here on (sign-in hashing is slow)
            laptop.client_factory = client_factory
            laptop.close()
            laptop.reopen()
        for cycle in range(CYCLES):
            name = rng.choice(names)
            practice = "moving" if name == "facB" else "home"  # each facilitator's own practice
            if name == "sup" or rng.random() < 0.3:
                world.set_checklist(name, rng.choice(["A1", "A2", "B1"]), rng.choice(["selected", "in_progress"]),
                                    f"owner {cycle}", practice)
            else:
                world.change_visit(name, rng.randrange(4), rng.randrange(1, 240), f"cycle {cycle}", practice)
            proxy.mode = rng.choices(MODES, weights=(4, 2, 1, 2, 2))[0]
            proxy.cut_after = rng.randrange(1, 400)
            world.judge_outbox(name)  # what the server must refuse of what it is about to receive
            try:
                world.laptops[name].sync()
            except SyncError:
                failures += 1
            world.check_after_sync(name)
        proxy.mode = "none"
        world.check_final()
    finally:
        world.close()
        proxy.close()
    print(f"{CYCLES} cycles, {failures} failed syncs, {proxy.connections} connections, {len(world.made_by)} edits")
    assert failures > CYCLES // 10  # the faults really happened

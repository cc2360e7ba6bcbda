"""Server load benchmark: 245 facilitators (7 cooperatives x 35) syncing (push 20 mutations, then pull).

Against a real `facilitator-server serve --workers 2`, on SQLite and on PostgreSQL (a fresh
database on the cluster named by FFK_TEST_POSTGRES_URL; start one with
`eval "$(bash .ci/postgres.sh)"`). Three modes:

- burst (the default): all 245 sync at the same instant; p50/p99 per request kind.
  `--floor` also sends the same clients to `GET /version`, which does no database work.
- `--rate R`: open loop. Syncs arrive as a Poisson process at R syncs/s for `--duration`
  seconds, each from an idle facilitator, on a new connection (as a laptop that syncs every
  few minutes does). Latency runs from each sync's *scheduled* arrival, so time spent queueing
  (in the server or in the load generator) counts: no coordinated omission. Prints p50/p90/p99,
  errors, the achieved rate and the server's CPU milliseconds per sync.
- `--search`: the highest rate each database holds with p99 <= 500 ms and no errors (open-loop
  trials, doubling and then bisecting).

With 2 or more cores the load generator pins itself to the last core and the server (both
workers, and the process that starts them) to the others (os.sched_setaffinity; `--no-pin` to
leave scheduling alone). PostgreSQL's own processes are not pinned; their CPU time for the
bench database is reported separately.

    .venv/bin/python bench/server_bench.py [--only sqlite|postgres] [--workers 2] [--floor]
    .venv/bin/python bench/server_bench.py --rate 100 --duration 30 [--only sqlite|postgres]
    .venv/bin/python bench/server_bench.py --search [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facilitator_app.core.codec import to_record  # noqa: E402
from facilitator_app.core.hlc import HybridClock  # noqa: E402
from facilitator_app.core.model import Attendee, NextStep, Practice, StrategyWork, Visit, new_id  # noqa: E402
from facilitator_app.server import accounts  # noqa: E402
from facilitator_app.server.db import make_engine, write_tx  # noqa: E402
from facilitator_app.server.settings import Settings  # noqa: E402
from facilitator_app.sync.protocol import PROTOCOL_VERSION  # noqa: E402
from tests.serverproc import new_postgres_url, postgres_available, start_server  # noqa: E402

COOPERATIVES = 7
FACILITATORS_PER_COOP = 35
MUTATIONS = 20
PASSWORD = "bench-password-1"


def create_accounts(database_url: str) -> list[str]:
    engine = make_engine(Settings(database_url=database_url))
    names = []
    with write_tx(engine) as conn:
        for c in range(COOPERATIVES):
            coop = f"coop-{c}"
            accounts.add_cooperative(conn, coop, actor="bench")
            for f in range(FACILITATORS_PER_COOP):
                name = f"fac-{c}-{f}"
                accounts.add_user(conn, name, role="facilitator", cooperative=coop, password=PASSWORD, actor="bench")
                names.append(name)
    engine.dispose()
    return names


def mutations_for(client_id: str) -> list[dict]:
    clock = HybridClock(client_id)
    practice = Practice(name=f"Clinic {client_id[:6]}", state="IL")
    objs = [("practice", practice)] + [
        ("visit", Visit(practice_id=practice.id, date=date(2026, 1, 5) + timedelta(days=7 * i), minutes=60,
                        private_notes="Reviewed the hypertension registry and planned outreach calls."))
        for i in range(MUTATIONS - 1)]
    out = []
    for i, (entity, obj) in enumerate(objs, 1):
        record = to_record(obj)
        fields = {k: v for k, v in record.items() if k != "id"} | {"deleted": False}
        out.append({"id": i, "uuid": str(uuid.uuid4()), "name": "put", "hlc": clock.now(),
                    "args": {"entity": entity, "id": record["id"], "practice_id": record["practice_id"],
                             "fields": fields, "base": {k: None for k in fields}}})
    return out


class Connection:
    """One laptop's keep-alive HTTP/1.1 connection, written on asyncio streams.

    Why not httpx: with 245 connections open, httpx's pool cost 11 ms of CPU per request
    (measured: 5.6 s of CPU for 490 trivial requests), so on this 2-core machine the load
    generator starved the server it was measuring. This costs well under a millisecond."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if token:
            head.append(f"Authorization: Bearer {token}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        assert self.reader is not None
        status_line, *header_lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        length = int(next(v for k, v in headers.items() if k.lower() == "content-length"))
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def facilitator(conn: Connection, token: str, timings: dict[str, list[float]], errors: list[str]) -> None:
    try:
        await _facilitator(conn, token, timings, errors)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await conn.close()


async def _facilitator(conn: Connection, token: str, timings: dict[str, list[float]], errors: list[str]) -> None:
    client_id = str(uuid.uuid4())
    body = {"protocol": PROTOCOL_VERSION, "client_id": client_id, "mutations": mutations_for(client_id)}
    start = time.perf_counter()
    status, text = await conn.request("POST", "/sync/v1/push", body, token)
    timings["push"].append(time.perf_counter() - start)
    if status != 200 or any(x["outcome"] != "applied" for x in json.loads(text)["results"]):
        errors.append(f"push {status} {text[:200]!r}")
        return
    start = time.perf_counter()
    status, text = await conn.request("POST", "/sync/v1/pull",
                                      {"protocol": PROTOCOL_VERSION, "client_id": client_id, "cursor": 0}, token)
    timings["pull"].append(time.perf_counter() - start)
    if status != 200 or len(json.loads(text)["changes"]) != MUTATIONS:
        errors.append(f"pull {status} {text[:200]!r}")


async def floor_client(conn: Connection, timings: dict[str, list[float]], errors: list[str]) -> None:
    """The floor: one laptop's two requests to `GET /version`, which touches no database."""
    try:
        for what in ("push", "pull"):
            start = time.perf_counter()
            status, _ = await conn.request("GET", "/version")
            timings[what].append(time.perf_counter() - start)
            if status != 200:
                errors.append(f"version {status}")
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await conn.close()


async def sign_in(url: str, names: list[str]) -> list[str]:
    """Tokens for every facilitator, outside the measured part (argon2 on the server). Four at a
    time: all of them come from one address, and an attempt counts against the limit of five a
    minute until its password checks out."""
    tokens = []
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        for i in range(0, len(names), 4):
            rs = await asyncio.gather(*(client.post("/auth/v1/token", json={"username": n, "password": PASSWORD})
                                        for n in names[i:i + 4]))
            bad = [r for r in rs if r.status_code != 200]
            if bad:
                raise SystemExit(f"sign-in failed: HTTP {bad[0].status_code} {bad[0].text[:300]}")
            tokens += [r.json()["access_token"] for r in rs]
    return tokens


def server_cpu_seconds(pid: int) -> float:
    """CPU time used so far by the `serve` process and its worker processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that just ended
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


async def run_load(url: str, tokens: list[str], *,
                   floor: bool = False) -> tuple[float, float, dict[str, list[float]], list[str]]:
    """Every facilitator at once, each on its own connection; returns wall time and generator CPU."""
    parts = urlsplit(url)
    timings: dict[str, list[float]] = {"push": [], "pull": []}
    errors: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    if floor:
        await asyncio.gather(*(floor_client(Connection(parts.hostname, parts.port), timings, errors) for _ in tokens))
    else:
        await asyncio.gather(*(facilitator(Connection(parts.hostname, parts.port), tok, timings, errors)
                               for tok in tokens))
    return time.perf_counter() - start, time.process_time() - cpu, timings, errors


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000


def bench(kind: str, database_url: str, workers: int, *, floor: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), database_url, workers=workers)
        try:
            names = create_accounts(database_url)
            tokens = asyncio.run(sign_in(server.url, names))
            before = server_cpu_seconds(server.process.pid)
            wall, generator_cpu, timings, errors = asyncio.run(run_load(server.url, tokens, floor=floor))
            used = server_cpu_seconds(server.process.pid) - before
        finally:
            server.stop()
    n = len(names)
    if floor:
        print(f"\nFloor ({kind}): the same {n} clients, each sending two GET /version (no database work) "
              f"instead of push + pull, serve --workers {workers}")
    else:
        print(f"\n{kind}: {n} facilitators x ({MUTATIONS}-mutation push + pull), serve --workers {workers}")
    print(f"  wall {wall:.2f} s, {n * MUTATIONS / wall:.0f} mutations/s, {2 * n / wall:.0f} requests/s, "
          f"errors {len(errors)}; the load generator used {generator_cpu:.2f} s of CPU")
    print(f"  the server used {used:.2f} s of CPU ({os.cpu_count()} cores here): with every request arriving at "
          f"once, the last answers cannot come before about {used / (os.cpu_count() or 1) * 1000:.0f} ms")
    for what, values in timings.items():
        label = ("1st", "2nd")[what == "pull"] if floor else what
        print(f"  {label:<5} p50 {pct(values, 0.5):7.1f} ms   p99 {pct(values, 0.99):7.1f} ms   "
              f"max {max(values) * 1000 if values else float('nan'):7.1f} ms   mean "
              f"{statistics.mean(values) * 1000 if values else float('nan'):7.1f} ms")
    for e in errors[:5]:
        print("  error:", e)


# -- open loop ------------------------------------------------------------------------------

P99_TARGET_MS = 500
SYNC_TIMEOUT_S = 60.0
NEW_RECORDS_PER_SYNC = MUTATIONS // 2  # new visits, each with a next step; the other half edit visits sent earlier
MAX_SEARCH_RATE = 800.0


def _visit_template() -> dict:
    """A visit as a laptop sends it (every field), filled the way facilitators fill them."""
    visit = Visit(practice_id="p", date=date(2026, 1, 5), minutes=60, facilitator="Ana Muñoz",
                  attendees=[Attendee("Dr. Lee", "clinician"), Attendee("Sam Ortiz", "champion")],
                  activities=["coaching", "consulting"],
                  strategies=[StrategyWork("B1", "selected", "in_progress", "Cuffs ordered for every room.")],
                  practice_notes="Registry pulled; outreach calls planned for uncontrolled patients.",
                  private_notes="Reviewed the hypertension registry and planned outreach calls for "
                                "uncontrolled patients.")
    record = to_record(visit)
    return {k: v for k, v in record.items() if k != "id"} | {"deleted": False}


def _step_template() -> dict:
    """A next step agreed at a visit, as a laptop sends it."""
    record = to_record(NextStep(practice_id="p", visit_id="v", action="Pull the hypertension registry",
                                owner="Sam Ortiz", due=date(2026, 2, 1)))
    return {k: v for k, v in record.items() if k != "id"} | {"deleted": False}


VISIT_FIELDS = _visit_template()
STEP_FIELDS = _step_template()


@dataclass
class Laptop:
    """One facilitator's installation, and what its app keeps between syncs."""

    name: str
    token: str
    client_id: str
    clock: HybridClock
    practice_id: str
    next_mutation: int = 1
    cursor: int = 0
    scope_epoch: int | None = None
    visits: list[list[str]] = field(default_factory=list)  # [visit id, clock of its notes and minutes]
    rng: random.Random = field(default_factory=random.Random)
    broken: bool = False  # a sync failed: its state is unknown, so it takes no further part

    @classmethod
    def new(cls, name: str, token: str, seed: int) -> "Laptop":
        client_id = str(uuid.UUID(int=random.Random(seed).getrandbits(128)))
        return cls(name, token, client_id, HybridClock(client_id), practice_id=new_id(), rng=random.Random(seed))

    def _put(self, entity: str, row_id: str, fields: dict, base: dict) -> dict:
        m = {"id": self.next_mutation, "uuid": str(uuid.uuid4()), "name": "put", "hlc": self.clock.now(),
             "args": {"entity": entity, "id": row_id, "practice_id": self.practice_id, "fields": fields,
                      "base": base}}
        self.next_mutation += 1
        return m

    def first_sync(self) -> list[dict]:
        """The practice and 19 visits: what a new facilitator sends first."""
        practice = {k: v for k, v in to_record(Practice(name=f"Clinic {self.name}", state="IL",
                                                        id=self.practice_id)).items() if k != "id"}
        out = [self._put("practice", self.practice_id, practice | {"deleted": False}, {})]
        return out + [self._new_visit() for _ in range(MUTATIONS - 1)]

    def next_sync(self) -> list[dict]:
        """Half new records (visits, each with its next step), half edits of the private notes and
        minutes of visits sent before."""
        edited = self.rng.sample(self.visits, min(len(self.visits), MUTATIONS - NEW_RECORDS_PER_SYNC))
        out: list[dict] = []
        while len(out) < MUTATIONS - len(edited):
            out.append(self._new_visit())
            if len(out) < MUTATIONS - len(edited):
                out.append(self._put("next_step", new_id(), STEP_FIELDS | {"practice_id": self.practice_id,
                                                                           "visit_id": self.visits[-1][0]}, {}))
        for visit in edited:
            m = self._put("visit", visit[0], {"private_notes": f"Follow-up call {self.next_mutation}: registry "
                                                               "reviewed.",
                                              "minutes": self.rng.choice((30, 45, 60, 90))},
                          {"private_notes": visit[1], "minutes": visit[1]})
            visit[1] = m["hlc"]
            out.append(m)
        return out

    def _new_visit(self) -> dict:
        visit_id = new_id()
        day = date(2026, 1, 5) + timedelta(days=len(self.visits) % 300)
        m = self._put("visit", visit_id, VISIT_FIELDS | {"practice_id": self.practice_id,
                                                         "date": day.isoformat()}, {})
        self.visits.append([visit_id, m["hlc"]])
        return m


class SyncFailed(Exception):
    pass


async def sync_once(host: str, port: int, laptop: Laptop, mutations: list[dict]) -> None:
    """Push then pull, on a new connection, as the app does; raises SyncFailed on any wrong answer."""
    conn = Connection(host, port)
    try:
        body = {"protocol": PROTOCOL_VERSION, "client_id": laptop.client_id, "mutations": mutations}
        status, text = await conn.request("POST", "/sync/v1/push", body, laptop.token)
        if status != 200:
            raise SyncFailed(f"push HTTP {status} {text[:200]!r}")
        pushed = json.loads(text)
        if (pushed["last_mutation_id"] != mutations[-1]["id"]
                or any(r["outcome"] != "applied" for r in pushed["results"])):
            raise SyncFailed(f"push not applied: {text[:300]!r}")
        laptop.clock.observe(pushed["server_hlc"])
        request = {"protocol": PROTOCOL_VERSION, "client_id": laptop.client_id, "cursor": laptop.cursor}
        if laptop.scope_epoch is not None:
            request["scope_epoch"] = laptop.scope_epoch
        status, text = await conn.request("POST", "/sync/v1/pull", request, laptop.token)
        if status != 200:
            raise SyncFailed(f"pull HTTP {status} {text[:200]!r}")
        page = json.loads(text)
        rows = {m["args"]["id"] for m in mutations}
        if page["has_more"] or {c["id"] for c in page["changes"]} != rows:
            raise SyncFailed(f"pull returned {len(page['changes'])} changes, expected this push's {len(rows)} rows")
        laptop.cursor, laptop.scope_epoch = page["cursor"], page["scope_epoch"]
        laptop.clock.observe(page["server_hlc"])
    finally:
        await conn.close()


@dataclass
class Trial:
    rate: float
    duration: float
    scheduled: int
    latencies: list[float]  # seconds, from scheduled arrival to the pull's answer
    start_lags: list[float]  # seconds, from scheduled arrival to the push being sent
    errors: list[str]
    span: float  # first arrival to last answer
    server_cpu: float
    postgres_cpu: float | None
    generator_cpu: float

    @property
    def held(self) -> bool:
        return not self.errors and bool(self.latencies) and pct(self.latencies, 0.99) <= P99_TARGET_MS

    @property
    def cpu_ms_per_sync(self) -> float:
        return self.server_cpu * 1000 / max(1, len(self.latencies))


async def open_loop(url: str, laptops: list[Laptop], *, rate: float, duration: float, seed: int,
                    server_pid: int, database: str | None) -> Trial:
    """Syncs arriving at `rate` per second (exponential gaps) for `duration` seconds."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    rng = random.Random(seed)
    idle: asyncio.Queue[Laptop] = asyncio.Queue()
    for laptop in rng.sample(laptops, len(laptops)):
        idle.put_nowait(laptop)
    latencies: list[float] = []
    lags: list[float] = []
    errors: list[str] = []
    loop = asyncio.get_running_loop()

    async def one(at: float) -> None:
        try:
            laptop = await asyncio.wait_for(idle.get(), SYNC_TIMEOUT_S)
        except asyncio.TimeoutError:
            errors.append("no idle facilitator for a whole minute")
            return
        lags.append(loop.time() - at)
        try:
            await asyncio.wait_for(sync_once(host, port, laptop, laptop.next_sync()), SYNC_TIMEOUT_S)
        except asyncio.TimeoutError:
            errors.append(f"no answer within {SYNC_TIMEOUT_S:.0f} s")
            laptop.broken = True
            return
        except (SyncFailed, OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            laptop.broken = True
            return
        latencies.append(loop.time() - at)
        idle.put_nowait(laptop)

    start = loop.time() + 0.05
    arrivals, t = [], start
    while (t := t + rng.expovariate(rate)) < start + duration:
        arrivals.append(t)
    server_before = server_cpu_seconds(server_pid)
    pg_before = postgres_cpu_seconds(database) if database else None
    cpu_before = time.process_time()
    tasks = []
    for at in arrivals:
        if (delay := at - loop.time()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(at)))
    await asyncio.gather(*tasks)
    span = loop.time() - start
    generator_cpu = time.process_time() - cpu_before
    server_cpu = server_cpu_seconds(server_pid) - server_before
    pg_cpu = postgres_cpu_seconds(database) - pg_before if database and pg_before is not None else None
    return Trial(rate, duration, len(arrivals), latencies, lags, errors, span, server_cpu, pg_cpu, generator_cpu)


def postgres_cpu_seconds(database: str) -> float:
    """CPU time used so far by the PostgreSQL backends connected to `database` (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
            if len(title) < 3 or title[0] != "postgres:" or title[2] != database:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def server_pids(pid: int) -> list[int]:
    """The `serve` process and its children (the uvicorn workers)."""
    out = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                out.append(int(stat.parent.name))
        except OSError:
            continue
    return out


def pin_plan() -> tuple[set[int], set[int]] | None:
    """(server cores, load generator cores): the last allowed core for the generator, the rest for
    the server. None on a single core, where there is nothing to separate."""
    cores = sorted(os.sched_getaffinity(0))
    return (set(cores[:-1]), {cores[-1]}) if len(cores) >= 2 else None


async def prepare_laptops(url: str, names: list[str], tokens: list[str], seed: int) -> list[Laptop]:
    """Every facilitator's first sync (their practice and 19 visits), eight at a time, unmeasured:
    the measured syncs are the everyday ones that follow."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    laptops = [Laptop.new(n, tok, seed * 100_000 + i) for i, (n, tok) in enumerate(zip(names, tokens, strict=True))]
    for i in range(0, len(laptops), 8):
        await asyncio.gather(*(sync_once(host, port, lap, lap.first_sync()) for lap in laptops[i:i + 8]))
    return laptops


def print_trial(kind: str, trial: Trial, workers: int, pinned: str) -> None:
    n = len(trial.latencies)
    print(f"\n{kind}, open loop: {trial.rate:g} syncs/s offered for {trial.duration:g} s ({trial.scheduled} syncs of "
          f"{MUTATIONS}-mutation push + pull), serve --workers {workers}; {pinned}")
    print(f"  achieved {n / trial.span:.1f} syncs/s, errors {len(trial.errors)}; latency from the scheduled arrival: "
          f"p50 {pct(trial.latencies, 0.5):.0f} ms, p90 {pct(trial.latencies, 0.9):.0f} ms, "
          f"p99 {pct(trial.latencies, 0.99):.0f} ms, max {pct(trial.latencies, 1.0):.0f} ms")
    pg = (f"; PostgreSQL backends {trial.postgres_cpu * 1000 / max(1, n):.1f} ms per sync"
          if trial.postgres_cpu is not None else "")
    print(f"  server CPU {trial.cpu_ms_per_sync:.1f} ms per sync ({trial.server_cpu / trial.span:.0%} of a core){pg}; "
          f"load generator {trial.generator_cpu / trial.span:.0%} of its core, started p99 "
          f"{pct(trial.start_lags, 0.99):.0f} ms late -> {'held' if trial.held else 'NOT held'}")
    for e in trial.errors[:5]:
        print("  error:", e)


def open_loop_bench(kind: str, database_url: str, workers: int, *, plan: tuple[set[int], set[int]] | None,
                    rate: float | None, duration: float, search: bool, start_rate: float, seed: int) -> None:
    database = make_url(database_url).database if kind == "PostgreSQL" else None
    with tempfile.TemporaryDirectory() as tmp:
        if plan is not None:
            os.sched_setaffinity(0, plan[0])  # the server's processes inherit this
        try:
            server = start_server(Path(tmp), database_url, workers=workers)
        finally:
            if plan is not None:
                os.sched_setaffinity(0, plan[1])
        try:
            pids = server_pids(server.process.pid)
            if plan is not None:
                for pid in pids:
                    os.sched_setaffinity(pid, plan[0])
                pinned = (f"server ({len(pids)} processes) pinned to core(s) {sorted(plan[0])}, load generator to "
                          f"{sorted(plan[1])}")
            else:
                pinned = "nothing pinned"
            names = create_accounts(database_url)
            tokens = asyncio.run(sign_in(server.url, names))
            laptops = asyncio.run(prepare_laptops(server.url, names, tokens, seed))

            def trial(r: float, i: int) -> Trial:
                result = asyncio.run(open_loop(server.url, laptops, rate=r, duration=duration, seed=seed + i,
                                               server_pid=server.process.pid, database=database))
                print_trial(kind, result, workers, pinned)
                laptops[:] = [lap for lap in laptops if not lap.broken]
                time.sleep(2)  # let the server settle (WAL checkpoint, autovacuum) before the next trial
                return result

            if not search:
                assert rate is not None
                trial(rate, 0)
                return
            trials = search_rate(trial, start_rate)
        finally:
            server.stop()
    held = [t for t in trials if t.held]
    best = max(held, key=lambda t: t.rate) if held else None
    print(f"\n{kind}: trials ({duration:g} s each), target p99 <= {P99_TARGET_MS} ms and no errors")
    print("  rate/s  achieved    p50    p90    p99  errors  server ms/sync  held")
    for t in sorted(trials, key=lambda t: t.rate):
        print(f"  {t.rate:6g}  {len(t.latencies) / t.span:8.1f}  {pct(t.latencies, 0.5):5.0f}  "
              f"{pct(t.latencies, 0.9):5.0f}  {pct(t.latencies, 0.99):5.0f}  {len(t.errors):6d}  "
              f"{t.cpu_ms_per_sync:14.1f}  {'yes' if t.held else 'no'}")
    print(f"  {kind} holds {best.rate:g} syncs/s" if best else f"  {kind} held none of the rates tried")


def search_rate(trial: Callable[[float, int], Trial], start_rate: float) -> list[Trial]:
    """Double the rate until a trial fails, then bisect to within 10% (or 5 syncs/s)."""
    trials: list[Trial] = []
    low, high, rate = 0.0, None, start_rate
    while high is None and rate <= MAX_SEARCH_RATE:
        trials.append(t := trial(rate, len(trials)))
        if t.held:
            low, rate = rate, rate * 2
        else:
            high = rate
    while high is not None and high - low > max(5.0, 0.1 * low):
        rate = round((low + high) / 2)
        trials.append(t := trial(rate, len(trials)))
        low, high = (rate, high) if t.held else (low, rate)
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--floor", action="store_true",
                        help="also run the same clients against GET /version: what this machine allows at all")
    parser.add_argument("--rate", type=float, help="open loop: syncs per second, arriving as a Poisson process")
    parser.add_argument("--duration", type=float, default=30.0, help="open loop: seconds of arrivals per trial")
    parser.add_argument("--search", action="store_true",
                        help=f"find the highest rate held with p99 <= {P99_TARGET_MS} ms and no errors")
    parser.add_argument("--start-rate", type=float, default=25.0, help="search: the first rate tried")
    parser.add_argument("--no-pin", action="store_true", help="open loop: do not pin the server and the load "
                        "generator to separate cores")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    databases = []
    if args.only in (None, "sqlite"):
        databases.append("SQLite")
    if args.only in (None, "postgres"):
        if postgres_available():
            databases.append("PostgreSQL")
        else:
            print("\nPostgreSQL skipped: run `eval \"$(bash .ci/postgres.sh)\"` first.")
    if args.rate is not None or args.search:
        plan = None if args.no_pin else pin_plan()
        for kind in databases:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/bench.sqlite" if kind == "SQLite" else new_postgres_url()
                open_loop_bench(kind, url, args.workers, plan=plan, rate=args.rate, duration=args.duration,
                                search=args.search, start_rate=args.start_rate, seed=args.seed)
        return
    if args.floor:
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite", args.workers, floor=True)
    for kind in databases:
        with tempfile.TemporaryDirectory() as tmp:
            bench(kind, f"sqlite:///{tmp}/bench.sqlite" if kind == "SQLite" else new_postgres_url(), args.workers)


if __name__ == "__main__":
    main()

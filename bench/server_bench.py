"""Server load benchmark: 245 facilitators (7 cooperatives x 35) each push 20 mutations, then pull.

All at once, against a real `facilitator-server serve --workers 2`, on SQLite and on PostgreSQL
(the cluster named by FFK_TEST_POSTGRES_URL; start one with `eval "$(bash .ci/postgres.sh)"`).
Prints throughput and p50/p99 latency per request kind. Target on PostgreSQL: p99 <= 500 ms and
zero errors.

    .venv/bin/python bench/server_bench.py [--only sqlite|postgres] [--workers 2] [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facilitator_app.core.codec import to_record  # noqa: E402
from facilitator_app.core.hlc import HybridClock  # noqa: E402
from facilitator_app.core.model import Practice, Visit  # noqa: E402
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
                        notes="Reviewed the hypertension registry and planned outreach calls."))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--floor", action="store_true",
                        help="also run the same clients against GET /version: what this machine allows at all")
    args = parser.parse_args()
    if args.floor:
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite", args.workers, floor=True)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{tmp}/bench.sqlite", args.workers)
    if args.only in (None, "postgres"):
        if not postgres_available():
            print("\nPostgreSQL skipped: run `eval \"$(bash .ci/postgres.sh)\"` first.")
        else:
            bench("PostgreSQL", new_postgres_url(), args.workers)


if __name__ == "__main__":
    main()

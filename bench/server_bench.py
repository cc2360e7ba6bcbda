"""Server load benchmark: 245 facilitators (7 cooperatives x 35) each push 20 mutations, then pull.

All at once, against a real `facilitator-server serve --workers 2`, on SQLite and on PostgreSQL
(the cluster named by FFK_TEST_POSTGRES_URL; start one with `eval "$(bash .ci/postgres.sh)"`).
Prints throughput and p50/p99 latency per request kind. Target on PostgreSQL: p99 <= 500 ms and
zero errors.

    .venv/bin/python bench/server_bench.py [--only sqlite|postgres] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serverproc import new_postgres_url, postgres_available, start_server  # noqa: E402

from facilitator_app.core.codec import to_record  # noqa: E402
from facilitator_app.core.hlc import HybridClock  # noqa: E402
from facilitator_app.core.model import Practice, Visit  # noqa: E402
from facilitator_app.server import accounts  # noqa: E402
from facilitator_app.server.db import make_engine, write_tx  # noqa: E402
from facilitator_app.server.settings import Settings  # noqa: E402
from facilitator_app.sync.protocol import PROTOCOL_VERSION  # noqa: E402

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


async def facilitator(client: httpx.AsyncClient, token: str, timings: dict[str, list[float]], errors: list[str]) -> None:
    try:
        await _facilitator(client, token, timings, errors)
    except httpx.HTTPError as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


async def _facilitator(client: httpx.AsyncClient, token: str, timings: dict[str, list[float]],
                       errors: list[str]) -> None:
    client_id = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}"}
    body = {"protocol": PROTOCOL_VERSION, "client_id": client_id, "mutations": mutations_for(client_id)}
    start = time.perf_counter()
    r = await client.post("/sync/v1/push", json=body, headers=headers)
    timings["push"].append(time.perf_counter() - start)
    if r.status_code != 200 or any(x["outcome"] != "applied" for x in r.json()["results"]):
        errors.append(f"push {r.status_code} {r.text[:200]}")
        return
    start = time.perf_counter()
    r = await client.post("/sync/v1/pull", json={"protocol": PROTOCOL_VERSION, "client_id": client_id, "cursor": 0},
                          headers=headers)
    timings["pull"].append(time.perf_counter() - start)
    if r.status_code != 200 or len(r.json()["changes"]) != MUTATIONS:
        errors.append(f"pull {r.status_code} {r.text[:200]}")


async def run_load(url: str, names: list[str]) -> tuple[float, dict[str, list[float]], list[str]]:
    # Drop idle connections before uvicorn does (after 5 s), or a reused one may be reset mid-request.
    limits = httpx.Limits(max_connections=len(names), max_keepalive_connections=len(names), keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        tokens = []
        for i in range(0, len(names), 20):  # sign in (argon2 on the server) outside the measured part
            rs = await asyncio.gather(*(client.post("/auth/v1/token", json={"username": n, "password": PASSWORD})
                                        for n in names[i:i + 20]))
            tokens += [r.json()["access_token"] for r in rs]
        timings: dict[str, list[float]] = {"push": [], "pull": []}
        errors: list[str] = []
        start = time.perf_counter()
        await asyncio.gather(*(facilitator(client, tok, timings, errors) for tok in tokens))
        return time.perf_counter() - start, timings, errors


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000


def bench(kind: str, database_url: str, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), database_url, workers=workers)
        try:
            names = create_accounts(database_url)
            wall, timings, errors = asyncio.run(run_load(server.url, names))
        finally:
            server.stop()
    n = len(names)
    print(f"\n{kind}: {n} facilitators x ({MUTATIONS}-mutation push + pull), serve --workers {workers}")
    print(f"  wall {wall:.2f} s, {n * MUTATIONS / wall:.0f} mutations/s, {2 * n / wall:.0f} requests/s, "
          f"errors {len(errors)}")
    for what, values in timings.items():
        print(f"  {what:<5} p50 {pct(values, 0.5):7.1f} ms   p99 {pct(values, 0.99):7.1f} ms   "
              f"max {max(values) * 1000 if values else float('nan'):7.1f} ms   mean "
              f"{statistics.mean(values) * 1000 if values else float('nan'):7.1f} ms")
    for e in errors[:5]:
        print("  error:", e)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
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

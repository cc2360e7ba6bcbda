"""Dashboard benchmark: the overview of a cooperative of 35 facilitators, 250 practices and 12
months of visits, on SQLite and on PostgreSQL (the cluster named by FFK_TEST_POSTGRES_URL).

A second cooperative of the same size shares the database, so the scope has something to
leave out. Each page is requested in-process through the ASGI app (FastAPI's TestClient, with a
signed-in supervisor), so the figure is the server's time to answer: SQL, Python and the
template. Prints the median and the best of several runs per period. Target: the month
overview (the default page) in at most 300 ms on both databases.

    .venv/bin/python bench/dashboard_bench.py [--only sqlite|postgres] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*httpx2.*")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from facilitator_app.server import tables as t  # noqa: E402
from facilitator_app.server.app import create_app  # noqa: E402
from facilitator_app.server.db import make_engine  # noqa: E402
from facilitator_app.server.migrate import upgrade  # noqa: E402
from facilitator_app.server.settings import Settings  # noqa: E402
from tests.dashboard_data import PASSWORD, load_cooperative  # noqa: E402
from tests.serverproc import new_postgres_url, postgres_available  # noqa: E402

TODAY = date(2026, 11, 30)
TARGET_MS = 300


def bench(database_url: str, label: str, runs: int) -> None:
    engine = make_engine(Settings(database_url=database_url))
    upgrade(engine)
    started = time.perf_counter()
    load_cooperative(engine, cooperative="Heartland", facilitators=35, practices=250, today=TODAY, seed=7)
    load_cooperative(engine, cooperative="Lakeshore", facilitators=35, practices=250, today=TODAY, seed=8,
                     supervisor="lee")
    with engine.connect() as conn:
        counts = dict(conn.execute(select(t.rows.c.entity, func.count()).group_by(t.rows.c.entity)).all())
    print(f"{label}: loaded 2 cooperatives in {time.perf_counter() - started:.0f} s "
          f"({counts.get('visit', 0)} visits, {counts.get('next_step', 0)} next steps, {sum(counts.values())} rows)")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does on a live server
    app = create_app(Settings(database_url=database_url), engine=engine)
    with TestClient(app) as client:
        page = client.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = client.post("/dashboard/login", data={"username": "sue", "password": PASSWORD, "csrf_token": token},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        for period in ("month", "quarter", "program"):
            times = []
            for _ in range(runs + 1):
                t0 = time.perf_counter()
                r = client.get("/dashboard/", params={"period": period, "end": TODAY.isoformat()})
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200 and "Facilitator 35" in r.text
            times = times[1:]  # the first run warms the caches of both databases
            met = "met" if statistics.median(times) <= TARGET_MS else "MISSED"
            verdict = "" if period != "month" else f" (target <= 300 ms: {met})"
            print(f"{label}: overview, {period:<8} median {statistics.median(times):6.0f} ms, best {min(times):6.0f} ms"
                  f"{verdict}")
        for path in ("/dashboard/facilitators/heartland-f01", "/dashboard/practices", "/dashboard/export.xlsx"):
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                assert client.get(path, params={"end": TODAY.isoformat()}).status_code == 200
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{label}: {path:<40} median {statistics.median(times):6.0f} ms")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    # The figures are wall-clock times: on a shared machine they grow with its load.
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + f" on {os.cpu_count()} CPUs")
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{Path(tmp) / 'server.sqlite'}", "SQLite", args.runs)
    if args.only != "sqlite":
        if not postgres_available():
            print("PostgreSQL: skipped (set FFK_TEST_POSTGRES_URL, e.g. `eval \"$(bash .ci/postgres.sh)\"`)")
        else:
            bench(new_postgres_url(), "PostgreSQL", args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

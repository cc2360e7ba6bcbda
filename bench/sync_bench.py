"""Sync benchmark against a real `facilitator-server serve` (SQLite unless --database-url).

Prints: initial sync of 10,000 visits + 35,000 checklist rows (1,000 practices x 35
strategies; median of three fresh laptops), the floor (the rows a laptop stored, inserted
straight into SQLite) and the ratio, a no-op sync (median of 20), and a push of 100 edits.
Targets: initial <= 2 s and <= 10x the floor; no-op <= 15 ms median; 100-edit push <= 250 ms.

    .venv/bin/python bench/sync_bench.py [--practices 1000] [--visits 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keyring  # noqa: E402
from keyring.backends.fail import Keyring as NoKeyring  # noqa: E402

from facilitator_app.core.model import ChecklistItem, Practice, Visit  # noqa: E402
from facilitator_app.core.toolkit import load_toolkit  # noqa: E402
from facilitator_app.store import Store  # noqa: E402
from facilitator_app.store.rows import table  # noqa: E402
from facilitator_app.store.schema import ENTITY_TABLES  # noqa: E402
from facilitator_app.store.sync_state import SyncState  # noqa: E402
from facilitator_app.sync.service import SyncService  # noqa: E402
from tests.serverproc import start_server  # noqa: E402

PASSWORD = "bench password 1"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--practices", type=int, default=1000)
    ap.add_argument("--visits", type=int, default=10_000)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    keyring.set_keyring(NoKeyring())  # tokens stay in memory; the machine's keyring is not touched
    strategies = [s.id for s in load_toolkit().strategies]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = start_server(tmp, args.database_url)
        try:
            server.add_user("bench", PASSWORD, cooperative="bench-coop")
            practices = [Practice(f"Practice {i:04d}", state="IL") for i in range(args.practices)]
            rows: list = list(practices)
            rows += [ChecklistItem(p.id, s, status="selected") for p in practices for s in strategies]
            rows += [Visit(practices[i % len(practices)].id, dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
                           minutes=30 + i % 90, private_notes="Reviewed the registry; next: standing orders.")
                     for i in range(args.visits)]
            seeder = SyncService(tmp / "seeder")
            seeder.sign_in(server.url, "bench", PASSWORD)
            seeder.store().bulk_insert(rows, outbox=True)
            t0 = time.perf_counter()
            seeder.sync_once()
            seed_s = time.perf_counter() - t0
            print(f"seed push of {len(rows):,} mutations: {seed_s:.1f} s ({len(rows) / seed_s:,.0f}/s)")

            initial, initial_cpu = [], []
            for n in range(3):  # three fresh laptops: the median of three first syncs
                laptop = SyncService(tmp / f"laptop{n}")
                laptop.sign_in(server.url, "bench", PASSWORD)
                t0, c0 = time.perf_counter(), time.process_time()
                report = laptop.sync_once()
                initial.append(time.perf_counter() - t0)
                initial_cpu.append(time.process_time() - c0)
                pulled = report.pulled
                if n < 2:
                    laptop.close()
            initial_s = statistics.median(initial)

            # The floor: the very rows the laptop stored, inserted into a fresh store file with
            # executemany in one transaction (no network, no parsing, no conversion).
            source = laptop.store().conn
            stored = {table(e): source.execute(f"SELECT * FROM {table(e)}").fetchall() for e in ENTITY_TABLES}
            floor_store = Store.open(tmp / "floor.sqlite")
            t0 = time.perf_counter()
            floor_store.conn.execute("BEGIN")  # the store's connection is in autocommit mode
            for name, table_rows in stored.items():
                if table_rows:
                    floor_store.conn.executemany(
                        f"INSERT INTO {name} VALUES ({', '.join('?' * len(table_rows[0]))})", table_rows)
            floor_store.conn.execute("COMMIT")
            floor_s = time.perf_counter() - t0
            floor_store.close()

            noop = []
            for _ in range(20):
                t0 = time.perf_counter()
                laptop.sync_once()
                noop.append(time.perf_counter() - t0)

            store = laptop.store()
            for p in practices[:100]:
                item = store.checklist_item(p.id, strategies[0])
                item.status = "in_progress"
                store.set_checklist(item)
            t0 = time.perf_counter()
            pushed = laptop.sync_once()
            push_s = time.perf_counter() - t0
            assert pushed.pushed == 100 and SyncState(store).pending_count() == 0
            laptop.close()
            seeder.close()
        finally:
            server.stop()
    print(f"initial sync: {pulled:,} rows in {initial_s * 1000:,.0f} ms, median of "
          f"{', '.join(f'{x * 1000:,.0f}' for x in initial)} ms (target <= 2000 ms)")
    print(f"  of which this computer's CPU (parse, check, store; the server runs apart): median "
          f"{statistics.median(initial_cpu) * 1000:,.0f} ms (a shared machine inflates the wall time, not this)")
    print(f"floor (same rows straight into SQLite): {floor_s * 1000:,.0f} ms; "
          f"ratio {initial_s / floor_s:.1f}x (target <= 10x)")
    print(f"no-op sync: median {statistics.median(noop) * 1000:.1f} ms, "
          f"max {max(noop) * 1000:.1f} ms (target <= 15 ms)")
    print(f"push of 100 edits (+ the pull that follows): {push_s * 1000:.0f} ms (target <= 250 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Local store speed: prints figures, asserts nothing (see README "Benchmarks").

Targets (issue 3): open + list practices with roll-ups <= 150 ms; save one visit <= 10 ms.
Run: .venv/bin/python bench/store_bench.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitator_app.core.demo import generate  # noqa: E402
from facilitator_app.core.model import NextStep, StrategyWork, Visit  # noqa: E402
from facilitator_app.core.toolkit import load_toolkit  # noqa: E402
from facilitator_app.store import Store  # noqa: E402

TODAY = date(2026, 11, 23)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def build(path: Path, *, practices: int, visits_per_month: float, toolkit) -> tuple[int, str]:
    objs = generate(practices=practices, months=12, seed=7, today=TODAY, visits_per_month=visits_per_month,
                    toolkit=toolkit)
    with Store.open(path) as store:
        store.bulk_insert(objs, outbox=False)
        target = next(o for o in objs if type(o).__name__ == "Practice").id
        extra = [Visit(target, TODAY - timedelta(days=i * 3), minutes=60, private_notes="bench") for i in range(100)]
        store.bulk_insert(extra, outbox=False)
        visits = store.conn.execute("SELECT count(*) FROM visits").fetchone()[0]
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return visits, target


def measure(label: str, path: Path, practice_id: str, toolkit) -> None:
    opens = []
    for _ in range(15):
        start = time.perf_counter()
        store = Store.open(path)
        rows = store.practice_summaries(today=TODAY)
        opens.append(time.perf_counter() - start)
        store.close()
    with Store.open(path) as store:
        loads = []
        for _ in range(15):
            start = time.perf_counter()
            store.practice(practice_id)
            store.contacts(practice_id)
            store.plan(practice_id)
            visits = store.visits(practice_id)
            store.checklist(practice_id, toolkit)
            store.measures(practice_id)
            store.next_steps(practice_id)
            loads.append(time.perf_counter() - start)
        saves = []
        for i in range(100):
            visit = Visit(practice_id, TODAY - timedelta(days=i % 30), minutes=60,
                          strategies=[StrategyWork("B1", "selected", "in_progress")], private_notes="bench save")
            steps = [NextStep(practice_id, visit.id, "Call back", owner="Ann", due=TODAY + timedelta(days=7))]
            start = time.perf_counter()
            store.save_visit(visit, toolkit, steps=steps, today=TODAY)
            saves.append(time.perf_counter() - start)
    print(f"{label}: {len(rows)} practices")
    print(f"  open store + list practices with roll-ups: median {ms(statistics.median(opens))}"
          f"  (min {ms(min(opens))}, max {ms(max(opens))})   target <= 150 ms")
    print(f"  load one practice with {len(visits)} visits:     median {ms(statistics.median(loads))}")
    print(f"  save one visit (commit included, n=100):  median {ms(statistics.median(saves))}"
          f"  (p90 {ms(sorted(saves)[89])})   target <= 10 ms")


def main() -> None:
    toolkit = load_toolkit()
    with tempfile.TemporaryDirectory() as tmp:
        for label, practices, vpm in (("supervisor store (250 practices x 12 months)", 250, 1.0),
                                      ("heavy store (~20,000 visits)", 250, 10.8)):
            path = Path(tmp) / f"{practices}-{vpm}.sqlite"
            visits, practice_id = build(path, practices=practices, visits_per_month=vpm, toolkit=toolkit)
            measure(f"{label}, {visits:,} visits, {path.stat().st_size / 1e6:.1f} MB", path, practice_id, toolkit)


if __name__ == "__main__":
    main()

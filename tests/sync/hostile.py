"""What a careless or hostile colleague (or an older server) can send, and the check that the
app still works after a fresh laptop has synced it: every CLI listing and `show`, both reports
and every GUI screen of the practice.

Used by tests/sync/test_hostile_push.py. Strategies build `put` mutations for any entity with any
JSON fields (nesting, numbers beyond 64 bits, NaN and Infinity, text with controls, bidi
overrides and NUL, huge text, wrong types, unknown keys, an older app's visit fields), mixed
with valid records so that some are applied; `insert_rows` writes rows straight into the
server's `rows` table, past every check, as an older server version could have stored them.
"""

from __future__ import annotations

import json
import math
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st

from facilitator_app.core.codec import to_record
from facilitator_app.core.hlc import HybridClock
from facilitator_app.core.model import (
    Attendee,
    ChecklistItem,
    ChecklistNote,
    Contact,
    FacilitationPlan,
    MeasureValue,
    NextStep,
    Pdsa,
    Practice,
    StrategyWork,
    Visit,
    checklist_id,
)
from facilitator_app.sync.protocol import PROTOCOL_VERSION

ENTITIES = ("practice", "contact", "plan", "visit", "next_step", "checklist", "checklist_note", "measure")

# -- values ------------------------------------------------------------------------------------

NASTY_TEXT = ["", " ", "\x00", "a\x00b", "\u202eevil\u202c", "\u2066x\u2069", "line\nbreak", "tab\there", "\x1b[31m",
              "\x7f\x85", "=HYPERLINK(\"http://x\")", "+cmd", "@SUM(A1)", "<b>bold</b> & <i>", "Łukasz O'Brien",
              "\ud800", "\udfff lone", "2026-11-20", "20261120", "2026-02-30", "0001-01-01", "9999-12-31",
              "2026-11-20T10:00:00", "09:30", "25:99", "on_site", "done", "dropped", "declined", "B1", "Z9",
              "x" * 201, "y" * 2001, "null", "NaN", "Infinity"]
NASTY_NUMBERS = [0, -1, 1, 5, 60, 720, 721, 2 ** 31, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, -(2 ** 63) - 1, 2 ** 64,
                 10 ** 30,
                 math.nan, math.inf, -math.inf, 0.5, -0.0, 1e308, 12.0, True, False]
KNOWN_KEYS = sorted({
    "id", "practice_id", "address", "state", "clinicians", "ownership", "ehr_vendor", "region", "enrolled_on",
    "end_on", "date", "mode", "minutes", "travel_minutes", "planned", "attendees", "activities", "strategies",
    "key_drivers",
    "pdsa", "data_reviewed", "barriers", "disruptions", "engagement", "practice_notes", "private_notes",
    "next_contact", "resources_left", "facilitator", "start_time", "visit_id", "action", "owner", "due",
    "position", "status", "closed_on", "closed_by", "closing_note", "closed_in_visit", "strategy_id", "reason",
    "target_date", "steps_done", "text", "written_on", "author", "measure", "period_end", "numerator",
    "denominator", "version", "source", "cadence", "planned_visits", "planned_hours", "selected_strategies",
    "set_by", "agreed_on", "notes", "role", "email", "phone", "name", "deleted", "next_steps", "history"})

scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(NASTY_NUMBERS), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(NASTY_TEXT),
    st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8)), inner,
                                            max_size=4)),
    max_leaves=12)
huge_text = st.sampled_from(["h" * 100_001, "\u202e" * 5000 + "name", "n\x00" * 20_000])


def _attendee_like() -> st.SearchStrategy[Any]:
    return st.one_of(st.fixed_dictionaries({"name": st.sampled_from(NASTY_TEXT), "role": st.sampled_from(
        ["clinician", "other", "boss", None])}, optional={"badge": json_values}), json_values)


def hostile_value(key: str) -> st.SearchStrategy[Any]:
    """Anything at all, weighted towards values that look almost right for the field."""
    nearly = {
        "attendees": st.lists(_attendee_like(), max_size=3),
        "strategies": st.lists(st.one_of(st.fixed_dictionaries({"strategy_id": st.sampled_from(["B1", "Z9", "", 5]),
                                                               "status_after": st.sampled_from(["implemented", "x"])}),
                                         json_values), max_size=3),
        "next_steps": st.lists(st.one_of(st.fixed_dictionaries({"action": st.sampled_from(NASTY_TEXT),
                                                               "done": st.booleans()},
                                                              optional={"due": st.sampled_from(NASTY_TEXT),
                                                                        "owner": json_values}), json_values),
                               max_size=3),
        "pdsa": st.one_of(st.fixed_dictionaries({"aim": st.sampled_from(NASTY_TEXT)},
                                                optional={"decision": st.sampled_from(["adopt", "maybe", 3]),
                                                          "extra": json_values}), json_values),
        "steps_done": st.lists(st.sampled_from(NASTY_NUMBERS), max_size=4),
    }.get(key)
    options = [json_values, scalars, huge_text]
    if nearly is not None:
        options.insert(0, nearly)
    return st.one_of(*options)


# -- records -----------------------------------------------------------------------------------

@dataclass
class Ids:
    """The ids one example works with: a practice, its rows, and spares for new rows."""

    practice: str = field(default_factory=lambda: str(uuid.uuid4()))
    visits: list[str] = field(default_factory=lambda: [str(uuid.uuid4()) for _ in range(2)])
    steps: list[str] = field(default_factory=lambda: [str(uuid.uuid4()) for _ in range(2)])
    others: list[str] = field(default_factory=lambda: [str(uuid.uuid4()) for _ in range(2)])

    def row_ids(self, entity: str) -> list[str]:
        if entity in ("practice", "plan"):
            return [self.practice]
        if entity == "checklist":
            return [checklist_id(self.practice, s) for s in ("B1", "C2")] + [f"{self.practice}:Z9"]
        return {"visit": self.visits, "next_step": self.steps}.get(entity, self.others)


def valid_record(entity: str, ids: Ids, row_id: str, today: date) -> dict[str, Any]:
    """A record the server accepts, to mix with hostile values (so that some puts are applied)."""
    p = ids.practice
    obj: Any = {
        "practice": lambda: Practice("Hostile Clinic", id=p, state="IL", clinicians=3, enrolled_on=date(2026, 1, 5)),
        "contact": lambda: Contact(p, "Dr. Lee", role="clinician", email="lee@example.org", id=row_id),
        "plan": lambda: FacilitationPlan(p, planned_visits=6, planned_hours=7.5, selected_strategies=["B1", "S4"]),
        "visit": lambda: Visit(p, date(2026, 3, 2), id=row_id, minutes=45, attendees=[Attendee("Ann", "champion")],
                               strategies=[StrategyWork("B1", "selected", "in_progress", "cuffs")],
                               pdsa=Pdsa(aim="Repeat BP", decision="adopt"), practice_notes="Thanks!",
                               next_contact=date(2026, 4, 1), activities=["coaching"]),
        "next_step": lambda: NextStep(p, ids.visits[0], "Order cuffs", id=row_id, owner="Ann", due=date(2026, 4, 1)),
        "checklist": lambda: ChecklistItem(p, row_id.split(":", 1)[1] if ":" in row_id else "B1", status="in_progress",
                                           steps_done=[1]),
        "checklist_note": lambda: ChecklistNote(p, "B1", "Cuffs ordered", written_on=today, id=row_id),
        "measure": lambda: MeasureValue(p, "B", date(2025, 12, 31), 412, 640, id=row_id),
    }[entity]()
    record = to_record(obj)
    record.pop("id", None)
    return record


@st.composite
def hostile_put(draw: st.DrawFn, ids: Ids, today: date) -> dict[str, Any]:
    """One `put`: an entity, one of the example's ids (or a stranger's), and fields that are a
    valid record with some values replaced, some keys dropped and some added."""
    entity = draw(st.sampled_from(ENTITIES))
    row_id = draw(st.sampled_from(ids.row_ids(entity)))
    practice_id = ids.practice if row_id.startswith(ids.practice) or entity not in ("practice", "plan") else row_id
    base = valid_record(entity, ids, row_id, today)
    fields = dict(draw(st.sampled_from([base, {}, {k: v for k, v in base.items() if k in ("practice_id",)}])))
    for key in draw(st.lists(st.sampled_from(sorted(base) + ["notes", "next_steps", "deleted", "surprise",
                                                             "id", "practice_id"]), max_size=4, unique=True)):
        fields[key] = draw(hostile_value(key))
    if not fields:
        fields = {"name": draw(hostile_value("name"))}
    return {"entity": entity, "id": row_id, "practice_id": practice_id, "fields": fields,
            "base": {k: None for k in fields if isinstance(k, str)}}


@st.composite
def direct_row(draw: st.DrawFn, ids: Ids, today: date) -> dict[str, Any]:
    """A row as an older server could have stored it: data any JSON (Python's dialect: NaN,
    Infinity, numbers beyond 64 bits, lone surrogates escaped), under a fresh id."""
    entity = draw(st.sampled_from(ENTITIES + ("widget",)))
    row_id = draw(st.one_of(st.just(""), st.text(st.characters(codec="utf-8", exclude_characters="\x00"),
                                                 min_size=1, max_size=40))) + str(uuid.uuid4())
    if entity in ("practice", "plan"):
        row_id = ids.practice if entity == "plan" else row_id
    if entity == "checklist":
        row_id = draw(st.sampled_from([f"{ids.practice}:X1", f"{ids.practice}:Q7", row_id]))
    base = valid_record(entity, ids, row_id, today) if entity != "widget" else {"anything": 1}
    data = draw(st.one_of(
        st.builds(lambda changes: {**base, **changes},
                  st.dictionaries(st.sampled_from(sorted(base) + ["notes", "next_steps", "zzz"]), json_values,
                                  max_size=3)),
        st.builds(lambda drop: {k: v for k, v in base.items() if k not in drop},
                  st.lists(st.sampled_from(sorted(base)), max_size=4)),
        json_values))
    clocks = draw(st.sampled_from([None, {"x": "y"}, {"*": 5}, [], {"*": "001772000000000-000000-oldserver"}]))
    return {"entity": entity, "id": row_id[:200], "practice_id": ids.practice, "data": data, "clocks": clocks,
            "deleted": draw(st.booleans()), "author": draw(st.sampled_from(["ana", "", "\u202eroot", "x" * 200]))}


# -- the hostile client ------------------------------------------------------------------------

class RawClient:
    """A client that speaks the protocol with no checks of its own: whatever it is given is sent."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        r = self.http.post("/auth/v1/token", json={"username": user, "password": password})
        r.raise_for_status()
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}", "Content-Type": "application/json"}
        self.client_id = str(uuid.uuid4())
        self.next_id = 1
        self.clock = HybridClock(self.client_id.replace("-", "")[:12])

    def push(self, puts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        mutations = []
        for args in puts:
            mutations.append({"id": self.next_id, "uuid": str(uuid.uuid4()), "name": "put", "hlc": self.clock.now(),
                              "args": args})
            self.next_id += 1
        # Python's JSON: NaN, Infinity and lone surrogates (escaped) go out as a careless client would send them.
        body = json.dumps({"protocol": PROTOCOL_VERSION, "client_id": self.client_id, "mutations": mutations})
        r = self.http.post("/sync/v1/push", content=body, headers=self.headers)
        assert r.status_code in (200, 413, 422), (r.status_code, r.text[:2000])
        if r.status_code != 200:  # the whole push refused with a reason (too big, not JSON the protocol takes)
            assert r.json()["message"], r.text
            self.next_id -= len(mutations)
            return []
        answer = r.json()
        assert answer["last_mutation_id"] == self.next_id - 1, answer
        return answer["results"]

    def close(self) -> None:
        self.http.close()


def insert_rows(database_url: str, rows: list[dict[str, Any]]) -> None:
    """Write rows straight into the server's `rows` table (one new version), past every check."""
    from facilitator_app.server import tables as t
    from facilitator_app.server.db import make_engine, write_tx
    from facilitator_app.server.settings import Settings
    from facilitator_app.server.versions import COUNTER

    engine = make_engine(Settings(database_url=database_url))
    try:
        with write_tx(engine) as conn:
            sv = COUNTER.begin_push(conn)
            seen = set()
            for r in rows:
                key = (r["entity"], r["id"])
                if key in seen or conn.execute(t.rows.select().where(
                        (t.rows.c.entity == key[0]) & (t.rows.c.id == key[1]))).first() is not None:
                    continue  # an id drawn twice, or the example's plan
                seen.add(key)
                conn.execute(t.rows.insert().values(
                    entity=r["entity"], id=r["id"], practice_id=r["practice_id"], data=json.dumps(r["data"]),
                    clocks=json.dumps(r["clocks"]), deleted=r["deleted"], author=r["author"], editors="{}", sv=sv))
    finally:
        engine.dispose()


# -- everything must still work ----------------------------------------------------------------

def run_cli(*argv: Any) -> tuple[int, str, str]:
    """One `facilitator-app` command in this process (its output captured)."""
    import contextlib
    import io

    from facilitator_app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def check_cli(data_dir: Path, work: Path) -> dict[str, Any]:
    """Every listing and `show`, the exports, status and both reports for every record on the
    laptop: each must exit 0. Returns what `practice list --json` and `visit list --json` said."""
    def ok(*argv: Any) -> str:
        code, out, err = run_cli(*argv, "--data-dir", data_dir)
        assert code == 0, (argv, code, err[-2000:])
        return out

    practices = json.loads(ok("practice", "list", "--json"))
    visits = json.loads(ok("visit", "list", "--json"))
    ok("practice", "list")
    ok("visit", "list")
    ok("next-step", "list")
    ok("next-step", "list", "--json")
    ok("status")
    ok("status", "--json")
    ok("sync-issues")
    json.loads(ok("sync-issues", "--json"))
    ok("measure", "list")
    json.loads(ok("measure", "list", "--json"))
    for fmt in ("csv", "json"):
        ok("export", "--format", fmt, "--out", work / f"export-{fmt}", "--overwrite")
    for p in practices:
        ok("practice", "show", p["id"])
        json.loads(ok("practice", "show", p["id"], "--json"))
        ok("next-step", "list", p["id"], "--open")
        ok("report", "practice", p["id"], "-o", work / "progress.pdf")
    for v in visits:
        ok("visit", "show", v["id"])
        json.loads(ok("visit", "show", v["id"], "--json"))
        ok("report", "visit", v["id"], "-o", work / "visit.pdf")
    return {"practices": practices, "visits": visits}


def check_gui(data_dir: Path, today: date, *, visit_forms: bool = True) -> None:
    """Every screen for every practice on the laptop, as the app builds them: the practice view
    and each of its tabs, Today, the practices list, the visit form opened on each visit (through
    its public constructor only), and Sync issues. Any exception, failed background load or error
    dialog fails the check."""
    from PySide6.QtWidgets import QApplication

    from facilitator_app.ui.app import build, shutdown
    from facilitator_app.ui.views.practice.bundle import load_bundle

    app = QApplication.instance() or QApplication([])
    errors: list[str] = []
    previous_hook = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: errors.append(f"{kind.__name__}: {exc}")
    ctx = window = None
    try:
        ctx, window = build(data_dir, today=lambda: today, start_sync=False)
        real_submit = ctx.ops.submit

        def submit(fn: Any, *, writer: bool, done: Any, failed: Any) -> Any:
            def record(exc: BaseException) -> None:
                errors.append(f"background {type(exc).__name__}: {exc}")
                failed(exc)
            return real_submit(fn, writer=writer, done=done, failed=record)
        ctx.ops.submit = submit  # type: ignore[method-assign]
        ctx.ops.unhandled_error.connect(lambda title, message: errors.append(f"{title}: {message}"))

        def idle() -> None:
            for _ in range(2000):
                app.processEvents()
                if not ctx.ops.is_busy:
                    break
                ctx.ops.wait_idle(10)
            app.processEvents()
            assert not ctx.ops.is_busy

        window.show()
        idle()
        for screen in (window.TODAY, window.PRACTICES, window.SYNC_ISSUES):
            window.show_view(screen)
            window.current_view().refresh()
            idle()
        for summary in ctx.store.practice_summaries(today=today):
            window.open_practice(summary.id)
            idle()
            view = window.practice
            assert view.bundle is not None and view.bundle.id == summary.id, errors
            for index in range(view.tabs.count()):
                view.tabs.setCurrentIndex(index)
                idle()
                view.tabs.currentWidget().grab()  # paint it
            bundle = load_bundle(ctx.store, ctx.toolkit, summary.id, today)
            form_module = __import__("facilitator_app.ui.dialogs.visit_form", fromlist=["VisitForm"])
            for visit in (bundle.visits if visit_forms else []):
                form = form_module.VisitForm(ctx, bundle, visit=visit, parent=window)
                form.show()
                idle()
                form.grab()
                form.hide()
                form.deleteLater()
                idle()
        window.grab()
        assert not errors, errors
    finally:
        sys.excepthook = previous_hook
        if ctx is not None:
            window.hide()
            window.deleteLater()
            shutdown(ctx)
            app.processEvents()

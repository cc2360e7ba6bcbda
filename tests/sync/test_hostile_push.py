"""The property that proves both halves of "trust nothing that arrives" (issue 13): whatever one
client pushes (any entity, any JSON fields), and whatever an older server stored past every
check, a second, fresh laptop syncs without an error, and then every CLI listing and `show`, the
exports, status, both reports and every GUI screen of the practice work. On SQLite and PostgreSQL,
against a real server process; the laptop is the real app (store, sync service and engine).

Also: every row the server accepted from a push is used by the laptop (the server's canonical
record always passes the client's reader), and only rows written past the server's checks can be
set aside.

Bounded for CI; FFK_HOSTILE_EXAMPLES=N (or FFK_SOAK=1: 200) runs a longer soak, and
FFK_HOSTILE_NO_SHRINK=1 reports a failing example at once instead of shrinking it (each example
costs seconds, so shrinking can take minutes).
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from .conftest import PASSWORD, Laptop, unique
from .hostile import Ids, RawClient, check_cli, check_gui, direct_row, hostile_put, insert_rows, valid_record

EXAMPLES = int(os.environ.get("FFK_HOSTILE_EXAMPLES") or (200 if os.environ.get("FFK_SOAK") else 8))
TODAY = date.today()


@pytest.fixture(scope="module")
def account(server):
    user = unique("hostile")
    server.add_user(user, PASSWORD, cooperative=unique("coop"))
    pusher = RawClient(server.url, user, PASSWORD)
    yield server, user, pusher
    pusher.close()


def _base_puts(ids: Ids) -> list[dict]:
    """A valid practice with one row of every kind, so hostile changes have something to hit."""
    puts = []
    for entity, row_id in (("practice", ids.practice), ("visit", ids.visits[0]), ("next_step", ids.steps[0]),
                           ("contact", ids.others[0]), ("plan", ids.practice),
                           ("checklist", ids.row_ids("checklist")[0]),
                           ("checklist_note", ids.others[1]), ("measure", ids.others[0])):
        fields = {**valid_record(entity, ids, row_id, TODAY), "deleted": False}
        puts.append({"entity": entity, "id": row_id, "practice_id": ids.practice, "fields": fields,
                     "base": {k: None for k in fields}})
    return puts


@st.composite
def scenario(draw):
    ids = Ids()
    puts = draw(st.lists(hostile_put(ids, TODAY), min_size=1, max_size=25))
    direct = draw(st.lists(direct_row(ids, TODAY), max_size=8))
    return ids, puts, direct


@settings(max_examples=EXAMPLES, deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate] if os.environ.get("FFK_HOSTILE_NO_SHRINK")
          else list(Phase),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(case=scenario())
def test_whatever_is_pushed_every_screen_command_and_report_still_works(account, tmp_path_factory, case):
    server, user, pusher = account
    ids, puts, direct = case
    base = pusher.push(_base_puts(ids))
    assert [r["outcome"] for r in base] == ["applied"] * len(base), base
    results = pusher.push(puts)
    assert all(r["outcome"] in ("applied", "applied_conflict", "superseded", "rejected") for r in results)
    assert all(r["reason"] for r in results if r["outcome"] == "rejected"), results
    pushed_ids = {(p["entity"], p["id"]) for p in _base_puts(ids) + puts}
    insert_rows(server.database_url, direct)

    work = tmp_path_factory.mktemp("laptop")
    laptop = Laptop(work / "data", server.url)
    laptop.sign_in(user)
    report = laptop.sync()  # no error: whatever the server holds
    assert report.pulled >= len(base)
    set_aside = laptop.state.rejected_rows()
    assert report.set_aside == len(set_aside)
    applied = sum(r["outcome"] != "rejected" for r in results)
    event(f"puts applied: {'none' if not applied else 'some' if applied < len(results) else 'all'}")
    event(f"rows set aside by the laptop: {'none' if not set_aside else 'some'}")
    # The server's canonical records always pass the laptop's reader: only rows written past the
    # server's checks may be set aside.
    assert not [(r.entity, r.row_id, r.reason) for r in set_aside if (r.entity, r.row_id) in pushed_ids]
    assert all(r.reason and r.source == "pull" for r in set_aside)
    again = laptop.sync()
    assert again.set_aside == 0 or again.refetched  # set aside once, not at every sync
    assert ids.practice in {p.id for p in laptop.store.practices()}
    laptop.close()

    seen = check_cli(work / "data", work)
    assert ids.practice in {p["id"] for p in seen["practices"]}
    check_gui(work / "data", TODAY, visit_forms=True)


def test_the_visit_form_opens_a_synced_visit(account, tmp_path):
    server, user, pusher = account
    ids = Ids()
    assert {r["outcome"] for r in pusher.push(_base_puts(ids))} == {"applied"}
    laptop = Laptop(tmp_path / "data", server.url)
    laptop.sign_in(user)
    laptop.sync()
    laptop.close()
    check_gui(tmp_path / "data", TODAY, visit_forms=True)


ODD_TEXT = "Oak \x00\x1b[31m\u202eevil\u202c <b>bold</b> & =cmd\ud7ff " + "long " * 1_200


def test_odd_values_already_on_this_computer_never_crash_a_command_report_or_screen(tmp_path):
    """An older app's database can hold values today's rules refuse but any reader must still
    show (m004 moves only rows that cannot be read at all): control characters and bidi
    overrides in names, huge text, dates in year 1 and 9999, zero and negative numbers, codes
    from a newer app (a mode, a role, a status), strategies no toolkit has, a step of a visit
    that is gone, a measure with a zero denominator."""
    from facilitator_app.core.codec import to_record
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
    )
    from facilitator_app.store import Store
    from facilitator_app.store.rows import columns, table, to_row_values

    data = tmp_path / "data"
    store = Store.open(data / "local.sqlite")
    p = Practice(ODD_TEXT[:300], state="ZZ", clinicians=-3, ownership="coop", status="archived",
                 enrolled_on=date(9999, 12, 31), end_on=date(1, 1, 1), phone="\u202e555")
    v1 = Visit(p.id, date(1, 1, 1), minutes=0, travel_minutes=-5, mode="hovercraft", engagement=9,
               attendees=[Attendee(ODD_TEXT[:50], "boss"), Attendee("", "")], activities=["juggling"],
               strategies=[StrategyWork("Z9", "maybe", "perhaps", ODD_TEXT), StrategyWork("B1", "", "")],
               key_drivers=[ODD_TEXT[:40]], pdsa=Pdsa(aim=ODD_TEXT, decision="dither"), disruptions=["meteor"],
               practice_notes=ODD_TEXT, private_notes=ODD_TEXT, next_contact=date(9999, 12, 31),
               resources_left=[ODD_TEXT[:100]])
    v2 = Visit(p.id, date(9999, 12, 31), minutes=100_000, start_time=None, planned=False)
    rows = [
        ("practice", p), ("visit", v1), ("visit", v2),
        ("contact", Contact(p.id, ODD_TEXT[:80], role="boss", email="not an email", phone="x")),
        ("plan", FacilitationPlan(p.id, cadence="hourly", planned_visits=0, planned_hours=0.0,
                                  selected_strategies=["Z9", "B1", "B1"], agreed_on=date(1, 1, 1))),
        ("next_step", NextStep(p.id, "a-visit-that-is-gone", ODD_TEXT, owner=ODD_TEXT[:300], due=date(1, 1, 1),
                               status="snoozed", closed_on=date(9999, 12, 31), position=-1)),
        ("next_step", NextStep(p.id, v1.id, "", due=date(9999, 12, 31), status="done")),
        ("checklist", ChecklistItem(p.id, "Z9", status="paused", steps_done=[99, -1, 1, 1])),
        ("checklist", ChecklistItem(p.id, "B1", status="declined", reason=ODD_TEXT, target_date=date(1, 1, 1),
                                    steps_done=[99])),
        ("checklist_note", ChecklistNote(p.id, "Z9", ODD_TEXT, written_on=date(9999, 12, 31), author=ODD_TEXT[:20])),
        ("measure", MeasureValue(p.id, "Q", date(1, 1, 1), 5, 0)),
        ("measure", MeasureValue(p.id, "B", date(9999, 12, 31), 900, 3)),
        ("measure", MeasureValue(p.id, "B", date(2026, 3, 31), -4, 10)),
    ]
    with store.transaction() as tx:  # past every check, as an older app could have written them
        for entity, obj in rows:
            values = to_row_values(entity, to_record(obj))
            names = [c for c in columns(entity)] + ["updated_at", "author", "deleted", "clocks"]
            tx.conn.execute(f"INSERT INTO {table(entity)} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                            [values.get(c) for c in columns(entity)] + ["000000000000001-000000-old", "", 0, "{}"])
    store.close()
    seen = check_cli(data, tmp_path)
    assert [x["id"] for x in seen["practices"]] == [p.id] and len(seen["visits"]) == 2
    check_gui(data, TODAY, visit_forms=True)

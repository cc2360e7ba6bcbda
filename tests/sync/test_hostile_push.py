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
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .conftest import PASSWORD, Laptop, unique
from .hostile import Ids, RawClient, check_cli, check_gui, direct_row, hostile_put, insert_rows, valid_record

EXAMPLES = int(os.environ.get("FFK_HOSTILE_EXAMPLES") or (200 if os.environ.get("FFK_SOAK") else 4))
TODAY = date.today()
# The visit form is being rewritten on branch `visit-form`; on this branch it cannot open any
# saved visit (it reads `Visit.next_steps`, which became records of their own). While this is
# True the property test opens every other screen, and test_the_visit_form_opens_a_synced_visit
# is an expected failure; when the new form lands that test passes unexpectedly (strict), which
# is the signal to set this to False so the property test opens the form on every visit too.
VISIT_FORM_BROKEN = True


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
                           ("contact", ids.others[0]), ("plan", ids.practice), ("checklist", ids.row_ids("checklist")[0]),
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
    check_gui(work / "data", TODAY, visit_forms=not VISIT_FORM_BROKEN)


@pytest.mark.xfail(VISIT_FORM_BROKEN, strict=True, reason="the visit form is being rewritten on branch visit-form")
def test_the_visit_form_opens_a_synced_visit(account, tmp_path):
    server, user, pusher = account
    ids = Ids()
    assert {r["outcome"] for r in pusher.push(_base_puts(ids))} == {"applied"}
    laptop = Laptop(tmp_path / "data", server.url)
    laptop.sign_in(user)
    laptop.sync()
    laptop.close()
    check_gui(tmp_path / "data", TODAY, visit_forms=True)
